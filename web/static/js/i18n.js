// Labels in English, Russian and Kazakh, and number/date formatting for the
// chosen language. The choice is kept in localStorage ("vaxtrace.lang").

const LOCALES = { en: 'en-GB', ru: 'ru-RU', kk: 'kk-KZ' };

const D = {
  en: {
    app: 'vaxtrace', tagline: 'COVID-19 vaccine supply-to-arm ledger, Kazakhstan 2021',
    nav_overview: 'Overview', nav_map: 'Map', nav_charts: 'Charts', nav_shipments: 'Shipments', nav_lots: 'Lots',
    nav_dose: 'Record dose', nav_shipment: 'Dispatch / receive', nav_signin: 'Sign in', nav_signout: 'Sign out',
    language: 'Language', public_view: 'Public view', signed_in: 'Signed in',
    signin_title: 'Sign in', signin_help: 'Paste the API token you were given. It is kept in this browser only (localStorage).',
    token: 'API token', signin_btn: 'Sign in', public_btn: 'Continue without a token (public view: aggregates only)',
    signin_bad: 'This token was not accepted.',
    as_of: 'As of', loading: 'Loading…', error: 'Error', no_data: 'No data',
    contracted: 'Contracted', delivered: 'Delivered', national_wh: 'National warehouse', regional_wh: 'Regional warehouses',
    at_points: 'At vaccination points', in_transit: 'In transit', administered: 'Administered', wasted: 'Written off (wasted)',
    people_first: 'People with a first dose', people_full: 'People with a completed series', people_boosted: 'People boosted',
    doses: 'doses', people: 'people', targets: 'Targets', target: 'Target', progress: 'Progress', by: 'by',
    regions: 'Regions', region: 'Region', population: 'Population', first_cov: 'First dose %', full_cov: 'Completed %',
    stock: 'Stock', weeks_supply: 'Weeks of supply', colour_by: 'Colour by', coverage_first: 'First-dose coverage',
    map_title: 'Map of regions (2021 layout)', map_help: 'Click a region to open it.',
    charts_title: 'Charts', daily_doses: 'Daily doses', first: 'First', second: 'Second', booster: 'Booster', target_rate: 'Target rate',
    cum_cov_region: 'Coverage by region (first dose / completed)', stock_over_time: 'Stock by component over time (weekly)',
    supply_tranches: 'Agreement tranches: expected vs delivered', expected: 'Expected', status: 'Status',
    points: 'Vaccination points', warehouses: 'Warehouses', place: 'Place', kind: 'Kind', name: 'Name',
    point_stock: 'Stock by lot', lot: 'Lot', product: 'Product', component: 'Component', expiry: 'Expiry', held: 'Held by',
    shipments_title: 'Shipments in transit', shipment: 'Shipment', from: 'From', to: 'To', occurred: 'Date',
    lots_title: 'Lots with AEFI or quarantine', aefi: 'AEFI', serious: 'serious', reason: 'Reason', all_lots: 'All lots',
    dose_title: 'Record a dose', iin: 'IIN', iin_help: '12 digits; the last is a check digit.',
    iin_ok: 'Check digit is valid.', iin_len: 'Enter 12 digits ({n} so far).', iin_digits: 'Digits only.',
    iin_bad: 'Check digit does not match.', iin_never: 'Invalid IIN: this prefix is never issued.',
    at: 'Date and time', vaccinator: 'Vaccinator', save: 'Save', saved: 'Saved',
    dose_saved: 'Dose recorded: dose {n}, component {c} ({p}).', choose: '— choose —',
    no_stock: 'No usable stock at this point.',
    person_title: 'Register a person', family: 'Family name', given: 'Given name', birth_date: 'Birth date', sex: 'Sex',
    sex_m: 'Male', sex_f: 'Female', sex_u: 'Unknown', register: 'Register', person_saved: 'Person registered.',
    dispatch_title: 'Dispatch a shipment', receive_title: 'Receive a shipment', dispatch: 'Dispatch', receive: 'Receive',
    shipment_saved: 'Shipment {id} dispatched.', received_saved: 'Shipment {id} received.',
    forbidden: 'Refused (403): you may not do this.', unauthorized: 'Sign-in required (401).',
    public_note: 'Public view: aggregates only. Sign in for places, stock by lot and data entry.',
    back: 'Back', open: 'Open', total: 'Total', none: 'None', attribution: 'Boundaries',
    week: 'week', weeks: 'weeks', skip: 'Skip to content', quarantined: 'quarantined', released: 'released', suspended: 'suspended',
    late: 'late', partly_delivered: 'partly delivered', outstanding: 'outstanding',
  },
  ru: {
    app: 'vaxtrace', tagline: 'Учёт вакцин против COVID-19 от поставки до прививки, Казахстан 2021',
    nav_overview: 'Обзор', nav_map: 'Карта', nav_charts: 'Графики', nav_shipments: 'Отгрузки', nav_lots: 'Серии',
    nav_dose: 'Ввод прививки', nav_shipment: 'Отгрузка / приёмка', nav_signin: 'Войти', nav_signout: 'Выйти',
    language: 'Язык', public_view: 'Публичный режим', signed_in: 'Вход выполнен',
    signin_title: 'Вход', signin_help: 'Вставьте выданный вам API-токен. Он хранится только в этом браузере (localStorage).',
    token: 'API-токен', signin_btn: 'Войти', public_btn: 'Продолжить без токена (публичный режим: только сводные данные)',
    signin_bad: 'Токен не принят.',
    as_of: 'На дату', loading: 'Загрузка…', error: 'Ошибка', no_data: 'Нет данных',
    contracted: 'Законтрактовано', delivered: 'Поставлено', national_wh: 'Национальный склад', regional_wh: 'Региональные склады',
    at_points: 'В пунктах вакцинации', in_transit: 'В пути', administered: 'Введено доз', wasted: 'Списано (потери)',
    people_first: 'Получили первую дозу', people_full: 'Завершили курс', people_boosted: 'Ревакцинированы',
    doses: 'доз', people: 'чел.', targets: 'Цели', target: 'Цель', progress: 'Выполнение', by: 'к',
    regions: 'Регионы', region: 'Регион', population: 'Население', first_cov: 'Первая доза, %', full_cov: 'Полный курс, %',
    stock: 'Остаток', weeks_supply: 'Недель запаса', colour_by: 'Цвет по', coverage_first: 'Охват первой дозой',
    map_title: 'Карта регионов (деление 2021 г.)', map_help: 'Нажмите на регион, чтобы открыть его.',
    charts_title: 'Графики', daily_doses: 'Дозы по дням', first: 'Первая', second: 'Вторая', booster: 'Бустер', target_rate: 'Целевой темп',
    cum_cov_region: 'Охват по регионам (первая доза / полный курс)', stock_over_time: 'Остатки по компонентам (по неделям)',
    supply_tranches: 'Транши договоров: ожидалось и поставлено', expected: 'Ожидалось', status: 'Статус',
    points: 'Пункты вакцинации', warehouses: 'Склады', place: 'Место', kind: 'Тип', name: 'Название',
    point_stock: 'Остатки по сериям', lot: 'Серия', product: 'Препарат', component: 'Компонент', expiry: 'Годен до', held: 'Задержано',
    shipments_title: 'Отгрузки в пути', shipment: 'Отгрузка', from: 'Откуда', to: 'Куда', occurred: 'Дата',
    lots_title: 'Серии с ПППИ или на карантине', aefi: 'ПППИ', serious: 'серьёзных', reason: 'Причина', all_lots: 'Все серии',
    dose_title: 'Ввод прививки', iin: 'ИИН', iin_help: '12 цифр; последняя — контрольная.',
    iin_ok: 'Контрольная цифра верна.', iin_len: 'Введите 12 цифр (введено {n}).', iin_digits: 'Только цифры.',
    iin_bad: 'Контрольная цифра не совпадает.', iin_never: 'Неверный ИИН: такой префикс не выдаётся.',
    at: 'Дата и время', vaccinator: 'Вакцинатор', save: 'Сохранить', saved: 'Сохранено',
    dose_saved: 'Прививка записана: доза {n}, компонент {c} ({p}).', choose: '— выберите —',
    no_stock: 'В этом пункте нет пригодных остатков.',
    person_title: 'Регистрация человека', family: 'Фамилия', given: 'Имя', birth_date: 'Дата рождения', sex: 'Пол',
    sex_m: 'Мужской', sex_f: 'Женский', sex_u: 'Не указан', register: 'Зарегистрировать', person_saved: 'Человек зарегистрирован.',
    dispatch_title: 'Отгрузить', receive_title: 'Принять отгрузку', dispatch: 'Отгрузить', receive: 'Принять',
    shipment_saved: 'Отгрузка {id} отправлена.', received_saved: 'Отгрузка {id} принята.',
    forbidden: 'Отказано (403): у вас нет прав на это действие.', unauthorized: 'Требуется вход (401).',
    public_note: 'Публичный режим: только сводные данные. Войдите, чтобы видеть пункты, серии и вводить данные.',
    back: 'Назад', open: 'Открыть', total: 'Итого', none: 'Нет', attribution: 'Границы',
    week: 'неделя', weeks: 'нед.', skip: 'Перейти к содержимому', quarantined: 'карантин', released: 'выпущена', suspended: 'приостановлена',
    late: 'просрочен', partly_delivered: 'частично', outstanding: 'ожидается',
  },
  kk: {
    app: 'vaxtrace', tagline: 'COVID-19 вакциналарын жеткізуден егуге дейін есепке алу, Қазақстан 2021',
    nav_overview: 'Шолу', nav_map: 'Карта', nav_charts: 'Графиктер', nav_shipments: 'Жөнелтілімдер', nav_lots: 'Сериялар',
    nav_dose: 'Егуді енгізу', nav_shipment: 'Жөнелту / қабылдау', nav_signin: 'Кіру', nav_signout: 'Шығу',
    language: 'Тіл', public_view: 'Ашық режим', signed_in: 'Кірдіңіз',
    signin_title: 'Кіру', signin_help: 'Сізге берілген API токенін қойыңыз. Ол тек осы браузерде сақталады (localStorage).',
    token: 'API токені', signin_btn: 'Кіру', public_btn: 'Токенсіз жалғастыру (ашық режим: тек жиынтық деректер)',
    signin_bad: 'Токен қабылданбады.',
    as_of: 'Күні', loading: 'Жүктелуде…', error: 'Қате', no_data: 'Деректер жоқ',
    contracted: 'Келісімшарт бойынша', delivered: 'Жеткізілді', national_wh: 'Ұлттық қойма', regional_wh: 'Өңірлік қоймалар',
    at_points: 'Егу пункттерінде', in_transit: 'Жолда', administered: 'Енгізілген дозалар', wasted: 'Есептен шығарылды',
    people_first: 'Бірінші доза алғандар', people_full: 'Толық курс алғандар', people_boosted: 'Қайта егілгендер',
    doses: 'доза', people: 'адам', targets: 'Мақсаттар', target: 'Мақсат', progress: 'Орындалуы', by: 'дейін',
    regions: 'Өңірлер', region: 'Өңір', population: 'Халық саны', first_cov: 'Бірінші доза, %', full_cov: 'Толық курс, %',
    stock: 'Қалдық', weeks_supply: 'Қор апталары', colour_by: 'Түсі бойынша', coverage_first: 'Бірінші дозамен қамту',
    map_title: 'Өңірлер картасы (2021 ж.)', map_help: 'Ашу үшін өңірді басыңыз.',
    charts_title: 'Графиктер', daily_doses: 'Күндік дозалар', first: 'Бірінші', second: 'Екінші', booster: 'Бустер', target_rate: 'Мақсатты қарқын',
    cum_cov_region: 'Өңірлер бойынша қамту (бірінші доза / толық курс)', stock_over_time: 'Компоненттер бойынша қалдық (апта сайын)',
    supply_tranches: 'Келісімшарт транштары: күтілген және жеткізілген', expected: 'Күтілген', status: 'Мәртебе',
    points: 'Егу пункттері', warehouses: 'Қоймалар', place: 'Орын', kind: 'Түрі', name: 'Атауы',
    point_stock: 'Сериялар бойынша қалдық', lot: 'Серия', product: 'Препарат', component: 'Компонент', expiry: 'Жарамдылық мерзімі', held: 'Ұсталған',
    shipments_title: 'Жолдағы жөнелтілімдер', shipment: 'Жөнелтілім', from: 'Қайдан', to: 'Қайда', occurred: 'Күні',
    lots_title: 'ЕКЖҚ бар немесе карантиндегі сериялар', aefi: 'ЕКЖҚ', serious: 'ауыр', reason: 'Себеп', all_lots: 'Барлық сериялар',
    dose_title: 'Егуді енгізу', iin: 'ЖСН', iin_help: '12 сан; соңғысы — бақылау саны.',
    iin_ok: 'Бақылау саны дұрыс.', iin_len: '12 сан енгізіңіз (енгізілді: {n}).', iin_digits: 'Тек сандар.',
    iin_bad: 'Бақылау саны сәйкес келмейді.', iin_never: 'ЖСН жарамсыз: мұндай префикс берілмейді.',
    at: 'Күні мен уақыты', vaccinator: 'Вакцинатор', save: 'Сақтау', saved: 'Сақталды',
    dose_saved: 'Егу жазылды: {n}-доза, компонент {c} ({p}).', choose: '— таңдаңыз —',
    no_stock: 'Бұл пунктте жарамды қалдық жоқ.',
    person_title: 'Адамды тіркеу', family: 'Тегі', given: 'Аты', birth_date: 'Туған күні', sex: 'Жынысы',
    sex_m: 'Ер', sex_f: 'Әйел', sex_u: 'Белгісіз', register: 'Тіркеу', person_saved: 'Адам тіркелді.',
    dispatch_title: 'Жөнелту', receive_title: 'Жөнелтілімді қабылдау', dispatch: 'Жөнелту', receive: 'Қабылдау',
    shipment_saved: '{id} жөнелтілімі жіберілді.', received_saved: '{id} жөнелтілімі қабылданды.',
    forbidden: 'Бас тартылды (403): бұл әрекетке құқығыңыз жоқ.', unauthorized: 'Кіру қажет (401).',
    public_note: 'Ашық режим: тек жиынтық деректер. Пункттерді, серияларды көру және деректер енгізу үшін кіріңіз.',
    back: 'Артқа', open: 'Ашу', total: 'Барлығы', none: 'Жоқ', attribution: 'Шекаралар',
    week: 'апта', weeks: 'апта', skip: 'Мазмұнға өту', quarantined: 'карантин', released: 'шығарылған', suspended: 'тоқтатылған',
    late: 'кешіктірілген', partly_delivered: 'ішінара', outstanding: 'күтілуде',
  },
};

