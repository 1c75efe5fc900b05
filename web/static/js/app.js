// vaxtrace single-page application: hash routes, screens and forms.
// Everything is built with DOM calls (never innerHTML with data), so values
// from the API cannot inject markup.

import { t, num, pct, dec, date, setLang, getLang, languages, regionName } from './i18n.js';
import { get, post, list, pick, getToken, setToken, newKey, ApiError, clearCache } from './api.js';
import { checkIIN } from './iin.js';
import { lineChart, groupedBars, hbars } from './charts.js';
import { loadGeo, drawMap, BLUES, GREENS } from './map.js';
import { planScreen } from './plan.js';
import { certificatesScreen } from './certs.js';
import { coldchainScreen, equipmentScreen } from './coldchain.js';
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

function signedIn() { return !!getToken(); }
/** canWrite: the signed-in role may record data (admin, region, point); unknown until whoami answers. */
function canWrite() { return signedIn() && (!app.me || app.me.can_write !== false); }
/** canPlan: the role may read plans (admin, auditor, region). */
function canPlan() { return signedIn() && (!app.me || ['admin', 'auditor', 'region'].includes(app.me.role)); }
function isAdmin() { return !!app.me && app.me.role === 'admin'; }
function isoDay(d) { return d.toISOString().slice(0, 10); }

// ---------- state shared by screens ----------
const app = {
  regions: null, // [{code, names, population, ...}]
  latest: null, // latest date with data (YYYY-MM-DD)
  me: null,
};

async function regions() {
  if (!app.regions) app.regions = list(await get('regions'), 'regions');
  return app.regions;
}
function regionByCode(code) { return (app.regions || []).find((r) => r.code === code); }
function rname(code) { const r = regionByCode(code); return r ? regionName(r) : (code || t('national_wh')); }

/** latestDate finds the latest day with data: from the overview if it says, else from the daily series. */
async function latestDate() {
  if (app.latest) return app.latest;
  let d; // the API does not say the last day with data: find it in the national daily series
  {
    try {
      const cov = await get('coverage', { from: '2020-12-01' });
      const days = dailyRows(cov).filter((r) => r.first + r.second + r.booster > 0);
      if (days.length) d = days[days.length - 1].date;
    } catch { /* ignore */ }
  }
  app.latest = d || isoDay(new Date());
  return app.latest;
}

// ---------- normalisers for API shapes ----------

/**
 * dailyRows turns a coverage answer ({from, to, measures: {dose1: {daily, cumulative, percent}, ...}})
 * into [{date, first, second, booster, cumFirst, cumFull, pctFirst, pctFull}].
 */
