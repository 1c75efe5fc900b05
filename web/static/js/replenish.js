// Replenishment screen: stock against min/max in weeks of supply with
// warnings (GET replenishment), requisitions made and received in scope
// (GET requisitions) with review (edit, approve, reject with a reason),
// FEFO fulfilment and a form for a new requisition (POST requisitions).
// Levels are computed for the day chosen in the header (as_of in the URL).

import { t, num, dec, date } from './i18n.js';
import { get, post, list, clearCache } from './api.js';
import { h, app, table, field, clearErrors, showError, ok, go, href, days, regions, rname, canWrite } from './app.js';
import { capacityCard, sectionTabs, lotLabel, pair } from './coldchain.js';

function warnBadge(w) { return w ? h('span', { class: 'cc-warn ' + w, 'data-warning': w }, t('w_' + w)) : ''; }
function reqBadge(s) { return h('span', { class: 'cc-req ' + s, 'data-status': s }, t('rqs_' + s)); }
function lineText(ls) { return (ls || []).map((l) => `${lotLabel(l.product, l.component)}: ${num(l.doses)}`).join('; '); }

export async function requisitionsScreen(r) {
  await regions();
  const { asOf } = await days(r);
  const q = { region: r.q.get('region') || '', place: r.q.get('place') || '', as_of: asOf };
  const onlyWarn = r.q.get('warning') !== 'all';
  const [lv, rqs] = await Promise.all([get('replenishment', { ...q, warning: onlyWarn ? 'any' : '' }), get('requisitions', { place: q.place, region: q.region })]);
  const levels = list(lv, 'levels');
  const reqs = list(rqs, 'requisitions');
  const toggle = h('a', { href: href('requisitions', { region: q.region, place: q.place, warning: onlyWarn ? 'all' : null }), class: 'no-print', id: 'warning-toggle' }, onlyWarn ? t('rq_all_levels') : t('rq_only_warn'));
  return h('div', { class: 'screen requisitions', 'data-levels': levels.length, 'data-requisitions': reqs.length },
    sectionTabs('requisitions', r),
    h('div', { class: 'title-row' }, h('h1', {}, t('rq_title')), filterForm(q)),
    h('section', { class: 'card', id: 'levels' }, h('div', { class: 'title-row' }, h('h2', {}, `${t('rq_levels')} · ${date(asOf)}`), toggle), levelsTable(levels)),
    h('section', { class: 'card', id: 'requisition-list' }, h('h2', {}, t('rq_list')), reqTable(reqs, asOf)),
    canWrite() ? newForm(q, asOf) : null);
}

/** filterForm: region and place (the day is the header's). */
function filterForm(q) {
  const region = h('select', { id: 'rq-region' }, h('option', { value: '' }, t('national')));
  for (const g of app.regions || []) if (!g.valid_from) region.append(h('option', { value: g.code, selected: g.code === q.region ? true : null }, rname(g.code)));
  const place = h('input', { id: 'rq-place', value: q.place, size: 12, placeholder: 'VP-…' });
  return h('form', { class: 'inline no-print', onsubmit: (e) => {
    e.preventDefault();
    go(href('requisitions', { region: region.value, place: place.value.trim() }));
  } }, pair(h('label', { for: 'rq-region' }, t('region')), region), pair(h('label', { for: 'rq-place' }, t('place')), place), h('button', { type: 'submit' }, t('cc_show')));
}

function levelsTable(levels) {
  return table([
    { label: t('place'), cell: (l) => h('a', { href: href('requisitions', { place: l.place }) }, l.place) },
    { label: t('product'), cell: (l) => lotLabel(l.product, l.component) },
    { label: t('rq_need'), num: true, cell: (l) => dec(l.weekly_need, 1) },
    { label: t('rq_stock'), num: true, cell: (l) => num(l.stock) },
    { label: t('rq_weeks'), num: true, cell: (l) => (l.weeks_of_supply == null ? '–' : dec(l.weeks_of_supply, 1)) },
    { label: `${t('rq_min')} / ${t('rq_reorder')} / ${t('rq_max')}`, num: true, cell: (l) => `${num(l.min)} / ${num(l.reorder)} / ${num(l.max)}` },
    { label: t('rq_inbound'), num: true, cell: (l) => `${num(l.inbound_push)} / ${num(l.inbound_pull)}` },
    { label: t('rq_pending'), num: true, cell: (l) => num(l.pending) },
    { label: t('rq_warning'), cell: (l) => warnBadge(l.warning) },
    { label: t('rq_suggested'), num: true, cell: (l) => (l.suggested ? num(l.suggested) : '') },
  ], levels);
}

function reqTable(reqs, asOf) {
  return table([
    { label: t('rq_id'), cell: (x) => reqDetails(x, asOf) },
    { label: t('rq_place'), cell: (x) => x.place },
    { label: t('rq_supplier'), cell: (x) => x.supplier },
    { label: t('rq_date'), cell: (x) => date(x.occurred) },
    { label: t('rq_lines'), cell: (x) => lineText(x.lines) },
    { label: t('rq_shipped'), cell: (x) => lineText((x.shipped || []).filter((l) => l.doses > 0)) },
    { label: t('cc_status'), cell: (x) => [reqBadge(x.status), x.decision_note ? h('div', { class: 'muted' }, x.decision_note) : null] },
  ], reqs);
}

