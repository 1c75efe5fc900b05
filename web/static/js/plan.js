// Plan screen: can the target be reached (GET plan/reachability), with the
// honest range of the forecast, the binding limit (one rule: the answer,
// the badge and every region's row come from the server), what actually
// happened where the published series covers the window, the day-by-day
// forecast (GET plan/forecast), stock-outs and expiring lots, and the
// allocation review (POST plan/allocations, then accept or reject).

import { t, num, pct, date, shortDate, message, keyName, productName } from './i18n.js';
import { get, post, list, ApiError } from './api.js';
import { lineChart } from './charts.js';
import { h, table, figure, clearErrors, showError, ok, days, rname, dailyRows, isAdmin, href, addDays } from './app.js';

const DEFAULT_TARGET = 'T-2021-04-1M';
const daysBetween = (a, b) => Math.round((Date.parse(b + 'T00:00:00Z') - Date.parse(a + 'T00:00:00Z')) / 86400000);

/** limitLabel names a binding limit in the chosen language. */
export function limitLabel(l) {
  const k = { uptake: 'limit_uptake', supply: 'limit_supply', 'second-dose obligations': 'limit_reserve' }[l];
  return k ? t(k) : l || '–';
}
const badge = (l, id) => h('span', { class: 'limit-badge', 'data-limit': l || '', id }, limitLabel(l));

export async function planScreen(r) {
  const { asOf, knownAt } = await days(r);
  // a plan starts on the morning of the chosen day (what was recorded up to
  // the day before), as the API and the CLI count it
  const start = asOf;
  const target = r.q.get('target') || DEFAULT_TARGET;
  const reach = await get('plan/reachability', { target, as_of: start });
  const tg = reach.target || {};
  const horizon = Math.min(730, Math.max(28, (+reach.horizon || daysBetween(start, tg.to || start) + 1) + 14));
  const [fc, cov] = await Promise.all([
    get('plan/forecast', { as_of: start, horizon }),
    get('coverage', { from: addDays(start, -28), to: asOf }).catch(() => null),
  ]);
  return h('div', { class: 'screen plan' },
    h('h1', {}, t('plan_title')), h('p', { class: 'day-title muted' }, t('plan_day_title', { day: date(asOf), prev: date(addDays(asOf, -1)) })),
    knownAt ? h('p', { class: 'note' }, t('plan_known_note')) : null,
    answerCard(reach, tg),
    reach.hindsight ? hindsightCard(reach.hindsight, tg) : null,
    forecastCard(fc, cov, reach, tg, start),
    limitsCard(reach, tg),
    h('div', { class: 'two-col' }, stockOutsCard(fc), expiringCard(fc)),
    allocationCard());
}

// ---------- the answer ----------
function answerCard(reach, tg) {
  const yes = !!reach.reachable;
  const vars = { value: num(tg.value), from: date(tg.from), to: date(tg.to), forecast: num(reach.forecast), short: num(tg.shortfall), date: date(reach.date) };
  const words = `${t(yes ? 'reach_yes' : 'reach_no')}: ${t('reach_q', vars)} ${t(yes ? (reach.date ? 'reach_met_on' : 'reach_met') : 'reach_short', vars)}`;
  const eb = tg.error_band;
  return h('section', { class: 'card answer ' + (yes ? 'yes' : 'no'), id: 'reach', 'data-reachable': String(yes), 'data-binding': reach.binding || '', 'aria-labelledby': 'reach-answer' },
    h('h2', {}, t('reach_title')),
    h('p', { class: 'answer-text', id: 'reach-answer' }, words),
    h('p', { class: 'binding' }, t('binding_limit') + ': ', badge(reach.binding, 'binding-badge'),
      tg.beyond_horizon ? h('span', { class: 'muted' }, ' · ' + t('beyond_horizon')) : null),
    h('div', { class: 'figures plan-figures' },
      figure('target', t('target'), tg.value),
      figure('forecast', t('fc_forecast'), reach.forecast),
      h('div', { class: 'figure', 'data-k': 'band', 'data-low': reach.band_low, 'data-high': reach.band_high },
        h('div', { class: 'fig-label' }, t('fc_band')),
        h('div', { class: 'fig-value' }, `${num(reach.band_low)} – ${num(reach.band_high)}`),
        h('div', { class: 'fig-sub' }, eb ? t('fc_band_sub', { h: eb.horizon, n: eb.n }) : t('fc_band_arrivals'))),
      figure('shortfall', t('fc_shortfall'), tg.shortfall),
      figure('first_dose_stock', t('fc_stock'), tg.first_dose_stock),
      figure('first_dose_arrivals', t('fc_arrivals'), tg.first_dose_arrivals, t('fc_arrivals_sub', { to: date(tg.to) })),
      figure('supply_max', t('fc_supply_max'), reach.supply_max, t('fc_supply_max_sub')),
      figure('uptake_only', t('fc_uptake'), reach.uptake_only, t('fc_uptake_sub'))),
    h('details', { class: 'server-answer', open: true }, h('summary', {}, t('reach_detail')),
      h('ul', { id: 'reach-explanation' }, (reach.explanation || []).map((m) => h('li', {}, message(m))))));
}

