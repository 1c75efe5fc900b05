// The JSON API as the point app uses it: the session cookie travels by
// itself (same origin); every write carries the session's CSRF token and an
// Idempotency-Key. Errors become ApiError {status, code, field, message};
// status 0 means the network failed (offline).

import * as store from './store.js';

export class ApiError extends Error {
  constructor(status, code, field, message) {
    super(message || code || 'HTTP ' + status);
    this.status = status;
    this.code = code || '';
    this.field = field || '';
  }
}

let csrf = '';
export function setCSRF(tok) { csrf = tok || ''; }

async function call(method, path, body, key, retried) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET') {
    if (!csrf) csrf = (await store.meta('csrf')) || '';
    if (csrf) headers['X-CSRF-Token'] = csrf;
    if (key) headers['Idempotency-Key'] = key;
  }
  let res;
  try {
    res = await fetch('/api/v1/' + path, { method, headers, credentials: 'same-origin', cache: 'no-store', body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (e) {
    throw new ApiError(0, 'network', '', e.message);
  }
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (!res.ok) {
    const e = (data && data.error) || {};
    // a CSRF token from before a restart of the session: fetch it again, once
    if (res.status === 403 && /CSRF/.test(e.message || '') && !retried && method !== 'GET') {
      if (await refreshSession().catch(() => null)) return call(method, path, body, key, true);
    }
    throw new ApiError(res.status, e.code, e.field, e.message || res.statusText);
  }
  return data;
}

export const get = (path) => call('GET', path);
export const post = (path, body, key) => call('POST', path, body, key);

/** refreshSession asks who is signed in and keeps the CSRF token; null if nobody. */
export async function refreshSession() {
  try {
    const s = await call('GET', 'session');
    setCSRF(s.csrf);
    await store.setMeta('csrf', s.csrf);
    await store.setMeta('me', s.user);
    await store.setMeta('expires', s.expires);
    return s;
  } catch (e) {
    if (e.status === 401) return null;
    throw e;
  }
}
