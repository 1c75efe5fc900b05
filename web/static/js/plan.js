// Plan screen: can the national target be reached (GET plan/reachability),
// the day-by-day forecast (GET plan/forecast), what limits each region, the
// stock-outs and expiring lots, and the allocation review (POST
// plan/allocations, then accept with edited lines, or reject).

import { t, num, pct, date } from './i18n.js';
import { get, post, list, ApiError } from './api.js';
import { lineChart } from './charts.js';
import { h, app, table, figure, clearErrors, showError, ok, go, latestDate, regions, rname, dailyRows, isoDay, isAdmin } from './app.js';

const DEFAULT_TARGET = 'T-2021-04-1M';
const DAY = 86400000;
const addDays = (d, n) => isoDay(new Date(Date.parse(d + 'T00:00:00Z') + n * DAY));
const daysBetween = (a, b) => Math.round((Date.parse(b + 'T00:00:00Z') - Date.parse(a + 'T00:00:00Z')) / DAY);
const shortDate = (s) => date(s).replace(/\s?\d{4}.*$/, '');

/** limitKey maps the API's limit names to label keys. */
function limitLabel(l) {
  const k = { uptake: 'limit_uptake', supply: 'limit_supply', 'second-dose obligations': 'limit_reserve', reserve: 'limit_reserve' }[l];
  return k ? t(k) : l || '–';
}

export async function planScreen(r) {
  await regions();
  const asOf = r.q.get('as_of') || (await latestDate());
  const target = r.q.get('target') || DEFAULT_TARGET;
  const reach = await get('plan/reachability', { target, as_of: asOf });
  const tg = reach.target || {};
  const horizon = Math.min(365, Math.max(28, (+reach.horizon || daysBetween(asOf, tg.to || asOf) + 1) + 14));
  const [fc, cov] = await Promise.all([
    get('plan/forecast', { as_of: asOf, horizon }),
    get('coverage', { from: addDays(asOf, -28), to: asOf }).catch(() => null),
  ]);

  const picker = h('input', { type: 'date', id: 'as-of', value: asOf, min: '2021-01-01', max: app.latest || undefined });
  picker.addEventListener('change', () => { if (picker.value) go('#/plan?as_of=' + picker.value); });
  const dateForm = h('form', { class: 'inline', onsubmit: (e) => { e.preventDefault(); go('#/plan?as_of=' + picker.value); } },
    h('label', { for: 'as-of' }, t('as_of')), picker, h('button', { type: 'submit' }, 'OK'));

  return h('div', { class: 'screen plan' },
    h('div', { class: 'title-row' }, h('h1', {}, t('plan_title')), dateForm),
    answerCard(reach, tg),
    forecastCard(fc, cov, tg, asOf),
    limitsCard(fc, tg),
    h('div', { class: 'two-col' }, stockOutsCard(fc), expiringCard(fc)),
    allocationCard());
}

// ---------- the answer ----------
function answerCard(reach, tg) {
  const yes = !!reach.reachable;
  const vars = { value: num(tg.value), from: date(tg.from), to: date(tg.to), forecast: num(reach.forecast ?? tg.forecast), short: num(tg.shortfall), date: date(tg.date) };
  const words = `${t(yes ? 'reach_yes' : 'reach_no')}: ${t('reach_q', vars)} ${t(yes ? (tg.date ? 'reach_met_on' : 'reach_met') : 'reach_short', vars)}`;
  const binding = reach.binding || tg.binding;
  return h('section', { class: 'card answer ' + (yes ? 'yes' : 'no'), id: 'reach', 'data-reachable': String(yes), 'aria-labelledby': 'reach-answer' },
    h('h2', {}, t('reach_title')),
    h('p', { class: 'answer-text', id: 'reach-answer' }, words),
    h('p', { class: 'binding' }, t('binding_limit') + ': ', h('strong', { class: 'limit-badge', 'data-limit': binding || '' }, limitLabel(binding)),
      tg.beyond_horizon ? h('span', { class: 'muted' }, ' · ' + t('beyond_horizon')) : null),
    h('div', { class: 'figures plan-figures' },
      figure('target', t('target'), tg.value),
      figure('forecast', t('fc_forecast'), reach.forecast ?? tg.forecast),
      figure('shortfall', t('fc_shortfall'), tg.shortfall),
      figure('first_dose_stock', t('fc_stock'), tg.first_dose_stock),
      figure('first_dose_arrivals', t('fc_arrivals'), tg.first_dose_arrivals, t('fc_arrivals_sub', { to: date(tg.to) })),
      figure('supply_max', t('fc_supply_max'), reach.supply_max ?? tg.supply_max, t('fc_supply_max_sub')),
      figure('uptake_only', t('fc_uptake'), reach.uptake_only ?? tg.uptake_only, t('fc_uptake_sub')),
      h('div', { class: 'figure', 'data-k': 'band' }, h('div', { class: 'fig-label' }, t('fc_band')),
        h('div', { class: 'fig-value' }, tg.pessimistic === tg.optimistic ? num(tg.optimistic) : `${num(tg.pessimistic)} – ${num(tg.optimistic)}`),
        h('div', { class: 'fig-sub' }, t('fc_band_sub')))),
    reach.answer ? h('details', { class: 'server-answer' }, h('summary', {}, t('reach_detail')), h('p', { lang: 'en' }, reach.answer)) : null);
}

