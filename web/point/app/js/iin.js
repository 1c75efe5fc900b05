// Kazakh individual identification number (IIN): 12 digits, the last a
// two-pass weighted mod-11 check digit. The same rule as vaxtrace.ValidateIIN
// (the point app carries its own copy so that it works without the dashboard).

const W1 = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
const W2 = [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2];

function control(d) {
  let s = 0;
  for (let i = 0; i < 11; i++) s += d[i] * W1[i];
  let c = s % 11;
  if (c < 10) return c;
  s = 0;
  for (let i = 0; i < 11; i++) s += d[i] * W2[i];
  c = s % 11;
  return c < 10 ? c : -1;
}

/** checkIIN returns {ok, code}: code is ok | digits | length | never | check. */
export function checkIIN(v) {
  const s = String(v ?? '');
  if (/[^0-9]/.test(s)) return { ok: false, code: 'digits' };
  if (s.length !== 12) return { ok: false, code: 'length', n: s.length };
  const d = [...s].map(Number);
  const c = control(d);
  if (c < 0) return { ok: false, code: 'never' };
  if (c !== d[11]) return { ok: false, code: 'check' };
  return { ok: true, code: 'ok' };
}

/** completeIIN appends the check digit to 11 digits ('' if never issued). */
export function completeIIN(prefix) {
  if (!/^[0-9]{11}$/.test(prefix)) return '';
  const c = control([...prefix].map(Number));
  return c < 0 ? '' : prefix + c;
}

/** maskIIN shows only the last four digits, like the server (pii.Mask). */
export function maskIIN(s) { return s && s.length >= 4 ? '•'.repeat(s.length - 4) + s.slice(-4) : '••••'; }

/** iinKey is the device's key for a person: the SHA-256 of the IIN, so the
 * cache of looked-up people holds no IIN in clear. */
export async function iinKey(iin) {
  const b = await crypto.subtle.digest('SHA-256', new TextEncoder().encode('vaxtrace-point:' + iin));
  return [...new Uint8Array(b)].map((x) => x.toString(16).padStart(2, '0')).join('');
}
