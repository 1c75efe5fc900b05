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

// Plan, certificates and "who am I" labels.
Object.assign(D.en, {
  nav_plan: 'Plan', nav_certificates: 'Certificates', who_title: 'Signed in as (name · role · scope)',
  scope_national: 'whole country', read_only: 'read-only',
  role_admin: 'administrator', role_region: 'regional coordinator', role_point: 'vaccination point', role_auditor: 'auditor', role_public: 'public',
  plan_title: 'Plan', reach_title: 'Can the target be reached?',
  reach_yes: 'Yes', reach_no: 'No',
  reach_q: '{value} first doses nationally from {from} to {to}:',
  reach_short: 'the forecast gives {forecast}, short by {short}.', reach_met: 'the forecast gives {forecast}.', reach_met_on: 'the forecast gives {forecast}, reached on {date}.',
  binding_limit: 'Binding limit', beyond_horizon: 'the target ends beyond the forecast horizon',
  limit_uptake: 'uptake', limit_supply: 'supply', limit_reserve: 'second-dose obligations',
  fc_forecast: 'Forecast in the window', fc_shortfall: 'Shortfall', fc_stock: 'First-dose stock on hand',
  fc_arrivals: 'First-dose arrivals', fc_arrivals_sub: 'delivered by the pipeline by {to}', fc_supply_max: 'At most (supply)',
  fc_supply_max_sub: 'with second doses reserved', fc_uptake: 'Uptake trend', fc_uptake_sub: 'if supply were unlimited',
  fc_band: 'Pessimistic – optimistic', reach_detail: 'Full explanation from the planner',
  fc_chart: 'National first doses per day: recorded and forecast', fc_actual: 'Recorded', fc_expected: 'Forecast (expected arrivals)',
  fc_target_rate: 'Target rate {rate}/day ({value} by {to})', fc_band_legend: 'Arrival band in the target window ({lo} – {hi})',
  fc_chart_note: 'Scenario: {scenario}. The band spreads the pessimistic (p90 delays) and optimistic (on schedule) totals of the target window over its days.',
  limits_title: 'What limits each region', limits_help: 'Weeks overlapping {from} – {to}. Uptake: people coming forward; supply: first-dose stock; second-dose obligations: stock held back for people due their second dose.',
  national: 'Whole country', lim_demand: 'Uptake demand', lim_first: 'Forecast first doses', lim_short_supply: 'Short: supply',
  lim_short_reserve: 'Short: 2nd-dose obligations', lim_weeks: 'Weeks by limit',
  stockouts_title: 'Forecast stock-outs', stockouts_help: 'First day each region runs out of first-dose stock, and the demand left unmet that day.',
  so_first: 'First stock-out', so_days: 'Days out', so_unmet: 'Unmet that day', so_keys: 'Products out',
  expiring_title: 'Lots expiring before use', expiring_help: 'Doses forecast to be still in stock at expiry.',
  alloc_title: 'Allocation proposal', alloc_help: 'Splits national-warehouse stock across regions (WHO min/max, second doses reserved, first expiry first out). Nothing is recorded until accepted. Leave the date empty to plan for the next day after the last one recorded: only that day\'s stock can be shipped.',
  alloc_as_of: 'Planning day (optional)', so_all: 'all {n}', so_of: '{n} of {m}', so_which: 'Which products', doses_h: 'Doses',
  fc_band_sub: 'arrivals late (p90) – on schedule', alloc_empty: 'Nothing to allocate: the national warehouse has no stock to send.',
  alloc_period: 'Review period (days)', alloc_horizon: 'Horizon (days)', alloc_propose: 'Propose',
  alloc_admin_only: 'Proposing, accepting and rejecting allocations needs the administrator role.',
  alloc_proposed: 'Proposal {id}: {n} lines.', alloc_review: 'Review', alloc_lines: 'Lines of {id}', alloc_explanation: 'Explanation',
  alloc_summary: '{doses} doses, of which {reserve} reserved for second doses ({share}).', alloc_unallocated: 'left in the national warehouse',
  alloc_total: 'Total after edits', alloc_accept: 'Accept', alloc_reject: 'Reject',
  astatus_proposed: 'proposed', astatus_accepted: 'accepted', astatus_rejected: 'rejected', astatus_partial: 'partly accepted', astatus_failed: 'partly dispatched (some shipments refused)',
  alloc_accepted_msg: 'Accepted: {n} shipments dispatched.', alloc_rejected_msg: 'Proposal rejected.',
  alloc_shipments: '{n} shipments now in transit.', purpose_reserve: 'second-dose reserve', purpose_minmax: 'WHO min/max',
  cert_title: 'Vaccination certificates', cert_issue_title: 'Issue a certificate',
  cert_issue_help: 'EU Digital COVID Certificate for the person\'s latest dose. Give the IIN (looked up securely) or the person id.',
  cert_issue_signin: 'Sign in to issue certificates. Anyone can verify one below.',
  cert_iin_help: 'Looked up by a keyed hash; never put in a URL.', cert_person: 'Person id', cert_person_help: '32 hexadecimal digits (filled in after an IIN look-up).',
  cert_need_person: 'Enter an IIN or a person id.', cert_issue_btn: 'Issue certificate', cert_issued: 'Certificate issued.',
  cert_qr_alt: 'QR code of certificate {uvci}', cert_print: 'Printable page', cert_name: 'Name', cert_vaccine: 'Vaccine',
  cert_dose: 'Dose', cert_expires: 'Valid until', cert_verify_this: 'Verify this certificate',
  verify_title: 'Verify a certificate', verify_help: 'Public: no token is needed. Paste the HC1 text read from the QR code, or upload a PNG image of the QR code.',
  verify_paste: 'HC1 text', verify_file: 'or a QR code image (PNG)', verify_file_help: 'The image is sent to this server only.',
  verify_btn: 'Verify', verify_clear: 'Clear', verify_need: 'Paste an HC1 text or choose a PNG file.',
  verify_valid: 'Valid', verify_invalid: 'Invalid', verify_code: 'code', verify_reason: 'Reason',
  verify_step_ok: 'passed', verify_step_bad: 'failed', verify_issuer: 'Issuer', verify_clock: 'Checked at {clock}', verify_steps_ok: 'steps passed',
  step_input: 'Input', step_prefix: 'HC1 prefix', step_base45: 'Base45 decoding', step_zlib: 'Decompression', step_cose: 'COSE structure',
  step_kid: 'Signing key found', step_signature: 'Signature', step_cwt: 'CWT claims', step_schema: 'DCC schema', step_expiry: 'Validity period',
  step_key_usage: 'Key usage', step_revocation: 'Not revoked',
});
Object.assign(D.ru, {
  nav_plan: 'План', nav_certificates: 'Сертификаты', who_title: 'Вход выполнен как (имя · роль · область действия)',
  scope_national: 'вся страна', read_only: 'только чтение',
  role_admin: 'администратор', role_region: 'региональный координатор', role_point: 'пункт вакцинации', role_auditor: 'аудитор', role_public: 'публичный',
  plan_title: 'План', reach_title: 'Достижима ли цель?',
  reach_yes: 'Да', reach_no: 'Нет',
  reach_q: '{value} первых доз по стране с {from} по {to}:',
  reach_short: 'прогноз — {forecast}, не хватает {short}.', reach_met: 'прогноз — {forecast}.', reach_met_on: 'прогноз — {forecast}, цель достигается {date}.',
  binding_limit: 'Ограничивающий фактор', beyond_horizon: 'цель заканчивается за горизонтом прогноза',
  limit_uptake: 'спрос', limit_supply: 'поставки', limit_reserve: 'обязательства по вторым дозам',
  fc_forecast: 'Прогноз за период', fc_shortfall: 'Нехватка', fc_stock: 'Запас первых доз',
  fc_arrivals: 'Поступления первых доз', fc_arrivals_sub: 'по графику поставок до {to}', fc_supply_max: 'Максимум (поставки)',
  fc_supply_max_sub: 'с резервом вторых доз', fc_uptake: 'Тренд спроса', fc_uptake_sub: 'при неограниченных поставках',
  fc_band: 'Пессимистичный – оптимистичный', reach_detail: 'Полное объяснение планировщика',
  fc_chart: 'Первые дозы по стране в день: факт и прогноз', fc_actual: 'Факт', fc_expected: 'Прогноз (ожидаемые поставки)',
  fc_target_rate: 'Темп цели {rate}/день ({value} к {to})', fc_band_legend: 'Диапазон поставок в период цели ({lo} – {hi})',
  fc_chart_note: 'Сценарий: {scenario}. Диапазон распределяет по дням итоги пессимистичного (задержки p90) и оптимистичного (по графику) сценариев за период цели.',
  limits_title: 'Что ограничивает каждый регион', limits_help: 'Недели, пересекающиеся с {from} – {to}. Спрос: желающие привиться; поставки: запас первых доз; обязательства: запас, удерживаемый для вторых доз.',
  national: 'Вся страна', lim_demand: 'Спрос', lim_first: 'Прогноз первых доз', lim_short_supply: 'Нехватка: поставки',
  lim_short_reserve: 'Нехватка: вторые дозы', lim_weeks: 'Недели по фактору',
  stockouts_title: 'Прогноз нулевых остатков', stockouts_help: 'Первый день, когда в регионе заканчиваются первые дозы, и неудовлетворённый спрос в этот день.',
  so_first: 'Первый нулевой остаток', so_days: 'Дней без запаса', so_unmet: 'Не удовлетворено', so_keys: 'Закончились',
  expiring_title: 'Серии, истекающие до использования', expiring_help: 'Дозы, которые по прогнозу останутся на складе к окончанию срока годности.',
  alloc_title: 'Предложение распределения', alloc_help: 'Распределяет запас национального склада по регионам (мин/макс ВОЗ, резерв вторых доз, сначала истекающие). Ничего не записывается до принятия. Оставьте дату пустой, чтобы планировать на день после последнего учтённого: отгрузить можно только запас этого дня.',
  alloc_as_of: 'День планирования (необязательно)', so_all: 'все {n}', so_of: '{n} из {m}', so_which: 'Какие препараты', doses_h: 'Доз',
  fc_band_sub: 'поставки с задержкой (p90) – по графику', alloc_empty: 'Нечего распределять: на национальном складе нет запаса для отправки.',
  alloc_period: 'Период пересмотра (дней)', alloc_horizon: 'Горизонт (дней)', alloc_propose: 'Предложить',
  alloc_admin_only: 'Предлагать, принимать и отклонять распределения может только администратор.',
  alloc_proposed: 'Предложение {id}: строк — {n}.', alloc_review: 'Проверка', alloc_lines: 'Строки {id}', alloc_explanation: 'Обоснование',
  alloc_summary: '{doses} доз, из них {reserve} — резерв вторых доз ({share}).', alloc_unallocated: 'остаётся на национальном складе',
  alloc_total: 'Итого после правок', alloc_accept: 'Принять', alloc_reject: 'Отклонить',
  astatus_proposed: 'предложено', astatus_accepted: 'принято', astatus_rejected: 'отклонено', astatus_partial: 'принято частично', astatus_failed: 'отгружено частично (часть отгрузок отклонена)',
  alloc_accepted_msg: 'Принято: отправлено отгрузок — {n}.', alloc_rejected_msg: 'Предложение отклонено.',
  alloc_shipments: 'Отгрузок в пути: {n}.', purpose_reserve: 'резерв вторых доз', purpose_minmax: 'мин/макс ВОЗ',
  cert_title: 'Сертификаты о вакцинации', cert_issue_title: 'Выдать сертификат',
  cert_issue_help: 'Цифровой COVID-сертификат ЕС по последней дозе человека. Укажите ИИН (поиск защищён) или идентификатор человека.',
  cert_issue_signin: 'Войдите, чтобы выдавать сертификаты. Проверить сертификат может любой — ниже.',
  cert_iin_help: 'Поиск по ключевому хешу; ИИН не попадает в URL.', cert_person: 'Идентификатор человека', cert_person_help: '32 шестнадцатеричные цифры (заполняется после поиска по ИИН).',
  cert_need_person: 'Укажите ИИН или идентификатор человека.', cert_issue_btn: 'Выдать сертификат', cert_issued: 'Сертификат выдан.',
  cert_qr_alt: 'QR-код сертификата {uvci}', cert_print: 'Версия для печати', cert_name: 'ФИО', cert_vaccine: 'Вакцина',
  cert_dose: 'Доза', cert_expires: 'Действителен до', cert_verify_this: 'Проверить этот сертификат',
  verify_title: 'Проверить сертификат', verify_help: 'Открыто для всех, токен не нужен. Вставьте текст HC1 из QR-кода или загрузите PNG с QR-кодом.',
  verify_paste: 'Текст HC1', verify_file: 'или изображение QR-кода (PNG)', verify_file_help: 'Изображение отправляется только на этот сервер.',
  verify_btn: 'Проверить', verify_clear: 'Очистить', verify_need: 'Вставьте текст HC1 или выберите файл PNG.',
  verify_valid: 'Действителен', verify_invalid: 'Недействителен', verify_code: 'код', verify_reason: 'Причина',
  verify_step_ok: 'пройдено', verify_step_bad: 'ошибка', verify_issuer: 'Издатель', verify_clock: 'Проверено {clock}', verify_steps_ok: 'шагов пройдено',
  step_input: 'Ввод', step_prefix: 'Префикс HC1', step_base45: 'Декодирование Base45', step_zlib: 'Распаковка', step_cose: 'Структура COSE',
  step_kid: 'Ключ подписи найден', step_signature: 'Подпись', step_cwt: 'Поля CWT', step_schema: 'Схема DCC', step_expiry: 'Срок действия',
  step_key_usage: 'Назначение ключа', step_revocation: 'Не отозван',
});
Object.assign(D.kk, {
  nav_plan: 'Жоспар', nav_certificates: 'Сертификаттар', who_title: 'Кіру (аты · рөлі · аясы)',
  scope_national: 'бүкіл ел', read_only: 'тек оқу',
  role_admin: 'әкімші', role_region: 'өңірлік үйлестіруші', role_point: 'вакцинация пункті', role_auditor: 'аудитор', role_public: 'жария',
  plan_title: 'Жоспар', reach_title: 'Мақсатқа жетуге бола ма?',
  reach_yes: 'Иә', reach_no: 'Жоқ',
  reach_q: 'Ел бойынша {from} – {to} аралығында {value} бірінші доза:',
  reach_short: 'болжам — {forecast}, {short} жетпейді.', reach_met: 'болжам — {forecast}.', reach_met_on: 'болжам — {forecast}, мақсатқа {date} жетеді.',
  binding_limit: 'Шектеуші фактор', beyond_horizon: 'мақсат болжам көкжиегінен тыс аяқталады',
  limit_uptake: 'сұраныс', limit_supply: 'жеткізілім', limit_reserve: 'екінші доза міндеттемелері',
  fc_forecast: 'Кезеңдегі болжам', fc_shortfall: 'Тапшылық', fc_stock: 'Бірінші доза қоры',
  fc_arrivals: 'Бірінші доза түсімі', fc_arrivals_sub: '{to} дейін жеткізу кестесі бойынша', fc_supply_max: 'Ең көбі (жеткізілім)',
  fc_supply_max_sub: 'екінші доза резервімен', fc_uptake: 'Сұраныс үрдісі', fc_uptake_sub: 'жеткізілім шексіз болса',
  fc_band: 'Пессимистік – оптимистік', reach_detail: 'Жоспарлаушының толық түсіндірмесі',
  fc_chart: 'Ел бойынша күніне бірінші дозалар: нақты және болжам', fc_actual: 'Нақты', fc_expected: 'Болжам (күтілетін жеткізілім)',
  fc_target_rate: 'Мақсат қарқыны {rate}/күн ({to} дейін {value})', fc_band_legend: 'Мақсат кезеңіндегі жеткізу ауқымы ({lo} – {hi})',
  fc_chart_note: 'Сценарий: {scenario}. Ауқым мақсат кезеңінің пессимистік (p90 кешігу) және оптимистік (кесте бойынша) қорытындыларын күндерге бөледі.',
  limits_title: 'Әр өңірді не шектейді', limits_help: '{from} – {to} кезеңімен қиылысатын апталар. Сұраныс: егілуге келетіндер; жеткізілім: бірінші доза қоры; міндеттемелер: екінші дозаға сақталған қор.',
  national: 'Бүкіл ел', lim_demand: 'Сұраныс', lim_first: 'Бірінші доза болжамы', lim_short_supply: 'Тапшылық: жеткізілім',
  lim_short_reserve: 'Тапшылық: екінші дозалар', lim_weeks: 'Фактор бойынша апталар',
  stockouts_title: 'Қордың таусылу болжамы', stockouts_help: 'Өңірде бірінші дозалар таусылатын алғашқы күн және сол күнгі қанағаттандырылмаған сұраныс.',
  so_first: 'Алғашқы таусылу', so_days: 'Қорсыз күндер', so_unmet: 'Қанағаттандырылмаған', so_keys: 'Таусылғандар',
  expiring_title: 'Қолданылмай мерзімі өтетін сериялар', expiring_help: 'Болжам бойынша жарамдылық мерзімі біткенде қоймада қалатын дозалар.',
  alloc_title: 'Бөлу ұсынысы', alloc_help: 'Ұлттық қойма қорын өңірлерге бөледі (ДДСҰ мин/макс, екінші доза резерві, алдымен мерзімі өтетіндер). Қабылданғанға дейін ештеңе жазылмайды. Соңғы тіркелген күннен кейінгі күнге жоспарлау үшін күнді бос қалдырыңыз: тек сол күнгі қорды жөнелтуге болады.',
  alloc_as_of: 'Жоспарлау күні (міндетті емес)', so_all: 'барлығы {n}', so_of: '{m} ішінен {n}', so_which: 'Қай препараттар', doses_h: 'Доза',
  fc_band_sub: 'кешіккен жеткізу (p90) – кесте бойынша', alloc_empty: 'Бөлетін ештеңе жоқ: ұлттық қоймада жіберетін қор жоқ.',
  alloc_period: 'Қайта қарау кезеңі (күн)', alloc_horizon: 'Көкжиек (күн)', alloc_propose: 'Ұсыну',
  alloc_admin_only: 'Бөлуді ұсыну, қабылдау және қабылдамау тек әкімшіге рұқсат.',
  alloc_proposed: '{id} ұсынысы: {n} жол.', alloc_review: 'Тексеру', alloc_lines: '{id} жолдары', alloc_explanation: 'Негіздеме',
  alloc_summary: '{doses} доза, оның {reserve} — екінші доза резерві ({share}).', alloc_unallocated: 'ұлттық қоймада қалады',
  alloc_total: 'Түзетуден кейінгі жиыны', alloc_accept: 'Қабылдау', alloc_reject: 'Қабылдамау',
  astatus_proposed: 'ұсынылды', astatus_accepted: 'қабылданды', astatus_rejected: 'қабылданбады', astatus_partial: 'ішінара қабылданды', astatus_failed: 'ішінара жөнелтілді (кейбір жөнелтілімдер қабылданбады)',
  alloc_accepted_msg: 'Қабылданды: {n} жөнелтілім жіберілді.', alloc_rejected_msg: 'Ұсыныс қабылданбады.',
  alloc_shipments: 'Жолдағы жөнелтілімдер: {n}.', purpose_reserve: 'екінші доза резерві', purpose_minmax: 'ДДСҰ мин/макс',
  cert_title: 'Вакцинация сертификаттары', cert_issue_title: 'Сертификат беру',
  cert_issue_help: 'Адамның соңғы дозасы бойынша ЕО цифрлық COVID сертификаты. ЖСН (қауіпсіз іздеу) немесе адам идентификаторын енгізіңіз.',
  cert_issue_signin: 'Сертификат беру үшін кіріңіз. Сертификатты кез келген адам төменде тексере алады.',
  cert_iin_help: 'Кілттік хеш бойынша ізделеді; ЖСН URL-ге түспейді.', cert_person: 'Адам идентификаторы', cert_person_help: '32 он алтылық цифр (ЖСН бойынша іздегеннен кейін толтырылады).',
  cert_need_person: 'ЖСН немесе адам идентификаторын енгізіңіз.', cert_issue_btn: 'Сертификат беру', cert_issued: 'Сертификат берілді.',
  cert_qr_alt: '{uvci} сертификатының QR коды', cert_print: 'Басып шығаруға арналған бет', cert_name: 'Аты-жөні', cert_vaccine: 'Вакцина',
  cert_dose: 'Доза', cert_expires: 'Жарамдылық мерзімі', cert_verify_this: 'Осы сертификатты тексеру',
  verify_title: 'Сертификатты тексеру', verify_help: 'Барлығына ашық, токен қажет емес. QR кодтағы HC1 мәтінін қойыңыз немесе QR кодының PNG суретін жүктеңіз.',
  verify_paste: 'HC1 мәтіні', verify_file: 'немесе QR код суреті (PNG)', verify_file_help: 'Сурет тек осы серверге жіберіледі.',
  verify_btn: 'Тексеру', verify_clear: 'Тазарту', verify_need: 'HC1 мәтінін қойыңыз немесе PNG файлын таңдаңыз.',
  verify_valid: 'Жарамды', verify_invalid: 'Жарамсыз', verify_code: 'код', verify_reason: 'Себебі',
  verify_step_ok: 'өтті', verify_step_bad: 'қате', verify_issuer: 'Берген', verify_clock: 'Тексерілген уақыты: {clock}', verify_steps_ok: 'қадам өтті',
  step_input: 'Кіріс', step_prefix: 'HC1 префиксі', step_base45: 'Base45 декодтау', step_zlib: 'Тарқату', step_cose: 'COSE құрылымы',
  step_kid: 'Қолтаңба кілті табылды', step_signature: 'Қолтаңба', step_cwt: 'CWT өрістері', step_schema: 'DCC схемасы', step_expiry: 'Жарамдылық мерзімі',
  step_key_usage: 'Кілттің мақсаты', step_revocation: 'Кері қайтарылмаған',
});

