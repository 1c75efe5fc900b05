// EVM reports: vaccine arrivals, temperature compliance per equipment and
// month, stock and wastage by place and product, equipment status (GET
// evm/arrivals, evm/temperature, evm/stock, evm/equipment), one tab at a
// time, printable (the print style sheet drops navigation and forms). The
// day chosen in the header is the stock report's day, the end of the
// arrivals and the month of the temperature report, unless the URL says
// otherwise (to, month).

import { t, num, dec, date, productName } from './i18n.js';
import { get, list } from './api.js';
import { h, app, table, go, href, days, regions, rname } from './app.js';
import { when, degrees, sectionTabs, lotLabel, pair } from './coldchain.js';

const TABS = ['arrivals', 'temperature', 'stock', 'equipment'];

export async function evmScreen(r) {
  await regions();
  const tab = TABS.includes(r.q.get('tab')) ? r.q.get('tab') : 'arrivals';
  const { asOf } = await days(r);
  const region = r.q.get('region') || (app.me?.region || '');
  const from = r.q.get('from') || '';
  const monthShown = r.q.get('month') || asOf.slice(0, 7);
  const nav = h('nav', { class: 'tabs no-print', 'aria-label': t('evm_title') }, TABS.map((k) =>
    h('a', { href: href('evm', { tab: k, region }), 'aria-current': k === tab ? 'page' : null, 'data-tab': k }, t('evm_' + k))));
  const regionSel = h('select', { id: 'evm-region' }, h('option', { value: '' }, t('national')));
  for (const g of app.regions || []) if (!g.valid_from) regionSel.append(h('option', { value: g.code, selected: g.code === region ? true : null }, rname(g.code)));
  const month = h('input', { type: 'month', id: 'evm-month', value: monthShown });
  const filter = h('form', { class: 'inline no-print', onsubmit: (e) => {
    e.preventDefault();
    go(href('evm', { tab, region: regionSel.value, month: tab === 'temperature' ? month.value : null, from: r.q.get('from'), to: r.q.get('to') }));
  } },
    pair(h('label', { for: 'evm-region' }, t('region')), regionSel),
    tab === 'temperature' ? pair(h('label', { for: 'evm-month' }, t('evm_month')), month) : null,
    h('button', { type: 'submit' }, t('cc_show')),
    h('button', { type: 'button', id: 'print', onclick: () => window.print() }, t('evm_print')));
  let body;
  if (tab === 'arrivals') body = await arrivals(region, from, r.q.get('to') || asOf);
  else if (tab === 'temperature') body = await temperature(region, monthShown);
  else if (tab === 'stock') body = await stock(region, asOf);
  else body = await equipment(region);
  return h('div', { class: 'screen evm', 'data-tab': tab },
    sectionTabs('evm', r),
    h('div', { class: 'title-row' }, h('h1', {}, t('evm_title')), filter),
    nav,
    h('section', { class: 'card report', id: 'report-' + tab },
      h('h2', {}, t('evm_' + tab) + (region ? ' · ' + rname(region) : '')),
      body,
      h('p', { class: 'muted print-only' }, t('evm_generated', { at: new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC' }))));
}

async function arrivals(region, from, to) {
  const res = await get('evm/arrivals', { region, from: from || '', to });
  const rows = list(res, 'arrivals');
  return [h('p', { class: 'muted' }, `${date(res.from)} – ${date(res.to)}`), table([
    { label: t('occurred'), cell: (a) => when(a.at) },
    { label: t('evm_document'), cell: (a) => a.document },
    { label: t('from'), cell: (a) => a.from },
    { label: t('to'), cell: (a) => a.to },
    { label: t('lot'), cell: (a) => `${a.lot} (${lotLabel(a.product, a.component)})` },
    { label: t('evm_months_left'), num: true, cell: (a) => dec(a.months_to_expiry, 1) },
    { label: t('evm_sent'), num: true, cell: (a) => num(a.sent) },
    { label: t('evm_received'), num: true, cell: (a) => num(a.received) },
    { label: `${t('evm_short')} / ${t('evm_damaged')} / ${t('evm_vvm_failed')}`, num: true, cell: (a) => `${num(a.short)} / ${num(a.damaged)} / ${num(a.vvm_failed)}` },
    { label: t('evm_vvm'), num: true, cell: (a) => (a.vvm_stage ? String(a.vvm_stage) : '–') },
    { label: t('evm_transit'), num: true, cell: (a) => (a.international ? t('evm_intl') : dec(a.transit_hours, 1)) },
    { label: t('cc_excursion'), cell: (a) => a.excursion || '' },
  ], rows)];
}

async function temperature(region, month) {
  const res = await get('evm/temperature', { region, month });
  const rows = list(res, 'equipment');
  return [h('p', { class: 'muted', id: 'evm-month-shown' }, res.month), table([
    { label: t('cc_equipment'), cell: (c) => h('a', { href: href('equipment/' + encodeURIComponent(c.equipment)) }, c.equipment) },
    { label: t('place'), cell: (c) => c.place },
    { label: t('cc_range'), cell: (c) => `${degrees(c.range_min_c)} … ${degrees(c.range_max_c)}` },
    { label: t('cc_monitored'), num: true, cell: (c) => `${dec(c.hours_monitored, 0)} (${dec(c.coverage_percent, 0)} %)` },
    { label: t('cc_in_range'), num: true, cell: (c) => (c.readings ? dec(c.in_range_percent, 1) + ' %' : '–') },
    { label: `${t('cc_min')} / ${t('cc_max')}`, num: true, cell: (c) => (c.readings ? `${degrees(c.min_c)} / ${degrees(c.max_c)}` : '–') },
    { label: `${t('evm_heat')} / ${t('evm_cold')} / ${t('evm_silent')}`, num: true, cell: (c) => `${num(c.heat_alarms)} / ${num(c.cold_alarms)} / ${num(c.silent_alarms)}` },
    { label: t('evm_response'), num: true, cell: (c) => (c.median_response_minutes == null ? '–' : `${num(c.median_response_minutes)} / ${num(c.max_response_minutes)}`) },
    { label: t('evm_unack'), num: true, cell: (c) => (c.unacknowledged ? h('strong', { class: 'bad' }, num(c.unacknowledged)) : '0') },
  ], rows)];
}

async function stock(region, asOf) {
  const res = await get('evm/stock', { region, as_of: asOf });
  const rows = list(res, 'lines');
  const reasons = res.written_off_by_reason || {};
  return [h('p', { class: 'muted' }, date(res.as_of)), table([
    { label: t('place'), cell: (l) => l.place },
    { label: t('product'), cell: (l) => productName(l.product) },
    { label: t('evm_received'), num: true, cell: (l) => num(l.received) },
    { label: t('evm_issued'), num: true, cell: (l) => num(l.issued) },
    { label: t('administered'), num: true, cell: (l) => num(l.administered) },
    { label: t('evm_onhand'), num: true, cell: (l) => num(l.on_hand) },
    { label: t('evm_unusable'), num: true, cell: (l) => num(l.unusable) },
    { label: t('evm_wasted'), num: true, cell: (l) => num(l.wasted) },
    { label: t('evm_wr'), num: true, cell: (l) => (l.wastage_rate == null ? '–' : dec(l.wastage_rate, 1) + ' %') },
  ], rows),
  h('h3', {}, t('evm_by_reason')),
  table([
    { label: t('product'), cell: (x) => productName(x[0]) },
    { label: t('reason'), cell: (x) => Object.entries(x[1]).map(([k, v]) => `${k}: ${num(v)}`).join('; ') },
  ], Object.entries(reasons))];
}

async function equipment(region) {
  const res = await get('evm/equipment', { region });
  const byRegion = Object.entries(res.by_region || {}).sort();
  return [table([
    { label: t('region'), cell: (x) => (x[0] === 'national' ? t('national_wh') : rname(x[0])) },
    { label: t('eqs_working'), num: true, cell: (x) => num(x[1].working || 0) },
    { label: t('eqs_needs_repair'), num: true, cell: (x) => num(x[1].needs_repair || 0) },
    { label: t('eqs_broken'), num: true, cell: (x) => num(x[1].broken || 0) },
  ], byRegion),
  table([
    { label: 'ID', cell: (e) => e.id },
    { label: t('place'), cell: (e) => e.place },
    { label: t('cc_type'), cell: (e) => t('eq_' + e.type) },
    { label: t('cc_pqs'), cell: (e) => e.pqs || '–' },
    { label: t('cc_litres'), num: true, cell: (e) => num(e.net_litres) },
    { label: t('cc_used'), num: true, cell: (e) => dec(e.used_litres, 1) },
    { label: t('cc_status'), cell: (e) => t('eqs_' + e.status) },
    { label: t('cc_open'), num: true, cell: (e) => num(e.open_alarms) },
  ], res.equipment || [])];
}