// ---------- what actually happened ----------
function hindsightCard(hs, tg) {
  const pts = hs.points || [];
  const chart = pts.length >= 2 ? lineChart({
    labels: pts.map((p) => p.date),
    series: [{ name: t('hs_published'), values: pts.map((p) => p.actual), color: '#2e8540' }, { name: t('hs_forecast'), values: pts.map((p) => p.forecast), color: '#d9822b', dash: true }],
    fmt: num, xfmt: shortDate, caption: t('hs_chart'), height: 220,
  }) : null;
  return h('section', { class: 'card hindsight ' + hs.verdict, id: 'hindsight', 'data-verdict': hs.verdict, 'data-actual': hs.actual },
    h('h2', {}, t('hs_title')),
    h('div', { class: 'figures plan-figures' },
      figure('hs_actual', t('hs_actual', { from: date(tg.from), to: date(tg.to) }), hs.actual, hs.estimated ? t('hs_estimated', { a: date(hs.from_known), b: date(hs.to_known) }) : null),
      figure('hs_model', t('hs_model'), hs.forecast, t('hs_range', { lo: num(hs.band_low), hi: num(hs.band_high) })),
      figure('hs_verdict', t('hs_verdict'), t('hs_verdict_' + hs.verdict))),
    chart,
    h('h3', {}, t('hs_why')),
    h('ul', { id: 'hindsight-reasons' }, (hs.reasons || []).map((m) => h('li', {}, message(m)))),
    h('p', { class: 'attribution small', lang: 'en' }, hs.source));
}

// ---------- the forecast chart ----------
function forecastCard(fc, cov, reach, tg, start) {
  const fdays = (fc.national && fc.national.days) || [];
  const hist = dailyRows(cov).filter((d) => d.date < start);
  const labels = [...hist.map((d) => d.date), ...fdays.map((d) => String(d.date).slice(0, 10))];
  const nh = hist.length;
  const actual = [...hist.map((d) => d.first), ...fdays.map(() => null)];
  const fcst = [...hist.map(() => null), ...fdays.map((d) => d.first)];
  if (nh) fcst[nh - 1] = actual[nh - 1]; // join the two lines
  // the band: the window's forecast scaled to the low and high ends of the honest range
  const inWin = (d) => tg.from && d >= tg.from && d <= tg.to;
  const f = +reach.forecast || 0;
  const lo = labels.map((d, i) => (inWin(d) && fcst[i] != null && f > 0 ? (fcst[i] * reach.band_low) / f : null));
  const hi = labels.map((d, i) => (inWin(d) && fcst[i] != null && f > 0 ? (fcst[i] * reach.band_high) / f : null));
  const span = tg.from ? daysBetween(tg.from, tg.to) + 1 : 0;
  const refs = span > 0 ? [{ name: t('fc_target_rate', { value: num(tg.value), to: date(tg.to), rate: num(tg.value / span) }), value: tg.value / span, color: '#c0392b' }] : [];
  const chart = lineChart({
    labels, series: [
      { name: t('fc_actual'), values: actual, color: '#1f5fa8', area: true },
      { name: t('fc_expected'), values: fcst, color: '#d9822b' },
    ], refs, fmt: num, xfmt: shortDate, caption: t('fc_chart'), height: 280,
    band: { name: t('fc_band_legend', { lo: num(reach.band_low), hi: num(reach.band_high) }), lo, hi, color: '#d9822b' },
    marker: nh ? { i: nh, label: shortDate(start) } : null,
  });
  return h('section', { class: 'card', id: 'forecast' }, chart, h('p', { class: 'muted small' }, t('fc_chart_note')));
}

