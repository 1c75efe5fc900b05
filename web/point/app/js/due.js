// Today's due list at this point: the people whose next dose is due,
// overdue or due within a week, with the day it became due and the last day
// of its recommended window (GET due, kept by the server at write time). The
// list is cached on the device with the rest, so it opens offline; a person
// whose dose this device has recorded since is marked as done.

import { h, t, day, num, getLang } from './ui.js';
import * as store from './store.js';
import * as api from './api.js';
import { sessionInfo } from './dose.js';

const STATUS = { due: 'due_status_due', overdue: 'due_status_overdue', upcoming: 'due_status_upcoming' };

export const dueQuery = (place, date) => `due?place=${encodeURIComponent(place)}&as_of=${encodeURIComponent(date)}&ahead=7&limit=1000`;

/** fetchDue asks the server for the point's due list and caches it. */
export async function fetchDue(place, date) {
  const d = await api.get(dueQuery(place, date));
  await store.setCached('due:' + place, d);
  return d;
}

export async function render() {
  const sess = await sessionInfo();
  const out = h('div', { class: 'card', id: 'due' }, h('h1', {}, t('due_title')));
  if (!sess.place) { out.append(h('p', {}, t('due_no_place'))); return out; }
  let c = await store.cached('due:' + sess.place);
  let fresh = false;
  if (navigator.onLine && (!c || c.data?.as_of !== sess.date || Date.now() - c.at > 60000)) {
    try { await fetchDue(sess.place, sess.date); c = await store.cached('due:' + sess.place); fresh = true; } catch { /* keep the cached list */ }
  }
  const d = c?.data;
  if (!d) { out.append(h('p', { id: 'due-none' }, t('due_not_cached'))); return out; }
  out.append(h('p', { class: 'muted', id: 'due-asof' }, t('due_as_of', { d: day(d.as_of), p: d.place }),
    fresh ? '' : ' · ' + t('due_cached', { t: new Date(c.at).toLocaleString() })));
  const products = (await store.cached('products'))?.data || [];
  const pname = (code) => { const p = products.find((x) => x.code === code); return (p?.names && p.names[getLang()]) || p?.name || code; };
  const counts = d.counts || [];
  out.append(h('div', { class: 'table-wrap' }, h('table', { id: 'due-counts' },
    h('thead', {}, h('tr', {}, h('th', {}, t('due_dose')), h('th', { class: 'num' }, t('due_overdue')), h('th', { class: 'num' }, t('due_due')), h('th', { class: 'num' }, t('due_upcoming')))),
    h('tbody', {}, counts.length ? counts.map((x) => h('tr', { 'data-product': x.product, 'data-number': x.dose_number },
      h('td', {}, t('due_dose_of', { n: x.dose_number, p: pname(x.product), c: x.component })),
      h('td', { class: 'num', 'data-k': 'overdue' }, num(x.overdue)), h('td', { class: 'num', 'data-k': 'due' }, num(x.due)), h('td', { class: 'num', 'data-k': 'upcoming' }, num(x.upcoming))))
      : h('tr', {}, h('td', { colspan: 4 }, t('none')))))));
  const rows = await store.queued();
  const recorded = new Set(rows.filter((q) => q.kind === 'dose' && q.status !== 'rejected' && q.person?.id).map((q) => q.person.id));
  const people = d.people || [];
  out.append(h('div', { class: 'table-wrap' }, h('table', { id: 'due-list' },
    h('thead', {}, h('tr', {}, h('th', {}, t('due_person')), h('th', {}, t('due_dose')), h('th', {}, t('due_from')), h('th', {}, t('due_window_end')), h('th', {}, t('state')))),
    h('tbody', {}, people.length ? people.map((p) => {
      const done = recorded.has(p.person);
      return h('tr', { 'data-person': p.person, 'data-status': done ? 'recorded' : p.status, class: 'due-' + (done ? 'recorded' : p.status) },
        h('td', {}, [p.family, p.given].filter(Boolean).join(' ') || p.person.slice(0, 8)),
        h('td', {}, t('due_dose_of', { n: p.dose_number, p: pname(p.product), c: p.component })),
        h('td', { 'data-label': t('due_from') }, day(p.due_from)), h('td', { 'data-label': t('due_window_end') }, day(p.window_end)),
        h('td', { class: 'due-state' }, done ? t('due_recorded') : t(STATUS[p.status] || 'due_status_due')));
    }) : h('tr', {}, h('td', { colspan: 5 }, t('none')))))));
  if (d.total > people.length) out.append(h('p', { class: 'muted small' }, t('due_more', { n: num(d.total - people.length) })));
  return out;
}
