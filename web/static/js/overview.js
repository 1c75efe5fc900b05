// Overview: the week's questions at one glance (GET overview). Delivered to
// the regions, expected by the end of the month and late, people reached
// against the population and the next target (with the daily rate it needs
// against the rate achieved), stock by level of the chain and by component
// with the second doses falling due, and the region map. Every figure links
// to its detail; the page prints as a one-page weekly brief.

import { t, num, pct, dec, date, regionName, productName } from './i18n.js';
import { get } from './api.js';
import { loadGeo, drawMap, BLUES, quantBreaks } from './map.js';
import { h, app, table, figure, href, go, days, dayTitle, rname, signedIn } from './app.js';

export async function overview(r) {
  const { asOf, knownAt } = await days(r);
  const [ov, gj] = await Promise.all([get('overview', { as_of: asOf, known_at: knownAt }), loadGeo().catch(() => null)]);
  return h('div', { class: 'screen overview', 'data-as-of': asOf },
    h('div', { class: 'title-row' },
      h('h1', {}, t('overview_title')),
      h('button', { type: 'button', id: 'print-btn', class: 'no-print', onclick: () => window.print() }, t('print_brief'))),
    dayTitle(asOf, knownAt),
    h('p', { class: 'print-only brief-head' }, t('brief_head', { day: date(asOf) })),
    signedIn() ? null : h('p', { class: 'note no-print' }, t('public_note')),
    headline(ov),
    h('div', { class: 'grid-2 brief-cols' }, stockCard(ov), mapCard(ov, gj)),
    h('div', { class: 'grid-2 brief-cols' }, peopleCard(ov), targetsCard(ov)),
    regionsCard(ov),
    h('p', { class: 'muted small print-only' }, t('brief_source')));
}

/** headline: the four figures the ministry announces each week. */
function headline(ov) {
  const e = ov.expected || {};
  const target = nextTarget(ov);
  return h('section', { class: 'figures headline', 'aria-label': t('headline') },
    figure('delivered_to_regions', t('delivered_to_regions'), ov.delivered_to_regions,
      t('delivered_national_sub', { n: num(ov.delivered) }), href('charts', { focus: 'supply' })),
    figure('expected', t('expected_by', { day: date(e.by) }), e.total,
      [t('expected_sub', { nat: num(e.national_stock), due: num(e.tranches_due), transit: num(e.in_transit) }),
        ov.late ? h('span', { class: 'late-note' }, ' · ' + t('late_sub', { n: num(ov.late) })) : null], href('charts', { focus: 'supply' })),
    figure('people_first', t('people_first'), ov.people_first_dose,
      t('of_population', { p: pct(ov.first_percent), full: num(ov.people_completed_series) }), href('map')),
    target ? targetFigure(target) : figure('target', t('target'), '–'));
}

/** nextTarget is the national target the week is about: the first one not yet over, else the last. */
function nextTarget(ov) {
  const ts = (ov.targets || []).filter((x) => !x.region && !x.group);
  const open = ts.filter((x) => x.to >= ov.as_of).sort((a, b) => String(a.from).localeCompare(String(b.from)) || a.value - b.value);
  return open[0] || ts[ts.length - 1] || null;
}

function measureLabel(m) { return t(m === 'full' ? 'people_full' : m === 'booster' ? 'people_boosted' : 'people_first'); }

function targetFigure(x) {
  const behind = x.rate_needed > x.rate_recent;
  return h('a', { class: 'figure link target-fig', 'data-k': 'target', 'data-target': x.id, href: href('plan', { target: x.id }) },
    h('div', { class: 'fig-label' }, t('target_line', { what: measureLabel(x.measure), from: date(x.from), to: date(x.to) })),
    h('div', { class: 'fig-value' }, num(x.value)),
    h('div', { class: 'fig-sub' },
      x.days_left ? h('span', { class: 'rate ' + (behind ? 'behind' : 'ahead'), 'data-needed': Math.round(x.rate_needed), 'data-recent': Math.round(x.rate_recent) },
        t('rate_needed', { needed: num(x.rate_needed), recent: num(x.rate_recent) })) : t('target_over'),
      ' · ', t('achieved', { n: num(x.achieved), p: pct(x.percent) })));
}

/** stockCard: stock on hand by level and component, and the second doses due. */
function stockCard(ov) {
  const comps = (ov.stock || []).filter((c) => c.total > 0 || c.dose === 2);
  const levels = [['national', t('national_wh')], ['regional', t('regional_wh')], ['points', t('at_points')], ['in_transit', t('in_transit')]];
  const products = [...new Set(comps.map((c) => c.product))];
  const one = products.length === 1;
  const colLabel = (c) => (one ? t('component_n', { c: c.component }) : `${productName(c.product)} · ${c.component}`) + (c.dose === 2 ? ` (${t('dose2_short')})` : '');
  const cols = [{ label: t('level'), cell: (l) => l[1] }, ...comps.map((c) => ({ label: colLabel(c), num: true, cell: (l) => num(c[l[0]]) })),
    { label: t('total'), num: true, cell: (l) => num(comps.reduce((a, c) => a + (c[l[0]] || 0), 0)) }];
  const due = ov.second_doses_due || {};
  const short = due.people > due.on_hand;
  return h('section', { class: 'card', id: 'stock-levels', 'aria-labelledby': 'h-stock' },
    h('h2', { id: 'h-stock' }, h('a', { href: href('charts', { focus: 'stock' }) }, t('stock_by_level'))),
    one ? h('p', { class: 'muted small' }, productName(products[0])) : null,
    h('div', { class: 'keep-table' }, table(cols, levels)),
    h('p', { class: 'second-due' + (short ? ' warn' : ''), id: 'second-due', 'data-people': due.people || 0, 'data-on-hand': due.on_hand || 0 },
      t('second_due', { n: num(due.people), days: due.within_days, stock: num(due.on_hand) }), ' ',
      h('a', { class: 'no-print', href: href('plan') }, t('second_due_link'))));
}

