package fhir

import (
	"bytes"
	"context"
	"testing"

	"vaxtrace/engine"
	"vaxtrace/pii"
)

func fuzzSetup(f *testing.F) (*engine.Engine, *pii.Keys, *Importer) {
	eng := newMemEngine(f)
	seedBase(f, eng, 100000)
	return eng, testKeys(f), &Importer{DefaultRegion: "KZ-ALA", DefaultPlace: "p-ala", DefaultVaccinator: "fuzz", DefaultLots: map[string]string{"sputnik-v": "SV1-0121"}, MaxEntryBytes: 4096, BatchSize: 3}
}

func FuzzImportNDJSON(f *testing.F) {
	eng, keys, im := fuzzSetup(f)
	f.Add([]byte(goodImm(nil)))
	f.Add([]byte(goodPatient + "\n" + goodImm(nil)))
	f.Add([]byte(`{"resourceType":"Patient","identifier":[{"system":"s","value":"v"}],"name":[{"family":"F"}],"birthDate":"2000-01-01"}` + "\n" + `{"resourceType":"Immunization","status":"entered-in-error","vaccineCode":{"coding":[{"system":"http://hl7.org/fhir/sid/cvx","code":"505"}]},"patient":{"identifier":{"system":"s","value":"v"}},"occurrenceDateTime":"2021-01-20"}`))
	f.Add([]byte("\n\n{}\n[]\nnull\n\"x\"\n{\"resourceType\":1}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rep, _ := im.Import(context.Background(), eng, keys, admin, bytes.NewReader(data), "ndjson")
		if rep.Accepted+rep.Rejected+rep.Duplicates+rep.Skipped != rep.Entries {
			t.Fatalf("counts do not add up: %+v", rep)
		}
	})
}

func FuzzImportBundle(f *testing.F) {
	eng, keys, im := fuzzSetup(f)
	f.Add([]byte(`{"resourceType":"Bundle","type":"transaction","entry":[{"fullUrl":"urn:uuid:1","resource":` + goodPatient + `},{"resource":` + goodImm(nil) + `}]}`))
	f.Add([]byte(`{"resourceType":"Bundle","type":"collection","entry":[{"resource":null},{},{"request":{"method":"GET"}}]}`))
	f.Add([]byte(`{"entry":[],"resourceType":"Bundle","type":"batch","extra":{"a":[1,2,{}]}}`))
	f.Add([]byte(`{"resourceType":"Bundle","type":"batch","entry":[{"resource":{"resourceType":"Immunization","status":"completed","vaccineCode":{"coding":[{"system":"http://hl7.org/fhir/sid/cvx","code":"505"}]},"patient":{"reference":"urn:uuid:1"},"occurrenceDateTime":"2021-13-01"}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		rep, _ := im.Import(context.Background(), eng, keys, admin, bytes.NewReader(data), "bundle")
		if rep.Accepted+rep.Rejected+rep.Duplicates+rep.Skipped != rep.Entries {
			t.Fatalf("counts do not add up: %+v", rep)
		}
	})
}