// ---------- per-region limits: the same rule as the answer ----------
function limitsCard(reach, tg) {
  const regions = tg.regions || [];
  const nat = regions.reduce((a, x) => ({ first_demand: a.first_demand + x.first_demand, first: a.first + x.first, short_supply: a.short_supply + x.short_supply, short_reserve: a.short_reserve + x.short_reserve }),
    { first_demand: 0, first: 0, short_supply: 0, short_reserve: 0 });
  const rows = [{ region: '', ...nat, limit: reach.binding }, ...[...regions].sort((a, b) => rname(a.region).localeCompare(rname(b.region)))];
  return h('section', { class: 'card', id: 'limits' },
    h('h2', {}, t('limits_title')),
    h('p', { class: 'muted small' }, t('limits_help', { from: date(tg.from), to: date(tg.to) })),
    table([
      { label: t('region'), cell: (a) => (a.region ? h('a', { href: href('region/' + a.region) }, rname(a.region)) : h('strong', {}, t('national'))) },
      { label: t('lim_demand'), num: true, cell: (a) => num(a.first_demand) },
      { label: t('lim_first'), num: true, cell: (a) => num(a.first) },
      { label: t('lim_short_supply'), num: true, cell: (a) => (a.short_supply ? h('span', { class: 'warn' }, num(a.short_supply)) : num(0)) },
      { label: t('lim_short_reserve'), num: true, cell: (a) => (a.short_reserve ? h('span', { class: 'warn' }, num(a.short_reserve)) : num(0)) },
      { label: t('binding_limit'), cell: (a) => badge(a.limit) },
    ], rows));
}

// ---------- stock-outs and expiring lots ----------
function stockOutsCard(fc) {
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
    table([
      { label: t('region'), cell: (a) => rname(a.region) },
      { label: t('so_first'), cell: (a) => date(a.date) },
      { label: t('so_days'), num: true, cell: (a) => num(a.days) },
      { label: t('so_unmet'), num: true, cell: (a) => num(a.unmet) },
      { label: t('so_keys'), cell: (a) => soKeys(a.keys, nkeys) },
    ], rows));
}

/** soKeys names the products out of stock: all of them, or the few that are. */
function soKeys(keys, all) {
  const ks = [...new Set(keys)];
  const title = ks.map(keyName).join(', ');
  if (ks.length >= all) return h('span', { class: 'small', title }, t('so_all', { n: all }));
  if (ks.length > 3) return h('span', { class: 'small', title }, t('so_of', { n: ks.length, m: all }));
  return h('span', { class: 'small' }, title);
}

function expiringCard(fc) {
  const rows = list(fc.expiring_lots).slice().sort((a, b) => String(a.expiry).localeCompare(String(b.expiry)));
  return h('section', { class: 'card', id: 'expiring', 'data-count': rows.length },
    h('h2', {}, t('expiring_title')),
    h('p', { class: 'muted small' }, t('expiring_help')),
    table([
      { label: t('lot'), cell: (x) => x.lot },
      { label: t('region'), cell: (x) => (x.region ? rname(x.region) : t('national_wh')) },
      { label: t('product'), cell: (x) => keyName(x.key) },
      { label: t('expiry'), cell: (x) => date(x.expiry) },
      { label: t('doses_h'), num: true, cell: (x) => num(x.doses) },
    ], rows));
}

