// vaxtrace single-page application: hash routes, the header (navigation,
// the day every screen shows and the day its figures were known on, the
// language), sign-in and the data-entry forms. Screens live in
// overview.js, views.js, late.js, plan.js, certs.js and, under the one
// "Cold chain" tab, coldchain.js, replenish.js and evm.js.
//
// The chosen day and the "as known on" day are in the URL
// (#/map?as_of=2021-03-19&known_at=2021-03-20): every link carries them, so
// they travel across screens, survive a reload and can be shared.
// Everything is built with DOM calls (never innerHTML with data), so values
// from the API cannot inject markup.

import { t, num, date, setLang, getLang, languages, regionName, placeName, productName, learnNames, message, loadI18n } from './i18n.js';
import { get, post, list, getToken, setToken, newKey, ApiError, clearCache, hasSession, setSession, signIn as apiSignIn, signOut as apiSignOut } from './api.js';
import { checkIIN } from './iin.js';
import { overview } from './overview.js';
import { mapScreen, charts, region, place, shipments, lots } from './views.js';
import { lateScreen } from './late.js';
import { dueScreen } from './due.js';
import { planScreen } from './plan.js';
import { certificatesScreen } from './certs.js';
import { receiptScanner } from './scan.js';
import { coldchainScreen, equipmentScreen, COLD_CHAIN_VIEWS } from './coldchain.js';
import { requisitionsScreen } from './replenish.js';
import { evmScreen } from './evm.js';

const main = () => document.getElementById('main');

// ---------- DOM helper ----------
export function h(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  if (attrs) for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') e.addEventListener(k.slice(2), v);
    else if (k === 'class') e.className = v;
    else if (v === true) e.setAttribute(k, '');
    else e.setAttribute(k, v);
  }
  for (const k of kids.flat(Infinity)) if (k != null && k !== false) e.append(k instanceof Node ? k : document.createTextNode(String(k)));
  return e;
}

export function signedIn() { return !!getToken() || hasSession(); }
/** credential names who we are signed in as here: the token, or the password session. */
function credential() { return getToken() || (hasSession() ? 'session' : ''); }
async function signOutHere() { await apiSignOut(); app.me = null; go('#/signin'); }
/** canWrite: the signed-in role may record data (admin, region, point); unknown until whoami answers. */
export function canWrite() { return signedIn() && (!app.me || app.me.can_write !== false); }
/** canPlan: the role may read plans (admin, auditor, region). */
function canPlan() { return signedIn() && (!app.me || ['admin', 'auditor', 'region'].includes(app.me.role)); }
export function isAdmin() { return !!app.me && app.me.role === 'admin'; }
export function isoDay(d) { return d.toISOString().slice(0, 10); }
/** zoneDay is the day of instant d in the deployment time zone (whoami's tz), as YYYY-MM-DD. */
export function zoneDay(d = new Date()) {
  return new Intl.DateTimeFormat('en-CA', { timeZone: app.tz || 'Asia/Almaty', year: 'numeric', month: '2-digit', day: '2-digit' }).format(d);
}
export const addDays = (d, n) => isoDay(new Date(Date.parse(d + 'T00:00:00Z') + n * 86400000));

// ---------- state shared by screens ----------
export const app = {
  regions: null, // [{code, names, population, ...}]
  defaultDay: null, // the day screens show when the URL names none
  start: null, // the campaign's first day in the ledger
  me: null,
};

export async function regions() {
  if (!app.regions) {
    const [rs, ps] = await Promise.all([get('regions'), get('products').catch(() => null)]);
    app.regions = list(rs, 'regions');
    learnNames('regions', app.regions);
    learnNames('products', list(ps, 'products'));
  }
  return app.regions;
}
export function regionByCode(code) { return (app.regions || []).find((r) => r.code === code); }
export function rname(code) { return code ? regionName(code) : t('national_wh'); }

/** places loads the places in scope (with their names per language). */
export async function places(params) {
  const ps = list(await get('places', params), 'places');
  learnNames('places', ps, 'id');
  return ps;
}

/**
 * defaultDay: the day the dashboard opens on. The server shell names it
 * (the demo: the day its console report is for); otherwise the latest day
 * with data (the overview's last_day), otherwise today.
 */
