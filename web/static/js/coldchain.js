// Cold-chain screens: the equipment of the places in scope with their open
// alarms (GET equipment, alarms), one piece of equipment with its
// temperature history (GET equipment/{id}/readings), lots held, alarms to
// acknowledge, VVM records and status changes, and the import of 30-day
// recorder files (POST temperature/import). The header has one "Cold chain"
// tab; its views (equipment, replenishment in replenish.js, EVM reports in
// evm.js) are the tabs of sectionTabs. Links go through href, so the day
// chosen in the header travels with them.

import { t, num, dec, date, shortDate, productName } from './i18n.js';
import { get, post, postRaw, list, clearCache } from './api.js';
import { el, chartWidth } from './charts.js';
import { h, app, table, field, clearErrors, showError, ok, go, href, regions, rname, canWrite, errorBox } from './app.js';

/** COLD_CHAIN_VIEWS are the routes under the header's "Cold chain" tab. */
export const COLD_CHAIN_VIEWS = ['coldchain', 'equipment', 'requisitions', 'evm'];

/** sectionTabs links the cold-chain views (the region filter travels with them). */
export function sectionTabs(cur, r) {
  const region = r.q.get('region') || null;
  const views = [['coldchain', 'cc_tab_equipment'], ['requisitions', 'nav_requisitions'], ['evm', 'nav_evm']];
  return h('nav', { class: 'tabs section-tabs no-print', 'aria-label': t('nav_coldchain') }, views.map(([v, k]) =>
    h('a', { href: href(v, { region }), 'aria-current': v === cur ? 'page' : null, 'data-view': v }, t(k))));
}

/** pair keeps a filter's label and control together when a form wraps. */
export function pair(label, control) { return h('span', { class: 'pair' }, label, control); }

/** lotLabel: "Sputnik V · I" for a product code and component. */
export function lotLabel(product, component) { return `${productName(product)} · ${component}`; }

/** when formats an instant in UTC (the ledger's clock) for display: the day as the rest of the dashboard writes it, then hh:mm. */
export function when(s) {
  if (!s) return '–';
  const d = new Date(s);
  if (Number.isNaN(d.getTime())) return String(s);
  return `${date(d.toISOString())}, ${d.toISOString().slice(11, 16)} UTC`;
}

export function degrees(c) { return c == null ? '–' : (c > 0 ? '+' : '') + dec(c, 1) + ' °C'; }

function statusBadge(s) { return h('span', { class: 'cc-status ' + s, 'data-status': s }, t('eqs_' + s)); }
function kindLabel(k) { return t('cc_kind_' + k); }

/** scopeForm: region (for national users) and place filters, kept in the hash with the day. */
function scopeForm(route, r, extra = []) {
  const region = h('select', { id: 'cc-region', name: 'region' }, h('option', { value: '' }, t('national')));
  for (const g of app.regions || []) if (!g.valid_from) region.append(h('option', { value: g.code, selected: g.code === r.q.get('region') ? true : null }, rname(g.code)));
  const place = h('input', { id: 'cc-place', name: 'place', value: r.q.get('place') || '', size: 12, placeholder: 'VP-…' });
  const form = h('form', { class: 'inline no-print', onsubmit: (e) => {
    e.preventDefault();
    const q = { region: region.value, place: place.value.trim() };
    for (const x of extra) q[x.name] = x.value;
    go(href(route, q));
  } }, pair(h('label', { for: 'cc-region' }, t('region')), region), pair(h('label', { for: 'cc-place' }, t('place')), place), ...extra.map((x) => pair(h('label', { for: x.id }, x.dataset.label), x)), h('button', { type: 'submit' }, t('cc_show')));
  return form;
}

function params(r) { return { region: r.q.get('region') || '', place: r.q.get('place') || '' }; }

// ---------- the equipment list ----------