// ---------- the forecast chart ----------
function forecastCard(fc, cov, tg, asOf) {
  const fdays = (fc.national && fc.national.days) || [];
  const start = fdays.length ? String(fdays[0].date).slice(0, 10) : asOf;
  const hist = dailyRows(cov).filter((d) => d.date < start);
  const labels = [...hist.map((d) => d.date), ...fdays.map((d) => String(d.date).slice(0, 10))];
  const nh = hist.length;
  const actual = [...hist.map((d) => d.first), ...fdays.map(() => null)];
  const fcst = [...hist.map(() => null), ...fdays.map((d) => d.first)];
  if (nh) fcst[nh - 1] = actual[nh - 1]; // join the two lines
  // The forecast gives the optimistic / pessimistic arrival scenarios as
  // totals over the target window: the band spreads them over its days in
  // proportion to the expected run.
  const inWin = (d) => tg.from && d >= tg.from && d <= tg.to;
  const f = +tg.forecast || 0;
  const lo = labels.map((d, i) => (inWin(d) && fcst[i] != null && f > 0 ? (fcst[i] * tg.pessimistic) / f : null));
  const hi = labels.map((d, i) => (inWin(d) && fcst[i] != null && f > 0 ? (fcst[i] * tg.optimistic) / f : null));
  const span = tg.from ? daysBetween(tg.from, tg.to) + 1 : 0;
  const series = [
    { name: t('fc_actual'), values: actual, color: '#1f5fa8', area: true },
    { name: t('fc_expected'), values: fcst, color: '#d9822b' },
  ];
  if (span > 0) series.push({ name: t('fc_target_rate', { value: num(tg.value), to: date(tg.to), rate: num(tg.value / span) }), values: labels.map((d) => (inWin(d) ? tg.value / span : null)), dash: true, color: '#c0392b' });
  const chart = lineChart({
    labels, series, fmt: num, xfmt: shortDate, caption: t('fc_chart'), height: 280,
    band: { name: t('fc_band_legend', { lo: num(tg.pessimistic), hi: num(tg.optimistic) }), lo, hi, color: '#d9822b' },
    marker: nh ? { i: nh, label: t('as_of') + ' ' + shortDate(asOf) } : null,
  });
  return h('section', { class: 'card', id: 'forecast' }, chart, h('p', { class: 'muted small' }, t('fc_chart_note', { scenario: fc.scenario || 'expected' })));
}

// ---------- per-region limits ----------
function limitsCard(fc, tg) {
  const lim = list(fc.limits);
  const overlaps = (x) => !tg.from || (String(x.to) >= tg.from && String(x.from) <= tg.to);
  const use = lim.some(overlaps) ? lim.filter(overlaps) : lim;
  const by = new Map();
  for (const x of use) {
    const k = x.region || '';
    if (!by.has(k)) by.set(k, { region: k, demand: 0, first: 0, shortSupply: 0, shortReserve: 0, weeks: {} });
    const a = by.get(k);
    a.demand += +x.first_demand || 0; a.first += +x.first || 0;
    a.shortSupply += +x.short_supply || 0; a.shortReserve += +x.short_reserve || 0;
    a.weeks[x.limit] = (a.weeks[x.limit] || 0) + 1;
  }
  const rows = [...by.values()].sort((a, b) => (a.region === '' ? -1 : b.region === '' ? 1 : rname(a.region).localeCompare(rname(b.region))));
  // the limit of most weeks (as the planner names the binding one); ties go to the scarcer resource
  const rank = { supply: 3, 'second-dose obligations': 2, uptake: 1 };
  const binding = (a) => Object.entries(a.weeks).sort((x, y) => y[1] - x[1] || (rank[y[0]] || 0) - (rank[x[0]] || 0))[0]?.[0] || 'uptake';
  const weeks = (a) => Object.entries(a.weeks).sort((x, y) => y[1] - x[1]).map(([l, n]) => `${limitLabel(l)} ${n}`).join(' · ');
  return h('section', { class: 'card', id: 'limits' },
    h('h2', {}, t('limits_title')),
    h('p', { class: 'muted small' }, t('limits_help', { from: date(tg.from || use[0]?.from), to: date(tg.to || use[use.length - 1]?.to) })),
    table([
      { label: t('region'), cell: (a) => (a.region ? h('a', { href: '#/region/' + a.region }, rname(a.region)) : h('strong', {}, t('national'))) },
      { label: t('lim_demand'), num: true, cell: (a) => num(a.demand) },
      { label: t('lim_first'), num: true, cell: (a) => num(a.first) },
      { label: t('lim_short_supply'), num: true, cell: (a) => (a.shortSupply ? h('span', { class: 'warn' }, num(a.shortSupply)) : num(0)) },
      { label: t('lim_short_reserve'), num: true, cell: (a) => (a.shortReserve ? h('span', { class: 'warn' }, num(a.shortReserve)) : num(0)) },
      { label: t('binding_limit'), cell: (a) => h('span', { class: 'limit-badge', 'data-limit': binding(a) }, limitLabel(binding(a))) },
      { label: t('lim_weeks'), cell: (a) => h('span', { class: 'small nowrap' }, weeks(a)) },
    ], rows));
}

