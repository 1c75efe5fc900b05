package fhir

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"vaxtrace"
)

const goodPatient = `{"resourceType":"Patient","id":"p1","identifier":[{"system":"http://vaxtrace.kz/fhir/sid/iin","value":"%IIN%"}],"name":[{"family":"Abenova","given":["Dana"]}],"gender":"female","birthDate":"1980-05-04","address":[{"state":"KZ-ALA"}]}`

func goodImm(mut func(string) string) string {
	s := `{"resourceType":"Immunization","identifier":[{"system":"http://vaxtrace.kz/fhir/sid/dose","value":"imp-1"}],"status":"completed","vaccineCode":{"coding":[{"system":"http://hl7.org/fhir/sid/cvx","code":"505"}]},"patient":{"reference":"Patient/p1"},"occurrenceDateTime":"2021-04-01T10:00:00+06:00","location":{"identifier":{"system":"http://vaxtrace.kz/fhir/sid/place","value":"p-ala"}},"lotNumber":"SV1-0121","performer":[{"actor":{"display":"nurse A"}}]}`
	if mut != nil {
		s = mut(s)
	}
	return s
}

func TestImportBadInput(t *testing.T) {
	ctx := context.Background()
	keys := testKeys(t)
	eng := newEngine(t)
	seedBase(t, eng, 100)
	pat := strings.ReplaceAll(goodPatient, "%IIN%", iinFor(900))
	rep := func(s string) func(string) string {
		return func(x string) string {
			return strings.Replace(x, strings.SplitN(s, "=>", 2)[0], strings.SplitN(s, "=>", 2)[1], 1)
		}
	}
	cases := []struct {
		name, line     string
		outcome, field string
		reason         string
	}{
		{"no resourceType", `{"id":"x"}`, Rejected, "resourceType", "required"},
		{"not an object", `[1,2]`, Rejected, "resource", ""},
		{"broken json", `{"resourceType":"Patient",`, Rejected, "resource", "malformed"},
		{"other type", `{"resourceType":"Observation"}`, Skipped, "", "not imported"},
		{"patient bad IIN", strings.ReplaceAll(goodPatient, "%IIN%", "123456789012"), Rejected, "identifier[0].value", "check digit"},
		{"patient no identifier", `{"resourceType":"Patient","name":[{"family":"X"}],"birthDate":"1980-01-01","address":[{"state":"KZ-ALA"}]}`, Rejected, "identifier", ""},
		{"patient partial birthDate", strings.Replace(strings.ReplaceAll(goodPatient, "%IIN%", iinFor(901)), "1980-05-04", "1980-05", 1), Rejected, "birthDate", "full date"},
		{"patient bad gender", strings.Replace(strings.ReplaceAll(goodPatient, "%IIN%", iinFor(902)), `"female"`, `"f"`, 1), Rejected, "gender", ""},
		{"patient unknown region", strings.Replace(strings.ReplaceAll(goodPatient, "%IIN%", iinFor(903)), "KZ-ALA", "Massachusetts", 1), Rejected, "address.state", "no default import region"},
		{"patient no family", strings.Replace(strings.ReplaceAll(goodPatient, "%IIN%", iinFor(904)), `"family":"Abenova",`, "", 1), Rejected, "name.family", ""},
		{"patient ok", pat, Accepted, "", ""},
		{"patient again", pat, Duplicate, "", ""},
		{"imm no status", goodImm(rep(`"status":"completed",=>`)), Rejected, "status", "required"},
		{"imm bad status", goodImm(rep(`"completed"=>"done"`)), Rejected, "status", ""},
		{"imm no vaccineCode", goodImm(rep(`"vaccineCode":{"coding":[{"system":"http://hl7.org/fhir/sid/cvx","code":"505"}]},=>`)), Rejected, "vaccineCode", "required"},
		{"imm unknown code", goodImm(rep(`"505"=>"999"`)), Rejected, "vaccineCode", "no catalog product"},
		{"imm no patient", goodImm(rep(`"patient":{"reference":"Patient/p1"},=>`)), Rejected, "patient", "required"},
		{"imm unresolvable patient", goodImm(rep(`Patient/p1=>Patient/nobody`)), Rejected, "patient", "does not resolve"},
		{"imm no occurrence", goodImm(rep(`"occurrenceDateTime":"2021-04-01T10:00:00+06:00",=>`)), Rejected, "occurrenceDateTime", "required"},
		{"imm bad date", goodImm(rep(`2021-04-01T10:00:00+06:00=>2021-02-30`)), Rejected, "occurrenceDateTime", ""},
		{"imm partial date", goodImm(rep(`2021-04-01T10:00:00+06:00=>2021-04`)), Rejected, "occurrenceDateTime", ""},
		{"imm time without zone", goodImm(rep(`2021-04-01T10:00:00+06:00=>2021-04-01T10:00:00`)), Rejected, "occurrenceDateTime", "time zone"},
		{"imm unknown lot", goodImm(rep(`SV1-0121=>NOPE-1`)), Rejected, "lotNumber", "unknown lot"},
		{"imm no lot", goodImm(rep(`"lotNumber":"SV1-0121",=>`)), Rejected, "lotNumber", "required"},
		{"imm unknown place", goodImm(rep(`"p-ala"=>"p-nowhere"`)), Rejected, "location.identifier", "unknown place"},
		{"imm no location", goodImm(rep(`"location":{"identifier":{"system":"http://vaxtrace.kz/fhir/sid/place","value":"p-ala"}},=>`)), Rejected, "location", "no default import place"},
		{"imm no performer", goodImm(rep(`,"performer":[{"actor":{"display":"nurse A"}}]=>`)), Rejected, "performer", ""},
		{"imm wrong component (engine)", goodImm(rep(`SV1-0121=>SV2-0121`)), Rejected, "component", "must be component I"},
		{"imm future (engine)", goodImm(rep(`2021-04-01=>2999-04-01`)), Rejected, "at", "future"},
		{"imm product/lot mismatch (engine)", goodImm(rep(`"code":"505"=>"code":"208"`)), Rejected, "product", "lot"},
		{"imm ok", goodImm(nil), Accepted, "", ""},
		{"imm again", goodImm(nil), Duplicate, "", ""},
		{"imm same id other content", goodImm(rep(`nurse A=>nurse B`)), Rejected, "id", "already exists with other content"},
		{"imm DELETE-less ndjson fine", `{"resourceType":"Immunization","status":"completed"}`, Rejected, "vaccineCode", ""},
	}
	for _, c := range cases {
		r, err := Import(ctx, eng, keys, admin, strings.NewReader(c.line+"\n"), "ndjson")
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		// the Patient must precede its Immunizations in the same input:
		// register the reference for later cases by re-sending the patient.
		if strings.HasPrefix(c.name, "imm") {
			r, err = Import(ctx, eng, keys, admin, strings.NewReader(pat+"\n"+c.line+"\n"), "ndjson")
			if err != nil {
				t.Fatal(err)
			}
			r.Results = r.Results[1:]
		}
		if len(r.Results) != 1 {
			t.Errorf("%s: %d results", c.name, len(r.Results))
			continue
		}
		got := r.Results[0]
		if got.Outcome != c.outcome || got.Field != c.field || !strings.Contains(got.Reason, c.reason) {
			t.Errorf("%s: got %s field=%q reason=%q; want %s field=%q reason~%q", c.name, got.Outcome, got.Field, got.Reason, c.outcome, c.field, c.reason)
		}
	}
}

