// Uploading the queue. Records go to the server in the order they were
// made: doses through the batch API (POST /api/v1/doses/batch, 1,000 a
// request, one result per record), then corrections of accepted doses
// (POST /api/v1/doses/{id}/correct), then session closes (POST
// /api/v1/sessions), which count the doses of their day.
//
// Every record keeps its client-generated id, and the server's idempotency
// key is derived from it ("dose:<id>"), so an upload whose answer was lost
// can be sent again without recording anything twice. A record is sent
// only while it is pending: accepted ones never again, rejected ones only
// after the vaccinator fixed them. Before a request leaves, its records are
// marked "sent" in IndexedDB; if the answer never comes they stay pending
// and uncertain, and a later "conflict" answer for such a record is checked
// against the server's copy (it was recorded after all).

import * as api from './api.js';
import * as store from './store.js';

export const CHUNK = 1000;
// accepted records stay on the device this long (to be seen and corrected), then go
export const KEEP_DAYS = 30;
let running = null;
const listeners = new Set();

/** onChange registers fn(state) for sync progress and results. */
export function onChange(fn) { listeners.add(fn); return () => listeners.delete(fn); }
function emit(state) { for (const fn of listeners) try { fn(state); } catch { /* a screen went away */ } }

/** sync uploads what is pending; one run at a time (across tabs too). */
export function sync() {
  if (running) return running;
  const run = () => upload().finally(() => { running = null; });
  running = navigator.locks ? navigator.locks.request('vaxtrace-point-sync', run) : run();
  return running;
}

async function upload() {
  const state = { sent: 0, accepted: 0, rejected: 0, error: null, signin: false };
  if (!navigator.onLine) { state.error = 'offline'; emit(state); return state; }
  emit({ ...state, running: true });
  try {
    // a record goes up under the session of the person who made it, so that
    // the journal names the right user; others wait for their maker
    const me = (await store.meta('me'))?.name;
    state.mine = (r) => !r.by || r.by === me;
    await doses(state);
    await corrections(state);
    await sessions(state);
    await store.setMeta('synced_at', Date.now());
    await store.prune(Date.now() - KEEP_DAYS * 86400000);
  } catch (e) {
    state.error = e.status === 0 ? 'offline' : e.message;
    state.signin = e.status === 401;
  }
  delete state.mine;
  emit(state);
  return state;
}

const strip = (r) => {
  // once the server has the record, the device keeps no IIN in clear
  if (r.body.iin) { r.masked = r.masked || ('•'.repeat(8) + r.body.iin.slice(-4)); delete r.body.iin; }
  return r;
};

async function doses(state) {
  // what is pending now, read once; records made meanwhile go in the next run
  const readAt = Date.now();
  const all = (await store.queued('pending')).filter((r) => r.kind === 'dose' && state.mine(r));
  // records of an upload that never got its answer (the tab or the browser
  // was closed meanwhile) count as sent once
  const lost = new Set((await store.meta('inflight'))?.ids || []);
  for (const r of all) {
    if (lost.has(r.id) && !r.uncertain) { r.attempts = (r.attempts || 0) + 1; r.uncertain = true; }
  }
  for (let i = 0; i < all.length; i += CHUNK) {
    const pending = all.slice(i, i + CHUNK);
    const now = Date.now();
    for (const r of pending) { r.attempts = (r.attempts || 0) + 1; r.sent_at = now; }
    // one write says which records are on their way (not one per record)
    await store.setMeta('inflight', { ids: pending.map((r) => r.id), at: now });
    const res = await api.post('doses/batch', pending.map((r) => r.body));
    state.sent += pending.length;
    const byID = new Map((res.results || []).map((x) => [x.id, x]));
    const confirm = [];
    for (const r of pending) {
      const x = byID.get(r.body.id);
      r.uncertain = false;
      r.answered = Date.now(); // not "updated": that one marks the vaccinator's edits
      if (!x) { r.uncertain = true; continue; } // not answered for: stays pending
      if (x.status === 'accepted' || x.status === 'duplicate') {
        r.status = 'accepted';
        r.error = null;
        r.result = { dose_number: x.dose_number, booster: !!x.booster, registered: !!x.person_registered, duplicate: x.status === 'duplicate' };
        strip(r);
        state.accepted++;
      } else if (x.error?.code === 'conflict' && r.attempts > 1) {
        confirm.push(r); // maybe recorded by an upload whose answer was lost
      } else {
        r.status = 'rejected';
        r.error = { code: x.error?.code || '', field: x.error?.field || '', message: x.error?.message || '' };
        state.rejected++;
      }
    }
    for (const r of confirm) await confirmLost(r, state);
    await writeBack(pending, readAt);
    await store.setMeta('inflight', null);
    emit({ ...state, running: true });
  }
}