export const languages = [['en', 'English'], ['ru', 'Русский'], ['kk', 'Қазақша']];
/** addLabels adds labels of a screen kept in its own file ({en: {...}, ru: {...}, kk: {...}}); existing keys win. */
export function addLabels(more) {
  for (const [l, m] of Object.entries(more)) if (D[l]) for (const [k, v] of Object.entries(m)) if (!(k in D[l])) D[l][k] = v;
}
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

// Some browsers ship ICU without Kazakh data (dates come out as "2021 M04 1",
// numbers with commas): then dates use these month names and numbers the
// Russian grouping, which Kazakhstan shares (space thousands, decimal comma).
const KK_MONTHS = ['қаң.', 'ақп.', 'нау.', 'сәу.', 'мам.', 'мау.', 'шіл.', 'там.', 'қыр.', 'қаз.', 'қар.', 'жел.'];
let kkData = null; // {dates, numbers}: whether this browser has Kazakh formatting data
function kk() {
  if (!kkData) {
    kkData = { dates: true, numbers: true };
    try {
      kkData.dates = !/M0?1/.test(new Intl.DateTimeFormat('kk-KZ', { month: 'short', timeZone: 'UTC' }).format(new Date(Date.UTC(2021, 0, 15))));
      kkData.numbers = new Intl.NumberFormat('kk-KZ').format(1000) !== '1,000';
    } catch { kkData = { dates: false, numbers: false }; }
  }
  return kkData;
}
function numLocale() { return lang === 'kk' && !kk().numbers ? 'ru-RU' : LOCALES[lang]; }

const nf = {};
function numFmt(opts) {
  const k = lang + JSON.stringify(opts || {});
  return nf[k] || (nf[k] = new Intl.NumberFormat(numLocale(), opts));
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
  if (lang === 'kk' && !kk().dates) return `${d.getUTCDate()} ${KK_MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ж.`;
  return new Intl.DateTimeFormat(LOCALES[lang], { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' }).format(d);
}
/** regionName picks a region's name in the current language from a names map or GeoJSON properties. */
export function regionName(r) {
  if (!r) return '';
  const n = r.names || {};
  return n[lang] || r['name_' + lang] || n.en || r.name_en || r.name || r.code || r.iso_2021 || '';
}