func TestImportBundleErrors(t *testing.T) {
	ctx := context.Background()
	keys := testKeys(t)
	eng := newEngine(t)
	seedBase(t, eng, 10)
	cases := []struct{ name, in, want string }{
		{"not an object", `[]`, "JSON object"},
		{"wrong resourceType", `{"resourceType":"Patient","type":"collection"}`, "expected Bundle"},
		{"wrong bundle type", `{"resourceType":"Bundle","type":"searchset","entry":[]}`, "not importable"},
		{"no type", `{"resourceType":"Bundle","entry":[]}`, "type"},
		{"entry not array", `{"resourceType":"Bundle","type":"batch","entry":{}}`, "array"},
		{"truncated", `{"resourceType":"Bundle","type":"batch","entry":[{"resource":{"resourceType":"Pat`, "malformed"},
		{"bad format", ``, "format"},
	}
	for _, c := range cases {
		format := "bundle"
		if c.name == "bad format" {
			format = "xml"
		}
		_, err := Import(ctx, eng, keys, admin, strings.NewReader(c.in), format)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want ~%q", c.name, err, c.want)
		}
	}
	// DELETE entries are rejected, entries without resource are rejected
	r, err := Import(ctx, eng, keys, admin, strings.NewReader(`{"resourceType":"Bundle","type":"transaction","entry":[{"request":{"method":"DELETE","url":"Patient/1"},"resource":{"resourceType":"Patient"}},{"fullUrl":"urn:uuid:1"}]}`), "bundle")
	if err != nil || r.Rejected != 2 || r.Results[0].Field != "request.method" || r.Results[1].Field != "resource" {
		t.Errorf("%v %+v", err, r)
	}
}

