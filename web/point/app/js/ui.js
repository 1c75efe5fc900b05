// Small DOM and text helpers shared by the screens: h() builds elements,
// t() translates from i18n.json (en, ru, kk), and the formatters follow the
// chosen language.

let strings = {};
let lang = 'en';
export const LANGS = ['kk', 'ru', 'en'];

/** loadStrings fetches the translation table (cached by the service worker). */
export async function loadStrings() {
  const r = await fetch('i18n.json');
  strings = await r.json();
}

export function getLang() { return lang; }
export function setLang(l) {
  lang = LANGS.includes(l) ? l : 'en';
  document.documentElement.lang = lang;
  try { localStorage.setItem('vaxtrace.point.lang', lang); } catch { /* private mode */ }
}
export function initialLang() {
  let l = '';
  try { l = localStorage.getItem('vaxtrace.point.lang') || ''; } catch { /* ignore */ }
  if (!l) l = (navigator.language || 'en').slice(0, 2);
  return LANGS.includes(l) ? l : 'en';
}

/** t translates key with {name} placeholders; a missing key shows itself. */
export function t(key, vars) {
  let s = (strings[lang] && strings[lang][key]) ?? (strings.en && strings.en[key]) ?? key;
  if (vars) s = s.replace(/\{(\w+)\}/g, (m, k) => (vars[k] ?? m));
  return s;
}

/** h creates an element: h('p', {class: 'x', onclick: fn}, 'text', child, [more]). */
export function h(tag, attrs, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'value') el.value = v;
    else if (k === 'checked' || k === 'disabled' || k === 'selected') el[k] = !!v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  const add = (c) => {
    if (c === null || c === undefined || c === false) return;
    if (Array.isArray(c)) c.forEach(add);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  };
  kids.forEach(add);
  return el;
}

const locale = () => ({ kk: 'kk-KZ', ru: 'ru-RU', en: 'en-GB' }[lang] || 'en-GB');
export function num(n) { return new Intl.NumberFormat(locale()).format(n); }
/** day formats YYYY-MM-DD (or a Date) as a local date. */
export function day(d) {
  if (!d) return '';
  const x = typeof d === 'string' && d.length === 10 ? new Date(d + 'T12:00:00') : new Date(d);
  if (Number.isNaN(x.getTime())) return String(d);
  // Kazakh and Russian write dates as 20.03.2021 (browsers lack Kazakh month abbreviations)
  return lang === 'en' ? x.toLocaleDateString('en-GB', { day: 'numeric', month: 'short', year: 'numeric' })
    : x.toLocaleDateString('ru-RU', { day: '2-digit', month: '2-digit', year: 'numeric' });
}
export function dayTime(d) {
  const x = new Date(d);
  if (Number.isNaN(x.getTime())) return '';
  return lang === 'en' ? x.toLocaleString('en-GB', { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' })
    : x.toLocaleString('ru-RU', { day: '2-digit', month: '2-digit', hour: '2-digit', minute: '2-digit' });
}

/** isoDay returns the local calendar day of a Date as YYYY-MM-DD. */
export function isoDay(d = new Date()) {
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}
/** addDays adds n days to YYYY-MM-DD. */
export function addDays(s, n) {
  const d = new Date(s + 'T12:00:00Z');
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}
/** daysBetween counts days from a to b (YYYY-MM-DD). */
export function daysBetween(a, b) {
  return Math.round((Date.parse(b + 'T12:00:00Z') - Date.parse(a + 'T12:00:00Z')) / 86400000);
}

/** newID returns a random client-generated id. */
export function newID() {
  if (globalThis.crypto?.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
}

/** field wraps an input with its label and an error slot named after the API field. */
export function field(name, label, input, help) {
  const id = input.id || 'f-' + name;
  input.id = id;
  input.name = input.name || name;
  const err = h('p', { class: 'field-error', 'data-field': name, id: id + '-err', role: 'alert' });
  input.setAttribute('aria-describedby', [help ? id + '-help' : '', id + '-err'].filter(Boolean).join(' '));
  return h('div', { class: 'field', 'data-name': name }, h('label', { for: id }, label), input,
    help ? h('p', { class: 'help', id: id + '-help' }, help) : null, err);
}

/** showFieldError puts message next to the field (or in the form status). */
export function showFieldError(form, fieldName, message) {
  const slot = fieldName && form.querySelector(`.field-error[data-field="${CSS.escape(fieldName)}"]`);
  if (slot) {
    slot.textContent = message;
    const input = form.querySelector(`[name="${CSS.escape(fieldName)}"]`);
    if (input) { input.setAttribute('aria-invalid', 'true'); input.focus(); }
    return;
  }
  const st = form.querySelector('.form-status');
  if (st) { st.textContent = message; st.className = 'form-status error'; }
}
export function clearErrors(form) {
  form.querySelectorAll('.field-error').forEach((e) => { e.textContent = ''; });
  form.querySelectorAll('[aria-invalid="true"]').forEach((e) => e.removeAttribute('aria-invalid'));
  const st = form.querySelector('.form-status');
  if (st) { st.textContent = ''; st.className = 'form-status'; }
}

/** regionName is a region's name in the chosen language. */
export function regionName(r) { return (r.names && (r.names[lang] || r.names.en)) || r.name || r.code; }