export async function coldchainScreen(r) {
  await regions();
  const [eqs, alarms, tel] = await Promise.all([get('equipment', params(r)), get('alarms', params(r)), get('telemetry').catch(() => null)]);
  const items = list(eqs, 'equipment');
  // open alarms first, then the latest others
  const all = list(alarms, 'alarms');
  const open = all.filter((a) => !a.cleared || !a.acknowledged).concat(all.filter((a) => a.cleared && a.acknowledged)).slice(0, 20);
  return h('div', { class: 'screen coldchain', 'data-count': items.length },
    sectionTabs('coldchain', r),
    h('div', { class: 'title-row' }, h('h1', {}, t('cc_title')), scopeForm('coldchain', r)),
    alarmsCard(open, true),
    h('section', { class: 'card', id: 'equipment' }, h('h2', {}, t('cc_equipment') + ` (${num(items.length)})`), equipmentTable(items)),
    tel ? h('p', { class: 'muted', id: 'telemetry' }, `${t('cc_telemetry')}: ` + (tel.running ? `${num(tel.received)} ${t('cc_received')}, ${num(Object.values(tel.refused || {}).reduce((a, b) => a + b, 0))} ${t('cc_refused')}, ` : '') + `${num(tel.readings_stored_total)} ${t('cc_stored')}`) : null,
    canWrite() ? importCard() : null);
}

function equipmentTable(items) {
  return table([
    { label: 'ID', cell: (e) => h('a', { href: href('equipment/' + encodeURIComponent(e.id)), class: 'eq-link' }, e.id) },
    { label: t('place'), cell: (e) => e.place },
    { label: t('cc_type'), cell: (e) => t('eq_' + e.type) },
    { label: t('cc_pqs'), cell: (e) => e.pqs || '–' },
    { label: t('cc_range'), cell: (e) => `${degrees(e.min_c)} … ${degrees(e.max_c)}` },
    { label: t('cc_litres'), num: true, cell: (e) => num(e.net_litres) },
    { label: t('cc_used'), num: true, cell: (e) => dec(e.used_litres, 1) },
    { label: t('cc_status'), cell: (e) => statusBadge(e.status) },
    { label: t('cc_device'), cell: (e) => e.device || '–' },
    { label: t('cc_open'), num: true, cell: (e) => (e.open_alarms ? h('strong', { class: 'bad' }, num(e.open_alarms)) : '0') },
  ], items);
}

function alarmsCard(alarms, withEquipment) {
  const body = alarms.length ? h('ul', { class: 'alarm-list' }, alarms.map((a) => alarmItem(a, withEquipment))) : h('p', {}, t('cc_no_alarms'));
  return h('section', { class: 'card alarms', id: 'alarms', 'data-count': alarms.length, 'data-open': alarms.filter((a) => !a.cleared).length }, h('h2', {}, t('cc_alarms')), body);
}

function alarmItem(a, withEquipment) {
  const head = h('div', { class: 'alarm-head' },
    h('strong', { class: 'alarm-kind ' + a.kind }, kindLabel(a.kind)), ' ',
    withEquipment ? h('a', { href: href('equipment/' + encodeURIComponent(a.equipment)) }, a.equipment) : null, withEquipment ? ` (${a.place}) · ` : '',
    `${t('cc_started')} ${when(a.started)} · ${t('cc_detected')} ${when(a.detected)}`,
    a.cleared ? ` · ${t('cc_ended')} ${when(a.ended)}` : '',
    a.kind !== 'silent' ? ` · ${degrees(a.min_c)} … ${degrees(a.max_c)}, ${num(a.minutes)} ${t('cc_minutes').toLowerCase()}` : '',
    a.excursion ? h('span', { class: 'excursion' }, ` · ${t('cc_excursion')} ${a.excursion}`) : '');
  const notes = (a.comments || []).map((c) => h('p', { class: 'ack' }, `${t('cc_acked', { by: c.by })}, ${when(c.at)}: ${c.comment}`));
  let form = null;
  if (!a.acknowledged && canWrite()) {
    const comment = h('input', { type: 'text', required: true, maxlength: 1000, size: 40 });
    form = h('form', { class: 'inline ack-form no-print', 'data-alarm': a.alarm, onsubmit: async (e) => {
      e.preventDefault();
      clearErrors(form);
      try {
        await post('alarms/' + encodeURIComponent(a.alarm) + '/acknowledge', { comment: comment.value });
        clearCache();
        ok(form, t('cc_ack_saved'));
        setTimeout(() => window.dispatchEvent(new HashChangeEvent('hashchange')), 300);
      } catch (err) { showError(form, err); }
    } }, field('comment', t('cc_comment'), comment, t('cc_ack_help')), h('button', { type: 'submit', class: 'primary' }, t('cc_ack')), h('p', { class: 'form-status', role: 'status' }));
  }
  return h('li', { class: 'alarm ' + (a.cleared ? 'cleared' : 'open'), 'data-alarm': a.alarm }, head, notes, form);
}

