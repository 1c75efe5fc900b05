package httpapi

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"vaxtrace"
)

// TestBatchRecordAllOrNothing: a batch record that registers a new person
// and whose dose is refused (expired lot, future date, out of scope, ...)
// registers nobody; a later valid record of the same person still does.
func TestBatchRecordAllOrNothing(t *testing.T) {
	rec := func(id, iinv, at, place, lot string) string {
		b, _ := json.Marshal(map[string]any{"id": id, "iin": iinv, "at": at, "place": place, "lot": lot, "vaccinator": "n",
			"family": "Test", "given": "T", "birth_date": "1970-01-02", "sex": "F", "region": "KZ-AKM"})
		return string(b)
	}
	cases := []struct {
		name, who, line string
		field           string
	}{
		{"future date", "p1", rec("B1", "", "2099-01-01T05:00:00Z", "AKM-P1", "L1"), "at"},
		{"expired lot", "p1", rec("B1", "", "2022-06-01T05:00:00Z", "AKM-P1", "L1"), "lot"},
		{"out of scope", "p1", rec("B1", "", "2021-02-01T05:00:00Z", "ALA-P1", "L1"), ""},
		{"unknown lot", "p1", rec("B1", "", "2021-02-01T05:00:00Z", "AKM-P1", "NOPE"), "lot"},
		{"second dose component first", "p1", rec("B1", "", "2021-02-01T05:00:00Z", "AKM-P1", "L2"), "component"},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			v := iin(t, "7001024000"+string(rune('1'+i)))
			line := strings.Replace(c.line, `"iin":""`, `"iin":"`+v+`"`, 1)
			before := f.last()
			r := f.do("POST", "/api/v1/doses/batch", c.who, line+"\n", "Content-Type", "application/x-ndjson")
			m := r.json(t)
			res := m["results"].([]any)[0].(map[string]any)
			if res["status"] != "rejected" {
				t.Fatalf("record not rejected: %s", r.Body)
			}
			if c.field != "" {
				if e, _ := res["error"].(map[string]any); e == nil || e["field"] != c.field {
					t.Fatalf("error field, want %q: %s", c.field, r.Body)
				}
			}
			if f.last() != before {
				t.Fatalf("a rejected record wrote %d events: %s", f.last()-before, r.Body)
			}
			var known bool
			f.eng.Read(func(st *vaxtrace.State) { known = st.Person(f.keys.ID(v)) != nil })
			if known {
				t.Fatal("the rejected record's person was registered")
			}
		})
	}
	// two records of one new person: the first refused, the second valid
	f := newFixture(t)
	v := iin(t, "70010240009")
	bad := rec("B1", v, "2099-01-01T05:00:00Z", "AKM-P1", "L1")
	good := rec("B2", v, "2021-02-01T05:00:00Z", "AKM-P1", "L1")
	r := f.do("POST", "/api/v1/doses/batch", "p1", bad+"\n"+good+"\n", "Content-Type", "application/x-ndjson")
	m := r.json(t)
	if m["accepted"] != 1.0 || m["rejected"] != 1.0 {
		t.Fatalf("want one accepted, one rejected: %s", r.Body)
	}
	if res := m["results"].([]any)[1].(map[string]any); res["person_registered"] != true {
		t.Fatalf("the valid record should register the person: %s", r.Body)
	}
	// the state after the undo is the state the journal rebuilds
	rep, err := f.eng.Check(context.Background())
	if err != nil || !rep.OK() {
		t.Fatalf("check: %v %v", err, rep.Breaches)
	}
	st := vaxtrace.NewState()
	if err := f.j.Replay(context.Background(), 0, func(ev vaxtrace.Event) error { st.Apply(ev); return nil }); err != nil {
		t.Fatal(err)
	}
	var seq uint64
	f.eng.Read(func(s *vaxtrace.State) { seq = s.Seq })
	if st.Seq != seq || st.Person(f.keys.ID(v)) == nil || st.Dose("B2") == nil || st.Dose("B1") != nil {
		t.Fatalf("replayed state differs: seq %d vs %d", st.Seq, seq)
	}
}
