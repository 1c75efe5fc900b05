// GS1 barcodes in the browser: the same parser as the Go package gs1
// (gs1/testdata/vectors.json holds the cases both must agree on), and the
// resolution of a scanned pack against the catalog and the point's lots as
// cached on the device, so that scanning works offline.
//
// Accepted: raw element strings as a scanner sends them (optionally led by
// ]d2, ]C1, ]Q3, ]e0, ]J1; FNC1 as the GS character, or "<GS>", "{GS}",
// "[GS]", "␝" typed in its place) and the bracketed human-readable form.

const GS = '\x1d';
const MAX_LEN = 1024;

const AIS = {
  '00': { name: 'SSCC', fixed: 18, numeric: true }, '01': { name: 'GTIN', fixed: 14, numeric: true },
  '02': { name: 'CONTENT', fixed: 14, numeric: true }, 11: { name: 'PROD DATE', fixed: 6, numeric: true },
  12: { name: 'DUE DATE', fixed: 6, numeric: true }, 13: { name: 'PACK DATE', fixed: 6, numeric: true },
  15: { name: 'BEST BEFORE', fixed: 6, numeric: true }, 16: { name: 'SELL BY', fixed: 6, numeric: true },
  17: { name: 'EXPIRY', fixed: 6, numeric: true }, 20: { name: 'VARIANT', fixed: 2, numeric: true },
  10: { name: 'BATCH/LOT', max: 20 }, 21: { name: 'SERIAL', max: 20 }, 22: { name: 'CPV', max: 20 },
  240: { name: 'ADDITIONAL ID', max: 30 }, 241: { name: 'CUST. PART No.', max: 30 },
  30: { name: 'VAR. COUNT', max: 8, numeric: true }, 37: { name: 'COUNT', max: 8, numeric: true },
  710: { name: 'NHRN PZN', max: 20 }, 711: { name: 'NHRN CIP', max: 20 }, 712: { name: 'NHRN CN', max: 20 },
  713: { name: 'NHRN DRN', max: 20 }, 714: { name: 'NHRN AIM', max: 20 }, 90: { name: 'INTERNAL', max: 30 },
};
for (let i = 91; i <= 99; i++) AIS[i] = { name: 'INTERNAL', max: 90 };
const MEASURE = { name: 'MEASURE', fixed: 6, numeric: true };
const SYMBOLOGIES = { ']d2': 'GS1 DataMatrix', ']C1': 'GS1-128', ']Q3': 'GS1 QR Code', ']e0': 'GS1 DataBar', ']J1': 'GS1 DotCode' };

export class GS1Error extends Error {
  constructor(field, message) { super(message); this.field = field; }
}
const bad = (msg) => new GS1Error('code', msg);

const isDigits = (s) => s !== '' && /^[0-9]+$/.test(s);
const isMeasure = (ai) => ai.length === 4 && ai[0] === '3' && ai[1] >= '1' && ai[1] <= '6' && isDigits(ai);
const specOf = (ai) => (isMeasure(ai) ? MEASURE : AIS[ai]);

function lookup(s) {
  if (s.length >= 4 && isMeasure(s.slice(0, 4))) return [s.slice(0, 4), MEASURE];
  if (s.length >= 3 && Object.hasOwn(AIS, s.slice(0, 3))) return [s.slice(0, 3), AIS[s.slice(0, 3)]];
  if (s.length >= 2 && Object.hasOwn(AIS, s.slice(0, 2))) return [s.slice(0, 2), AIS[s.slice(0, 2)]];
  return null;
}

const clip = (s, n) => (s.length > n ? s.slice(0, n) + '…' : s).replace(/[\x00-\x1f]/g, '·');
const printable = (c) => (c < ' ' || c > '~' ? '\\x' + c.charCodeAt(0).toString(16).padStart(2, '0') : c);
const cset82 = (c) => /[0-9A-Za-z!"%&'()*+,\-./:;<=>?_]/.test(c);

/** normalizeGTIN checks a GTIN-8/12/13/14 and returns its 14-digit form. */
export function normalizeGTIN(s) {
  if (![8, 12, 13, 14].includes(s.length)) throw new GS1Error('gtin', `a GTIN has 8, 12, 13 or 14 digits, not ${s.length} characters`);
  let sum = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c < '0' || c > '9') throw new GS1Error('gtin', `a GTIN has digits only; "${c}" at position ${i + 1} is not one`);
    if (i === s.length - 1) break;
    let d = +c;
    if ((s.length - 2 - i) % 2 === 0) d *= 3;
    sum += d;
  }
  const want = String((10 - (sum % 10)) % 10);
  if (s[s.length - 1] !== want) throw new GS1Error('gtin', `check digit of GTIN ${s} is ${s[s.length - 1]}, the other digits need ${want} (mistyped or not a GTIN)`);
  return s.padStart(14, '0');
}