// ---------- recorder file import ----------

function importCard() {
  const file = h('input', { type: 'file', accept: '.txt,.csv,text/plain,text/csv', required: true });
  const offset = h('input', { type: 'text', value: '+06:00', size: 7, pattern: '[+\\-][0-9]{2}:[0-9]{2}' });
  const out = h('div', { class: 'import-report' });
  const form = h('form', { class: 'card', id: 'import-form', onsubmit: async (e) => {
    e.preventDefault();
    clearErrors(form);
    out.replaceChildren();
    const f = file.files[0];
    if (!f) return;
    try {
      const text = await f.text();
      const q = new URLSearchParams({ name: f.name, utc_offset: offset.value });
      const rep = await postRaw('temperature/import?' + q, text, 'text/plain');
      clearCache();
      ok(form, t('cc_import_done', { file: rep.file, stored: num(rep.stored), dup: num(rep.duplicates), ref: num(rep.refused), days: num(rep.days) }));
      const shown = (rep.rows || []).filter((x) => x.status === 'refused' || x.alarm);
      out.replaceChildren(
        ...(rep.warnings || []).map((w) => h('p', { class: 'warn' }, w)),
        table([
          { label: t('cc_line'), num: true, cell: (x) => num(x.line) },
          { label: t('cc_status'), cell: (x) => x.status },
          { label: t('occurred'), cell: (x) => x.at || '' },
          { label: t('cc_reason'), cell: (x) => [x.reason, x.message].filter(Boolean).join(': ') },
          { label: t('cc_alarms'), cell: (x) => (x.alarm ? `${x.alarm_event} ${x.alarm}` : '') },
        ], shown));
    } catch (err) { showError(form, err); }
  } },
  h('h2', {}, t('cc_import')), h('p', { class: 'help' }, t('cc_import_help')),
  field('file', t('cc_file'), file), field('utc_offset', t('cc_offset'), offset),
  h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, t('cc_import_btn'))),
  h('p', { class: 'form-status', role: 'status' }), out);
  return form;
}

// ---------- one piece of equipment ----------