// ---------- stock-outs and expiring lots ----------
function stockOutsCard(fc) {
  // one row per region and day: the API lists each product/component out of stock
  const m = new Map();
  for (const s of list(fc.stock_outs)) {
    const k = `${s.region}|${s.date}`;
    if (!m.has(k)) m.set(k, { region: s.region, date: String(s.date), keys: [], unmet: 0 });
    const a = m.get(k);
    a.keys.push(s.key);
    a.unmet = Math.max(a.unmet, +s.unmet || 0);
  }
  const first = new Map(); // the first stock-out of each region
  for (const a of [...m.values()].sort((x, y) => x.date.localeCompare(y.date))) {
    if (!first.has(a.region)) first.set(a.region, { ...a, days: 0 });
    first.get(a.region).days++;
  }
  const rows = [...first.values()];
  const nkeys = (fc.keys || []).length || Infinity;
  return h('section', { class: 'card', id: 'stock-outs', 'data-count': rows.length },
    h('h2', {}, t('stockouts_title')),
    h('p', { class: 'muted small' }, t('stockouts_help')),
    rows.length ? h('details', { class: 'small' }, h('summary', {}, t('so_which')), h('p', {}, [...new Set(list(fc.stock_outs).map((s) => s.key))].sort().join(', '))) : null,
    table([
      { label: t('region'), cell: (a) => rname(a.region) },
      { label: t('so_first'), cell: (a) => date(a.date) },
      { label: t('so_days'), num: true, cell: (a) => num(a.days) },
      { label: t('so_unmet'), num: true, cell: (a) => num(a.unmet) },
      { label: t('so_keys'), cell: (a) => h('span', { class: 'small', title: a.keys.join(', ') }, a.keys.length >= nkeys ? t('so_all', { n: nkeys }) : t('so_of', { n: a.keys.length, m: nkeys })) },
    ], rows));
}

function expiringCard(fc) {
  const rows = list(fc.expiring_lots).slice().sort((a, b) => String(a.expiry).localeCompare(String(b.expiry)));
  return h('section', { class: 'card', id: 'expiring', 'data-count': rows.length },
    h('h2', {}, t('expiring_title')),
    h('p', { class: 'muted small' }, t('expiring_help')),
    table([
      { label: t('lot'), cell: (x) => x.lot },
      { label: t('region'), cell: (x) => (x.region ? rname(x.region) : t('national_wh')) },
      { label: t('product'), cell: (x) => x.key },
      { label: t('expiry'), cell: (x) => date(x.expiry) },
      { label: t('doses_h'), num: true, cell: (x) => num(x.doses) },
    ], rows));
}