function checkValue(ai, sp, v) {
  if (v === '') throw bad(`AI (${ai}) ${sp.name} is empty`);
  for (let i = 0; i < v.length; i++) {
    const ch = v[i];
    if (sp.numeric) {
      if (ch < '0' || ch > '9') throw bad(`AI (${ai}) ${sp.name} must be digits; character ${i + 1} is "${printable(ch)}"`);
    } else if (!cset82(ch)) {
      throw bad(`AI (${ai}) ${sp.name} contains "${printable(ch)}", which a GS1 barcode cannot carry`);
    }
  }
}

function splitRaw(s) {
  const out = [];
  let pos = 0;
  while (pos < s.length) {
    if (s[pos] === GS) { pos++; continue; }
    const f = lookup(s.slice(pos));
    if (!f) {
      if (pos === 0) throw bad('does not start with a GS1 application identifier such as 01 (GTIN): not a GS1 barcode');
      throw bad(`unknown or unsupported application identifier at character ${pos + 1} ("${clip(s.slice(pos), 4)}")`);
    }
    const [ai, sp] = f;
    pos += ai.length;
    let v;
    if (sp.fixed) {
      if (s.length - pos < sp.fixed) throw bad(`AI (${ai}) ${sp.name} needs ${sp.fixed} characters, only ${s.length - pos} follow`);
      v = s.slice(pos, pos + sp.fixed);
      pos += sp.fixed;
    } else {
      let end = s.indexOf(GS, pos);
      if (end < 0) end = s.length;
      v = s.slice(pos, end);
      pos = end;
      if (v.length > sp.max) throw bad(`AI (${ai}) ${sp.name} is ${v.length} characters long, at most ${sp.max} are allowed: a group separator (FNC1) is probably missing after it`);
    }
    checkValue(ai, sp, v);
    out.push([ai, v]);
  }
  return out;
}

function nextAI(s) {
  for (let i = 0; i < s.length; i++) {
    if (s[i] !== '(') continue;
    let j = i + 1;
    while (j < s.length && j - i - 1 < 4 && s[j] >= '0' && s[j] <= '9') j++;
    if (j < s.length && s[j] === ')' && j - i - 1 >= 2) return i;
  }
  return s.length;
}

function splitBracketed(s) {
  const out = [];
  s = s.trim();
  while (s !== '') {
    if (s[0] !== '(') throw bad(`expected "(" before an application identifier, found "${clip(s, 6)}"`);
    const close = s.indexOf(')');
    if (close < 0) throw bad('an application identifier is opened with "(" but never closed');
    const ai = s.slice(1, close);
    const sp = isMeasure(ai) ? MEASURE : Object.hasOwn(AIS, ai) ? AIS[ai] : null;
    if (!sp) throw bad(`(${clip(ai, 8)}) is not a supported GS1 application identifier`);
    s = s.slice(close + 1);
    const next = nextAI(s);
    const v = s.slice(0, next).trim();
    s = s.slice(next).trim();
    if (sp.fixed && v.length !== sp.fixed) throw bad(`AI (${ai}) ${sp.name} needs exactly ${sp.fixed} characters, got ${v.length}`);
    if (!sp.fixed && (v.length === 0 || v.length > sp.max)) throw bad(`AI (${ai}) ${sp.name} must have 1 to ${sp.max} characters, got ${v.length}`);
    checkValue(ai, sp, v);
    out.push([ai, v]);
  }
  return out;
}

function century(yy, current) {
  const base = current - (current % 100);
  const diff = yy - (current % 100);
  if (diff >= 51) return base - 100 + yy;
  if (diff <= -50) return base + 100 + yy;
  return base + yy;
}

function expiry(v, today) {
  const yy = +v.slice(0, 2), mm = +v.slice(2, 4);
  let dd = +v.slice(4, 6);
  if (mm < 1 || mm > 12) throw new GS1Error('expiry', `AI (17) ${v} has month ${v.slice(2, 4)}`);
  const year = century(yy, +today.slice(0, 4));
  const last = new Date(Date.UTC(year, mm, 0)).getUTCDate();
  if (dd === 0) dd = last;
  if (dd > last) throw new GS1Error('expiry', `AI (17) ${v}: ${year}-${v.slice(2, 4)} has no day ${v.slice(4, 6)}`);
  return `${String(year).padStart(4, '0')}-${v.slice(2, 4)}-${String(dd).padStart(2, '0')}`;
}