export async function equipmentScreen(r) {
  await regions();
  const id = r.args[0];
  const d = await get('equipment/' + encodeURIComponent(id), null, { fresh: true });
  const range = {};
  if (r.q.get('from')) range.from = r.q.get('from');
  if (r.q.get('to')) range.to = r.q.get('to');
  let hist = null;
  let histErr = null;
  if (d.device) {
    try { hist = await get('equipment/' + encodeURIComponent(id) + '/readings', range, { fresh: true }); } catch (e) { histErr = e; }
  }
  const rule = d.rule || {};
  const ruleText = [t('cc_rule_text', { heat: dec(rule.heat_above_c, 1), hmin: num((rule.heat_for || 0) / 6e10) })]
    .concat(rule.cold_for ? [t('cc_rule_cold', { cold: dec(rule.cold_at_or_below_c, 1), cmin: num(rule.cold_for / 6e10) })] : []).join('; ');
  const info = h('section', { class: 'card', id: 'eq-info' }, h('dl', { class: 'facts' },
    fact(t('place'), d.place), fact(t('cc_type'), t('eq_' + d.type)), fact(t('cc_pqs'), d.pqs || '–'),
    fact(t('cc_range'), `${degrees(d.min_c)} … ${degrees(d.max_c)}`), fact(t('cc_litres'), num(d.net_litres)), fact(t('cc_used'), dec(d.used_litres, 1)),
    fact(t('cc_status'), statusBadge(d.status)), fact(t('cc_device'), d.device || '–'), fact(t('cc_rule'), ruleText),
    fact(t('cc_last'), d.last_reading ? `${degrees(d.last_reading.c)}, ${when(d.last_reading.at)}` : '–')));
  return h('div', { class: 'screen equipment', 'data-equipment': id },
    sectionTabs('coldchain', r),
    h('div', { class: 'title-row' }, h('h1', {}, `${t('eq_' + d.type)} ${id}`), h('a', { href: href('coldchain', { place: d.place }), class: 'no-print', id: 'place-equipment' }, t('cc_place_equipment', { place: d.place }))),
    info,
    hist ? historyCard(id, hist) : histErr ? errorBox(histErr) : null,
    alarmsCard(d.alarms || [], false),
    h('section', { class: 'card', id: 'held' }, h('h2', {}, t('cc_held')), table([
      { label: t('lot'), cell: (l) => l.lot },
      { label: t('product'), cell: (l) => lotLabel(l.product, l.component) },
      { label: t('expiry'), cell: (l) => date(l.expiry) },
      { label: t('doses_h'), num: true, cell: (l) => num(l.doses) },
      { label: t('held'), cell: (l) => l.held || '' },
    ], d.lots_held || [])),
    capacityCard(d.place_capacity),
    canWrite() ? h('div', { class: 'two-col no-print' }, vvmForm(d), changeForm(d)) : null);
}

function fact(k, v) { return [h('dt', {}, k), h('dd', {}, v)]; }

function historyCard(id, hist) {
  const c = hist.compliance || {};
  // the "to" field is the last day shown (the API's to is exclusive)
  const DAY = 86400000;
  const from = (hist.from || '').slice(0, 10), to = new Date(Date.parse(hist.to) - 1000).toISOString().slice(0, 10);
  const fIn = h('input', { type: 'date', id: 'h-from', value: from });
  const tIn = h('input', { type: 'date', id: 'h-to', value: to });
  const form = h('form', { class: 'inline no-print', onsubmit: (e) => {
    e.preventDefault();
    const end = new Date(Date.parse(tIn.value + 'T00:00:00Z') + DAY).toISOString().slice(0, 10);
    go(href('equipment/' + encodeURIComponent(id), { from: fIn.value, to: end }));
  } },
    pair(h('label', { for: 'h-from' }, t('cc_from')), fIn), pair(h('label', { for: 'h-to' }, t('cc_to')), tIn), h('button', { type: 'submit' }, t('cc_show')));
  return h('section', { class: 'card', id: 'history', 'data-points': (hist.t || []).length },
    h('div', { class: 'title-row' }, h('h2', {}, t('cc_history')), form),
    (hist.t || []).length ? tempChart(hist, t('cc_chart_caption', { id })) : h('p', {}, t('cc_no_readings')),
    h('div', { class: 'figures' },
      fig('in-range', t('cc_in_range'), c.in_range_percent == null ? '–' : dec(c.in_range_percent, 1) + ' %'),
      fig('monitored', t('cc_monitored'), dec(c.hours_monitored, 1)),
      fig('coverage', t('cc_coverage'), dec(c.coverage_percent, 1) + ' %'),
      fig('min', t('cc_min'), degrees(c.min_c)), fig('max', t('cc_max'), degrees(c.max_c)),
      fig('readings', t('cc_readings'), num(hist.count))));
}

