// Due lists (GET due): the people due and overdue for their next dose in the
// caller's scope — the whole country, a region or one point — with counts by
// product, component and dose number for planning, and a page of people in
// due-day order with the day the dose became due and the last day of its
// recommended window. The server keeps the figures at write time.

import { t, num, date, placeName, regionName, productName } from './i18n.js';
import { get } from './api.js';
import { h, table, href, days, dayTitle, app, places, go } from './app.js';

const PAGE = 100;

export async function dueScreen(r) {
  const { asOf, knownAt } = await days(r);
  const q = { region: r.q.get('region') || '', place: r.q.get('place') || '', product: r.q.get('product') || '', ahead: r.q.get('ahead') || '7', offset: +(r.q.get('offset') || 0) };
  const [res, pls] = await Promise.all([get('due', { as_of: asOf, region: q.region, place: q.place, product: q.product, ahead: q.ahead, offset: q.offset, limit: PAGE }), places({ kind: 'point' }).catch(() => [])]);
  const regionSel = h('select', { id: 'due-region', name: 'region', disabled: app.me && app.me.role !== 'admin' && app.me.role !== 'auditor' },
    h('option', { value: '' }, t('due_all_regions')), (app.regions || []).map((x) => h('option', { value: x.code, selected: x.code === (res.region || q.region) }, regionName(x.code))));
  const placeSel = h('select', { id: 'due-place', name: 'place', disabled: app.me?.role === 'point' },
    h('option', { value: '' }, t('due_all_points')), (pls || []).filter((p) => !res.region || p.region === res.region).map((p) => h('option', { value: p.id, selected: p.id === res.place }, placeName(p.id))));
  const aheadIn = h('input', { id: 'due-ahead', name: 'ahead', type: 'number', min: 0, max: 90, value: q.ahead });
  const form = h('form', { class: 'filters no-print', id: 'due-filters', onsubmit: (e) => {
    e.preventDefault();
    go(href('due', { region: regionSel.value, place: placeSel.value, ahead: aheadIn.value, offset: null }));
  } },
  h('label', {}, t('region'), ' ', regionSel), ' ', h('label', {}, t('place'), ' ', placeSel), ' ',
  h('label', {}, t('due_ahead'), ' ', aheadIn), ' ', h('button', { type: 'submit' }, t('due_show')));
  const counts = res.counts || [];
  const people = res.people || [];
  const pager = h('p', { class: 'pager no-print', id: 'due-pager' },
    t('due_showing', { from: num(people.length ? q.offset + 1 : 0), to: num(q.offset + people.length), n: num(res.total) }), ' ',
    q.offset > 0 ? h('a', { href: href('due', { ...q, offset: Math.max(0, q.offset - PAGE) || null }), id: 'due-prev' }, t('due_prev')) : null, ' ',
    q.offset + people.length < res.total ? h('a', { href: href('due', { ...q, offset: q.offset + PAGE }), id: 'due-next' }, t('due_next')) : null);
  return h('div', { class: 'screen due', 'data-total': res.total },
    h('h1', {}, t('due_title')),
    dayTitle(asOf, knownAt),
    h('p', { class: 'muted small' }, t('due_help', { n: res.ahead_days }), res.place ? ' · ' + placeName(res.place) : res.region ? ' · ' + regionName(res.region) : ''),
    form,
    h('section', { class: 'card', id: 'due-counts' }, h('h2', {}, t('due_counts')), table([
      { label: t('product'), cell: (x) => productName(x.product) },
      { label: t('component'), cell: (x) => x.component },
      { label: t('due_dose_number'), num: true, cell: (x) => num(x.dose_number) },
      { label: t('due_overdue'), num: true, cell: (x) => num(x.overdue) },
      { label: t('due_due'), num: true, cell: (x) => num(x.due) },
      { label: t('due_upcoming'), num: true, cell: (x) => num(x.upcoming) },
    ], counts)),
    h('section', { class: 'card', id: 'due-people' }, h('h2', {}, t('due_people')), pager, table([
      { label: t('due_person'), cell: (x) => [x.family, x.given].filter(Boolean).join(' ') || x.person.slice(0, 8) },
      { label: t('product'), cell: (x) => `${productName(x.product)} · ${x.component} · ${t('due_dose_n', { n: x.dose_number })}` },
      { label: t('due_from'), cell: (x) => date(x.due_from) },
      { label: t('due_window_end'), cell: (x) => date(x.window_end) },
      { label: t('due_state'), cell: (x) => h('span', { class: 'badge due-' + x.status, 'data-status': x.status }, t({ due: 'due_status_due', overdue: 'due_status_overdue', upcoming: 'due_status_upcoming' }[x.status] || 'due_status_due')) },
      { label: t('place'), cell: (x) => placeName(x.place) },
    ], people)));
}
