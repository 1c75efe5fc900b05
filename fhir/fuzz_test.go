package fhir

import (
	"bytes"
	"context"
	"encoding/json"
	"reflect"
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

// FuzzDecodeFast: whenever the hand-written decoder accepts an input,
// encoding/json accepts it too and decodes exactly the same resource.
func FuzzDecodeFast(f *testing.F) {
	f.Add([]byte(goodPatient))
	f.Add([]byte(goodImm(nil)))
	f.Add([]byte(`{"resourceType":"Immunization","identifier":[{"system":"s","value":"v","assigner":{"type":"Organization","display":"MoH"}}],"extension":[{"url":"u","valueCoding":{"system":"s","code":"c"}},null],"status":"completed","vaccineCode":{"coding":[{"system":"http://hl7.org/fhir/sid/cvx","code":"505"},null],"text":"x"},"patient":{"reference":"Patient/p1","identifier":{"system":"i","value":"850101300145"}},"occurrenceDateTime":"2021-04-01T10:00:00+06:00","recorded":"2021-04-02","primarySource":true,"location":{"identifier":{"system":"p","value":"v"},"display":"Алматы"},"manufacturer":{"display":"KPC"},"lotNumber":"L","performer":[{"function":{"coding":[{"code":"AP"}]},"actor":{"display":"n"}}],"protocolApplied":[{"series":"S","authority":{"type":"Organization"},"targetDisease":[{"coding":[{"code":"840539006"}]}],"doseNumberPositiveInt":2,"seriesDosesPositiveInt":2}],"meta":{"profile":["x"]},"unknown":[1,2.5e3,{"a":"\u00e9"}]}`))
	f.Add([]byte(`{"resourceType":"Patient","Name":[],"name":null,"gender":7}`))
	f.Add([]byte(`{"resourceType":"Patient","id":"a","id":"b"}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		var fast anyResource
		if !decodeFast(raw, &fast) {
			return
		}
		var slow anyResource
		if err := json.Unmarshal(raw, &slow); err != nil {
			t.Fatalf("fast decoder accepted what encoding/json refuses (%v): %q", err, raw)
		}
		if !reflect.DeepEqual(fast, slow) {
			t.Fatalf("decoders differ on %q:\nfast %+v\nslow %+v", raw, fast, slow)
		}
	})
}