// ---------- allocation review ----------
function allocationCard() {
  // Proposals are made for the planning day (the day after the last one
  // recorded) unless a date is given: only that day's stock can be shipped.
  const day = h('input', { type: 'date', id: 'alloc-as-of', min: '2021-01-01' });
  const period = h('input', { type: 'number', id: 'alloc-period', min: 1, max: 365, step: 1, value: 14, inputmode: 'numeric' });
  const horizon = h('input', { type: 'number', id: 'alloc-horizon', min: 1, max: 365, step: 1, value: 28, inputmode: 'numeric' });
  const review = h('div', { id: 'alloc-review' });
  const admin = isAdmin();
  const form = h('form', { class: 'card', id: 'propose-form', novalidate: true, onsubmit: async (e) => {
    e.preventDefault();
    clearErrors(form);
    review.replaceChildren();
    const btn = form.querySelector('button[type=submit]');
    btn.disabled = true;
    try {
      const body = { period_days: +period.value || 0, horizon_days: +horizon.value || 0 };
      if (day.value) body.as_of = day.value;
      const pr = await post('plan/allocations', body);
      ok(form, t('alloc_proposed', { id: pr.id, n: (pr.lines || []).length }));
      review.replaceChildren(reviewForm(pr));
    } catch (err) {
      showError(form, err);
    } finally { btn.disabled = false; }
  } },
  h('h2', {}, t('alloc_title')),
  h('p', { class: 'muted small' }, t('alloc_help')),
  h('div', { class: 'inline-fields' },
    fieldInline('as_of', t('alloc_as_of'), day),
    fieldInline('period_days', t('alloc_period'), period),
    fieldInline('horizon_days', t('alloc_horizon'), horizon),
    h('button', { type: 'submit', class: 'primary', id: 'propose-btn', disabled: !admin }, t('alloc_propose'))),
  admin ? null : h('p', { class: 'note' }, t('alloc_admin_only')),
  h('p', { class: 'form-status', role: 'status' }));
  return h('div', { class: 'allocation' }, form, review);
}

function fieldInline(name, label, input) {
  input.name = name;
  const err = h('p', { class: 'field-error', id: input.id + '-err', 'data-field': name, 'aria-live': 'polite' });
  input.setAttribute('aria-describedby', err.id);
  return h('div', { class: 'field' }, h('label', { for: input.id }, label), input, err);
}