function peopleCard(ov) {
  return h('section', { class: 'card', 'aria-labelledby': 'h-more' },
    h('h2', { id: 'h-more' }, t('doses_people')),
    h('div', { class: 'figures compact' },
      figure('contracted', t('contracted'), ov.contracted, null, href('charts', { focus: 'supply' })),
      figure('delivered', t('delivered'), ov.delivered, null, href('charts', { focus: 'supply' })),
      figure('administered', t('administered'), ov.administered, null, href('charts')),
      figure('written_off', t('wasted'), ov.written_off, null, href('lots')),
      figure('people_full', t('people_full'), ov.people_completed_series, pct(ov.full_percent), href('charts')),
      ov.people_boosted ? figure('people_boosted', t('people_boosted'), ov.people_boosted) : null,
      figure('national_warehouse', t('national_wh'), ov.in_national_warehouse),
      figure('regional_warehouses', t('regional_wh'), ov.in_regional_warehouses),
      figure('at_points', t('at_points'), ov.at_vaccination_points),
      figure('in_transit', t('in_transit'), ov.in_transit, null, href('shipments'))));
}

function mapCard(ov, gj) {
  const rows = ov.regions || [];
  if (!gj) return h('section', { class: 'card' }, h('p', {}, t('no_data')));
  const by = Object.fromEntries(rows.map((x) => [x.code, x]));
  const value = (code) => by[code]?.first_percent ?? null;
  const breaks = quantBreaks(rows.map((x) => x.first_percent).filter((x) => x != null));
  const svg = drawMap(gj, {
    value, breaks, colors: BLUES,
    label: (code, f) => `${regionName(by[code] || f.properties)}: ${pct(value(code))}`,
    onSelect: (code) => go(href('region/' + code)),
  });
  svg.setAttribute('aria-label', t('map_title'));
  return h('section', { class: 'card map-mini', id: 'overview-map' },
    h('h2', {}, h('a', { href: href('map') }, t('coverage_map'))), svg,
    h('p', { class: 'muted small' }, t('map_scale', { lo: pct(Math.min(...rows.map((x) => x.first_percent))), hi: pct(Math.max(...rows.map((x) => x.first_percent))) })));
}

function regionsCard(ov) {
  const rows = [...(ov.regions || [])].sort((a, b) => (b.first_percent || 0) - (a.first_percent || 0));
  return h('section', { class: 'card regions-card', id: 'regions' }, table([
    { label: t('region'), cell: (x) => h('a', { href: href('region/' + x.code) }, regionName(x)) },
    { label: t('delivered'), num: true, cell: (x) => num(x.delivered) },
    { label: t('first_cov'), num: true, cell: (x) => pct(x.first_percent) },
    { label: t('stock'), num: true, cell: (x) => num(x.on_hand) },
    { label: t('weeks_supply'), num: true, cell: (x) => (x.weeks_of_supply == null ? '–' : dec(x.weeks_of_supply)) },
  ], rows, t('regions')));
}

function targetsCard(ov) {
  const targets = ov.targets || [];
  return h('section', { class: 'card no-print-break', 'aria-labelledby': 'h-targets' }, h('h2', { id: 'h-targets' }, t('targets')),
    targets.length ? targets.map(targetBar) : h('p', {}, t('none')));
}

function targetBar(x) {
  const value = +x.value || 0;
  const got = +x.achieved || 0;
  const p = typeof x.percent === 'number' ? x.percent : value ? (100 * got) / value : 0;
  const label = [measureLabel(x.measure), x.region ? rname(x.region) : null, x.group ? t('group_' + x.group) : null, `${date(x.from)} – ${date(x.to)}`].filter(Boolean).join(' · ');
  const id = 'tg-' + (x.id || Math.random().toString(36).slice(2));
  return h('div', { class: 'target' },
    h('div', { class: 'target-label', id }, h('a', { href: href('plan', { target: x.id }) }, label)),
    h('div', { class: 'bar', role: 'progressbar', 'aria-labelledby': id, 'aria-valuemin': 0, 'aria-valuemax': 100, 'aria-valuenow': Math.round(p) },
      h('span', { style: `width:${Math.max(0, Math.min(100, p)).toFixed(1)}%` })),
    h('div', { class: 'target-val' }, `${num(got)} / ${num(value)} (${pct(p)})`));
}

// used by the plan screen
export { nextTarget, measureLabel, app };