function dailyRows(cov) {
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

function regionRows(ov) {
  return list(pick(ov, 'regions') || [], 'regions').map((r) => {
    const pop = +pick(r, 'population') || 0;
    const first = pick(r, 'people_first', 'first');
    const full = pick(r, 'people_full', 'full', 'people.full');
    // from the counts when we can: the API rounds its percentages to 2 decimals
    let fp = pop && first != null ? (100 * first) / pop : pick(r, 'first_percent');
    let cp = pop && full != null ? (100 * full) / pop : pick(r, 'full_percent');
    return {
      code: pick(r, 'code', 'region', 'id'), raw: r, population: pop, first, full,
      firstPct: fp == null ? null : +fp, fullPct: cp == null ? null : +cp,
      stock: pick(r, 'on_hand', 'stock'), atPoints: pick(r, 'at_points'), inTransit: pick(r, 'in_transit'), administered: pick(r, 'administered'),
      weeks: pick(r, 'weeks_of_supply'),
    };
  });
}

// ---------- layout ----------
function renderNav() {
  const nav = document.getElementById('nav');
  const items = [['overview', 'nav_overview'], ['map', 'nav_map'], ['charts', 'nav_charts']];
  if (signedIn()) items.push(['shipments', 'nav_shipments'], ['lots', 'nav_lots']);
  if (canPlan()) items.push(['plan', 'nav_plan']);
  if (signedIn()) items.push(['coldchain', 'nav_coldchain'], ['requisitions', 'nav_requisitions'], ['evm', 'nav_evm']);
  items.push(['certificates', 'nav_certificates']);
  // data entry only for roles that may write
  if (canWrite()) items.push(['dose', 'nav_dose'], ['shipment', 'nav_shipment']);
  const cur = location.hash.replace(/^#\/?/, '').split(/[/?]/)[0] || 'overview';
  nav.replaceChildren(...items.map(([r, k]) => h('a', { href: '#/' + r, 'aria-current': cur === r ? 'page' : null, 'data-route': r }, t(k))));
  const who = document.getElementById('who');
  who.replaceChildren(
    signedIn()
      ? h('span', { class: 'who' }, h('span', { class: 'badge ok', id: 'mode', 'data-role': app.me?.role || '', title: app.me ? t('who_title') : null }, app.me ? whoLabel(app.me) : t('signed_in')), ' ',
        h('button', { type: 'button', class: 'link', id: 'signout', onclick: () => { setToken(''); app.me = null; go('#/signin'); } }, t('nav_signout')))
      : h('span', { class: 'who' }, h('span', { class: 'badge', id: 'mode' }, t('public_view')), ' ', h('a', { href: '#/signin', id: 'signin-link' }, t('nav_signin'))),
  );
  const sel = document.getElementById('lang');
  if (!sel.options.length) {
    for (const [code, label] of languages) sel.append(h('option', { value: code }, label));
    sel.addEventListener('change', () => { setLang(sel.value); chrome(); route(); });
  }
  sel.value = getLang();
}

/** whoLabel: "name · role · scope" for the header. */
function whoLabel(me) {
  const scope = me.region ? rname(me.region) : me.place ? me.place : me.role === 'admin' || me.role === 'auditor' ? t('scope_national') : '';
  return [me.name, t('role_' + me.role), scope, me.can_write ? null : t('read_only')].filter(Boolean).join(' · ');
}

function chrome() {
  document.documentElement.lang = getLang();
  document.getElementById('tagline').textContent = t('tagline');
  document.getElementById('lang-label').textContent = t('language');
  document.getElementById('skip').textContent = t('skip');
  document.title = 'vaxtrace';
}

function go(hash) { if (location.hash === hash) route(); else location.hash = hash; }

function parseHash() {
  const raw = location.hash.replace(/^#\/?/, '');
  const [p, q] = raw.split('?');
  const parts = p.split('/').filter(Boolean).map(decodeURIComponent);
  return { name: parts[0] || '', args: parts.slice(1), q: new URLSearchParams(q || '') };
}

let seq = 0; // navigation generation: a slow answer for an old screen is dropped
async function route() {
  const my = ++seq;
  const r = parseHash();
  renderNav();
  if (signedIn() && (!app.me || app.meToken !== getToken())) await whoami(true).catch(() => {});
  if (my !== seq) return;
  renderNav();
  const screens = { signin, overview, map: mapScreen, charts, region, place, shipments, lots, dose, shipment, plan: planScreen, certificates: certificatesScreen, coldchain: coldchainScreen, equipment: equipmentScreen, requisitions: requisitionsScreen, evm: evmScreen };
  let fn = screens[r.name];
  if (!r.name) fn = signedIn() || localStorage.getItem('vaxtrace.public') ? overview : signin;
  if (!fn) fn = overview;
  const m = main();
  m.setAttribute('aria-busy', 'true');
  m.replaceChildren(h('p', { class: 'loading' }, t('loading')));
  const t0 = performance.now();
  try {
    const node = await fn(r);
    if (my !== seq) return;
    m.replaceChildren(node);
  } catch (e) {
    if (my !== seq) return;
    m.replaceChildren(errorBox(e));
  }
  m.setAttribute('aria-busy', 'false');
  m.dataset.screen = r.name || 'home';
  m.dataset.renderMs = String(Math.round(performance.now() - t0));
  document.body.dataset.ready = r.name || 'home';
  const h1 = m.querySelector('h1');
  if (h1 && document.activeElement === document.body) { h1.tabIndex = -1; }
}

function errorBox(e) {
  let msg = e.message || String(e);
  if (e instanceof ApiError) {
    if (e.status === 403) msg = t('forbidden') + ' ' + e.message;
    else if (e.status === 401) msg = t('unauthorized') + ' ' + e.message;
  }
  return h('div', { class: 'error', role: 'alert', 'data-status': e.status || '' }, h('strong', {}, t('error') + ': '), msg);
}

function figure(key, label, value, sub) {
  return h('div', { class: 'figure', 'data-k': key }, h('div', { class: 'fig-label' }, label), h('div', { class: 'fig-value' }, num(value)), sub ? h('div', { class: 'fig-sub' }, sub) : null);
}

function table(cols, rows, caption) {
  return h('div', { class: 'table-wrap' }, h('table', {},
    caption ? h('caption', {}, caption) : null,
    h('thead', {}, h('tr', {}, cols.map((c) => h('th', { scope: 'col', class: c.num ? 'num' : null }, c.label)))),
    h('tbody', {}, rows.length ? rows.map((r) => h('tr', {}, cols.map((c) => h('td', { class: c.num ? 'num' : null, 'data-label': c.label }, c.cell(r))))) : h('tr', {}, h('td', { colspan: cols.length }, t('none'))))));
}

// ---------- sign-in ----------
async function signin() {
  const input = h('input', { id: 'token', name: 'token', type: 'password', autocomplete: 'off', required: true, 'aria-describedby': 'token-help' });
  const msg = h('p', { id: 'signin-msg', role: 'status' });
  const form = h('form', { class: 'card narrow', id: 'signin-form', onsubmit: async (e) => {
    e.preventDefault();
    setToken(input.value.trim());
    try {
      await whoami(true);
      localStorage.removeItem('vaxtrace.public');
      go('#/overview');
    } catch (err) {
      setToken('');
      msg.replaceChildren(errorBox(err.status ? err : new Error(t('signin_bad'))));
    }
  } },
  h('h1', {}, t('signin_title')),
  h('p', { id: 'token-help' }, t('signin_help')),
  h('label', { for: 'token' }, t('token')), input,
  h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, t('signin_btn'))),
  msg,
  h('hr'),
  h('button', { type: 'button', id: 'public-btn', onclick: () => { setToken(''); localStorage.setItem('vaxtrace.public', '1'); go('#/overview'); } }, t('public_btn')));
  return form;
}

/** whoami asks the server who the token belongs to (GET whoami); a bad token is a 401. */
let mePending = null; // {tok, p}: the whoami request in flight, for that token
async function whoami(fresh) {
  if (!signedIn()) { app.me = null; return null; }
  const tok = getToken();
  if (!fresh && app.me && app.meToken === tok) return app.me;
  if (mePending && mePending.tok === tok) return mePending.p;
  app.me = null;
  const p = get('whoami', null, { fresh: true }).then((me) => {
    if (!me || me.role === 'public') throw new ApiError(401, 'unauthorized', '', t('signin_bad'));
    if (getToken() === tok) { app.me = me; app.meToken = tok; renderNav(); }
    return me;
  }).finally(() => { if (mePending && mePending.p === p) mePending = null; });
  mePending = { tok, p };
  return p;
}

// ---------- overview ----------
async function overview(r) {
  await regions();
  const asOf = r.q.get('as_of') || (await latestDate());
  const ov = await get('overview', { as_of: asOf });
  const v = (...p) => pick(ov, ...p);
  const picker = h('input', { type: 'date', id: 'as-of', value: asOf, min: '2020-12-01', max: app.latest || undefined });
  const dateForm = h('form', { class: 'inline', onsubmit: (e) => { e.preventDefault(); go('#/overview?as_of=' + picker.value); } },
    h('label', { for: 'as-of' }, t('as_of')), picker, h('button', { type: 'submit' }, 'OK'));
  picker.addEventListener('change', () => { if (picker.value) go('#/overview?as_of=' + picker.value); });

  const supply = h('section', { 'aria-labelledby': 'h-supply', class: 'figures' },
    h('h2', { id: 'h-supply', class: 'sr-only' }, t('doses')),
    figure('contracted', t('contracted'), v('contracted', 'supply.contracted')),
    figure('delivered', t('delivered'), v('delivered', 'supply.delivered')),
    figure('national_warehouse', t('national_wh'), v('in_national_warehouse', 'national_warehouse')),
    figure('regional_warehouses', t('regional_wh'), v('in_regional_warehouses', 'regional_warehouses')),
    figure('at_points', t('at_points'), v('at_vaccination_points', 'at_points')),
    figure('in_transit', t('in_transit'), v('in_transit')),
    figure('administered', t('administered'), v('administered')),
    figure('written_off', t('wasted'), v('written_off', 'wasted')));
  const pop = v('population');
  const pf = v('people_first_dose', 'people_first');
  const pfull = v('people_completed_series', 'people_full');
  const pb = v('people_boosted');
  const people = h('section', { 'aria-labelledby': 'h-people', class: 'figures people' },
    h('h2', { id: 'h-people', class: 'sr-only' }, t('people')),
    figure('people_first', t('people_first'), pf, pct(pop ? (100 * pf) / pop : v('first_percent'))),
    figure('people_full', t('people_full'), pfull, pct(pop ? (100 * pfull) / pop : v('full_percent'))),
    pb != null ? figure('people_boosted', t('people_boosted'), pb) : null);

  const targets = list(v('targets') || [], 'targets');
  const tgt = h('section', { 'aria-labelledby': 'h-targets', class: 'card' }, h('h2', { id: 'h-targets' }, t('targets')),
    targets.length ? targets.map(targetBar) : h('p', {}, t('none')));

  const rows = regionRows(ov).sort((a, b) => (b.firstPct || 0) - (a.firstPct || 0));
  const regTable = table([
    { label: t('region'), cell: (x) => h('a', { href: '#/region/' + x.code }, rname(x.code)) },
    { label: t('population'), num: true, cell: (x) => num(x.population) },
    { label: t('first_cov'), num: true, cell: (x) => pct(x.firstPct) },
    { label: t('full_cov'), num: true, cell: (x) => pct(x.fullPct) },
    { label: t('stock'), num: true, cell: (x) => num(x.stock) },
  ], rows, t('regions'));

  return h('div', { class: 'screen overview' },
    h('div', { class: 'title-row' }, h('h1', {}, t('nav_overview')), dateForm),
    signedIn() ? null : h('p', { class: 'note' }, t('public_note')),
    supply, people, tgt, h('section', { class: 'card' }, regTable));
}

function targetBar(x) {
  const value = +x.value || 0;
  const got = +x.achieved || 0;
  const p = typeof x.percent === 'number' ? x.percent : value ? (100 * got) / value : 0;
  const measure = x.measure || '';
  const region = x.region;
  const grp = x.group;
  const to = x.to;
  const label = [t(measure === 'full' ? 'people_full' : measure === 'booster' ? 'people_boosted' : 'people_first'), region ? rname(region) : null, grp || null, to ? `${t('by')} ${date(to)}` : null].filter(Boolean).join(' · ');
  const id = 'tg-' + (x.id || Math.random().toString(36).slice(2));
  return h('div', { class: 'target' },
    h('div', { class: 'target-label', id }, label),
    h('div', { class: 'bar', role: 'progressbar', 'aria-labelledby': id, 'aria-valuemin': 0, 'aria-valuemax': 100, 'aria-valuenow': Math.round(p) },
      h('span', { style: `width:${Math.max(0, Math.min(100, p)).toFixed(1)}%` })),
    h('div', { class: 'target-val' }, `${num(got)} / ${num(value)} (${pct(p)})`));
}

// ---------- map ----------
async function mapScreen(r) {
  await regions();
  const asOf = r.q.get('as_of') || (await latestDate());
  const mode = r.q.get('by') === 'stock' ? 'stock' : 'coverage';
  const [gj, ov] = await Promise.all([loadGeo(), get('overview', { as_of: asOf })]);
  const rows = regionRows(ov);
  if (mode === 'stock' && rows.some((x) => x.weeks == null)) await fillWeeks(rows, asOf);
  const by = Object.fromEntries(rows.map((x) => [x.code, x]));
  const value = (code) => { const x = by[code]; return x ? (mode === 'stock' ? x.weeks : x.firstPct) : null; };
  const vals = rows.map((x) => (mode === 'stock' ? x.weeks : x.firstPct)).filter((x) => x != null);
  const breaks = mode === 'stock' ? [1, 2, 3, 4, 6] : quantBreaks(vals);
  const colors = mode === 'stock' ? GREENS : BLUES;
  const fmtV = (v) => (mode === 'stock' ? dec(v) + ' ' + t('weeks') : pct(v));
  const svg = drawMap(gj, {
    value, breaks, colors,
    label: (code, f) => `${regionName(regionByCode(code) || f.properties)}: ${fmtV(value(code))}`,
    onSelect: (code) => go('#/region/' + code),
  });
  svg.setAttribute('aria-label', t('map_title'));
  const toggle = h('fieldset', { class: 'toggle' }, h('legend', {}, t('colour_by')),
    ...[['coverage', t('coverage_first')], ['stock', t('weeks_supply')]].map(([k, lbl]) => h('label', {},
      h('input', { type: 'radio', name: 'by', value: k, checked: mode === k, onchange: () => go(`#/map?by=${k}&as_of=${asOf}`) }), ' ', lbl)));
  const legendItems = [];
  for (let i = 0; i < colors.length; i++) {
    const lo = i === 0 ? null : breaks[i - 1], hi = i < breaks.length ? breaks[i] : null;
    const txt = lo == null ? `< ${fmtV(hi)}` : hi == null ? `≥ ${fmtV(lo)}` : `${fmtV(lo)} – ${fmtV(hi)}`;
    legendItems.push(h('li', {}, h('span', { class: 'swatch', style: `--c:${colors[i]}` }), txt));
  }
  legendItems.push(h('li', {}, h('span', { class: 'swatch', style: '--c:#d9d9d9' }), t('no_data')));
  const attrib = await fetch('kz-regions-2021.SOURCE.txt').then((x) => x.text()).then((s) => (s.match(/Suggested attribution:\s*"([^"]+)"/s) || [])[1]?.replace(/\s+/g, ' ')).catch(() => null);
  return h('div', { class: 'screen map' },
    h('div', { class: 'title-row' }, h('h1', {}, t('map_title')), h('span', { class: 'muted' }, `${t('as_of')} ${date(asOf)}`)),
    toggle,
    h('div', { class: 'card map-card' }, svg, h('ul', { class: 'legend' }, legendItems), h('p', { class: 'muted small' }, t('map_help'))),
    h('p', { class: 'attribution small', id: 'attribution' }, attrib || 'Boundaries: OCHA/HDX COD-AB Kazakhstan (UNHCR, OpenStreetMap contributors), via geokz (A. Rodionov, CC BY 4.0); simplified.'),
    h('section', { class: 'card' }, table([
      { label: t('region'), cell: (x) => h('a', { href: '#/region/' + x.code }, rname(x.code)) },
      { label: mode === 'stock' ? t('weeks_supply') : t('first_cov'), num: true, cell: (x) => fmtV(mode === 'stock' ? x.weeks : x.firstPct) },
    ], [...rows].sort((a, b) => (value(b.code) ?? -1) - (value(a.code) ?? -1)))));
}

function quantBreaks(vals) {
  if (!vals.length) return [1, 2, 3, 4, 5];
  const s = [...vals].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  const b = [q(1 / 6), q(2 / 6), q(3 / 6), q(4 / 6), q(5 / 6)];
  for (let i = 1; i < b.length; i++) if (b[i] <= b[i - 1]) b[i] = b[i - 1] + 1e-9;
  return b;
}

/** fillWeeks computes weeks of supply = regional stock / doses given in the last 7 days, when the overview does not say. */
async function fillWeeks(rows, asOf) {
  const from = isoDay(new Date(Date.parse(asOf) - 6 * 86400000));
  const st = await get('stock', { as_of: asOf }).catch(() => null);
  const stockBy = Object.fromEntries(list(st, 'regions').map((x) => [x.region, x.on_hand]));
  await Promise.all(rows.map(async (x) => {
    if (x.weeks != null) return;
    const stock = x.stock ?? stockBy[x.code];
    if (x.stock == null) x.stock = stock;
    const cov = await get('coverage', { region: x.code, from, to: asOf }).catch(() => null);
    const week = dailyRows(cov).reduce((a, d) => a + d.first + d.second + d.booster, 0);
    x.weeks = stock == null ? null : week > 0 ? stock / week : stock > 0 ? 99 : 0;
  }));
}

// ---------- charts ----------
async function charts(r) {
  await regions();
  const asOf = r.q.get('as_of') || (await latestDate());
  const from = r.q.get('from') || '2021-02-01';
  const [cov, ov, supply, targetsRes] = await Promise.all([
    get('coverage', { from, to: asOf }),
    get('overview', { as_of: asOf }),
    get('supply', { as_of: asOf }).catch(() => null),
    get('targets').catch(() => null),
  ]);
  const days = dailyRows(cov);
  const out = h('div', { class: 'screen charts' }, h('div', { class: 'title-row' }, h('h1', {}, t('charts_title')), h('span', { class: 'muted' }, `${t('as_of')} ${date(asOf)}`)));
  // 1. daily doses with the target rate
  const series = [
    { name: t('first'), values: days.map((d) => d.first), area: true },
    { name: t('second'), values: days.map((d) => d.second) },
    { name: t('booster'), values: days.map((d) => d.booster) },
  ];
  const tg = list(targetsRes, 'targets').find((x) => !x.region && (x.measure === 'first' || !x.measure));
  if (tg && tg.from && tg.to) {
    const span = (Date.parse(tg.to) - Date.parse(tg.from)) / 86400000 + 1;
    if (span > 0) series.push({ name: `${t('target_rate')} (${num(tg.value)} ${t('by')} ${date(tg.to)})`, values: days.map((d) => (d.date >= tg.from && d.date <= tg.to ? tg.value / span : null)), dash: true, color: '#c0392b' });
  }
  out.append(h('section', { class: 'card' }, days.length ? lineChart({ labels: days.map((d) => d.date), series, fmt: num, xfmt: (s) => date(s).replace(/\s?\d{4}.*$/, ''), caption: t('daily_doses') }) : h('p', {}, t('no_data'))));
  // 2. coverage by region
  const rows = regionRows(ov).sort((a, b) => (b.firstPct || 0) - (a.firstPct || 0));
  out.append(h('section', { class: 'card' }, hbars({ rows: rows.map((x) => ({ label: rname(x.code), href: '#/region/' + x.code, values: [x.firstPct || 0, x.fullPct || 0] })), series: [{ name: t('first') }, { name: t('full_cov') }], fmt: (v) => pct(v), caption: t('cum_cov_region') })));
  // 3. stock by component, weekly
  const weeks = [];
  for (let d = Date.parse(asOf); d >= Date.parse(from) && weeks.length < 10; d -= 7 * 86400000) weeks.unshift(isoDay(new Date(d)));
  const stocks = await Promise.all(weeks.map((w) => get('stock', { as_of: w }).catch(() => null)));
  const keys = new Map();
  stocks.forEach((s, wi) => list(s, 'lines').forEach((ln) => {
    const k = `${ln.product} ${ln.component}`;
    if (!keys.has(k)) keys.set(k, new Array(weeks.length).fill(0));
    keys.get(k)[wi] += (+ln.on_hand || 0) + (+ln.in_transit || 0);
  }));
  out.append(h('section', { class: 'card' }, keys.size ? lineChart({ labels: weeks, series: [...keys].map(([name, values]) => ({ name, values })), fmt: num, xfmt: (s) => date(s).replace(/\s?\d{4}.*$/, ''), caption: t('stock_over_time') }) : h('p', {}, t('no_data'))));
  // 4. supply tranches
  const tr = [];
  for (const a of list(supply, 'agreements')) for (const x of a.tranches || []) tr.push({ label: `${a.product} ${x.id}`, expected: x.doses, delivered: x.delivered, date: x.expected, status: x.status, agreement: a.id });
  tr.sort((a, b) => String(a.date).localeCompare(String(b.date)));
  const shown = tr.filter((x) => x.date <= asOf || x.delivered > 0).slice(-12);
  out.append(h('section', { class: 'card' }, shown.length ? groupedBars({ groups: shown.map((x) => x.label), series: [{ name: t('expected'), values: shown.map((x) => x.expected), color: '#9ecae1' }, { name: t('delivered'), values: shown.map((x) => x.delivered), color: '#08519c' }], fmt: num, caption: t('supply_tranches') }) : h('p', {}, t('no_data')),
    table([
      { label: t('shipment'), cell: (x) => x.label },
      { label: t('expected'), cell: (x) => date(x.date) },
      { label: t('doses'), num: true, cell: (x) => num(x.expected) },
      { label: t('delivered'), num: true, cell: (x) => num(x.delivered) },
      { label: t('status'), cell: (x) => h('span', { class: 'status ' + x.status }, t(x.status)) },
    ], tr)));
  return out;
}

// ---------- drill-down ----------
async function region(r) {
  await regions();
  const code = r.args[0];
  const asOf = r.q.get('as_of') || (await latestDate());
  const [ov, cov, st] = await Promise.all([
    get('overview', { as_of: asOf }),
    get('coverage', { region: code, from: '2021-02-01', to: asOf }).catch(() => null),
    get('stock', { region: code, as_of: asOf }).catch(() => null),
  ]);
  const row = regionRows(ov).find((x) => x.code === code) || {};
  const tot = list(st, 'regions').find((x) => x.region === code) || {};
  const out = h('div', { class: 'screen region', 'data-region': code },
    h('p', {}, h('a', { href: '#/overview' }, '← ' + t('nav_overview'))),
    h('h1', {}, rname(code)),
    h('section', { class: 'figures' },
      figure('population', t('population'), row.population),
      figure('people_first', t('people_first'), row.first, pct(row.firstPct)),
      figure('people_full', t('people_full'), row.full, pct(row.fullPct)),
      figure('on_hand', t('stock'), tot.on_hand ?? row.stock),
      figure('at_points', t('at_points'), tot.at_points),
      figure('in_transit', t('in_transit'), tot.in_transit),
      figure('administered', t('administered'), tot.administered)));
  const days = dailyRows(cov);
  if (days.length) out.append(h('section', { class: 'card' }, lineChart({ labels: days.map((d) => d.date), series: [{ name: t('first'), values: days.map((d) => d.first), area: true }, { name: t('second'), values: days.map((d) => d.second) }, { name: t('booster'), values: days.map((d) => d.booster) }], fmt: num, xfmt: (s) => date(s).replace(/\s?\d{4}.*$/, ''), caption: t('daily_doses'), height: 200 })));
  if (!signedIn()) { out.append(h('p', { class: 'note' }, t('public_note'))); return out; }
  try {
    const places = list(await get('places', { region: code }), 'places');
    const col = [
      { label: t('name'), cell: (p) => h('a', { href: '#/place/' + encodeURIComponent(p.id), 'data-place': p.id }, p.name || p.id) },
      { label: t('kind'), cell: (p) => p.kind },
      { label: t('stock'), num: true, cell: (p) => num(p.on_hand) },
      { label: t('administered'), num: true, cell: (p) => num(p.doses_administered) },
    ];
    out.append(h('section', { class: 'card' }, h('h2', {}, t('warehouses')), table(col, places.filter((p) => p.kind !== 'point'))));
    out.append(h('section', { class: 'card' }, h('h2', {}, t('points')), table(col, places.filter((p) => p.kind === 'point'))));
  } catch (e) { out.append(errorBox(e)); }
  return out;
}

function lotRows(lots) {
  return table([
    { label: t('lot'), cell: (l) => l.lot || l.id },
    { label: t('product'), cell: (l) => l.product },
    { label: t('component'), cell: (l) => l.component },
    { label: t('expiry'), cell: (l) => date(l.expiry) },
    { label: t('doses'), num: true, cell: (l) => num(l.doses ?? l.on_hand) },
    { label: t('status'), cell: (l) => h('span', { class: 'status ' + l.status }, t(l.status) + (l.held ? ` (${t('held')} ${l.held})` : '')) },
  ], lots);
}

async function place(r) {
  await regions();
  const id = r.args[0];
  const [pl, st] = await Promise.all([get('places/' + encodeURIComponent(id)).catch(() => null), get('places/' + encodeURIComponent(id) + '/stock')]);
  const lots = list(st, 'lots');
  const regionCode = pl?.region;
  return h('div', { class: 'screen place', 'data-place': id },
    h('p', {}, regionCode ? h('a', { href: '#/region/' + regionCode }, '← ' + rname(regionCode)) : h('a', { href: '#/overview' }, '← ' + t('nav_overview'))),
    h('h1', {}, pl?.name || id),
    h('p', { class: 'muted' }, [pl?.kind, id, regionCode ? rname(regionCode) : null].filter(Boolean).join(' · ')),
    h('section', { class: 'figures' }, figure('on_hand', t('stock'), lots.reduce((a, l) => a + (+l.doses || 0), 0)), pl ? figure('administered', t('administered'), pl.doses_administered) : null),
    h('section', { class: 'card' }, h('h2', {}, t('point_stock')), lotRows(lots)),
    pl?.kind === 'point' && canWrite() ? h('p', {}, h('a', { class: 'button primary', href: '#/dose?place=' + encodeURIComponent(id) }, t('nav_dose'))) : null);
}

async function shipments() {
  await regions();
  const sh = list(await get('shipments', { in_transit: 'true' }), 'shipments');
  return h('div', { class: 'screen shipments', 'data-count': sh.length }, h('h1', {}, t('shipments_title')),
    h('section', { class: 'card' }, table([
      { label: t('shipment'), cell: (s) => s.shipment },
      { label: t('from'), cell: (s) => s.from },
      { label: t('to'), cell: (s) => s.to },
      { label: t('occurred'), cell: (s) => date(s.occurred) },
      { label: t('doses'), num: true, cell: (s) => num((s.lines || []).reduce((a, l) => a + (+l.doses || 0), 0) || s.doses) },
      { label: '', cell: (s) => (canWrite() ? h('a', { href: '#/shipment?receive=' + encodeURIComponent(s.shipment) }, t('receive')) : '') },
    ], sh)));
}

async function lots() {
  const [ls, ae] = await Promise.all([get('lots'), get('aefi').catch(() => null)]);
  const all = list(ls, 'lots');
  const flagged = all.filter((l) => l.status !== 'released' || (+l.aefi || 0) > 0);
  const aefis = list(ae, 'aefi', 'aefis', 'reports');
  return h('div', { class: 'screen lots' }, h('h1', {}, t('lots_title')),
    h('section', { class: 'card' }, table([
      { label: t('lot'), cell: (l) => l.id },
      { label: t('product'), cell: (l) => `${l.product} ${l.component}` },
      { label: t('expiry'), cell: (l) => date(l.expiry) },
      { label: t('status'), cell: (l) => h('span', { class: 'status ' + l.status }, t(l.status)) },
      { label: t('aefi'), num: true, cell: (l) => `${num(l.aefi)} (${num(l.aefi_serious)} ${t('serious')})` },
      { label: t('stock'), num: true, cell: (l) => num(l.on_hand) },
      { label: t('reason'), cell: (l) => l.suspended_reason || '' },
    ], flagged)),
    aefis.length ? h('section', { class: 'card' }, h('h2', {}, t('aefi')), table([
      { label: 'ID', cell: (a) => a.id },
      { label: t('lot'), cell: (a) => a.lot },
      { label: t('serious'), cell: (a) => (a.serious ? '✔' : '') },
      { label: t('occurred'), cell: (a) => date(a.onset) },
      { label: '', cell: (a) => a.description || '' },
    ], aefis)) : null);
}

// ---------- forms ----------

/** field builds a labelled input with an error slot named after the API field. */
function field(name, label, input, help) {
  input.id = input.id || 'f-' + name;
  input.name = name;
  const err = h('p', { class: 'field-error', id: input.id + '-err', 'data-field': name, 'aria-live': 'polite' });
  input.setAttribute('aria-describedby', [help ? input.id + '-help' : '', err.id].filter(Boolean).join(' '));
  return h('div', { class: 'field', 'data-for': name }, h('label', { for: input.id }, label), input, help ? h('p', { class: 'help', id: input.id + '-help' }, help) : null, err);
}

function clearErrors(form) {
  form.querySelectorAll('.field-error').forEach((e) => { e.textContent = ''; });
  form.querySelectorAll('[aria-invalid]').forEach((e) => e.removeAttribute('aria-invalid'));
  const s = form.querySelector('.form-status');
  if (s) { s.textContent = ''; s.className = 'form-status'; }
}

/** showError puts a server error next to its field (or at the form's foot) and focuses that field. */
function showError(form, e, aliases = {}) {
  let msg = e.message;
  if (e.status === 403) msg = t('forbidden') + ' ' + e.message;
  if (e.status === 401) msg = t('unauthorized') + ' ' + e.message;
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

function ok(form, text) {
  const s = form.querySelector('.form-status');
  s.textContent = text;
  s.className = 'form-status success';
}

function toISO(local) {
  // datetime-local value "YYYY-MM-DDTHH:MM" is in the browser's zone
  const d = new Date(local);
  return Number.isNaN(d.getTime()) ? local : d.toISOString();
}

async function dose(r) {
  await regions();
  const latest = await latestDate();
  const points = list(await get('places', { kind: 'point' }), 'places');
  const placeSel = h('select', { required: true }, h('option', { value: '' }, t('choose')), points.map((p) => h('option', { value: p.id }, `${p.name || p.id} (${rname(p.region)})`)));
  const want = r.q.get('place');
  if (want) {
    if (!points.some((p) => p.id === want)) placeSel.append(h('option', { value: want }, want));
    placeSel.value = want;
  }
  const iin = h('input', { type: 'text', inputmode: 'numeric', autocomplete: 'off', maxlength: 12, pattern: '[0-9]{12}', required: true, spellcheck: 'false' });
  const iinLive = h('p', { class: 'iin-live', id: 'iin-live', 'aria-live': 'polite' });
  const lotSel = h('select', { required: true });
  const at = h('input', { type: 'datetime-local', required: true, value: `${latest}T10:00` });
  const vacc = h('input', { type: 'text', required: true, autocomplete: 'name' });
  const status = h('p', { class: 'form-status', role: 'status', id: 'dose-status' });
  const result = h('div', { id: 'dose-result', 'aria-live': 'polite' });

  const checkLive = () => {
    const c = checkIIN(iin.value);
    const txt = c.code === 'ok' ? t('iin_ok') : c.code === 'length' ? t('iin_len', { n: c.n }) : t('iin_' + (c.code === 'check' ? 'bad' : c.code));
    iinLive.textContent = iin.value ? txt : '';
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
          `${l.lot} — ${l.product} ${l.component} · ${num(l.doses)} · ${t('expiry')} ${date(l.expiry)}${l.status !== 'released' ? ' · ' + t(l.status) : ''}`)));
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
        t('dose_saved', { n: d.dose_number, c: d.component, p: d.product })));
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
    live.textContent = !iin.value ? '' : c.ok ? t('iin_ok') : c.code === 'length' ? t('iin_len', { n: c.n }) : t('iin_' + (c.code === 'check' ? 'bad' : c.code));
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

