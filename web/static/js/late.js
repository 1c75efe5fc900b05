// Late-record report (GET reports/late): over the 30 days up to the chosen
// day, how many dose records arrived after the day they were given, from
// which points, how late, and how much each day's published figure has
// changed since it was published.

import { t, num, pct, date, shortDate, placeName, regionName } from './i18n.js';
import { get } from './api.js';
import { lineChart } from './charts.js';
import { h, table, figure, href, days, dayTitle, places, addDays } from './app.js';

export async function lateScreen(r) {
  const { asOf, knownAt } = await days(r);
  const region = r.q.get('region') || '';
  const from = addDays(asOf, -29);
  const [res] = await Promise.all([get('reports/late', { from, to: asOf, region }), places().catch(() => null)]);
  const rep = res.report || {};
  const revs = rep.revisions || [];
  const changed = revs.filter((x) => x.change !== 0);
  const maxChange = revs.reduce((a, x) => Math.max(a, x.change), 0);
  const share = rep.records ? (100 * rep.late) / rep.records : 0;
  return h('div', { class: 'screen late', 'data-late': rep.late || 0 },
    h('h1', {}, t('late_title')),
    dayTitle(asOf, knownAt),
    h('p', { class: 'muted small' }, t('late_help', { from: date(from), to: date(asOf) }), region ? ' · ' + regionName(region) : ''),
    h('section', { class: 'figures' },
      figure('records', t('late_records'), rep.records),
      figure('late', t('late_late'), rep.late, pct(share)),
      figure('days_changed', t('late_days_changed'), changed.length, t('late_max_change', { n: num(maxChange) }))),
    h('section', { class: 'card', id: 'late-histogram' }, h('h2', {}, t('late_how_late')),
      h('div', { class: 'keep-table' }, table([{ label: t('late_delay'), cell: (x) => x.label }, { label: t('late_records'), num: true, cell: (x) => num(x.n) }],
        (rep.histogram || []).map((n, i) => ({ label: t('late_bucket_' + i), n }))))),
    revs.length ? h('section', { class: 'card', id: 'late-revisions' }, lineChart({
      labels: revs.map((x) => x.day),
      series: [{ name: t('late_published'), values: revs.map((x) => x.published) }, { name: t('late_known_now'), values: revs.map((x) => x.known_now), dash: true }],
      fmt: num, xfmt: shortDate, caption: t('late_revisions'), height: 220,
    }), table([
      { label: t('occurred'), cell: (x) => date(x.day) },
      { label: t('late_published'), num: true, cell: (x) => num(x.published) },
      { label: t('late_known_now'), num: true, cell: (x) => num(x.known_now) },
      { label: t('late_change'), num: true, cell: (x) => (x.change ? '+' + num(x.change) : '0') },
    ], changed)) : null,
    h('section', { class: 'card', id: 'late-places' }, h('h2', {}, t('late_by_point')), table([
      { label: t('place'), cell: (x) => h('a', { href: href('place/' + encodeURIComponent(x.place)) }, placeName(x.place)) },
      { label: t('region'), cell: (x) => regionName(x.region) },
      { label: t('late_records'), num: true, cell: (x) => num(x.records) },
      { label: t('late_late'), num: true, cell: (x) => num(x.late) },
      { label: t('late_share'), num: true, cell: (x) => pct(x.records ? (100 * x.late) / x.records : 0) },
    ], (rep.places || []).filter((x) => x.late > 0).slice(0, 50))));
}