func TestImportEntryCap(t *testing.T) {
	ctx := context.Background()
	keys := testKeys(t)
	eng := newEngine(t)
	seedBase(t, eng, 10)
	im := &Importer{MaxEntryBytes: 4096}
	big := `{"resourceType":"Observation","note":"` + strings.Repeat("x", 100000) + `"}`
	// NDJSON: the long line is rejected, the stream goes on
	r, err := im.Import(ctx, eng, keys, admin, strings.NewReader(big+"\n"+`{"resourceType":"Observation"}`+"\n"), "ndjson")
	if err != nil || r.Rejected != 1 || r.Skipped != 1 || r.Results[0].Code != vaxtrace.ETOOLARGE {
		t.Errorf("ndjson: %v %+v", err, r)
	}
	// bundle: an oversized entry stops the import with a clear error
	b := `{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Observation"}},{"resource":` + big + `}]}`
	r, err = im.Import(ctx, eng, keys, admin, strings.NewReader(b), "bundle")
	if err == nil || !strings.Contains(err.Error(), "entry[1]") || !strings.Contains(err.Error(), "per-entry limit") || r.Skipped != 1 {
		t.Errorf("bundle: %v %+v", err, r)
	}
}

// endless is an infinite bundle: it must stream with bounded memory.
type endless struct {
	n, max int
	buf    bytes.Buffer
}

func (e *endless) Read(p []byte) (int, error) {
	for e.buf.Len() < len(p) {
		switch {
		case e.n == 0:
			e.buf.WriteString(`{"resourceType":"Bundle","type":"collection","entry":[`)
		case e.n > e.max:
			if e.buf.Len() == 0 {
				return 0, errors.New("done")
			}
			return e.buf.Read(p)
		default:
			if e.n > 1 {
				e.buf.WriteByte(',')
			}
			e.buf.WriteString(`{"fullUrl":"urn:uuid:x","resource":{"resourceType":"Observation","status":"final"}}`)
		}
		e.n++
	}
	return e.buf.Read(p)
}

func TestImportLargeBundleStreams(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	ctx := context.Background()
	keys := testKeys(t)
	eng := newEngine(t)
	im := &Importer{MaxResults: 10}
	r, err := im.Import(ctx, eng, keys, admin, &endless{max: 100000}, "bundle")
	if err == nil || !strings.Contains(err.Error(), "done") {
		t.Fatalf("err = %v", err)
	}
	if r.Skipped != 100000 || len(r.Results) != 10 || !r.Truncated {
		t.Errorf("skipped %d, results %d, truncated %v", r.Skipped, len(r.Results), r.Truncated)
	}
}