const STAND_INS = /<GS>|\{GS\}|\[GS\]|\u241d/gi;

/**
 * parse reads a GS1 element string; today (YYYY-MM-DD) fixes the century of
 * two-digit years. It returns {symbology, form, gtin, expiry, expiry_text,
 * lot, serial, other} or throws a GS1Error naming the field.
 */
export function parse(input, today) {
  let s = String(input ?? '');
  if (s.length > MAX_LEN) throw bad(`longer than ${MAX_LEN} characters: not a pack barcode`);
  s = s.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');
  if (s === '') throw bad('empty: scan or type the barcode');
  const c = { symbology: '', form: '', gtin: '', expiry: '', expiry_text: '', lot: '', serial: '', other: {} };
  if (s[0] === ']') {
    if (s.length <= 3) throw bad('a symbology identifier (]d2, ]C1, ]Q3, ]e0) must be followed by the data');
    const id = s.slice(0, 3);
    if (!SYMBOLOGIES[id]) throw bad(`symbology identifier "${id}" is not a GS1 barcode (GS1 DataMatrix is ]d2, GS1-128 ]C1, GS1 QR ]Q3, GS1 DataBar ]e0)`);
    c.symbology = SYMBOLOGIES[id];
    s = s.slice(3);
  }
  if (s.startsWith('http://') || s.startsWith('https://')) throw bad("a web address is not a GS1 element string; scan the DataMatrix or GS1-128 code on the pack");
  let pairs;
  if (s.replace(/^ +/, '').startsWith('(')) {
    if (c.symbology) throw bad('the bracketed form is printed text, it cannot follow a symbology identifier');
    c.form = 'bracketed';
    pairs = splitBracketed(s);
  } else {
    c.form = 'raw';
    pairs = splitRaw(s.replace(STAND_INS, GS));
  }
  const seen = new Set();
  for (const [ai, v] of pairs) {
    if (seen.has(ai)) throw bad(`AI (${ai}) appears twice`);
    seen.add(ai);
    if (ai === '01') {
      try { c.gtin = normalizeGTIN(v); } catch (e) { throw bad('AI (01): ' + e.message); }
    } else if (ai === '17') {
      c.expiry = expiry(v, today);
      c.expiry_text = v;
    } else if (ai === '10') c.lot = v;
    else if (ai === '21') c.serial = v;
    else c.other[ai] = v;
  }
  if (pairs.length === 0) throw bad('no GS1 data after the symbology identifier');
  return c;
}

/**
 * resolve finds a parsed code's product (by GTIN in the cached catalog) and
 * lot (among the lots known on the device) and refuses, like the server's
 * gs1.Resolve, an unknown GTIN or lot, a lot of another product or
 * component, a printed expiry that disagrees with the registered one, and
 * an expired lot. Errors carry {field, key, vars} for translation.
 */
export function resolve(products, lots, code, day) {
  const fail = (field, key, vars) => { const e = new GS1Error(field, key); e.key = key; e.vars = vars; throw e; };
  if (!code.gtin) fail('gtin', 'scan_no_gtin', {});
  let prod = null, item = null;
  for (const p of products) for (const g of p.gtins || []) if (g.gtin === code.gtin) { prod = p; item = g; }
  if (!prod) fail('gtin', 'scan_unknown_gtin', { g: code.gtin });
  if (!code.lot) fail('lot', 'scan_no_lot', {});
  const lot = (lots || []).find((l) => l.lot === code.lot);
  if (!lot) fail('lot', 'scan_unknown_lot', { l: code.lot, p: prod.name });
  if (lot.product !== prod.code || lot.component !== item.component) {
    fail('lot', 'scan_lot_mismatch', { l: lot.lot, lp: lot.product, lc: lot.component, p: prod.code, c: item.component });
  }
  if (code.expiry && code.expiry !== lot.expiry) fail('expiry', 'scan_expiry_mismatch', { l: lot.lot, b: code.expiry, r: lot.expiry });
  if (lot.expiry < day) fail('lot', 'scan_expired', { l: lot.lot, d: lot.expiry });
  return { product: prod, item, lot, code };
}
