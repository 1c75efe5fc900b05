package httpapi

import (
	"net/http"
	"strings"
	"testing"

	"vaxtrace"
)

// TestTransitionsRepeat: state transitions without an Idempotency-Key take
// effect every time, even with the same content as an earlier request.
func TestTransitionsRepeat(t *testing.T) {
	f := newFixture(t)
	suspended := func() bool {
		var s bool
		f.eng.Read(func(st *vaxtrace.State) { s = st.Lot("L1").Suspended })
		return s
	}
	for i, step := range []string{"suspend", "reinstate", "suspend"} {
		if r := f.do("POST", "/api/v1/lots/L1/"+step, "admin", map[string]any{"reason": "signal"}); r.Status != http.StatusOK || r.json(t)["duplicate"] != false {
			t.Fatalf("step %d %s: %d %s", i, step, r.Status, r.Body)
		}
	}
	if !suspended() {
		t.Fatal("suspend → reinstate → suspend left the lot released")
	}

	pid := f.register("admin", iin(t, "85020230021"), "KZ-AKM")
	for _, name := range []string{"A", "B", "A"} {
		if r := f.do("POST", "/api/v1/people/"+pid+"/update", "admin", map[string]any{"given": name, "reason": "typo"}); r.Status != http.StatusOK {
			t.Fatalf("rename to %s: %d %s", name, r.Status, r.Body)
		}
	}
	r := f.do("GET", "/api/v1/people/"+pid, "admin", nil)
	if got := r.json(t)["given"]; got != "A" {
		t.Fatalf("name A → B → A ends %v", got)
	}

	adj := map[string]any{"place": "AKM-P1", "lot": "L1", "delta": -2, "reason": "wastage", "occurred": "2021-03-01T10:00:00Z"}
	before := f.last()
	f.do("POST", "/api/v1/adjustments", "admin", adj)
	f.do("POST", "/api/v1/adjustments", "admin", adj)
	if got := f.last() - before; got != 2 {
		t.Fatalf("two identical write-offs recorded %d", got)
	}
	var wasted int64
	f.eng.Read(func(st *vaxtrace.State) { wasted = st.Lot("L1").WrittenOff[vaxtrace.ReasonWastage] })
	if wasted != 4 {
		t.Fatalf("written off %d, want 4", wasted)
	}
}

// TestIDReuseNamesTheID: reusing a client-chosen id with other content is
// reported against the id's field, not as a reused idempotency key.
func TestIDReuseNamesTheID(t *testing.T) {
	f := newFixture(t)
	lot := map[string]any{"id": "L9", "product": "sputnik-v", "component": "I", "manufacturer": "X", "manufactured": "2021-01-01", "expiry": "2022-01-01", "origin": "domestic"}
	if r := f.do("POST", "/api/v1/lots", "admin", lot); r.Status != http.StatusCreated {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	if r := f.do("POST", "/api/v1/lots", "admin", lot); r.Status != http.StatusCreated || r.json(t)["duplicate"] != true {
		t.Fatalf("same lot again: %d %s", r.Status, r.Body)
	}
	lot["manufacturer"] = "Y"
	before := f.last()
	r := f.do("POST", "/api/v1/lots", "admin", lot)
	code, field := r.errInfo(t)
	if r.Status != http.StatusConflict || code != "conflict" || field != "id" {
		t.Fatalf("reused id: %d %s", r.Status, r.Body)
	}
	if msg := string(r.Body); strings.Contains(msg, "idempotency") {
		t.Fatalf("reused id reported as a reused key: %s", msg)
	}
	ship := map[string]any{"shipment": "S9", "from": "AKM-W", "to": "AKM-P1", "occurred": "2021-02-01T05:00:00Z", "lines": []any{map[string]any{"lot": "L1", "doses": 5}}}
	f.do("POST", "/api/v1/shipments", "admin", ship)
	ship["to"] = "AKM-P2"
	r = f.do("POST", "/api/v1/shipments", "admin", ship)
	if code, field := r.errInfo(t); r.Status != http.StatusConflict || code != "conflict" || field != "shipment" {
		t.Fatalf("reused shipment id: %d %s", r.Status, r.Body)
	}
	if f.last() != before+1 {
		t.Fatalf("journal moved by %d, want 1", f.last()-before)
	}
}
