// Thin client for the JSON API under /api/v1: a person signed in with a
// password travels on the HttpOnly session cookie (every write carries the
// session's CSRF token, kept in memory and asked again after a reload); an
// API token pasted by an administrator or a machine user goes as a bearer
// token from localStorage. An Idempotency-Key on every write, and errors
// turned into ApiError {status, code, field, message} from {"error":{...}}
// bodies.

const BASE = '/api/v1/';
const TOKEN_KEY = 'vaxtrace.token';
// SESSION_KEY marks "signed in with a password" (the secret itself is the
// HttpOnly cookie, which scripts cannot read).
const SESSION_KEY = 'vaxtrace.session';
let csrf = '';

export class ApiError extends Error {
  constructor(status, code, field, message, body, template, params) {
    super(message || code || ('HTTP ' + status));
    this.status = status;
    this.code = code || '';
    this.field = field || '';
    this.body = body || null; // the whole error answer (e.g. a partly accepted proposal)
    this.template = template || ''; // the message's Go template, for translation
    this.params = params || [];
  }
}

function apiError(status, data, text, statusText) {
  const e = (data && (data.error || data)) || {};
  return new ApiError(status, e.code, e.field, e.message || text.slice(0, 200) || statusText, data, e.template, e.params);
}

export function getToken() {
  try { return localStorage.getItem(TOKEN_KEY) || ''; } catch { return ''; }
}
export function setToken(tok) {
  try {
    if (tok) localStorage.setItem(TOKEN_KEY, tok); else localStorage.removeItem(TOKEN_KEY);
  } catch { /* ignore */ }
  cache.clear();
}

/** hasSession: signed in with a name and password (the cookie's session). */
export function hasSession() {
  try { return localStorage.getItem(SESSION_KEY) === '1'; } catch { return false; }
}

/** setSession records a password sign-in (its CSRF token) or, with null, its end. */
export function setSession(tok) {
  csrf = tok || '';
  try {
    if (tok) { localStorage.setItem(SESSION_KEY, '1'); localStorage.removeItem(TOKEN_KEY); } else localStorage.removeItem(SESSION_KEY);
  } catch { /* ignore */ }
  cache.clear();
}

/** refreshCSRF asks the server for the session's CSRF token (after a reload). */
export async function refreshCSRF() {
  const s = await request('GET', 'session');
  csrf = s?.csrf || '';
  return s;
}

/** signIn starts a session with a name and password; the answer holds the user and the CSRF token. */
export async function signIn(name, password) {
  setToken('');
  const s = await request('POST', 'session', { name, password });
  setSession(s.csrf);
  return s;
}

/** signOut ends the session on the server (best effort) and here. */
export async function signOut() {
  if (hasSession()) {
    try { await request('POST', 'session/logout'); } catch { /* the cookie ends with its session */ }
  }
  setSession(null);
  setToken('');
}

/** newKey returns a fresh idempotency key (also used for client ids). */
export function newKey() {
  if (globalThis.crypto?.randomUUID) return crypto.randomUUID();
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
}

const cache = new Map(); // GET responses for a short while, to keep navigation snappy
const TTL = 15000;

export function clearCache() { cache.clear(); }

async function request(method, path, body, key, retried) {
  const headers = { Accept: 'application/json' };
  const tok = getToken();
  if (tok) headers.Authorization = 'Bearer ' + tok;
  else if (method !== 'GET' && hasSession()) {
    if (!csrf && path !== 'session') await refreshCSRF().catch(() => {});
    if (csrf) headers['X-CSRF-Token'] = csrf;
  }
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET') headers['Idempotency-Key'] = key || newKey();
  let res;
  try {
    res = await fetch(BASE + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (e) {
    throw new ApiError(0, 'network', '', e.message);
  }
  const text = await res.text();
  let data = null;
  if (text) {
    try { data = JSON.parse(text); } catch { data = null; }
  }
  if (!res.ok) {
    const e = apiError(res.status, data, text, res.statusText);
    // a CSRF token from before the session was renewed: ask again, once
    if (res.status === 403 && !tok && !retried && method !== 'GET' && /CSRF/.test(e.message)) {
      csrf = '';
      return request(method, path, body, key, true);
    }
    throw e;
  }
  return data;
}

/**
 * postRaw sends a non-JSON body (text or bytes) with its content type and
 * returns the JSON answer. withToken: false sends no Authorization (public
 * routes such as certificate verification).
 */
export async function postRaw(path, body, contentType, { withToken = true } = {}) {
  const headers = { Accept: 'application/json', 'Content-Type': contentType, 'Idempotency-Key': newKey() };
  const tok = getToken();
  if (tok && withToken) headers.Authorization = 'Bearer ' + tok;
  else if (!tok && hasSession()) {
    if (!csrf) await refreshCSRF().catch(() => {});
    if (csrf) headers['X-CSRF-Token'] = csrf;
  }
  let res;
  try {
    res = await fetch(BASE + path, { method: 'POST', headers, body });
  } catch (e) {
    throw new ApiError(0, 'network', '', e.message);
  }
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (!res.ok) throw apiError(res.status, data, text, res.statusText);
  return data;
}

/** getText fetches a non-JSON resource (e.g. a printable HTML page) with the token. */
export async function getText(url) {
  const headers = {};
  const tok = getToken();
  if (tok) headers.Authorization = 'Bearer ' + tok;
  const res = await fetch(url, { headers });
  const text = await res.text();
  if (!res.ok) {
    let data = null;
    try { data = JSON.parse(text); } catch { /* not JSON */ }
    throw apiError(res.status, data, text, res.statusText);
  }
  return { text, type: res.headers.get('Content-Type') || 'text/html' };
}

/** get fetches path (relative to /api/v1/), with query params dropped when empty. */
export async function get(path, params, { fresh = false } = {}) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) if (v !== undefined && v !== null && v !== '') q.set(k, v);
  const url = path + (q.toString() ? '?' + q : '');
  const hit = cache.get(url);
  if (!fresh && hit && Date.now() - hit.at < TTL) return hit.p;
  const p = request('GET', url);
  cache.set(url, { at: Date.now(), p });
  p.catch(() => cache.delete(url));
  return p;
}

/** post writes; a successful write clears the read cache. */
export async function post(path, body, key) {
  const r = await request('POST', path, body, key);
  cache.clear();
  return r;
}

/** list unwraps the common list envelopes: [..], {items:[..]}, {<name>:[..]}, {data:[..]}. */
export function list(v, ...names) {
  if (Array.isArray(v)) return v;
  if (!v || typeof v !== 'object') return [];
  for (const n of [...names, 'items', 'data', 'results', 'rows']) if (Array.isArray(v[n])) return v[n];
  const arrays = Object.values(v).filter(Array.isArray);
  return arrays.length === 1 ? arrays[0] : [];
}

/** pick returns the first defined value among dotted paths of obj. */
export function pick(obj, ...paths) {
  for (const p of paths) {
    let v = obj;
    for (const k of p.split('.')) { v = v == null ? undefined : v[k]; }
    if (v !== undefined && v !== null) return v;
  }
  return undefined;
}
