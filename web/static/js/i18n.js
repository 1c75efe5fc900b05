// Labels in Kazakh, Russian and English (i18n/labels.json), server messages
// (i18n/messages.json: every error and planner explanation template of the
// Go code), plural forms, and number, date and name formatting for the
// chosen language. The choice is kept in localStorage ("vaxtrace.lang").

const LOCALES = { en: 'en-GB', ru: 'ru-RU', kk: 'kk-KZ' };

let labels = {}; // key -> {en, ru, kk}
let messages = {}; // Go template -> {ru, kk}
const names = { regions: new Map(), products: new Map(), places: new Map() }; // code -> {names, name}

let lang = (() => {
  try { const l = localStorage.getItem('vaxtrace.lang'); if (l && LOCALES[l]) return l; } catch { /* private mode */ }
  return 'en';
})();

/** loadI18n fetches the label and message catalogs (once, before the first render). */
export async function loadI18n() {
  const [l, m] = await Promise.all([
    fetch('i18n/labels.json').then((r) => r.json()),
    fetch('i18n/messages.json').then((r) => r.json()).catch(() => ({})),
  ]);
  labels = l;
  messages = m;
}

export const languages = [['kk', 'Қазақша'], ['ru', 'Русский'], ['en', 'English']];
export function getLang() { return lang; }
export function locale() { return LOCALES[lang]; }
export function setLang(l) {
  if (!LOCALES[l]) return;
  lang = l;
  try { localStorage.setItem('vaxtrace.lang', l); } catch { /* ignore */ }
  document.documentElement.lang = l;
}

// ---------- plural forms ----------
const pr = {};
/** pluralIndex picks the form for n: Russian one/few/many, Kazakh and English one/other. */
export function pluralIndex(n, l = lang) {
  const rules = pr[l] || (pr[l] = new Intl.PluralRules(LOCALES[l]));
  const c = rules.select(Number(n));
  if (l === 'ru') return c === 'one' ? 0 : c === 'few' ? 1 : c === 'many' ? 2 : 1;
  return c === 'one' ? 0 : 1;
}
function plural(n, forms) {
  const i = Math.min(pluralIndex(n), forms.length - 1);
  return forms[i];
}

/**
 * t returns the label for key in the current language. {name} is replaced
 * by vars[name]; {name|one|few|many} by the plural form for vars[name]
 * (forms per language: ru three, kk and en two).
 */
export function t(key, vars) {
  const e = labels[key];
  let s = e ? (e[lang] ?? e.en) : key;
  if (s === undefined) s = key;
  if (vars) {
    s = s.replace(/\{(\w+)\|([^{}]*)\}/g, (m, k, forms) => (k in vars ? plural(vars[k], forms.split('|')) : m));
    s = s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
  }
  return s;
}

// ---------- numbers and dates ----------
// Some browsers ship ICU without Kazakh data (dates come out as "2021 M04 1",
// numbers with commas): then dates use these month names and numbers the
// Russian grouping, which Kazakhstan shares (space thousands, decimal comma).
const KK_MONTHS = ['қаң.', 'ақп.', 'нау.', 'сәу.', 'мам.', 'мау.', 'шіл.', 'там.', 'қыр.', 'қаз.', 'қар.', 'жел.'];
let kkData = null;
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
/** shortDate is date without the year (chart ticks). */
export function shortDate(s) {
  if (!s) return '–';
  const d = new Date(String(s).slice(0, 10) + 'T00:00:00Z');
  if (Number.isNaN(d.getTime())) return String(s);
  if (lang === 'kk' && !kk().dates) return `${d.getUTCDate()} ${KK_MONTHS[d.getUTCMonth()]}`;
  return new Intl.DateTimeFormat(LOCALES[lang], { day: 'numeric', month: 'short', timeZone: 'UTC' }).format(d);
}
function quote(s) { return lang === 'en' ? `"${s}"` : `«${s}»`; }

// ---------- names carried in the data ----------
/** learnNames remembers names per language of regions, products and places from API lists. */
export function learnNames(kind, list, key = 'code') {
  for (const x of list || []) if (x && x[key]) names[kind].set(x[key], x);
}
function pickName(x, fallback) {
  if (!x) return fallback;
  const n = x.names || {};
  return n[lang] || x['name_' + lang] || n.en || x.name_en || x.name || fallback;
}
/** regionName: a region's name in the current language (an object with names, or a code). */
export function regionName(r) {
  if (!r) return '';
  if (typeof r === 'string') return r === 'KZ' ? t('country') : pickName(names.regions.get(r), r);
  return pickName(r, r.code || r.iso_2021 || '');
}
/** productName: a product's name in the current language. */
export function productName(code) { return pickName(names.products.get(code), code || ''); }
/** placeName: a place's name in the current language. */
export function placeName(id) { return pickName(names.places.get(id), id || ''); }
/** keyName: "sputnik-v/II" as "Sputnik V · II". */
export function keyName(key) {
  const [p, c] = String(key).split('/');
  return c ? `${productName(p)} · ${c}` : productName(p);
}

// ---------- server messages ----------
const VERB = /%[-+# 0]*[0-9]*(?:\.([0-9]+))?([a-zA-Z%])/g;
function verbsOf(template) {
  const out = [];
  for (const m of String(template).matchAll(VERB)) if (m[2] !== '%') out.push({ verb: m[2], prec: m[1] });
  return out;
}
function formatParam(v, spec) {
  if (typeof v === 'number') {
    if (spec && spec.prec !== undefined) return numFmt({ minimumFractionDigits: +spec.prec, maximumFractionDigits: +spec.prec }).format(v);
    return Number.isInteger(v) ? num(v) : dec(v, 2);
  }
  let s = String(v ?? '');
  if (/^\d{4}-\d{2}-\d{2}$/.test(s)) s = date(s);
  else if (names.regions.has(s) || s === 'KZ') s = regionName(s);
  else if (names.products.has(s)) s = productName(s);
  else if (/^[a-z0-9-]+\/[A-Za-z0-9]+$/.test(s) && names.products.has(s.split('/')[0])) s = keyName(s);
  return spec && spec.verb === 'q' ? quote(s) : s;
}

/** fromGo fills a Go template's verbs with the parameters, formatted for the language. */
function fromGo(tpl, params) {
  let i = 0;
  return tpl.replace(VERB, (all, prec, verb) => (verb === '%' ? '%' : formatParam(params[i++], { verb, prec })));
}

/** hasMessage reports whether the catalog translates template into the current language. */
export function hasMessage(template) { return lang === 'en' || !!(messages[template] && messages[template][lang]); }

/**
 * message renders a server message ({template, params} plus its English
 * text) in the current language: the catalog's translation with each {i}
 * replaced by parameter i (numbers and dates formatted for the language,
 * region and product codes by their names, %q values quoted) and
 * {i|one|few|many} by the plural form for parameter i. English, or a
 * template the catalog lacks, shows the server's own text.
 */
export function message(m, english) {
  if (!m) return english || '';
  const text = english ?? m.text ?? m.message ?? '';
  const tpl = m.template;
  const params = m.params || [];
  if (lang === 'en' && tpl && verbsOf(tpl).length === params.length) return fromGo(tpl, params);
  const tr = tpl && messages[tpl] && messages[tpl][lang];
  if (lang === 'en' || !tr) return text || tpl || '';
  const specs = verbsOf(tpl);
  return tr.replace(/\{(\d+)(\|[^{}]*)?\}/g, (all, i, forms) => {
    const v = params[+i];
    if (forms) return plural(Number(v), forms.slice(1).split('|'));
    return formatParam(v, specs[+i]);
  });
}