let lang = (() => {
  try { const l = localStorage.getItem('vaxtrace.lang'); if (l && D[l]) return l; } catch { /* private mode */ }
  return 'en';
})();

export const languages = [['en', 'English'], ['ru', 'Русский'], ['kk', 'Қазақша']];
export function getLang() { return lang; }
export function locale() { return LOCALES[lang]; }
export function setLang(l) {
  if (!D[l]) return;
  lang = l;
  try { localStorage.setItem('vaxtrace.lang', l); } catch { /* ignore */ }
  document.documentElement.lang = l;
}

/** t returns the label for key in the current language, with {name} placeholders filled. */
export function t(key, vars) {
  let s = D[lang][key] ?? D.en[key] ?? key;
  if (vars) s = s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
  return s;
}

const nf = {};
function numFmt(opts) {
  const k = lang + JSON.stringify(opts || {});
  return nf[k] || (nf[k] = new Intl.NumberFormat(LOCALES[lang], opts));
}
/** num formats an integer count; missing values show as an en dash. */
export function num(v) { return v == null || Number.isNaN(+v) ? '–' : numFmt({ maximumFractionDigits: 0 }).format(+v); }
/** pct formats a percentage given as 0..100. */
export function pct(v, digits) {
  if (digits === undefined) digits = v > 0 && v < 0.1 ? 3 : v > 0 && v < 1 ? 2 : 1; // small early-campaign shares stay visible
  return v == null || Number.isNaN(+v) ? '–' : numFmt({ minimumFractionDigits: digits, maximumFractionDigits: digits }).format(+v) + '\u00a0%';
}
/** dec formats a decimal number. */
export function dec(v, digits = 1) { return v == null || Number.isNaN(+v) ? '–' : numFmt({ maximumFractionDigits: digits }).format(+v); }
/** date formats "YYYY-MM-DD" for display. */
export function date(s) {
  if (!s) return '–';
  const d = new Date(String(s).slice(0, 10) + 'T00:00:00Z');
  if (Number.isNaN(d.getTime())) return String(s);
  return new Intl.DateTimeFormat(LOCALES[lang], { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' }).format(d);
}
/** regionName picks a region's name in the current language from a names map or GeoJSON properties. */
export function regionName(r) {
  if (!r) return '';
  const n = r.names || {};
  return n[lang] || r['name_' + lang] || n.en || r.name_en || r.name || r.code || r.iso_2021 || '';
}