async function shipment(r) {
  await regions();
  const latest = await latestDate();
  const [pls, lotsRes, transit] = await Promise.all([get('places'), get('lots').catch(() => null), get('shipments', { in_transit: 'true' }).catch(() => null)]);
  const places = list(pls, 'places');
  const opt = (p) => h('option', { value: p.id }, `${p.name || p.id} · ${p.kind}${p.region ? ' · ' + rname(p.region) : ''}`);
  const from = h('select', { required: true }, h('option', { value: '' }, t('choose')), places.filter((p) => p.kind !== 'point').map(opt));
  const to = h('select', { required: true }, h('option', { value: '' }, t('choose')), places.filter((p) => p.kind !== 'national').map(opt));
  const combos = new Map();
  for (const l of list(lotsRes, 'lots')) combos.set(`${l.product}|${l.component}`, l);
  const prod = h('select', { required: true }, h('option', { value: '' }, t('choose')), [...combos.keys()].map((k) => h('option', { value: k }, k.replace('|', ' · '))));
  const doses = h('input', { type: 'number', min: 1, step: 1, required: true, inputmode: 'numeric' });
  const occurred = h('input', { type: 'datetime-local', required: true, value: `${latest}T09:00` });
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
  field('product', t('product') + ' / ' + t('component'), prod), field('doses', t('doses'), doses), field('occurred', t('occurred'), occurred),
  h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, t('dispatch'))),
  h('p', { class: 'form-status', role: 'status' }));

  const ships = list(transit, 'shipments');
  const shipSel = h('select', { required: true }, h('option', { value: '' }, t('choose')), ships.map((s) => h('option', { value: s.shipment }, `${s.shipment}: ${s.from} → ${s.to} (${date(s.occurred)})`)));
  if (r.q.get('receive')) shipSel.value = r.q.get('receive');
  const rOcc = h('input', { type: 'datetime-local', required: true, value: `${latest}T15:00` });
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
  h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, t('receive'))),
  h('p', { class: 'form-status', role: 'status' }));
  return h('div', { class: 'screen shipment' }, dForm, rForm);
}

// helpers shared with the plan and certificate screens (plan.js, certs.js)
export { app, table, figure, field, clearErrors, showError, ok, errorBox, go, latestDate, regions, rname, dailyRows, isoDay, signedIn, canWrite, isAdmin };

// ---------- start ----------
window.addEventListener('hashchange', route);
// signing in or out in another tab changes who we are here too
window.addEventListener('storage', (e) => { if (e.key === 'vaxtrace.token') { app.me = null; clearCache(); route(); } });
chrome();
renderNav();
if (signedIn()) whoami(false).catch(() => {});
route();
