// Parses every input of the JSON file named by argv[2] with the browser's
// GS1 parser and prints the results as JSON (for gs1/js_test.go's
// differential test against the Go parser).
import { readFileSync } from 'node:fs';
import { parse } from '../../web/point/app/js/gs1.js';

const { today, inputs } = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const out = inputs.map((s) => {
  try {
    return { ok: parse(s, today) };
  } catch (e) {
    return { field: e.field || 'exception:' + e.message };
  }
});
process.stdout.write(JSON.stringify(out));
