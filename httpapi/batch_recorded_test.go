package httpapi

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"vaxtrace"
)

// addToken issues a token for p in the fixture under name.
func (f *fixture) addToken(name string, p vaxtrace.Principal) {
	f.t.Helper()
	secret, hash := NewToken()
	if err := f.j.PutToken(context.Background(), vaxtrace.Token{Hash: hash, Principal: p, Created: time.Now().Unix()}); err != nil {
		f.t.Fatal(err)
	}
	f.tokens[name] = secret
}

// A migration uploads records with the time the old registry knew them;
// other roles may not, and no role may record the future or before the
// dose was given. Each record gets its own answer.
func TestBatchRecordedTimes(t *testing.T) {
	f := newFixture(t)
	f.addToken("mig", vaxtrace.Principal{Name: "mig", Role: vaxtrace.RoleMigration})
	rec := func(id, prefix, at, recorded string) map[string]any {
		m := map[string]any{"id": id, "iin": iin(t, prefix), "at": at, "place": "AKM-P1", "lot": "L1", "vaccinator": "n",
			"family": "Old", "given": "Record", "birth_date": "1970-01-01", "sex": "F", "region": "KZ-AKM"}
		if recorded != "" {
			m["recorded"] = recorded
		}
		return m
	}
	future := time.Now().Add(72 * time.Hour).UTC().Format(time.RFC3339)
	body := []map[string]any{
		rec("m-1", "70010150001", "2021-03-01T10:00:00Z", "2021-03-04T09:00:00Z"), // known three days later
		rec("m-2", "70010150002", "2021-03-01T10:00:00Z", future),
		rec("m-3", "70010150003", "2021-03-01T10:00:00Z", "2021-02-28T09:00:00Z"),
		rec("m-4", "70010150004", "2021-03-02T10:00:00Z", ""), // no recording time: now
	}
	r := f.do("POST", "/api/v1/doses/batch", "mig", body)
	if r.Status != 200 {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	var out batchResponse
	if err := json.Unmarshal(r.Body, &out); err != nil {
		t.Fatal(err)
	}
	want := []struct{ status, code, field string }{
		{"accepted", "", ""},
		{"rejected", vaxtrace.EINVALID, "recorded"},
		{"rejected", vaxtrace.EINVALID, "recorded"},
		{"accepted", "", ""},
	}
	for i, w := range want {
		got := out.Results[i]
		code, field := "", ""
		if got.Error != nil {
			code, field = got.Error.Code, got.Error.Field
		}
		if got.Status != w.status || code != w.code || field != w.field {
			t.Errorf("record %d: %s %s %s (%+v), want %s %s %s", i+1, got.Status, code, field, got.Error, w.status, w.code, w.field)
		}
	}
	f.eng.Read(func(s *vaxtrace.State) {
		d := s.Dose("m-1")
		if d == nil || !d.Recorded().Equal(time.Date(2021, 3, 4, 9, 0, 0, 0, time.UTC)) {
			t.Fatalf("m-1 recorded at %v, want 2021-03-04T09:00Z", d)
		}
		// as published on 3 March the dose was not known yet; on 4 March it was
		if n := s.KnownCumulative("", vaxtrace.MDose1, day("2021-03-03"), day("2021-03-03")); n != 0 {
			t.Errorf("as known on 3 March: %d first doses, want 0", n)
		}
		if n := s.KnownCumulative("", vaxtrace.MDose1, day("2021-03-04"), day("2021-03-04")); n != 1 {
			t.Errorf("as known on 4 March: %d first doses, want 1", n)
		}
		if d := s.Dose("m-4"); d == nil || time.Since(d.Recorded()) > time.Minute {
			t.Errorf("m-4 without a recording time should be recorded now, got %v", d)
		}
	})
	// an administrator (and any other role) may not set a recording time
	r = f.do("POST", "/api/v1/doses/batch", "admin", []map[string]any{rec("a-1", "70010150005", "2021-03-01T10:00:00Z", "2021-03-04T09:00:00Z")})
	if err := json.Unmarshal(r.Body, &out); err != nil {
		t.Fatal(err)
	}
	if g := out.Results[0]; g.Status != "rejected" || g.Error == nil || g.Error.Code != vaxtrace.EFORBIDDEN || g.Error.Field != "recorded" {
		t.Errorf("admin with recorded: %+v %+v", g, g.Error)
	}
}