function fig(k, label, v) { return h('div', { class: 'figure', 'data-k': k }, h('div', { class: 'fig-label' }, label), h('div', { class: 'fig-value' }, v)); }

/**
 * tempChart draws the temperature over time (°C, negative values allowed):
 * the storage range as a band, alarms as shaded spans, the readings as a
 * line (with a min/max envelope when the answer was downsampled). Like the
 * other charts it is drawn at the width it is shown at, so its text stays
 * 11 px on a phone.
 */
export function tempChart(hist, caption) {
  const W = chartWidth(), H = W < 500 ? 220 : 280, L = 40, R = 10, T = 10, B = 26;
  const ts = hist.t, cs = hist.c;
  const t0 = Date.parse(hist.from) / 1000, t1 = Date.parse(hist.to) / 1000;
  const lo = Math.min(hist.range_min_c, ...(hist.min || cs)), hi = Math.max(hist.range_max_c, ...(hist.max || cs));
  const pad = Math.max(1, (hi - lo) * 0.08);
  const y0 = Math.floor(lo - pad), y1 = Math.ceil(hi + pad);
  const x = (s) => L + ((s - t0) / Math.max(1, t1 - t0)) * (W - L - R);
  const y = (c) => T + (H - T - B) * (1 - (c - y0) / Math.max(1, y1 - y0));
  const svg = el('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': caption, class: 'chart-svg temp-chart' }, el('title', {}, caption));
  svg.append(el('rect', { x: L, y: y(hist.range_max_c), width: W - L - R, height: Math.max(0, y(hist.range_min_c) - y(hist.range_max_c)), class: 'range-band' }));
  for (const a of hist.alarms || []) {
    const s = Date.parse(a.started) / 1000, e = a.cleared ? Date.parse(a.ended) / 1000 : t1;
    const r = el('rect', { x: x(Math.max(s, t0)), y: T, width: Math.max(2, x(Math.min(e, t1)) - x(Math.max(s, t0))), height: H - T - B, class: 'alarm-span ' + a.kind, 'data-alarm': a.alarm });
    r.append(el('title', {}, `${kindLabel(a.kind)}: ${when(a.started)}`));
    svg.append(r);
  }
  const step = niceStep((y1 - y0) / 5);
  for (let v = Math.ceil(y0 / step) * step; v <= y1; v += step) {
    svg.append(el('line', { x1: L, x2: W - R, y1: y(v), y2: y(v), class: 'grid' }));
    svg.append(el('text', { x: L - 4, y: y(v) + 4, 'text-anchor': 'end', class: 'tick' }, (v > 0 ? '+' : '') + v));
  }
  const days = Math.max(1, Math.round((t1 - t0) / 86400));
  const every = Math.max(1, Math.ceil(days / Math.max(2, Math.floor((W - L - R) / 64)))) * 86400;
  for (let s = Math.ceil(t0 / 86400) * 86400; s <= t1; s += every) {
    svg.append(el('text', { x: x(s), y: H - 8, 'text-anchor': 'middle', class: 'tick' }, shortDate(new Date(s * 1000).toISOString())));
  }
  if (hist.min && hist.max) {
    const d = ts.map((s, i) => (i ? 'L' : 'M') + x(s).toFixed(1) + ',' + y(hist.max[i]).toFixed(1)).join('') +
      ts.slice().reverse().map((s, k) => 'L' + x(s).toFixed(1) + ',' + y(hist.min[ts.length - 1 - k]).toFixed(1)).join('') + 'Z';
    svg.append(el('path', { d, class: 'envelope' }));
  }
  // break the line where readings are more than an hour apart
  let d = '';
  for (let i = 0; i < ts.length; i++) d += (i && ts[i] - ts[i - 1] <= 3600 * (hist.min ? 24 : 1) ? 'L' : 'M') + x(ts[i]).toFixed(1) + ',' + y(cs[i]).toFixed(1);
  svg.append(el('path', { d, class: 'temp-line' }));
  const fig = document.createElement('figure');
  fig.className = 'chart';
  const cap = document.createElement('figcaption');
  cap.textContent = caption;
  fig.append(cap, svg);
  return fig;
}