/** reqDetails loads the requisition (FEFO proposal, capacity) when opened and offers the review actions. */
function reqDetails(x, asOf) {
  const box = h('div', { class: 'rq-detail' });
  const det = h('details', { class: 'rq', 'data-requisition': x.requisition }, h('summary', {}, x.requisition), box);
  let loaded = false;
  det.addEventListener('toggle', async () => {
    if (!det.open || loaded) return;
    loaded = true;
    try {
      const v = await get('requisitions/' + encodeURIComponent(x.requisition), null, { fresh: true });
      box.replaceChildren(...detailBody(v, asOf));
    } catch (e) { box.replaceChildren(h('p', { class: 'error' }, e.message)); }
  });
  return det;
}

function detailBody(v, asOf) {
  const out = [];
  if ((v.edits || []).length) out.push(h('p', { class: 'muted' }, v.edits.map((e) => `${lineText(e.lines)} — ${e.reason}`).join(' · ')));
  if ((v.fulfilment || []).length) {
    out.push(h('h3', {}, t('rq_proposal')), table([
      { label: t('lot'), cell: (l) => l.lot },
      { label: t('doses_h'), num: true, cell: (l) => num(l.doses) },
    ], v.fulfilment));
  }
  if (v.capacity?.overfill) out.push(h('p', { class: 'warn', 'data-overfill': 'true' }, t('rq_capacity_warn', { place: v.place })));
  if (v.capacity) out.push(capacityCard(v.capacity));
  if (!canWrite()) return out;
  const status = h('p', { class: 'form-status', role: 'status' });
  const act = (path, body) => async (e) => {
    e.preventDefault();
    const form = e.target.closest('form');
    clearErrors(form);
    try {
      await post('requisitions/' + encodeURIComponent(v.requisition) + '/' + path, body());
      clearCache();
      ok(form, t('rq_done'));
      setTimeout(() => window.dispatchEvent(new HashChangeEvent('hashchange')), 300);
    } catch (err) { showError(form, err); }
  };
  if (v.status === 'submitted') {
    const reason = h('input', { type: 'text', size: 30 });
    const doses = (v.lines || []).map((l) => h('input', { type: 'number', min: 1, value: l.doses, 'data-product': l.product, 'data-component': l.component, 'aria-label': lotLabel(l.product, l.component) }));
    out.push(h('form', { class: 'inline rq-actions', onsubmit: act('approve', () => ({})) }, h('button', { type: 'submit', class: 'primary', 'data-action': 'approve' }, t('rq_approve')), status));
    out.push(h('form', { class: 'inline rq-actions', onsubmit: act('edit', () => ({ reason: reason.value, lines: doses.map((d) => ({ product: d.dataset.product, component: d.dataset.component, doses: +d.value })) })) },
      ...doses, field('reason', t('rq_reason'), reason), h('button', { type: 'submit', 'data-action': 'edit' }, t('rq_edit')), h('p', { class: 'form-status', role: 'status' })));
    const why = h('input', { type: 'text', size: 30 });
    out.push(h('form', { class: 'inline rq-actions', onsubmit: act('reject', () => ({ reason: why.value })) }, field('reason', t('rq_reason'), why), h('button', { type: 'submit', 'data-action': 'reject' }, t('rq_reject')), h('p', { class: 'form-status', role: 'status' })));
  }
  if (v.status === 'approved' || v.status === 'partly_fulfilled') {
    const day = h('input', { type: 'date', value: (v.occurred || asOf).slice(0, 10) });
    out.push(h('form', { class: 'inline rq-actions', onsubmit: act('fulfil', () => ({ occurred: day.value + 'T16:00:00Z' })) },
      field('occurred', t('rq_date'), day), h('button', { type: 'submit', class: 'primary', 'data-action': 'fulfil' }, t('rq_fulfil')), h('p', { class: 'form-status', role: 'status' })));
  }
  return out;
}

function newForm(q, asOf) {
  const place = h('input', { type: 'text', required: true, value: q.place || app.me?.place || '', size: 14 });
  const fromStock = h('input', { type: 'checkbox', checked: true });
  const product = h('input', { type: 'text', value: 'sputnik-v', size: 14 });
  const component = h('input', { type: 'text', value: 'I', size: 4 });
  const doses = h('input', { type: 'number', min: 1, value: 100 });
  const day = h('input', { type: 'date', value: asOf });
  const form = h('form', { class: 'card', id: 'requisition-form', onsubmit: async (e) => {
    e.preventDefault();
    clearErrors(form);
    const body = { place: place.value.trim(), occurred: day.value + 'T12:00:00Z' };
    if (fromStock.checked) body.from_stock = true; else body.lines = [{ product: product.value.trim(), component: component.value.trim(), doses: +doses.value }];
    try {
      const res = await post('requisitions', body);
      ok(form, t('rq_created', { id: res.requisition?.requisition || '' }));
      setTimeout(() => go(href('requisitions', { place: body.place, as_of: day.value })), 400);
    } catch (err) { showError(form, err, { 'lines[0].doses': 'doses', 'lines[0].product': 'product', 'lines[0].component': 'component' }); }
  } },
  h('h2', {}, t('rq_new')), field('place', t('place'), place), field('occurred', t('rq_date'), day),
  h('label', { class: 'check' }, fromStock, ' ', t('rq_from_stock')),
  h('div', { class: 'inline' }, field('product', t('product'), product), field('component', t('component'), component), field('doses', t('rq_doses'), doses)),
  h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, t('rq_create'))), h('p', { class: 'form-status', role: 'status' }));
  return form;
}