export async function defaultDay() {
  if (app.defaultDay) return app.defaultDay;
  const meta = document.querySelector('meta[name="vaxtrace-default-day"]')?.content || '';
  let d = /^\d{4}-\d{2}-\d{2}$/.test(meta) ? meta : '';
  try {
    const ov = await get('overview');
    if (!d) d = ov.last_day || '';
    app.start = ov.campaign_start || null;
  } catch { /* the overview will say why */ }
  app.defaultDay = d || isoDay(new Date());
  return app.defaultDay;
}
// kept for the plan and certificate screens
export const latestDate = defaultDay;

// ---------- URL: route and days ----------
export function parseHash() {
  const raw = location.hash.replace(/^#\/?/, '');
  const [p, q] = raw.split('?');
  const parts = p.split('/').filter(Boolean).map(decodeURIComponent);
  return { name: parts[0] || '', args: parts.slice(1), q: new URLSearchParams(q || '') };
}

/** days returns the screen's day and as-known-on day (from the URL, else the default day). */
export async function days(r) {
  const asOf = r.q.get('as_of') || (await defaultDay());
  return { asOf, knownAt: r.q.get('known_at') || '' };
}

/**
 * href builds a link to route (e.g. "map", "region/KZ-AKM") that keeps the
 * current as_of and known_at; params adds or overrides query values (null
 * drops one).
 */
export function href(route, params = {}) {
  const cur = parseHash().q;
  const q = new URLSearchParams();
  for (const k of ['as_of', 'known_at']) if (cur.get(k)) q.set(k, cur.get(k));
  for (const [k, v] of Object.entries(params)) {
    if (v === null || v === undefined || v === '') q.delete(k); else q.set(k, v);
  }
  const s = q.toString();
  return '#/' + route + (s ? '?' + s : '');
}

export function go(hash) { if (location.hash === hash) route(); else location.hash = hash; }

// ---------- errors ----------
/** errorText renders an error in the chosen language (server messages from their template). */
export function errorText(e) {
  let msg = e instanceof ApiError && e.template ? message(e, e.message) : (e && e.message) || String(e);
  if (e && e.status === 403) msg = t('forbidden') + ' ' + msg;
  else if (e && e.status === 401) msg = t('unauthorized') + ' ' + msg;
  else if (e && e.status === 0) msg = t('network_error') + ' ' + msg;
  return msg;
}

export function errorBox(e) {
  return h('div', { class: 'error', role: 'alert', 'data-status': e.status || '', 'data-field': e.field || '' }, h('strong', {}, t('error') + ': '),
    e.field ? h('span', { class: 'err-field' }, fieldLabel(e.field) + ' — ') : null, errorText(e));
}

/** fieldLabel names an API field in the chosen language where a label exists. */
export function fieldLabel(f) {
  const k = 'field_' + f;
  const s = t(k);
  return s === k ? f : s;
}

// ---------- layout ----------
function navItems() {
  const items = [['overview', 'nav_overview'], ['map', 'nav_map'], ['charts', 'nav_charts']];
  if (signedIn()) items.push(['due', 'nav_due'], ['late', 'nav_late'], ['shipments', 'nav_shipments'], ['lots', 'nav_lots']);
  if (canPlan()) items.push(['plan', 'nav_plan']);
  // one tab for the cold chain; its views (equipment, replenishment, EVM) are tabs of their own on the screen
  if (signedIn()) items.push(['coldchain', 'nav_coldchain']);
  items.push(['certificates', 'nav_certificates']);
  if (canWrite()) items.push(['dose', 'nav_dose'], ['shipment', 'nav_shipment']);
  return items;
}

function renderNav() {
  const nav = document.getElementById('nav');
  const name = parseHash().name || 'overview';
  const cur = COLD_CHAIN_VIEWS.includes(name) ? 'coldchain' : name;
  nav.replaceChildren(...navItems().map(([r, k]) => h('a', { href: href(r), 'aria-current': cur === r ? 'page' : null, 'data-route': r }, t(k))));
  const who = document.getElementById('who');
  who.replaceChildren(
    signedIn()
      ? h('span', { class: 'who' }, h('span', { class: 'badge ok', id: 'mode', 'data-role': app.me?.role || '', title: app.me ? whoLabel(app.me) : null }, app.me ? whoShort(app.me) : t('signed_in')), ' ',
        h('button', { type: 'button', class: 'link', id: 'signout', onclick: signOutHere }, t('nav_signout')))
      : h('span', { class: 'who' }, h('span', { class: 'badge', id: 'mode' }, t('public_view')), ' ', h('a', { href: '#/signin', id: 'signin-link' }, t('nav_signin'))),
  );
  fitNav();
  const sel = document.getElementById('lang');
  if (!sel.options.length) {
    for (const [code, label] of languages) sel.append(h('option', { value: code, lang: code }, label));
    sel.addEventListener('change', () => { setLang(sel.value); chrome(); route(); });
  }
  sel.value = getLang();
}

/** fitNav folds the navigation into a menu when its links do not fit on one row. */
function fitNav() {
  const b = document.body;
  b.classList.remove('nav-folded');
  const nav = document.getElementById('nav');
  const bar = nav.parentElement;
  const fits = nav.scrollWidth <= nav.clientWidth + 1 && bar.scrollWidth <= bar.clientWidth + 1 && window.innerWidth > 640;
  b.classList.toggle('nav-folded', !fits);
}

/** whoLabel: "name · role · scope" (the badge's title); whoShort: role and scope. */
function whoLabel(me) {
  return [me.name, whoShort(me)].filter(Boolean).join(' · ');
}
function whoShort(me) {
  const scope = me.region ? rname(me.region) : me.place ? placeName(me.place) : me.role === 'admin' || me.role === 'auditor' ? t('scope_national') : '';
  return [t('role_' + me.role), scope, me.can_write ? null : t('read_only')].filter(Boolean).join(' · ');
}

/** renderDates draws the header's day bar for the current URL. */
async function renderDates(r) {
  const bar = document.getElementById('dates');
  const asOf = r.q.get('as_of') || (await defaultDay());
  const known = r.q.get('known_at') || '';
  const today = zoneDay(new Date());
  const min = app.start || '2020-12-01';
  const asIn = h('input', { type: 'date', id: 'as-of', name: 'as_of', value: asOf, min, max: today, 'aria-describedby': 'as-of-err' });
  const knIn = h('input', { type: 'date', id: 'known-at', name: 'known_at', value: known, min, max: today, 'aria-describedby': 'known-at-help known-at-err' });
  // a new day keeps the screen's own query values (a cold-chain view's region, place or tab)
  const set = (k, v) => go(href(r.name + (r.args.length ? '/' + r.args.map(encodeURIComponent).join('/') : ''), { ...Object.fromEntries(r.q), [k]: v || null }));
  asIn.addEventListener('change', () => { if (asIn.value) set('as_of', asIn.value); });
  knIn.addEventListener('change', () => set('known_at', knIn.value));
  bar.replaceChildren(h('form', { class: 'dates', id: 'dates-form', onsubmit: (e) => { e.preventDefault(); set('as_of', asIn.value); } },
    h('span', { class: 'date-field' }, h('label', { for: 'as-of' }, t('as_of')), asIn),
    h('span', { class: 'date-field' }, h('label', { for: 'known-at' }, t('known_at')), knIn,
      known ? h('button', { type: 'button', class: 'link small', id: 'known-clear', onclick: () => set('known_at', '') }, t('known_now')) : null),
    h('span', { id: 'known-at-help', class: 'sr-only' }, t('known_at_help')),
    h('span', { class: 'field-error', id: 'as-of-err', 'data-field': 'as_of', 'aria-live': 'polite' }),
    h('span', { class: 'field-error', id: 'known-at-err', 'data-field': 'known_at', 'aria-live': 'polite' }),
    known ? h('span', { class: 'known-note', id: 'known-note' }, t('known_note', { day: date(known) })) : null,
    // the point app's link sits at the end of the day bar, which has room, so that the top bar keeps it for the navigation
    h('a', { href: '/point/', id: 'point-app-link', class: 'point-link' }, 'vaxtrace point')));
}

/** dateError puts an error about as_of / known_at next to the header's day field. */
function dateError(e) {
  if (!(e instanceof ApiError) || !['as_of', 'known_at', 'to', 'from'].includes(e.field)) return;
  const f = e.field === 'known_at' ? 'known_at' : 'as_of';
  const slot = document.querySelector(`#dates .field-error[data-field="${f}"]`);
  if (slot) slot.textContent = errorText(e);
  document.getElementById(f === 'known_at' ? 'known-at' : 'as-of')?.setAttribute('aria-invalid', 'true');
}

function chrome() {
  document.documentElement.lang = getLang();
  document.getElementById('tagline').textContent = t('tagline');
  document.getElementById('lang-label').textContent = t('language');
  document.getElementById('skip').textContent = t('skip');
  const mb = document.getElementById('menu-btn');
  mb.setAttribute('aria-label', t('menu'));
  mb.lastChild.textContent = t('menu');
  document.title = 'vaxtrace';
}

function setMenu(open) {
  document.body.classList.toggle('menu-open', open);
  document.getElementById('menu-btn').setAttribute('aria-expanded', String(open));
}

let seq = 0; // navigation generation: a slow answer for an old screen is dropped
export async function route() {
  const my = ++seq;
  const r = parseHash();
  setMenu(false);
  renderNav();
  if (signedIn() && (!app.me || app.meToken !== credential())) await whoami(true).catch(() => {});
  await defaultDay();
  if (my !== seq) return;
  renderNav();
  await renderDates(r);
  const screens = { signin, overview, map: mapScreen, charts, region, place, shipments, lots, late: lateScreen, due: dueScreen, dose, shipment, plan: planScreen, certificates: certificatesScreen,
    coldchain: coldchainScreen, equipment: equipmentScreen, requisitions: requisitionsScreen, evm: evmScreen };
  let fn = screens[r.name];
  if (!r.name) fn = signedIn() || localStorage.getItem('vaxtrace.public') ? overview : signin;
  if (!fn) fn = overview;
  const m = main();
  m.setAttribute('aria-busy', 'true');
  m.replaceChildren(h('p', { class: 'loading' }, t('loading')));
  const t0 = performance.now();
  try {
    await regions();
    const node = await fn(r);
    if (my !== seq) return;
    m.replaceChildren(node);
  } catch (e) {
    if (my !== seq) return;
    m.replaceChildren(errorBox(e));
    dateError(e);
  }
  m.setAttribute('aria-busy', 'false');
  m.dataset.screen = r.name || 'home';
  m.dataset.renderMs = String(Math.round(performance.now() - t0));
  document.body.dataset.ready = r.name || 'home';
}

// ---------- shared screen parts ----------
export function figure(key, label, value, sub, link) {
  const body = [h('div', { class: 'fig-label' }, label), h('div', { class: 'fig-value' }, typeof value === 'string' ? value : num(value)), sub ? h('div', { class: 'fig-sub' }, sub) : null];
  return link
    ? h('a', { class: 'figure link', 'data-k': key, href: link }, body)
    : h('div', { class: 'figure', 'data-k': key }, body);
}

export function table(cols, rows, caption) {
  return h('div', { class: 'table-wrap' }, h('table', {},
    caption ? h('caption', {}, caption) : null,
    h('thead', {}, h('tr', {}, cols.map((c) => h('th', { scope: 'col', class: c.num ? 'num' : null }, c.label)))),
    h('tbody', {}, rows.length ? rows.map((r) => h('tr', {}, cols.map((c) => h('td', { class: c.num ? 'num' : null, 'data-label': c.label }, c.cell(r))))) : h('tr', {}, h('td', { colspan: cols.length }, t('none'))))));
}

/** dayTitle is the line under a screen's title: the day shown and, when set, the day it was known on. */
export function dayTitle(asOf, knownAt) {
  return h('p', { class: 'day-title muted' }, t('position_at', { day: date(asOf) }), knownAt ? ' · ' + t('known_note', { day: date(knownAt) }) : '');
}

/** dailyRows turns a coverage answer into [{date, first, second, booster, cumFirst, cumFull, pctFirst, pctFull}]. */
export function dailyRows(cov) {
  const m = cov && cov.measures;
  if (!m || !cov.from) return [];
  const d1 = m.dose1 || {}, d2 = m.dose2 || {}, dm = m.dose_more || {}, b = m.booster || {}, full = m.people_full || {};
  const n = (d1.daily || []).length;
  const start = Date.parse(cov.from + 'T00:00:00Z');
  const out = [];
  for (let i = 0; i < n; i++) {
    out.push({
      date: isoDay(new Date(start + i * 86400000)),
      first: d1.daily[i] || 0,
      second: (d2.daily?.[i] || 0) + (dm.daily?.[i] || 0),
      booster: b.daily?.[i] || 0,
      cumFirst: d1.cumulative?.[i], cumFull: full.cumulative?.[i],
      pctFirst: d1.percent?.[i], pctFull: full.percent?.[i],
    });
  }
  return out;
}

// ---------- sign-in ----------
// People sign in with their name and password (the session cookie, as in the
// point app); pasting an API token stays for administrators and machine
// users, folded under the password form.
async function signin() {
  const msg = h('p', { id: 'signin-msg', role: 'status' });
  const name = h('input', { id: 'name', name: 'name', type: 'text', autocomplete: 'username', autocapitalize: 'off', spellcheck: 'false', required: true });
  const pw = h('input', { id: 'password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const done = () => { localStorage.removeItem('vaxtrace.public'); go(href('overview')); };
  const pwForm = h('form', { id: 'signin-form', onsubmit: async (e) => {
    e.preventDefault();
    msg.replaceChildren();
    try {
      await apiSignIn(name.value.trim(), pw.value);
      pw.value = '';
      await whoami(true);
      done();
    } catch (err) {
      setSession(null);
      msg.replaceChildren(errorBox(err.status ? err : new Error(t('signin_bad'))));
    }
  } },
  field('name', t('user_name'), name), field('password', t('password'), pw),
  h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary', id: 'signin-btn' }, t('signin_btn'))));
  const input = h('input', { id: 'token', name: 'token', type: 'password', autocomplete: 'off', required: true });
  const tokForm = h('form', { id: 'token-form', onsubmit: async (e) => {
    e.preventDefault();
    msg.replaceChildren();
    await apiSignOut();
    setToken(input.value.trim());
    try {
      await whoami(true);
      done();
    } catch (err) {
      setToken('');
      msg.replaceChildren(errorBox(err.status ? err : new Error(t('signin_bad'))));
    }
  } },
  field('token', t('token'), input, t('signin_help')),
  h('div', { class: 'actions' }, h('button', { type: 'submit', id: 'token-btn' }, t('signin_token_btn'))));
  return h('div', { class: 'card narrow', id: 'signin' },
    h('h1', {}, t('signin_title')),
    h('p', {}, t('signin_password_help')),
    pwForm,
    msg,
    h('details', { id: 'token-signin' }, h('summary', {}, t('signin_token')), tokForm),
    h('hr'),
    h('button', { type: 'button', id: 'public-btn', onclick: async () => { await apiSignOut(); localStorage.setItem('vaxtrace.public', '1'); go(href('overview')); } }, t('public_btn')));
}

/** whoami asks the server who we are (GET whoami, with the token or the session cookie); a bad token or an ended session is a 401. */
let mePending = null; // {tok, p}: the whoami request in flight, for that credential
async function whoami(fresh) {
  if (!signedIn()) { app.me = null; return null; }
  const tok = credential();
  if (!fresh && app.me && app.meToken === tok) return app.me;
  if (mePending && mePending.tok === tok) return mePending.p;
  app.me = null;
  const p = get('whoami', null, { fresh: true }).then((me) => {
    if (!me || me.role === 'public') throw new ApiError(401, 'unauthorized', '', t('signin_bad'));
    if (credential() === tok) { app.me = me; app.meToken = tok; if (me.tz) app.tz = me.tz; renderNav(); }
    return me;
  }).catch((e) => {
    // the session ended (expired, signed out elsewhere, account disabled): sign in again
    if (tok === 'session' && e.status === 401 && credential() === tok) { setSession(null); renderNav(); }
    throw e;
  }).finally(() => { if (mePending && mePending.p === p) mePending = null; });
  mePending = { tok, p };
  return p;
}

// ---------- forms ----------

/** field builds a labelled input with an error slot named after the API field. */
export function field(name, label, input, help) {
  input.id = input.id || 'f-' + name;
  input.name = name;
  const err = h('p', { class: 'field-error', id: input.id + '-err', 'data-field': name, 'aria-live': 'polite' });
  input.setAttribute('aria-describedby', [help ? input.id + '-help' : '', err.id].filter(Boolean).join(' '));
  return h('div', { class: 'field', 'data-for': name }, h('label', { for: input.id }, label), input, help ? h('p', { class: 'help', id: input.id + '-help' }, help) : null, err);
}

export function clearErrors(form) {
  form.querySelectorAll('.field-error').forEach((e) => { e.textContent = ''; });
  form.querySelectorAll('[aria-invalid]').forEach((e) => e.removeAttribute('aria-invalid'));
  const s = form.querySelector('.form-status');
  if (s) { s.textContent = ''; s.className = 'form-status'; }
}

/** showError puts a server error next to its field (or at the form's foot) and focuses that field. */
export function showError(form, e, aliases = {}) {
  const msg = errorText(e);
  const fname = aliases[e.field] || e.field;
  const slot = fname && form.querySelector(`.field-error[data-field="${CSS.escape(fname)}"]`);
  const status = form.querySelector('.form-status');
  if (slot) {
    slot.textContent = msg;
    const inp = form.querySelector(`[name="${CSS.escape(fname)}"]`);
    if (inp) { inp.setAttribute('aria-invalid', 'true'); inp.focus(); }
  }
  status.textContent = (e.status ? `${e.status} ${e.code || ''}: ` : '') + msg;
  status.className = 'form-status error';
  status.dataset.status = e.status || '';
}

export function ok(form, text) {
  const s = form.querySelector('.form-status');
  s.textContent = text;
  s.className = 'form-status success';
}

function toISO(local) {
  // datetime-local value "YYYY-MM-DDTHH:MM" is in the browser's zone
  const d = new Date(local);
  return Number.isNaN(d.getTime()) ? local : d.toISOString();
}

function iinHint(c, value) {
  if (!value) return '';
  if (c.ok) return t('iin_ok');
  if (c.code === 'length') return t('iin_len', { n: c.n });
  return t('iin_' + (c.code === 'check' ? 'bad' : c.code));
}

async function dose(r) {
  const { asOf } = await days(r);
  const points = await places({ kind: 'point' });
  const placeSel = h('select', { required: true }, h('option', { value: '' }, t('choose')), points.map((p) => h('option', { value: p.id }, `${placeName(p.id)} (${rname(p.region)})`)));
  const want = r.q.get('place');
  if (want) {
    if (!points.some((p) => p.id === want)) placeSel.append(h('option', { value: want }, want));
    placeSel.value = want;
  }
  const iin = h('input', { type: 'text', inputmode: 'numeric', autocomplete: 'off', maxlength: 12, pattern: '[0-9]{12}', required: true, spellcheck: 'false' });
  const iinLive = h('p', { class: 'iin-live', id: 'iin-live', 'aria-live': 'polite' });
  const lotSel = h('select', { required: true });
  const at = h('input', { type: 'datetime-local', required: true, value: `${asOf}T10:00` });
  const vacc = h('input', { type: 'text', required: true, autocomplete: 'name' });
  const status = h('p', { class: 'form-status', role: 'status', id: 'dose-status' });
  const result = h('div', { id: 'dose-result', 'aria-live': 'polite' });

  const checkLive = () => {
    const c = checkIIN(iin.value);
    iinLive.textContent = iinHint(c, iin.value);
    iinLive.className = 'iin-live ' + (c.ok ? 'valid' : iin.value.length >= 12 || c.code === 'digits' ? 'invalid' : '');
    iin.setAttribute('aria-invalid', iin.value && !c.ok && (iin.value.length >= 12 || c.code === 'digits') ? 'true' : 'false');
    iin.dataset.valid = c.ok ? 'true' : 'false';
    return c.ok;
  };
  iin.addEventListener('input', checkLive);

  const loadLots = async () => {
    lotSel.replaceChildren(h('option', { value: '' }, t('loading')));
    if (!placeSel.value) { lotSel.replaceChildren(h('option', { value: '' }, t('choose'))); return; }
    try {
      const ls = list(await get('places/' + encodeURIComponent(placeSel.value) + '/stock', null, { fresh: true }), 'lots');
      const usable = ls.filter((l) => l.status === 'released' && !l.held && +l.doses > 0);
      lotSel.replaceChildren(h('option', { value: '' }, usable.length ? t('choose') : t('no_stock')),
        ...ls.map((l) => h('option', { value: l.lot, disabled: !usable.includes(l), 'data-product': l.product, 'data-component': l.component },
          `${l.lot} — ${productName(l.product)} ${l.component} · ${num(l.doses)} · ${t('expiry')} ${date(l.expiry)}${l.status !== 'released' ? ' · ' + t(l.status) : ''}`)));
      if (usable.length === 1) lotSel.value = usable[0].lot;
    } catch (e) {
      lotSel.replaceChildren(h('option', { value: '' }, e.status === 403 ? t('forbidden') : t('error')));
    }
  };
  placeSel.addEventListener('change', loadLots);

  const form = h('form', { class: 'card', id: 'dose-form', novalidate: true, onsubmit: async (e) => {
    e.preventDefault();
    clearErrors(form);
    result.replaceChildren();
    if (!checkLive()) { showError(form, { field: 'iin', message: iinLive.textContent || t('iin_len', { n: 0 }) }); return; }
    const body = { id: newKey(), iin: iin.value, at: toISO(at.value), place: placeSel.value, lot: lotSel.value, vaccinator: vacc.value.trim() };
    const btn = form.querySelector('button[type=submit]');
    btn.disabled = true;
    try {
      const res = await post('doses', body, 'dose:' + body.id);
      const d = res.dose || res;
      ok(form, t('saved'));
      result.replaceChildren(h('div', { class: 'success-box', id: 'dose-saved', 'data-dose-number': d.dose_number, 'data-component': d.component },
        t('dose_saved', { n: d.dose_number, c: d.component, p: productName(d.product) })));
      iin.value = ''; checkLive();
      clearCache();
      loadLots();
    } catch (err) {
      showError(form, err, { person: 'iin' });
    } finally { btn.disabled = false; }
  } },
  h('h1', {}, t('dose_title')),
  field('place', t('place'), placeSel),
  field('iin', t('iin'), iin, t('iin_help')), iinLive,
  field('lot', t('lot'), lotSel),
  field('at', t('at'), at),
  field('vaccinator', t('vaccinator'), vacc),
  h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, t('save'))),
  status, result);
  if (placeSel.value) loadLots(); else lotSel.replaceChildren(h('option', { value: '' }, t('choose')));
  return h('div', { class: 'screen dose' }, form, personForm());
}

function personForm() {
  const regSel = h('select', { required: true }, h('option', { value: '' }, t('choose')), (app.regions || []).map((x) => h('option', { value: x.code }, regionName(x))));
  const iin = h('input', { type: 'text', inputmode: 'numeric', maxlength: 12, autocomplete: 'off', required: true, id: 'p-iin' });
  const live = h('p', { class: 'iin-live', 'aria-live': 'polite' });
  iin.addEventListener('input', () => {
    const c = checkIIN(iin.value);
    live.textContent = iinHint(c, iin.value);
    live.className = 'iin-live ' + (c.ok ? 'valid' : iin.value.length >= 12 ? 'invalid' : '');
  });
  const fam = h('input', { type: 'text', required: true, id: 'p-family' });
  const giv = h('input', { type: 'text', id: 'p-given' });
  const bd = h('input', { type: 'date', required: true, id: 'p-birth' });
  const sex = h('select', { id: 'p-sex' }, [['M', 'sex_m'], ['F', 'sex_f'], ['U', 'sex_u']].map(([v, k]) => h('option', { value: v }, t(k))));
  const form = h('form', { class: 'card', id: 'person-form', novalidate: true, onsubmit: async (e) => {
    e.preventDefault();
    clearErrors(form);
    try {
      await post('people', { iin: iin.value, family: fam.value.trim(), given: giv.value.trim(), birth_date: bd.value, sex: sex.value, region: regSel.value }, 'person:' + newKey());
      ok(form, t('person_saved'));
    } catch (err) { showError(form, err); }
  } },
  h('details', {}, h('summary', {}, t('person_title')),
    field('iin', t('iin'), iin), live,
    field('family', t('family'), fam), field('given', t('given'), giv),
    field('birth_date', t('birth_date'), bd), field('sex', t('sex'), sex), field('region', t('region'), regSel),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, t('register'))),
    h('p', { class: 'form-status', role: 'status' })));
  return form;
}

