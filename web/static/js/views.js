// Screens: region map, charts, region and point drill-down, shipments in
// transit, lots with AEFI or quarantine. Each reads the day (as_of) and the
// "as known on" day (known_at) from the URL.

import { t, num, pct, dec, date, shortDate, regionName, productName, placeName } from './i18n.js';
import { get, list } from './api.js';
import { lineChart, hbars } from './charts.js';
import { loadGeo, drawMap, BLUES, GREENS, quantBreaks } from './map.js';
import { h, app, table, figure, href, go, days, dayTitle, dailyRows, rname, signedIn, canWrite, errorBox, places, isoDay, addDays } from './app.js';

// ---------- map ----------
export async function mapScreen(r) {
  const { asOf, knownAt } = await days(r);
  const mode = r.q.get('by') === 'stock' ? 'stock' : 'coverage';
  const [gj, ov] = await Promise.all([loadGeo(), get('overview', { as_of: asOf, known_at: knownAt })]);
  const rows = ov.regions || [];
  const by = Object.fromEntries(rows.map((x) => [x.code, x]));
  const val = (x) => (x ? (mode === 'stock' ? x.weeks_of_supply ?? null : x.first_percent) : null);
  const value = (code) => val(by[code]);
  const vals = rows.map(val).filter((x) => x != null);
  const breaks = mode === 'stock' ? [1, 2, 3, 4, 6] : quantBreaks(vals);
  const colors = mode === 'stock' ? GREENS : BLUES;
  const fmtV = (v) => (v == null ? '–' : mode === 'stock' ? t('n_weeks', { n: v, v: dec(v) }) : pct(v));
  const svg = drawMap(gj, {
    value, breaks, colors,
    label: (code, f) => `${regionName(by[code] || f.properties)}: ${fmtV(value(code))}`,
    onSelect: (code) => go(href('region/' + code)),
  });
  svg.setAttribute('aria-label', t('map_title'));
  const toggle = h('fieldset', { class: 'toggle' }, h('legend', {}, t('colour_by')),
    ...[['coverage', t('coverage_first')], ['stock', t('weeks_supply')]].map(([k, lbl]) => h('label', {},
      h('input', { type: 'radio', name: 'by', value: k, checked: mode === k, onchange: () => go(href('map', { by: k })) }), ' ', lbl)));
  const legendItems = [];
  for (let i = 0; i < colors.length; i++) {
    const lo = i === 0 ? null : breaks[i - 1], hi = i < breaks.length ? breaks[i] : null;
    const txt = lo == null ? `< ${fmtV(hi)}` : hi == null ? `≥ ${fmtV(lo)}` : `${fmtV(lo)} – ${fmtV(hi)}`;
    legendItems.push(h('li', {}, h('span', { class: 'swatch', style: `--c:${colors[i]}` }), txt));
  }
  legendItems.push(h('li', {}, h('span', { class: 'swatch', style: '--c:#d9d9d9' }), t('no_data')));
  const attrib = await fetch('kz-regions-2021.SOURCE.txt').then((x) => x.text()).then((s) => (s.match(/Suggested attribution:\s*"([^"]+)"/s) || [])[1]?.replace(/\s+/g, ' ')).catch(() => null);
  return h('div', { class: 'screen map' },
    h('h1', {}, t('map_title')), dayTitle(asOf, knownAt),
    toggle,
    h('div', { class: 'card map-card' }, svg, h('ul', { class: 'legend' }, legendItems), h('p', { class: 'muted small' }, t('map_help'))),
    h('p', { class: 'attribution small', id: 'attribution', lang: 'en' }, attrib || 'Boundaries: OCHA/HDX COD-AB Kazakhstan (UNHCR, OpenStreetMap contributors), via geokz (A. Rodionov, CC BY 4.0); simplified.'),
    h('section', { class: 'card' }, table([
      { label: t('region'), cell: (x) => h('a', { href: href('region/' + x.code) }, regionName(x)) },
      { label: mode === 'stock' ? t('weeks_supply') : t('first_cov'), num: true, cell: (x) => fmtV(val(x)) },
    ], [...rows].sort((a, b) => (val(b) ?? -1) - (val(a) ?? -1)))));
}

// ---------- charts ----------

/** coverageDays reads the daily series; with known_at the daily counts are the differences of the as-known cumulative series. */
async function coverageDays(params, knownAt) {
  const cov = await get('coverage', { ...params, known_at: knownAt });
  const rows = dailyRows(cov);
  if (knownAt && cov.measures) {
    const m = cov.measures;
    const cum = (k, i) => (m[k]?.cumulative?.[i] ?? 0);
    let prev = null;
    rows.forEach((d, i) => {
      const c = { first: cum('dose1', i), second: cum('dose2', i) + cum('dose_more', i), booster: cum('booster', i) };
      if (prev) { d.first = c.first - prev.first; d.second = c.second - prev.second; d.booster = c.booster - prev.booster; }
      prev = c;
    });
  }
  return rows;
}

export async function charts(r) {
  const { asOf, knownAt } = await days(r);
  const from = r.q.get('from') || '2021-02-01';
  const [dd, ov, supply] = await Promise.all([
    coverageDays({ from: from < asOf ? from : addDays(asOf, -60), to: asOf }, knownAt),
    get('overview', { as_of: asOf, known_at: knownAt }),
    get('supply', { as_of: asOf }).catch(() => null),
  ]);
  const out = h('div', { class: 'screen charts' }, h('h1', {}, t('charts_title')), dayTitle(asOf, knownAt));
  // 1. daily doses, with the daily rate the next target needs
  const series = [
    { name: t('first'), values: dd.map((d) => d.first), area: true },
    { name: t('second'), values: dd.map((d) => d.second) },
    { name: t('booster'), values: dd.map((d) => d.booster) },
  ];
  const refs = [];
  const tg = (ov.targets || []).filter((x) => !x.region && !x.group && x.to >= asOf && x.rate_needed > 0).sort((a, b) => String(a.from).localeCompare(String(b.from)))[0];
  if (tg) refs.push({ name: t('rate_needed_line', { rate: num(tg.rate_needed), value: num(tg.value), to: date(tg.to) }), value: tg.rate_needed, color: '#c0392b' });
  out.append(h('section', { class: 'card', id: 'chart-daily' }, dd.length ? lineChart({ labels: dd.map((d) => d.date), series, refs, fmt: num, xfmt: shortDate, caption: t('daily_doses') }) : h('p', {}, t('no_data'))));
  // 2. coverage by region
  const rows = [...(ov.regions || [])].sort((a, b) => (b.first_percent || 0) - (a.first_percent || 0));
  out.append(h('section', { class: 'card', id: 'chart-regions' }, hbars({ rows: rows.map((x) => ({ label: regionName(x), href: href('region/' + x.code), values: [x.first_percent || 0, x.full_percent || 0] })), series: [{ name: t('first') }, { name: t('full_cov') }], fmt: (v) => pct(v), caption: t('cum_cov_region') })));
  // 3. stock by component, weekly
  const weeks = [];
  for (let d = Date.parse(asOf); d >= Date.parse(from) && weeks.length < 10; d -= 7 * 86400000) weeks.unshift(isoDay(new Date(d)));
  const stocks = await Promise.all(weeks.map((w) => get('stock', { as_of: w, known_at: knownAt && knownAt >= w ? knownAt : '' }).catch(() => null)));
  const keys = new Map();
  stocks.forEach((s, wi) => list(s, 'lines').forEach((ln) => {
    const k = `${productName(ln.product)} · ${ln.component}`;
    if (!keys.has(k)) keys.set(k, new Array(weeks.length).fill(0));
    keys.get(k)[wi] += (+ln.on_hand || 0) + (+ln.in_transit || 0);
  }));
  out.append(h('section', { class: 'card', id: 'chart-stock' }, keys.size ? lineChart({ labels: weeks, series: [...keys].map(([name, values]) => ({ name, values })), fmt: num, xfmt: shortDate, caption: t('stock_over_time') }) : h('p', {}, t('no_data'))));
  // 4. agreement tranches: each labelled with its agreement and supplier
  const tr = [];
  for (const a of list(supply, 'agreements')) for (const x of a.tranches || []) tr.push({ agreement: a.id, supplier: a.supplier, product: a.product, tranche: x.id, expected: x.doses, delivered: x.delivered, date: x.expected, status: x.status });
  tr.sort((a, b) => String(a.date).localeCompare(String(b.date)) || a.agreement.localeCompare(b.agreement));
  const shown = tr.filter((x) => x.date <= addDays(asOf, 45) || x.delivered > 0);
  out.append(h('section', { class: 'card', id: 'chart-supply' },
    shown.length ? hbars({
      caption: t('supply_tranches'),
      rows: shown.map((x) => ({ label: `${x.agreement} · ${x.tranche}`, sub: `${x.supplier} · ${date(x.date)} · ${t(x.status)}`, values: [x.expected, x.delivered] })),
      series: [{ name: t('expected'), color: '#9ecae1' }, { name: t('delivered'), color: '#08519c' }], fmt: num,
    }) : h('p', {}, t('no_data')),
    table([
      { label: t('agreement'), cell: (x) => x.agreement },
      { label: t('supplier'), cell: (x) => x.supplier },
      { label: t('tranche'), cell: (x) => x.tranche },
      { label: t('expected'), cell: (x) => date(x.date) },
      { label: t('doses_h'), num: true, cell: (x) => num(x.expected) },
      { label: t('delivered'), num: true, cell: (x) => num(x.delivered) },
      { label: t('status'), cell: (x) => h('span', { class: 'status ' + x.status }, t(x.status)) },
    ], tr)));
  const focus = r.q.get('focus');
  if (focus) requestAnimationFrame(() => document.getElementById('chart-' + focus)?.scrollIntoView({ block: 'start' }));
  return out;
}

// ---------- drill-down ----------
export async function region(r) {
  const code = r.args[0];
  const { asOf, knownAt } = await days(r);
  const [ov, dd, st] = await Promise.all([
    get('overview', { as_of: asOf, known_at: knownAt }),
    coverageDays({ region: code, from: '2021-02-01' < asOf ? '2021-02-01' : addDays(asOf, -60), to: asOf }, knownAt).catch(() => []),
    get('stock', { region: code, as_of: asOf, known_at: knownAt }).catch(() => null),
  ]);
  const row = (ov.regions || []).find((x) => x.code === code) || {};
  const tot = list(st, 'regions').find((x) => x.region === code) || {};
  const out = h('div', { class: 'screen region', 'data-region': code },
    h('p', {}, h('a', { href: href('overview') }, '← ' + t('nav_overview'))),
    h('h1', {}, rname(code)), dayTitle(asOf, knownAt),
    h('section', { class: 'figures' },
      figure('population', t('population'), row.population),
      figure('people_first', t('people_first'), row.people_first, pct(row.first_percent)),
      figure('people_full', t('people_full'), row.people_full, pct(row.full_percent)),
      figure('delivered', t('delivered_to_region'), row.delivered),
      figure('on_hand', t('stock'), tot.on_hand ?? row.on_hand, row.weeks_of_supply != null ? t('n_weeks', { n: row.weeks_of_supply, v: dec(row.weeks_of_supply) }) : null),
      figure('at_points', t('at_points'), tot.at_points),
      figure('in_transit', t('in_transit'), tot.in_transit),
      figure('administered', t('administered'), tot.administered)));
  if (dd.length) out.append(h('section', { class: 'card' }, lineChart({ labels: dd.map((d) => d.date), series: [{ name: t('first'), values: dd.map((d) => d.first), area: true }, { name: t('second'), values: dd.map((d) => d.second) }, { name: t('booster'), values: dd.map((d) => d.booster) }], fmt: num, xfmt: shortDate, caption: t('daily_doses'), height: 200 })));
  if (!signedIn()) { out.append(h('p', { class: 'note' }, t('public_note'))); return out; }
  try {
    const pls = await places({ region: code });
    const col = [
      { label: t('name'), cell: (p) => h('a', { href: href('place/' + encodeURIComponent(p.id)), 'data-place': p.id }, placeName(p.id)) },
      { label: t('kind'), cell: (p) => t('kind_' + p.kind) },
      { label: t('stock_now'), num: true, cell: (p) => num(p.on_hand) },
      { label: t('administered'), num: true, cell: (p) => num(p.doses_administered) },
    ];
    out.append(h('section', { class: 'card' }, h('h2', {}, t('warehouses')), table(col, pls.filter((p) => p.kind !== 'point'))));
    out.append(h('section', { class: 'card' }, h('h2', {}, t('points')), table(col, pls.filter((p) => p.kind === 'point'))));
  } catch (e) { out.append(errorBox(e)); }
  return out;
}

function lotRows(lots) {
  return table([
    { label: t('lot'), cell: (l) => l.lot || l.id },
    { label: t('product'), cell: (l) => productName(l.product) },
    { label: t('component'), cell: (l) => l.component },
    { label: t('expiry'), cell: (l) => date(l.expiry) },
    { label: t('doses_h'), num: true, cell: (l) => num(l.doses ?? l.on_hand) },
    { label: t('status'), cell: (l) => h('span', { class: 'status ' + l.status }, t(l.status) + (l.held ? ` (${t('held')} ${l.held})` : '')) },
  ], lots);
}

export async function place(r) {
  const id = r.args[0];
  const [pl, st] = await Promise.all([get('places/' + encodeURIComponent(id)).catch(() => null), get('places/' + encodeURIComponent(id) + '/stock')]);
  if (pl) await places({ region: pl.region }).catch(() => null);
  const lots = list(st, 'lots');
  const regionCode = pl?.region;
  return h('div', { class: 'screen place', 'data-place': id },
    h('p', {}, regionCode ? h('a', { href: href('region/' + regionCode) }, '← ' + rname(regionCode)) : h('a', { href: href('overview') }, '← ' + t('nav_overview'))),
    h('h1', {}, placeName(id)),
    h('p', { class: 'muted' }, [pl ? t('kind_' + pl.kind) : null, id, regionCode ? rname(regionCode) : null].filter(Boolean).join(' · '), ' · ', t('stock_is_current')),
    h('section', { class: 'figures' }, figure('on_hand', t('stock_now'), lots.reduce((a, l) => a + (+l.doses || 0), 0)), pl ? figure('administered', t('administered'), pl.doses_administered) : null),
    h('section', { class: 'card' }, h('h2', {}, t('point_stock')), lotRows(lots)),
    pl?.kind === 'point' && canWrite() ? h('p', {}, h('a', { class: 'button primary', href: href('dose', { place: id }) }, t('nav_dose'))) : null);
}

export async function shipments(r) {
  const { asOf } = await days(r);
  const [sh] = await Promise.all([get('shipments', { in_transit: 'true' }), places().catch(() => null)]);
  const rows = list(sh, 'shipments');
  return h('div', { class: 'screen shipments', 'data-count': rows.length }, h('h1', {}, t('shipments_title')),
    h('p', { class: 'muted day-title' }, t('stock_is_current'), ' · ', t('position_at', { day: date(asOf) }), ' ', h('a', { href: href('charts', { focus: 'stock' }) }, t('see_charts'))),
    h('section', { class: 'card' }, table([
      { label: t('shipment'), cell: (s) => s.shipment },
      { label: t('from'), cell: (s) => placeName(s.from) },
      { label: t('to'), cell: (s) => placeName(s.to) },
      { label: t('occurred'), cell: (s) => date(s.occurred) },
      { label: t('doses_h'), num: true, cell: (s) => num((s.lines || []).reduce((a, l) => a + (+l.doses || 0), 0) || s.doses) },
      { label: '', cell: (s) => (canWrite() ? h('a', { href: href('shipment', { receive: s.shipment }) }, t('receive')) : '') },
    ], rows)));
}

export async function lots() {
  const [ls, ae] = await Promise.all([get('lots'), get('aefi').catch(() => null)]);
  const all = list(ls, 'lots');
  const flagged = all.filter((l) => l.status !== 'released' || (+l.aefi || 0) > 0);
  const aefis = list(ae, 'aefi', 'aefis', 'reports');
  return h('div', { class: 'screen lots' }, h('h1', {}, t('lots_title')),
    h('p', { class: 'muted day-title' }, t('stock_is_current')),
    h('section', { class: 'card' }, table([
      { label: t('lot'), cell: (l) => l.id },
      { label: t('product'), cell: (l) => `${productName(l.product)} · ${l.component}` },
      { label: t('expiry'), cell: (l) => date(l.expiry) },
      { label: t('status'), cell: (l) => h('span', { class: 'status ' + l.status }, t(l.status)) },
      { label: t('aefi'), num: true, cell: (l) => t('aefi_count', { n: num(l.aefi), s: num(l.aefi_serious) }) },
      { label: t('stock'), num: true, cell: (l) => num(l.on_hand) },
      { label: t('reason'), cell: (l) => l.suspended_reason || '' },
    ], flagged)),
    aefis.length ? h('section', { class: 'card' }, h('h2', {}, t('aefi')), table([
      { label: 'ID', cell: (a) => a.id },
      { label: t('lot'), cell: (a) => a.lot },
      { label: t('serious'), cell: (a) => (a.serious ? '✔' : '') },
      { label: t('occurred'), cell: (a) => date(a.onset) },
      { label: t('description'), cell: (a) => a.description || '' },
    ], aefis)) : null);
}

export { app };
