// The dose rules the app can check on the device, the same as the server's
// (vaxtrace registry_state.go walkSeries): the component each dose of a
// series needs, the mix rules, the minimum interval (which a clinician may
// override with a reason), boosters after a completed series, and one dose
// per disease per day. The server checks everything again when the record
// is uploaded; what the device could not know (a history it never saw) is
// marked as not checked.

export const DEFAULT_BOOSTER_DAYS = 180;

const dayOf = (iso) => String(iso).slice(0, 10);
const diffDays = (a, b) => Math.round((Date.parse(b + 'T12:00:00Z') - Date.parse(a + 'T12:00:00Z')) / 86400000);
const plusDays = (s, n) => { const d = new Date(s + 'T12:00:00Z'); d.setUTCDate(d.getUTCDate() + n); return d.toISOString().slice(0, 10); };

export function componentFor(p, n) {
  if (p.components.length === 1) return p.components[0].code;
  if (n < 1) n = 1;
  if (n > p.components.length) return p.components[0].code; // a booster uses the first component
  return p.components[n - 1].code;
}

const diseaseOf = (p) => p.disease || 'product:' + p.code;
const mixAllowed = (series, next) => (next.mix_with || []).includes(series.code);

/** walk folds a person's doses of one disease (sorted by time). */
function walk(byCode, doses) {
  let series = null, primary = 0, complete = false, last = '';
  for (const d of doses) {
    const p = byCode[d.product];
    if (!p) continue;
    if (!complete) {
      if (!series) series = p;
      primary++;
      if (primary >= series.series_doses) complete = true;
    }
    last = dayOf(d.at);
  }
  return { series, primary, complete, last };
}

/**
 * check says whether the person's next dose may come from lot on day
 * (YYYY-MM-DD), given the doses known on the device (history: {product,
 * component, at, voided}). It returns {ok, reason, number, booster, want
 * (component), earliest (first day the interval allows), short (day is
 * before earliest: needs a clinician's override), known (history known)}.
 */
export function check(products, history, lot, day, known = true) {
  const byCode = Object.fromEntries(products.map((p) => [p.code, p]));
  const prod = byCode[lot.product];
  if (!prod) return { ok: false, reason: { key: 'rule_unknown_product', vars: { p: lot.product } } };
  const disease = diseaseOf(prod);
  const ds = (history || []).filter((d) => !d.voided && byCode[d.product] && diseaseOf(byCode[d.product]) === disease)
    .sort((a, b) => String(a.at).localeCompare(String(b.at)));
  const w = walk(byCode, ds);
  const out = { ok: true, reason: null, number: ds.length + 1, booster: false, want: '', earliest: '', short: false, known, series: w.series?.name || prod.name };
  if (ds.length === 0) {
    out.want = componentFor(prod, 1);
  } else if (!w.complete) {
    const n = w.primary + 1;
    if (prod !== w.series && !mixAllowed(w.series, prod)) {
      return { ...out, ok: false, reason: { key: 'rule_mix', vars: { n, s: w.series.name, p: prod.name } } };
    }
    out.want = componentFor(prod, n);
    out.earliest = plusDays(w.last, w.series.interval_days || 0);
  } else {
    out.booster = true;
    out.want = prod.components[0].code;
    out.earliest = plusDays(w.last, prod.booster_interval_days || DEFAULT_BOOSTER_DAYS);
  }
  if (lot.component !== out.want) {
    return { ...out, ok: false, reason: { key: out.booster ? 'rule_booster_component' : 'rule_component', vars: { n: out.number, p: prod.name, c: out.want, lc: lot.component } } };
  }
  if (w.last && day === w.last) {
    return { ...out, ok: false, reason: { key: 'rule_same_day', vars: { d: day } } };
  }
  if (w.last && day < w.last) {
    return { ...out, ok: false, reason: { key: 'rule_before_last', vars: { d: w.last } } };
  }
  if (out.earliest && day < out.earliest) out.short = { days: diffDays(w.last, day), need: diffDays(w.last, out.earliest) };
  return out;
}

/**
 * usableLots lists the point's lots that can be given on day: released,
 * not held by a cold-chain excursion, in stock and not expired.
 */
export function usableLots(lots, day) {
  return (lots || []).filter((l) => l.status === 'released' && !l.held && +l.doses > 0 && String(l.expiry) >= day);
}
