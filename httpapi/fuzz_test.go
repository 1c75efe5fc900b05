package httpapi

import (
	"bytes"
	"errors"
	"testing"

	"vaxtrace"
)

// FuzzDecodeJSON: any body decodes into a request or fails with a domain
// error naming a field; never a panic, never an untyped error.
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{`{}`, `{"id":"d1","at":"2021-02-01T05:00:00Z","place":"P","lot":"L","vaccinator":"n"}`, `{"id":7}`, `{"at":"x"}`,
		`{"person":"zz"}`, `[1,2]`, `{"id":"a\ud800"}`, `{"id":"x"} trailing`, `{"unknown":1}`, ``} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var q doseRequest
		err := decodeJSON(b, &q)
		if err == nil {
			return
		}
		var de *vaxtrace.Error
		if !errors.As(err, &de) || de.Code != vaxtrace.EINVALID || de.Field == "" {
			t.Fatalf("%q: error %v is not a field error", b, err)
		}
	})
}

// FuzzParseBatch: any upload parses into at most one record per non-blank
// line, each decoded or carrying a field error; never a panic.
func FuzzParseBatch(f *testing.F) {
	f.Add([]byte("{\"id\":\"d1\"}\n{\"id\":\"d2\"}\n"), true)
	f.Add([]byte(`[{"id":"d1"},{"id":2}]`), false)
	f.Add([]byte("{\"id\":\"d1\"}\n{\"id\":"), true)
	f.Add([]byte("\n\n"), true)
	f.Fuzz(func(t *testing.T, b []byte, ndjson bool) {
		recs, err := parseBatch(b, ndjson)
		if err != nil {
			if vaxtrace.ErrorCode(err) == vaxtrace.EINTERNAL {
				t.Fatalf("internal error: %v", err)
			}
			return
		}
		if ndjson && len(recs) > bytes.Count(b, []byte("\n"))+1 {
			t.Fatalf("%d records from %d lines", len(recs), bytes.Count(b, []byte("\n"))+1)
		}
		for _, r := range recs {
			if r.err != nil && vaxtrace.ErrorField(r.err) == "" {
				t.Fatalf("line %d: error without a field: %v", r.line, r.err)
			}
		}
	})
}