function kindLabel(kind) { return t('kind_' + kind); }

async function shipment(r) {
  const { asOf } = await days(r);
  const [pls, lotsRes, transit] = await Promise.all([places(), get('lots').catch(() => null), get('shipments', { in_transit: 'true' }).catch(() => null)]);
  const opt = (p) => h('option', { value: p.id }, `${placeName(p.id)} · ${kindLabel(p.kind)}${p.region ? ' · ' + rname(p.region) : ''}`);
  const from = h('select', { required: true }, h('option', { value: '' }, t('choose')), pls.filter((p) => p.kind !== 'point').map(opt));
  const to = h('select', { required: true }, h('option', { value: '' }, t('choose')), pls.filter((p) => p.kind !== 'national').map(opt));
  const combos = new Map();
  for (const l of list(lotsRes, 'lots')) combos.set(`${l.product}|${l.component}`, l);
  const prod = h('select', { required: true }, h('option', { value: '' }, t('choose')), [...combos.keys()].map((k) => h('option', { value: k }, `${productName(k.split('|')[0])} · ${k.split('|')[1]}`)));
  const doses = h('input', { type: 'number', min: 1, step: 1, required: true, inputmode: 'numeric' });
  const occurred = h('input', { type: 'datetime-local', required: true, value: `${asOf}T09:00` });
  const sid = h('input', { type: 'text', required: true, value: 'SH-' + newKey().slice(0, 8).toUpperCase() });
  const dForm = h('form', { class: 'card', id: 'dispatch-form', novalidate: true, onsubmit: async (e) => {
    e.preventDefault();
    clearErrors(dForm);
    const [product, component] = prod.value.split('|');
    try {
      await post('shipments', { shipment: sid.value.trim(), from: from.value, to: to.value, occurred: toISO(occurred.value), product, component, doses: +doses.value }, 'shipment:' + sid.value.trim());
      ok(dForm, t('shipment_saved', { id: sid.value }));
      sid.value = 'SH-' + newKey().slice(0, 8).toUpperCase();
    } catch (err) { showError(dForm, err, { lines: 'doses' }); }
  } },
  h('h1', {}, t('dispatch_title')),
  field('shipment', t('shipment'), sid), field('from', t('from'), from), field('to', t('to'), to),
  field('product', t('product') + ' / ' + t('component'), prod), field('doses', t('doses_h'), doses), field('occurred', t('occurred'), occurred),
  h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, t('dispatch'))),
  h('p', { class: 'form-status', role: 'status' }));

  const ships = list(transit, 'shipments');
  const shipSel = h('select', { required: true }, h('option', { value: '' }, t('choose')), ships.map((s) => h('option', { value: s.shipment }, `${s.shipment}: ${placeName(s.from)} → ${placeName(s.to)} (${date(s.occurred)})`)));
  if (r.q.get('receive')) shipSel.value = r.q.get('receive');
  const rOcc = h('input', { type: 'datetime-local', required: true, value: `${asOf}T15:00` });
  const rForm = h('form', { class: 'card', id: 'receive-form', novalidate: true, onsubmit: async (e) => {
    e.preventDefault();
    clearErrors(rForm);
    if (!shipSel.value) { showError(rForm, { field: 'shipment', message: t('choose') }); return; }
    try {
      await post('shipments/' + encodeURIComponent(shipSel.value) + '/receive', { occurred: toISO(rOcc.value) }, 'shipment.receive:' + shipSel.value);
      ok(rForm, t('received_saved', { id: shipSel.value }));
    } catch (err) { showError(rForm, err); }
  } },
  h('h2', {}, t('receive_title')),
  field('shipment', t('shipment'), shipSel), field('occurred', t('occurred'), rOcc),
  receiptScanner({ shipment: () => shipSel.value, date: () => rOcc.value.slice(0, 10), shipments: ships, choose: (id) => { shipSel.value = id; } }),
  h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, t('receive'))),
  h('p', { class: 'form-status', role: 'status' }));
  return h('div', { class: 'screen shipment' }, dForm, rForm);
}

// ---------- start ----------
await loadI18n();
document.getElementById('menu-btn').addEventListener('click', () => setMenu(!document.body.classList.contains('menu-open')));
let resizeTimer = 0;
window.addEventListener('resize', () => { clearTimeout(resizeTimer); resizeTimer = setTimeout(fitNav, 100); });
window.addEventListener('hashchange', route);
// signing in or out in another tab changes who we are here too
window.addEventListener('storage', (e) => { if (e.key === 'vaxtrace.token' || e.key === 'vaxtrace.session') { app.me = null; clearCache(); route(); } });
chrome();
renderNav();
if (signedIn()) whoami(false).catch(() => {});
route();