function niceStep(v) {
  const p = Math.pow(10, Math.floor(Math.log10(Math.max(v, 0.1))));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

export function capacityCard(c) {
  if (!c || !(c.lines || []).length) return null;
  return h('section', { class: 'card', id: 'capacity', 'data-overfull': String(!!c.overfull) }, h('h2', {}, `${t('cc_capacity')}: ${c.place}`),
    c.overfull ? h('p', { class: 'warn' }, t('cc_overfull')) : null, table([
    { label: t('cc_type'), cell: (l) => t('cc_' + l.class) },
    { label: t('cc_equipment'), num: true, cell: (l) => num(l.equipment) },
    { label: t('cc_litres'), num: true, cell: (l) => dec(l.net_litres, 1) },
    { label: t('cc_used'), num: true, cell: (l) => dec(l.used_litres, 1) },
    { label: t('in_transit'), num: true, cell: (l) => dec(l.inbound_litres, 1) },
    { label: t('cc_free'), num: true, cell: (l) => (l.free_litres < 0 ? h('strong', { class: 'bad' }, dec(l.free_litres, 1)) : dec(l.free_litres, 1)) },
  ], c.lines));
}

function vvmForm(d) {
  const lots = d.lots_held || [];
  const lot = h('select', { required: true }, lots.map((l) => h('option', { value: l.lot }, `${l.lot} (${num(l.doses)})`)));
  const stage = h('select', {}, [1, 2, 3, 4].map((s) => h('option', { value: s }, String(s))));
  const doses = h('input', { type: 'number', min: 0, value: 0 });
  const ctx = h('select', {}, ['count', 'inspection'].map((c) => h('option', { value: c }, t('vvm_' + c))));
  const form = h('form', { class: 'card', id: 'vvm-form', onsubmit: async (e) => {
    e.preventDefault();
    clearErrors(form);
    try {
      const res = await post('vvm', { place: d.place, lot: lot.value, stage: +stage.value, doses: +doses.value, context: ctx.value });
      ok(form, t('cc_vvm_saved', { n: num(res.data?.written_off || 0) }));
    } catch (err) { showError(form, err); }
  } }, h('h2', {}, t('cc_vvm')), field('lot', t('lot'), lot), field('stage', t('cc_stage'), stage, t('cc_vvm_help')),
  field('doses', t('doses_h'), doses), field('context', t('cc_context'), ctx),
  h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary', disabled: lots.length ? null : true }, t('save'))), h('p', { class: 'form-status', role: 'status' }));
  return form;
}

function changeForm(d) {
  const status = h('select', {}, ['working', 'needs_repair', 'broken'].map((s) => h('option', { value: s, selected: s === d.status ? true : null }, t('eqs_' + s))));
  const reason = h('input', { type: 'text', required: true, size: 30 });
  const form = h('form', { class: 'card', id: 'change-form', onsubmit: async (e) => {
    e.preventDefault();
    clearErrors(form);
    const eq = { id: d.id, place: d.place, type: d.type, name: d.name, pqs: d.pqs, model: d.model, min_c: d.min_c, max_c: d.max_c, net_litres: d.net_litres, status: status.value, device: d.device, heat_minutes: d.heat_minutes, cold_minutes: d.cold_minutes };
    try {
      await post('equipment/' + encodeURIComponent(d.id) + '/change', { equipment: eq, reason: reason.value });
      ok(form, t('cc_saved'));
    } catch (err) { showError(form, err, { 'equipment.status': 'status' }); }
  } }, h('h2', {}, t('cc_change')), field('status', t('cc_status'), status), field('reason', t('cc_change_reason'), reason),
  h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, t('save'))), h('p', { class: 'form-status', role: 'status' }));
  return form;
}