/** reviewForm lists a proposal's lines with editable doses, and Accept / Reject. */
function reviewForm(pr) {
  const lines = (pr.lines || []).map((l) => ({ ...l }));
  const admin = isAdmin();
  const inputs = [];
  const result = h('div', { id: 'alloc-result', 'aria-live': 'polite' });
  const total = h('strong', { id: 'alloc-total' }, num(lines.reduce((a, l) => a + l.doses, 0)));
  const recount = () => { total.textContent = num(inputs.reduce((a, x) => a + (+x.value || 0), 0)); };
  const rows = lines.map((l, i) => {
    const inp = h('input', { type: 'number', min: 0, step: 1, value: l.doses, name: `lines[${i}].doses`, id: `line-${i}-doses`, class: 'doses-input', inputmode: 'numeric', 'aria-label': `${t('doses')}: ${rname(l.region)} ${l.product} ${l.component}` });
    inp.addEventListener('input', () => { recount(); inp.classList.toggle('edited', +inp.value !== l.doses); });
    inputs.push(inp);
    const err = h('p', { class: 'field-error', 'data-field': `lines[${i}].doses`, id: `line-${i}-err`, 'aria-live': 'polite' });
    inp.setAttribute('aria-describedby', err.id);
    return h('tr', { 'data-line': i, 'data-region': l.region },
      h('td', { 'data-label': t('region') }, rname(l.region)),
      h('td', { 'data-label': t('product') }, `${l.product} / ${l.component}`, l.purpose ? h('div', { class: 'small muted' }, purposeLabel(l.purpose)) : null),
      h('td', { 'data-label': t('lot') }, l.lot || '–'),
      h('td', { 'data-label': t('doses'), class: 'num' }, inp, err),
      h('td', { 'data-label': t('alloc_explanation'), class: 'explanation' }, l.explanation || ''));
  });
  const tbl = h('div', { class: 'table-wrap' }, h('table', { class: 'alloc-lines' },
    h('caption', {}, t('alloc_lines', { id: pr.id })),
    h('thead', {}, h('tr', {}, [t('region'), t('product') + ' / ' + t('component'), t('lot'), t('doses_h'), t('alloc_explanation')].map((c, i) => h('th', { scope: 'col', class: i === 3 ? 'num' : null }, c)))),
    h('tbody', {}, rows.length ? rows : h('tr', {}, h('td', { colspan: 5 }, t('none'))))));
  const statusBadge = h('span', { class: 'status ' + pr.status, id: 'alloc-status' }, t('astatus_' + pr.status));
  const unalloc = Object.entries(pr.unallocated || {}).map(([k, v]) => `${k} ${num(v)}`).join(', ');
  const sum = pr.summary || {};
  const form = h('form', { class: 'card', id: 'review-form', 'data-proposal': pr.id, novalidate: true, onsubmit: (e) => e.preventDefault() });
  const canAct = admin && lines.length > 0 && pr.status === 'proposed';
  const setBusy = (b) => form.querySelectorAll('button').forEach((x) => { x.disabled = b || !canAct; });
  const done = (status) => {
    statusBadge.className = 'status ' + status;
    statusBadge.textContent = t('astatus_' + status);
    inputs.forEach((x) => { x.disabled = true; });
    form.querySelectorAll('button').forEach((x) => { x.disabled = true; });
  };
  const accept = async () => {
    clearErrors(form);
    result.replaceChildren();
    setBusy(true);
    const body = { lines: lines.map((l, i) => ({ region: l.region, product: l.product, component: l.component, lot: l.lot, doses: inputs[i].value === '' ? 0 : Math.round(+inputs[i].value), purpose: l.purpose, explanation: l.explanation })) };
    try {
      const res = await post('plan/allocations/' + encodeURIComponent(pr.id) + '/accept', body, 'alloc.accept:' + pr.id + ':' + JSON.stringify(body.lines.map((l) => l.doses)));
      done(res.status || 'accepted');
      ok(form, t('alloc_accepted_msg', { n: (res.shipments || []).length }));
      result.replaceChildren(shipmentsBox(res));
    } catch (err) {
      showError(form, err);
      if (err instanceof ApiError && err.body && err.body.proposal) {
        // partly accepted: mark the regions whose shipment was refused
        for (const sh of err.body.proposal.shipments || []) {
          if (!sh.error) continue;
          form.querySelectorAll(`tr[data-region="${CSS.escape(sh.region)}"] .field-error`).forEach((e) => { e.textContent = sh.error; });
        }
        result.replaceChildren(shipmentsBox(err.body.proposal));
        done(err.body.proposal.status || 'partial');
      } else setBusy(false);
    }
  };
  const reject = async () => {
    clearErrors(form);
    setBusy(true);
    try {
      const res = await post('plan/allocations/' + encodeURIComponent(pr.id) + '/reject', undefined, 'alloc.reject:' + pr.id);
      done(res.status || 'rejected');
      ok(form, t('alloc_rejected_msg'));
    } catch (err) { showError(form, err); setBusy(false); }
  };
  form.append(
    h('div', { class: 'title-row' }, h('h2', {}, t('alloc_review'), ' ', statusBadge), h('span', { class: 'muted small' }, `${pr.id} · ${t('as_of')} ${date(pr.as_of)}`)),
    h('p', {}, t('alloc_summary', { doses: num(sum.doses), reserve: num(sum.second_dose_reserve), share: pct(100 * (+sum.second_dose_share || 0)) }),
      unalloc ? h('span', { class: 'muted' }, ' · ' + t('alloc_unallocated') + ': ' + unalloc) : null),
    tbl,
    h('p', {}, t('alloc_total') + ': ', total),
    pr.note ? h('p', { class: 'muted small', lang: 'en' }, pr.note) : null,
    h('div', { class: 'actions' },
      h('button', { type: 'button', class: 'primary', id: 'accept-btn', disabled: !canAct, onclick: accept }, t('alloc_accept')), ' ',
      h('button', { type: 'button', id: 'reject-btn', disabled: !canAct, onclick: reject }, t('alloc_reject')),
      admin ? null : h('span', { class: 'muted small' }, ' ' + t('alloc_admin_only')),
      lines.length ? null : h('span', { class: 'muted small', id: 'alloc-empty' }, ' ' + t('alloc_empty'))),
    h('p', { class: 'form-status', role: 'status' }),
    result);
  return form;
}

function purposeLabel(p) {
  const k = { 'second-dose reserve': 'purpose_reserve', 'min/max': 'purpose_minmax' }[p];
  return k ? t(k) : p;
}

function shipmentsBox(pr) {
  const ships = pr.shipments || [];
  return h('div', { class: 'success-box', id: 'alloc-accepted', 'data-shipments': ships.filter((s) => !s.error).length },
    h('p', {}, t('alloc_shipments', { n: num(ships.filter((s) => !s.error).length) }), ' ', h('a', { href: '#/shipments', id: 'to-shipments' }, t('nav_shipments') + ' →')),
    ships.length ? table([
      { label: t('shipment'), cell: (s) => s.shipment },
      { label: t('to'), cell: (s) => `${rname(s.region)} (${s.to})` },
      { label: t('doses_h'), num: true, cell: (s) => num((s.lines || []).reduce((a, l) => a + (+l.doses || 0), 0)) },
      { label: t('status'), cell: (s) => (s.error ? h('span', { class: 'field-error' }, s.error) : '✔') },
    ], ships) : null);
}

