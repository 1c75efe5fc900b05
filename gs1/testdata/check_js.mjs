// Runs the browser's GS1 parser (web/point/app/js/gs1.js) over the shared
// vectors; gs1/js_test.go calls it with node. Prints one line per failure
// and exits non-zero if any.
import { readFileSync } from 'node:fs';
import { parse } from '../../web/point/app/js/gs1.js';

const vectors = JSON.parse(readFileSync(new URL('./vectors.json', import.meta.url)));
let failed = 0;
for (const v of vectors) {
  const input = v.repeat ? v.input.repeat(v.repeat) : v.input;
  let got, err;
  try { got = parse(input, v.today); } catch (e) { err = e; }
  if (v.error) {
    if (!err || !err.message.includes(v.error) || err.field !== v.field) {
      console.log(`FAIL ${v.name}: got ${err ? err.field + ': ' + err.message : JSON.stringify(got)}, want ${v.field} containing "${v.error}"`);
      failed++;
    }
    continue;
  }
  if (err) { console.log(`FAIL ${v.name}: ${err.message}`); failed++; continue; }
  const w = { symbology: '', form: '', gtin: '', expiry: '', expiry_text: '', lot: '', serial: '', other: {}, ...v.want };
  const g = { ...got };
  if (JSON.stringify(Object.entries(g).sort()) !== JSON.stringify(Object.entries(w).sort())) {
    console.log(`FAIL ${v.name}: got ${JSON.stringify(g)}, want ${JSON.stringify(w)}`);
    failed++;
  }
}
console.log(`${vectors.length - failed} of ${vectors.length} vectors agree`);
process.exit(failed ? 1 : 0);
