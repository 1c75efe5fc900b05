// The queue on this device: records that need attention (the server
// refused them, with its reason; fix and send again, or discard on
// purpose), records waiting to be sent, and records the server accepted
// (editing one makes a correction).

import { h, t, day, dayTime, num } from './ui.js';
import * as store from './store.js';
import { app, go, refreshCounts, syncNow } from './main.js';

function describe(r) {
  const d = r.display || {};
  if (r.kind === 'session') return t('q_session', { l: r.body.lot, d: day(r.body.date), v: r.body.vials_opened });
  if (r.kind === 'correction') {
    const names = { at: t('time'), lot: t('lot'), iin: t('iin'), override: t('override') };
    const what = Object.keys(r.body).filter((k) => k !== 'reason').map((k) => names[k] || k).join(', ');
    return t('q_correction', { id: d.name || r.dose.slice(0, 8), what }) + (r.body.reason ? ` (${r.body.reason})` : '');
  }
  return `${d.name || r.masked || ''} · ${d.lot || r.body.lot} (${d.component || ''}) · ${day(d.date || String(r.body.at).slice(0, 10))}`;
}

function row(r) {
  const li = h('li', { class: 'q-row ' + r.status, 'data-id': r.id, 'data-kind': r.kind, 'data-status': r.status },
    h('span', { class: 'q-what' }, describe(r)));
  if (r.by && app.me && r.by !== app.me.name) li.append(h('span', { class: 'q-by muted small' }, t('q_by', { u: r.by })));
  if (r.status === 'rejected') {
    li.append(h('span', { class: 'q-reason', role: 'note' }, (r.error?.field ? r.error.field + ': ' : '') + (r.error?.message || '')));
    const actions = h('span', { class: 'q-actions' });
    if (r.kind === 'dose') actions.append(h('a', { href: '#/dose?edit=' + encodeURIComponent(r.id), class: 'button fix' }, t('fix')));
    if (r.kind === 'session') actions.append(h('a', { href: '#/close?date=' + encodeURIComponent(r.body.date), class: 'button fix' }, t('fix')));
    actions.append(h('button', { type: 'button', class: 'link discard', onclick: async () => {
      if (!confirm(t('discard_confirm'))) return;
      await store.del('queue', r.id);
      await refreshCounts();
      go('#/queue');
    } }, t('discard')));
    li.append(actions);
  } else if (r.status === 'pending') {
    li.append(h('span', { class: 'muted small' }, r.attempts ? t('q_tries', { n: r.attempts }) : t('q_not_sent')));
    if (r.kind === 'dose') li.append(h('a', { href: '#/dose?edit=' + encodeURIComponent(r.id), class: 'edit' }, t('edit')));
  } else {
    const res = r.result || {};
    li.append(h('span', { class: 'muted small' }, r.kind === 'dose' ? t('q_accepted_dose', { n: res.dose_number || '?' }) : t('q_accepted'),
      res.registered ? ' · ' + t('q_registered') : ''));
    if (r.kind === 'dose') li.append(h('a', { href: '#/dose?edit=' + encodeURIComponent(r.id), class: 'edit' }, t('correct')));
  }
  return li;
}

export async function render() {
  const rows = await store.queued();
  const rejected = rows.filter((r) => r.status === 'rejected');
  const pending = rows.filter((r) => r.status === 'pending');
  const acceptedRows = rows.filter((r) => r.status === 'accepted').sort((a, b) => (b.answered || b.updated) - (a.answered || a.updated));
  const last = await store.meta('synced_at');
  const status = h('p', { id: 'sync-status', class: 'sync-status', role: 'status' }, last ? t('synced_at', { t: dayTime(last) }) : t('never_synced'));
  status.addEventListener('sync', (e) => {
    const s = e.detail;
    if (!status.isConnected || !location.hash.startsWith('#/queue')) return; // the vaccinator went to another screen
    if (s.running) { status.textContent = t('syncing', { n: s.sent }); return; }
    status.textContent = s.error === 'offline' ? t('sync_offline') : s.error ? t('sync_failed', { m: s.error }) : t('sync_done', { a: s.accepted, r: s.rejected });
    status.dataset.done = 'true';
    if (s.sent > 0) go('#/queue');
  });
  const btn = h('button', { type: 'button', class: 'primary', id: 'sync-btn', onclick: async () => {
    btn.disabled = true;
    await syncNow();
    btn.disabled = false;
  } }, t('sync_now'));
  const section = (id, title, list, empty, limit = 200) => h('section', { class: 'card', id },
    h('h2', {}, title, ' ', h('span', { class: 'count-label', 'data-n': list.length }, num(list.length))),
    list.length ? h('ul', { class: 'q-list' }, list.slice(0, limit).map(row)) : h('p', { class: 'muted' }, empty),
    list.length > limit ? h('p', { class: 'muted small' }, t('q_more', { n: num(list.length - limit) })) : null);
  return h('div', { class: 'screen queue' },
    h('div', { class: 'title-row' }, h('h1', {}, t('queue_title')), btn),
    status,
    app.signinNeeded ? h('p', { class: 'note' }, t('signin_again', { n: pending.length })) : null,
    section('attention', t('needs_attention'), rejected, t('none')),
    section('waiting', t('waiting'), pending, t('none')),
    section('sent', t('sent'), acceptedRows, t('none'), 20));
}
