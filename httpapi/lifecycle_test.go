package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestLifecycle walks supply, stock and dose corrections through the API.
func TestLifecycle(t *testing.T) {
	f := newFixture(t)
	ok := func(r resp, status int) map[string]any {
		t.Helper()
		if r.Status != status {
			t.Fatalf("status %d, want %d: %s", r.Status, status, r.Body)
		}
		return r.json(t)
	}
	ok(f.do("POST", "/api/v1/lots", "admin", map[string]any{"id": "Q1", "product": "qazvac", "component": "1", "manufacturer": "KazNIIPB", "manufactured": "2021-02-01", "expiry": "2021-08-01", "origin": "domestic"}), 201)
	ok(f.do("POST", "/api/v1/lots/Q1/release", "admin", map[string]any{"occurred": "2021-02-10"}), 200)
	ok(f.do("POST", "/api/v1/receipts", "admin", map[string]any{"receipt": "RQ", "place": "NAT", "lot": "Q1", "doses": 1000, "occurred": "2021-02-11T10:00:00Z"}), 201)
	// FEFO dispatch without lines
	d := ok(f.do("POST", "/api/v1/shipments", "admin", map[string]any{"shipment": "SQ", "from": "NAT", "to": "AKM-W", "occurred": "2021-02-12T10:00:00Z", "product": "qazvac", "doses": 300}), 201)
	if lines := d["data"].(map[string]any)["lines"].([]any); len(lines) != 1 || lines[0].(map[string]any)["lot"] != "Q1" {
		t.Errorf("FEFO lines: %v", d)
	}
	var tr struct{ Shipments []shipmentView }
	json.Unmarshal(f.do("GET", "/api/v1/shipments?in_transit=true", "akm", nil).Body, &tr)
	if len(tr.Shipments) != 1 || tr.Shipments[0].Shipment != "SQ" {
		t.Errorf("in transit: %+v", tr.Shipments)
	}
	ok(f.do("POST", "/api/v1/shipments/SQ/receive", "akm", map[string]any{"occurred": "2021-02-13T10:00:00Z", "lines": []any{map[string]any{"lot": "Q1", "received": 290, "damaged": 10}}}), 200)
	ok(f.do("POST", "/api/v1/counts", "akm", map[string]any{"place": "AKM-W", "lot": "Q1", "counted": 289, "occurred": "2021-02-14T10:00:00Z"}), 201)
	// excursion at a point, resolved by write-off
	ok(f.do("POST", "/api/v1/excursions", "akm", map[string]any{"excursion": "X1", "place": "AKM-P2", "min_c": 9, "max_c": 14, "minutes": 90, "occurred": "2021-02-15T10:00:00Z"}), 201)
	x := ok(f.do("POST", "/api/v1/excursions/X1/resolve", "akm", map[string]any{"lot": "L1", "decision": "write_off", "occurred": "2021-02-16T10:00:00Z"}), 200)
	if x["data"].(map[string]any)["doses"] != 100.0 {
		t.Errorf("write-off: %v", x)
	}
	// doses, session, void, correction
	pid := f.register("p1", iin(t, "88080830088"), "KZ-AKM")
	ok(f.do("POST", "/api/v1/doses", "p1", map[string]any{"id": "d-1", "person": pid, "at": "2021-03-01T10:00:00+06:00", "place": "AKM-P1", "lot": "L1", "vaccinator": "n"}), 201)
	ok(f.do("POST", "/api/v1/doses", "p1", map[string]any{"id": "d-2", "person": pid, "at": "2021-03-02T10:00:00+06:00", "place": "AKM-P1", "lot": "L2", "vaccinator": "n"}), 400) // too early
	ok(f.do("POST", "/api/v1/doses", "p1", map[string]any{"id": "d-2", "person": pid, "at": "2021-03-02T10:00:00+06:00", "place": "AKM-P1", "lot": "L2", "vaccinator": "n", "override": "travel"}), 201)
	s := ok(f.do("POST", "/api/v1/sessions", "p1", map[string]any{"session": "s1", "place": "AKM-P1", "date": "2021-02-28", "lot": "L1", "vials_opened": 1}), 201)
	if s["data"].(map[string]any)["wasted"] != 5.0 {
		t.Errorf("session: %v", s)
	}
	c := ok(f.do("POST", "/api/v1/doses/d-2/correct", "p1", map[string]any{"at": "2021-03-22T10:00:00+06:00", "reason": "wrong date"}), 200)
	dv := c["dose"].(map[string]any)
	if dv["dose_number"] != 2.0 || len(dv["history"].([]any)) != 1 || dv["completes_series"] != true {
		t.Errorf("correction: %v", dv)
	}
	v := ok(f.do("POST", "/api/v1/doses/d-2/void", "p1", map[string]any{"reason": "entered twice"}), 200)
	if v["duplicate"] != false || v["dose"].(map[string]any)["voided"] != true {
		t.Errorf("void: %v", v)
	}
	if v := ok(f.do("POST", "/api/v1/doses/d-2/void", "p1", map[string]any{"reason": "entered twice"}), 200); v["duplicate"] != true {
		t.Errorf("void replay: %v", v)
	}
	ok(f.do("POST", "/api/v1/doses/d-2/correct", "p1", map[string]any{"lot": "L1", "reason": "x"}), 400)
	ok(f.do("POST", "/api/v1/aefi", "p1", map[string]any{"id": "ae-1", "dose": "d-1", "serious": true, "description": "anaphylaxis", "onset": "2021-03-01T10:30:00+06:00", "suspend_lot": false}), 201)
	// merge (admin only)
	other := f.register("admin", iin(t, "88080830099"), "KZ-AKM")
	ok(f.do("POST", "/api/v1/people/merge", "akm", map[string]any{"into": pid, "from": other, "reason": "duplicate"}), 403)
	ok(f.do("POST", "/api/v1/people/merge", "admin", map[string]any{"into": pid, "from": other, "reason": "duplicate"}), 200)
	if p := ok(f.do("GET", "/api/v1/people/"+other, "admin", nil), 200); p["id"] != pid {
		t.Errorf("merged record should resolve to %s: %v", pid, p)
	}
	// catalog writes and a place move
	ok(f.do("POST", "/api/v1/regions", "admin", map[string]any{"code": "KZ-10", "type": "region", "names": map[string]any{"en": "Abai"}, "population": 600000, "population_date": "2022-01-01", "valid_from": "2022-06-08"}), 201)
	ok(f.do("POST", "/api/v1/places", "akm", map[string]any{"id": "AKM-P3", "kind": "point", "name": "FAP 3", "region": "KZ-AKM", "parent": "AKM-W"}), 201)
	ok(f.do("POST", "/api/v1/places/AKM-P3/move", "admin", map[string]any{"region": "KZ-10", "from": "2022-06-08"}), 200)
	ok(f.do("POST", "/api/v1/agreements", "admin", map[string]any{"id": "A2", "supplier": "KazNIIPB", "product": "qazvac", "doses": 5000, "signed": "2021-03-01", "domestic": true}), 201)
	ok(f.do("POST", "/api/v1/targets", "admin", map[string]any{"id": "t-akm", "region": "KZ-AKM", "from": "2021-02-01", "to": "2021-12-31", "measure": "first", "group": "adults", "value": 10}), 201)
	tg := ok(f.do("GET", "/api/v1/targets?as_of=2021-03-05", "", nil), 200)
	t0 := tg["targets"].([]any)[0].(map[string]any)
	if t0["achieved"] != 1.0 || t0["percent"] != 10.0 || len(t0["progress"].([]any)) != 33 {
		t.Errorf("target: achieved %v percent %v days %d", t0["achieved"], t0["percent"], len(t0["progress"].([]any)))
	}
	// conservation holds
	ck := ok(f.do("GET", "/api/v1/check", "auditor", nil), 200)
	if ck["ok"] != true {
		t.Errorf("check: %v", ck)
	}
	// known_at: nothing was known on the day of the doses (recorded now)
	cov := ok(f.do("GET", "/api/v1/coverage?from=2021-03-01&to=2021-03-01&known_at=2021-03-31", "", nil), 200)
	if got := fmt.Sprint(cov["measures"].(map[string]any)["dose1"].(map[string]any)["cumulative"]); got != "[0]" {
		t.Errorf("coverage as known in 2021: %s", got)
	}
}

func TestBatchPersonErrorAndUI(t *testing.T) {
	f := newFixture(t)
	rec := fmt.Sprintf(`{"id":"z-1","iin":%q,"at":"2021-03-01T10:00:00+06:00","place":"AKM-P1","lot":"L1","vaccinator":"n","family":"A","birth_date":"2099-01-01","sex":"M","region":"KZ-AKM"}`, iin(t, "66060660066"))
	r := f.do("POST", "/api/v1/doses/batch", "p1", "["+rec+"]")
	var out batchResponse
	json.Unmarshal(r.Body, &out)
	if out.Rejected != 1 || out.Results[0].Error == nil || out.Results[0].Error.Field != "birth_date" {
		t.Errorf("person error not reported: %s", r.Body)
	}

	ui := New(f.eng, f.keys, Options{UI: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("dashboard")) })})
	for path, want := range map[string]string{"/": "dashboard", "/api/v1/nope": `"not_found"`} {
		rr := httptest.NewRecorder()
		ui.ServeHTTP(rr, httptest.NewRequest("GET", path, nil))
		if !strings.Contains(rr.Body.String(), want) {
			t.Errorf("%s: %s", path, rr.Body)
		}
	}
}
