// Kazakh individual identification number (IIN / ЖСН): 12 digits, the last
// a two-pass weighted mod-11 check digit (weights 1..11, then 3..11,1,2; if
// both passes give 10 the prefix is never issued). Mirrors vaxtrace.ValidateIIN.

const W1 = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
const W2 = [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2];

/** controlDigit returns the check digit for 11 digits, or -1 if never issued. */
export function controlDigit(d) {
  let s = 0;
  for (let i = 0; i < 11; i++) s += d[i] * W1[i];
  let c = s % 11;
  if (c < 10) return c;
  s = 0;
  for (let i = 0; i < 11; i++) s += d[i] * W2[i];
  c = s % 11;
  return c < 10 ? c : -1;
}

/**
 * checkIIN returns {ok, code} where code is one of
 * 'ok' | 'digits' | 'length' | 'never' | 'check'.
 */
export function checkIIN(v) {
  const s = String(v ?? '');
  if (/[^0-9]/.test(s)) return { ok: false, code: 'digits' };
  if (s.length !== 12) return { ok: false, code: 'length', n: s.length };
  const d = [...s].map(Number);
  const c = controlDigit(d);
  if (c < 0) return { ok: false, code: 'never' };
  if (c !== d[11]) return { ok: false, code: 'check' };
  return { ok: true, code: 'ok' };
}

/** completeIIN appends the check digit to an 11-digit prefix ('' if never issued). */
export function completeIIN(prefix) {
  if (!/^[0-9]{11}$/.test(prefix)) return '';
  const c = controlDigit([...prefix].map(Number));
  return c < 0 ? '' : prefix + c;
}