// ---------- allocation review ----------
function allocationCard() {
  const day = h('input', { type: 'date', id: 'alloc-as-of', min: '2021-01-01' });
  const period = h('input', { type: 'number', id: 'alloc-period', min: 1, max: 730, step: 1, value: 14, inputmode: 'numeric' });
  const horizon = h('input', { type: 'number', id: 'alloc-horizon', min: 1, max: 730, step: 1, value: 28, inputmode: 'numeric' });
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

/** why renders a line's explanation in the chosen language. */
function why(l) {
  return l.why && l.why.length ? l.why.map((m) => message(m)).join(' → ') : l.explanation || '';
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
    const inp = h('input', { type: 'number', min: 0, step: 1, value: l.doses, name: `lines[${i}].doses`, id: `line-${i}-doses`, class: 'doses-input', inputmode: 'numeric', 'aria-label': `${t('doses_h')}: ${rname(l.region)} ${productName(l.product)} ${l.component}` });
    inp.addEventListener('input', () => { recount(); inp.classList.toggle('edited', +inp.value !== l.doses); });
    inputs.push(inp);
    const err = h('p', { class: 'field-error', 'data-field': `lines[${i}].doses`, id: `line-${i}-err`, 'aria-live': 'polite' });
    inp.setAttribute('aria-describedby', err.id);
    return h('tr', { 'data-line': i, 'data-region': l.region },
      h('td', { 'data-label': t('region') }, rname(l.region)),
      h('td', { 'data-label': t('product') }, `${productName(l.product)} · ${l.component}`, l.purpose ? h('div', { class: 'small muted' }, purposeLabel(l.purpose)) : null),
      h('td', { 'data-label': t('lot') }, l.lot || '–'),
      h('td', { 'data-label': t('doses_h'), class: 'num' }, inp, err),
      h('td', { 'data-label': t('alloc_explanation'), class: 'explanation' }, why(l)));
  });
  const tbl = h('div', { class: 'table-wrap' }, h('table', { class: 'alloc-lines' },
    h('caption', {}, t('alloc_lines', { id: pr.id })),
    h('thead', {}, h('tr', {}, [t('region'), t('product') + ' / ' + t('component'), t('lot'), t('doses_h'), t('alloc_explanation')].map((c, i) => h('th', { scope: 'col', class: i === 3 ? 'num' : null }, c)))),
    h('tbody', {}, rows.length ? rows : h('tr', {}, h('td', { colspan: 5 }, t('none'))))));
  const statusBadge = h('span', { class: 'status ' + pr.status, id: 'alloc-status' }, t('astatus_' + pr.status));
  const unalloc = Object.entries(pr.unallocated || {}).map(([k, v]) => `${keyName(k)} ${num(v)}`).join(', ');
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
          form.querySelectorAll(`tr[data-region="${CSS.escape(sh.region)}"] .field-error`).forEach((e) => { e.textContent = shipError(sh); });
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
    h('div', { class: 'title-row' }, h('h2', {}, t('alloc_review'), ' ', statusBadge), h('span', { class: 'muted small' }, `${pr.id} · ${t('plan_day')} ${date(pr.as_of)}`)),
    h('p', {}, t('alloc_summary', { doses: num(sum.doses), reserve: num(sum.second_dose_reserve), share: pct(100 * (+sum.second_dose_share || 0)) }),
      unalloc ? h('span', { class: 'muted' }, ' · ' + t('alloc_unallocated') + ': ' + unalloc) : null),
    tbl,
    h('p', {}, t('alloc_total') + ': ', total),
    h('p', { class: 'muted small' }, t('alloc_note')),
    h('div', { class: 'actions' },
      h('button', { type: 'button', class: 'primary', id: 'accept-btn', disabled: !canAct, onclick: accept }, t('alloc_accept')), ' ',
      h('button', { type: 'button', id: 'reject-btn', disabled: !canAct, onclick: reject }, t('alloc_reject')),
      admin ? null : h('span', { class: 'muted small' }, ' ' + t('alloc_admin_only')),
      lines.length ? null : h('span', { class: 'muted small', id: 'alloc-empty' }, ' ' + t('alloc_empty'))),
    h('p', { class: 'form-status', role: 'status' }),
    result);
  return form;
}

function shipError(sh) { return sh.error_detail ? message(sh.error_detail, sh.error) : sh.error; }

function purposeLabel(p) {
  const k = { 'second-dose reserve': 'purpose_reserve', 'min/max': 'purpose_minmax' }[p];
  return k ? t(k) : p;
}

function shipmentsBox(pr) {
  const ships = pr.shipments || [];
  return h('div', { class: 'success-box', id: 'alloc-accepted', 'data-shipments': ships.filter((s) => !s.error).length },
    h('p', {}, t('alloc_shipments', { n: num(ships.filter((s) => !s.error).length) }), ' ', h('a', { href: href('shipments'), id: 'to-shipments' }, t('nav_shipments') + ' →')),
    ships.length ? table([
      { label: t('shipment'), cell: (s) => s.shipment },
      { label: t('to'), cell: (s) => `${rname(s.region)} (${s.to})` },
      { label: t('doses_h'), num: true, cell: (s) => num((s.lines || []).reduce((a, l) => a + (+l.doses || 0), 0)) },
      { label: t('status'), cell: (s) => (s.error ? h('span', { class: 'field-error' }, shipError(s)) : '✔') },
    ], ships) : null);
}