// writeBack stores the answers. A record the vaccinator edited while its
// upload was on its way (changed since the queue was read) keeps the edit: if the server
// accepted what was sent, the edit becomes a correction; if it refused it,
// the edited record waits for the next run.
async function writeBack(rows, since) {
  const corrections = [];
  await store.tx('queue', 'readwrite', async (s) => {
    const changed = await new Promise((res, rej) => {
      const q = s.queue.index('updated').getAll(IDBKeyRange.lowerBound(since, true)); // usually none
      q.onsuccess = () => res(new Map(q.result.map((x) => [x.id, x])));
      q.onerror = () => rej(q.error);
    });
    for (const r of rows) {
      const cur = changed.get(r.id);
      if (!cur) { s.queue.put(r); continue; }
      if (r.status === 'accepted') {
        const diff = {};
        if (cur.body.lot !== r.body.lot) diff.lot = cur.body.lot;
        if (Date.parse(cur.body.at) !== Date.parse(r.body.at)) diff.at = cur.body.at;
        if (Object.keys(diff).length) corrections.push(newCorrection(r, diff, 'edited on the device while it was being sent'));
        s.queue.put(r);
      } else {
        cur.uncertain = r.uncertain;
        cur.attempts = r.attempts;
        s.queue.put(cur);
      }
    }
  });
  if (corrections.length) await store.putMany(corrections);
}

// confirmLost asks whether a dose the server now calls a conflict is in
// fact recorded (sent earlier, answer lost, edited since): then it is
// accepted, and the edit becomes a correction.
async function confirmLost(r, state) {
  try {
    const d = await api.get('doses/' + encodeURIComponent(r.body.id));
    r.status = 'accepted';
    r.error = null;
    r.result = { dose_number: d.dose_number, confirmed: true };
    const diff = {};
    if (d.lot !== r.body.lot) diff.lot = r.body.lot;
    if (Date.parse(d.at) !== Date.parse(r.body.at)) diff.at = r.body.at;
    if (Object.keys(diff).length) {
      await store.put('queue', newCorrection(r, diff, 'edited on the device before the upload was confirmed'));
    }
    strip(r);
    state.accepted++;
  } catch (e) {
    if (e.status === 0) throw e;
    r.status = 'rejected';
    r.error = { code: 'conflict', field: 'id', message: 'the server holds another record under this id: ' + e.message };
    state.rejected++;
  }
}

/** newCorrection makes the queue record that corrects an accepted dose. */
export function newCorrection(dose, changes, reason) {
  const id = dose.id + ':c' + Date.now().toString(36);
  return {
    id, kind: 'correction', status: 'pending', created: Date.now(), updated: Date.now(), attempts: 0,
    dose: dose.id, body: { ...changes, reason }, display: { ...dose.display, ...(changes.display || {}) },
  };
}

async function corrections(state) {
  const all = (await store.queued('pending')).filter((x) => x.kind === 'correction' && state.mine(x));
  for (const r of all) {
    const dose = await store.get('queue', r.dose);
    if (!dose || dose.status !== 'accepted') continue; // its dose is not on the server yet
    const body = { ...r.body };
    delete body.display;
    r.attempts++;
    try {
      const res = await api.post('doses/' + encodeURIComponent(r.dose) + '/correct', body, 'dose.correct:' + r.id);
      r.status = 'accepted';
      r.error = null;
      r.result = { dose_number: res.dose?.dose_number };
      if (r.body.iin) delete r.body.iin;
      state.accepted++;
    } catch (e) {
      if (e.status === 0 || e.status === 401 || e.status >= 500) throw e;
      r.status = 'rejected';
      r.error = { code: e.code, field: e.field, message: e.message };
      state.rejected++;
    }
    r.answered = Date.now();
    state.sent++;
    await store.put('queue', r);
  }
}

async function sessions(state) {
  const all = await store.queued('pending');
  if (all.some((r) => r.kind === 'correction' && state.mine(r))) return; // corrections may move doses between days
  // a close counts the doses of its day and lot: it waits while one of them
  // is still on the device (waiting, or refused and not fixed or discarded)
  const open = [...all, ...await store.queued('rejected')].filter((r) => r.kind === 'dose');
  const waits = (x) => open.some((d) => d.body.place === x.body.place && d.body.lot === x.body.lot && (d.display?.date || '') === x.body.date);
  for (const r of all.filter((x) => x.kind === 'session' && state.mine(x) && !waits(x))) {
    r.attempts++;
    try {
      const res = await api.post('sessions', r.body, 'session:' + r.body.session);
      r.status = 'accepted';
      r.error = null;
      r.result = { administered: res.data?.administered, wasted: res.data?.wasted };
      state.accepted++;
    } catch (e) {
      if (e.status === 0 || e.status === 401 || e.status >= 500) throw e;
      r.status = 'rejected';
      r.error = { code: e.code, field: e.field, message: e.message };
      state.rejected++;
    }
    r.answered = Date.now();
    state.sent++;
    await store.put('queue', r);
  }
}
