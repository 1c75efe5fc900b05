package dhis2

import (
	"bytes"
	"os"
	"testing"
)

// FuzzParseMapping: any document either parses into a mapping that
// validates and can be computed and encoded, or is refused with an error;
// it never panics.
func FuzzParseMapping(f *testing.F) {
	b, err := os.ReadFile("testdata/mapping-example.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte(`{"org_units":{"national":"x"},"entries":[{"measure":"doses","data_element":"d","level":"national"}]}`))
	f.Add([]byte(`{"org_units":{"national":"x"},"entries":[{"measure":"doses","data_element":"d","level":"point","dimensions":[{"name":"sex","options":[{"code":"F"},{"code":"*","values":["*"]}]}],"category_option_combos":{"F":"a","*":"b"}}]}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		m, err := ParseMapping(bytes.NewReader(doc))
		if err != nil {
			return
		}
		if err := m.Validate(); err != nil {
			t.Fatalf("parsed but does not validate: %v", err)
		}
		w := fuzzWorld(t)
		p, _ := NewPeriods(Daily, w.from, w.from+30)
		r := Compute(w.s, m, p)
		var out bytes.Buffer
		if err := EncodeJSON(&out, r, r.Values); err != nil {
			t.Fatal(err)
		}
	})
}

// FuzzParseSummary: whatever a server answers, ParseSummary returns a
// summary or an error, never panics.
func FuzzParseSummary(f *testing.F) {
	f.Add(200, []byte(`{"responseType":"ImportSummary","status":"SUCCESS","importCount":{"imported":2}}`))
	f.Add(409, []byte(`{"httpStatus":"Conflict","httpStatusCode":409,"status":"WARNING","response":{"status":"WARNING","conflicts":[{"object":"o","value":"v","indexes":[1]}]}}`))
	f.Add(500, []byte(`<html/>`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		s, err := ParseSummary(status, body)
		if err == nil && s.Status == "" {
			t.Fatal("a summary without a status")
		}
	})
}

// FuzzParsePeriodID: a period id that parses is printed back the same.
func FuzzParsePeriodID(f *testing.F) {
	for _, s := range []string{"20210319", "2021W1", "2020W53", "2021W54", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		typ, start, err := ParsePeriodID(s)
		if err != nil {
			return
		}
		p, err := NewPeriods(typ, start, start)
		if err != nil {
			t.Fatal(err)
		}
		if p.ID(0) != s {
			t.Fatalf("%q parsed to %s %s, printed %q", s, typ, start, p.ID(0))
		}
	})
}
