// The device's durable storage (IndexedDB "vaxtrace-point"):
//   meta   key/value: who is signed in, the CSRF token, today's session
//          (date, vaccinator, place), the last sync
//   cache  key/value: catalog products (rules and GTINs), regions, the
//          point and its lots in stock, each with the time it was fetched
//   people looked-up people by the SHA-256 of their IIN (no IIN in clear)
//   queue  every record made on the device until the server has answered
//          for it: doses, corrections of accepted doses and session closes,
//          each under its client-generated id.
// IndexedDB commits survive closing the tab, a browser restart and a
// reboot; navigator.storage.persist() asks the browser not to evict them.

const DB = 'vaxtrace-point';
const VERSION = 1;
let dbp = null;

function req(r) {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

export function open() {
  if (dbp) return dbp;
  dbp = new Promise((resolve, reject) => {
    const r = indexedDB.open(DB, VERSION);
    r.onupgradeneeded = () => {
      const db = r.result;
      db.createObjectStore('meta');
      db.createObjectStore('cache');
      db.createObjectStore('people', { keyPath: 'key' });
      const q = db.createObjectStore('queue', { keyPath: 'id' });
      q.createIndex('status', 'status');
      q.createIndex('created', 'created');
      q.createIndex('iinKey', 'iinKey');
      q.createIndex('updated', 'updated');
    };
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
    r.onblocked = () => reject(new Error('the app is open in another tab with an older version; close it'));
  });
  if (navigator.storage?.persist) navigator.storage.persist().catch(() => {});
  return dbp;
}

/** tx runs fn(stores) in one transaction over names and resolves when it has committed. */
export async function tx(names, mode, fn) {
  const db = await open();
  return new Promise((resolve, reject) => {
    const t = db.transaction(names, mode);
    const stores = Object.fromEntries([].concat(names).map((n) => [n, t.objectStore(n)]));
    let out;
    Promise.resolve(fn(stores)).then((v) => { out = v; }, (e) => { try { t.abort(); } catch { /* done */ } reject(e); });
    t.oncomplete = () => resolve(out);
    t.onerror = () => reject(t.error);
    t.onabort = () => reject(t.error || new Error('transaction aborted'));
  });
}

export const get = (store, key) => tx(store, 'readonly', (s) => req(s[store].get(key)));
export const put = (store, value, key) => tx(store, 'readwrite', (s) => req(key === undefined ? s[store].put(value) : s[store].put(value, key)));
export const del = (store, key) => tx(store, 'readwrite', (s) => req(s[store].delete(key)));
export const all = (store) => tx(store, 'readonly', (s) => req(s[store].getAll()));

export const meta = (key) => get('meta', key);
export const setMeta = (key, v) => put('meta', v, key);
export const cached = (key) => get('cache', key);
export const setCached = (key, data) => put('cache', { data, at: Date.now() }, key);

/** queued lists queue records, oldest first, optionally of one status. */
export async function queued(status) {
  const rows = status
    ? await tx('queue', 'readonly', (s) => req(s.queue.index('status').getAll(status)))
    : await all('queue');
  return rows.sort((a, b) => a.created - b.created || (a.id < b.id ? -1 : 1));
}

/** queuedSince lists the records made at or after ts (Unix ms). */
export const queuedSince = (ts) => tx('queue', 'readonly', (s) => req(s.queue.index('created').getAll(IDBKeyRange.lowerBound(ts || 0))));

/** queuedFor lists the records of one person (by the SHA-256 key of the IIN). */
export const queuedFor = (key) => tx('queue', 'readonly', (s) => req(s.queue.index('iinKey').getAll(key)));

/** prune deletes accepted records last changed and answered before ts: the server has them. */
export const prune = (ts) => tx('queue', 'readwrite', (s) => new Promise((resolve, reject) => {
  const c = s.queue.index('updated').openCursor(IDBKeyRange.upperBound(ts, true)); // old records only
  c.onsuccess = () => {
    const cur = c.result;
    if (!cur) return resolve();
    if (cur.value.status === 'accepted' && (cur.value.answered || 0) < ts) cur.delete();
    cur.continue();
  };
  c.onerror = () => reject(c.error);
}));

/** counts returns the number of queue records by status. */
export async function counts() {
  const out = { pending: 0, rejected: 0, accepted: 0 };
  await tx('queue', 'readonly', async (s) => {
    const idx = s.queue.index('status');
    for (const k of Object.keys(out)) out[k] = await req(idx.count(k));
  });
  return out;
}

/** putMany writes many queue records in one transaction. */
export const putMany = (rows) => tx('queue', 'readwrite', (s) => { for (const r of rows) s.queue.put(r); });

/** wipe empties the named stores (a signed-out person's look-ups). */
export const wipe = (names) => tx(names, 'readwrite', (s) => { for (const n of names) s[n].clear(); });
