package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"vaxtrace"
	"vaxtrace/httperr"
)

func TestStatusMapping(t *testing.T) {
	for code, want := range map[string]int{
		vaxtrace.EINVALID: 400, vaxtrace.ENOTFOUND: 404, vaxtrace.ECONFLICT: 409, vaxtrace.EUNAUTHORIZED: 401,
		vaxtrace.EFORBIDDEN: 403, vaxtrace.ETOOLARGE: 413, vaxtrace.EUNAVAILABLE: 503, vaxtrace.EINTERNAL: 500, "weird": 500,
	} {
		if got := httperr.StatusOf(code); got != want {
			t.Errorf("httperr.StatusOf(%s) = %d, want %d", code, got, want)
		}
	}
	// a non-domain error is a 500 with a generic message; the detail is logged
	f := newFixture(t)
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/x", nil)
	f.srv.fail(rec, req, errors.New("disk on fire at /var/secret"))
	if rec.Code != 500 || strings.Contains(rec.Body.String(), "disk") || !strings.Contains(rec.Body.String(), `"internal error"`) {
		t.Errorf("internal error leaked or wrong: %d %s", rec.Code, rec.Body)
	}
	rec = httptest.NewRecorder()
	f.srv.fail(rec, req, vaxtrace.FieldError("doses", "must be positive"))
	want := `{"error":{"code":"invalid","field":"doses","message":"must be positive","template":"must be positive"}}`
	if rec.Code != 400 || strings.TrimSpace(rec.Body.String()) != want {
		t.Errorf("got %d %s, want 400 %s", rec.Code, rec.Body, want)
	}
	// the message's template and parameters travel beside it, for translation
	rec = httptest.NewRecorder()
	f.srv.fail(rec, req, vaxtrace.NotFound("lot", "lot %q: %d doses allocated, lot holds %d", "L-1", 7, 5))
	want = `{"error":{"code":"not_found","field":"lot","message":"lot \"L-1\": 7 doses allocated, lot holds 5","template":"lot %q: %d doses allocated, lot holds %d","params":["L-1",7,5]}}`
	if rec.Code != 404 || strings.TrimSpace(rec.Body.String()) != want {
		t.Errorf("got %d %s, want 404 %s", rec.Code, rec.Body, want)
	}
}

func TestBadInput(t *testing.T) {
	f := newFixture(t)
	pid := f.register("admin", iin(t, "80050130012"), "KZ-AKM")
	lot := map[string]any{"id": "LX", "product": "sputnik-v", "component": "I", "manufacturer": "Generium", "manufactured": "2021-01-01", "expiry": "2021-07-01", "origin": "domestic"}
	with := func(m map[string]any, k string, v any) map[string]any {
		c := map[string]any{}
		for a, b := range m {
			c[a] = b
		}
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
		return c
	}
	dose := map[string]any{"id": "d-bad", "person": pid, "at": "2021-03-01T10:00:00+06:00", "place": "AKM-P1", "lot": "L1", "vaccinator": "nurse-1"}
	big := `{"reason":"` + strings.Repeat("x", 2<<20) + `"}`
	cases := []struct {
		name, method, path string
		body               any
		status             int
		code, field        string
	}{
		{"unknown product", "POST", "/api/v1/lots", with(lot, "product", "nope"), 404, "not_found", "product"},
		{"unknown lot", "POST", "/api/v1/doses", with(dose, "lot", "NOPE"), 404, "not_found", "lot"},
		{"unknown place", "POST", "/api/v1/adjustments", map[string]any{"place": "NOPE", "lot": "L1", "delta": -1, "reason": "wastage", "occurred": "2021-03-01T10:00:00Z"}, 404, "not_found", "place"},
		{"unknown person", "POST", "/api/v1/doses", with(dose, "person", strings.Repeat("ab", 16)), 404, "not_found", "person"},
		{"negative quantity", "POST", "/api/v1/receipts", map[string]any{"receipt": "R9", "place": "NAT", "lot": "L1", "doses": -5, "occurred": "2021-03-01T10:00:00Z"}, 400, "invalid", "doses"},
		{"negative count", "POST", "/api/v1/counts", map[string]any{"place": "AKM-P1", "lot": "L1", "counted": -5, "occurred": "2021-03-01T10:00:00Z"}, 400, "invalid", "counted"},
		{"negative line", "POST", "/api/v1/shipments", map[string]any{"shipment": "S9", "from": "NAT", "to": "AKM-W", "occurred": "2021-03-01T10:00:00Z", "lines": []any{map[string]any{"lot": "L1", "doses": -3}}}, 400, "invalid", "lines[0].doses"},
		{"bad date", "POST", "/api/v1/lots", with(lot, "manufactured", "2021-13-45"), 400, "invalid", "manufactured"},
		{"bad date format", "POST", "/api/v1/lots/L1/release", map[string]any{"occurred": "01.02.2021"}, 400, "invalid", "occurred"},
		{"bad time", "POST", "/api/v1/doses", with(dose, "at", "yesterday"), 400, "invalid", "at"},
		{"bad nested date", "POST", "/api/v1/agreements", map[string]any{"id": "A9", "supplier": "X", "product": "qazvac", "doses": 10, "signed": "2021-01-01", "tranches": []any{map[string]any{"id": "t", "expected": "soon", "doses": 5}}}, 400, "invalid", "tranches[0].expected"},
		{"future date", "POST", "/api/v1/receipts", map[string]any{"receipt": "R9", "place": "NAT", "lot": "L1", "doses": 5, "occurred": "2099-01-01T00:00:00Z"}, 400, "invalid", "occurred"},
		{"future dose", "POST", "/api/v1/doses", with(dose, "at", "2099-01-01T10:00:00Z"), 400, "invalid", "at"},
		{"expiry before manufacture", "POST", "/api/v1/lots", with(lot, "expiry", "2020-06-01"), 400, "invalid", "expiry"},
		{"component not in product", "POST", "/api/v1/lots", with(lot, "component", "III"), 400, "invalid", "component"},
		{"oversized body", "POST", "/api/v1/lots/L1/suspend", big, 413, "too_large", ""},
		{"unknown field", "POST", "/api/v1/lots", with(lot, "colour", "red"), 400, "invalid", "colour"},
		{"wrong type", "POST", "/api/v1/receipts", map[string]any{"receipt": "R9", "place": "NAT", "lot": "L1", "doses": "many", "occurred": "2021-03-01T10:00:00Z"}, 400, "invalid", "doses"},
		{"wrong nested type", "POST", "/api/v1/shipments", map[string]any{"shipment": "S9", "from": "NAT", "to": "AKM-W", "occurred": "2021-03-01T10:00:00Z", "lines": []any{map[string]any{"lot": "L1", "doses": "3"}}}, 400, "invalid", "lines.doses"},
		{"bad person id", "POST", "/api/v1/doses", with(dose, "person", "xyz"), 400, "invalid", "person"},
		{"syntax error", "POST", "/api/v1/lots", `{"id": "LX",`, 400, "invalid", "body"},
		{"trailing data", "POST", "/api/v1/lots/L1/suspend", `{"reason":"x"} {"reason":"y"}`, 400, "invalid", "body"},
		{"empty body", "POST", "/api/v1/lots/L1/suspend", "", 400, "invalid", "body"},
		{"bad iin", "POST", "/api/v1/people", map[string]any{"iin": "123456789012", "family": "A", "birth_date": "1980-01-01", "sex": "M", "region": "KZ-AKM"}, 400, "invalid", "iin"},
		{"person and iin", "POST", "/api/v1/doses", with(dose, "iin", iin(t, "80050130012")), 400, "invalid", "iin"},
		{"missing reason", "POST", "/api/v1/lots/L1/suspend", map[string]any{}, 400, "invalid", "reason"},
		{"bad query date", "GET", "/api/v1/supply?as_of=2021-02-30", nil, 400, "invalid", "as_of"},
		{"unknown region", "GET", "/api/v1/stock?region=KZ-XXX", nil, 404, "not_found", "region"},
		{"unknown api route", "GET", "/api/v1/nothing", nil, 404, "not_found", ""},
		{"unknown shipment", "POST", "/api/v1/shipments/NOPE/receive", map[string]any{"occurred": "2021-03-01T10:00:00Z"}, 404, "not_found", "shipment"},
		{"already released", "POST", "/api/v1/lots/L1/release", map[string]any{"occurred": "2021-01-21"}, 409, "conflict", ""},
	}
	before := f.last()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := f.do(c.method, c.path, "admin", c.body)
			if r.Status != c.status {
				t.Fatalf("status %d, want %d: %s", r.Status, c.status, r.Body)
			}
			code, field := r.errInfo(t)
			if code != c.code || field != c.field {
				t.Errorf("error %s/%q, want %s/%q: %s", code, field, c.code, c.field, r.Body)
			}
		})
	}
	if got := f.last(); got != before {
		t.Errorf("rejected requests wrote %d events", got-before)
	}
}

func TestIdempotency(t *testing.T) {
	f := newFixture(t)
	product := map[string]any{"code": "covivac", "name": "CoviVac", "components": []any{map[string]any{"code": "1"}}, "series_doses": 2, "interval_days": 14,
		"presentations": []any{map[string]any{"doses_per_vial": 10}}, "storage_min_c": 2, "storage_max_c": 8}
	before := f.last()
	r1 := f.do("POST", "/api/v1/products", "admin", product, "Idempotency-Key", "p-1")
	r2 := f.do("POST", "/api/v1/products", "admin", product, "Idempotency-Key", "p-1")
	if r1.Status != 201 || r2.Status != 201 {
		t.Fatalf("status %d %d: %s %s", r1.Status, r2.Status, r1.Body, r2.Body)
	}
	if r1.json(t)["duplicate"] != false || r2.json(t)["duplicate"] != true {
		t.Errorf("duplicate flags: %s / %s", r1.Body, r2.Body)
	}
	if got := f.last(); got != before+1 {
		t.Errorf("same request twice wrote %d events, want 1", got-before)
	}

	// same key, different body
	adj := map[string]any{"place": "AKM-P1", "lot": "L1", "delta": -1, "reason": "wastage", "occurred": "2021-03-01T10:00:00Z"}
	if r := f.do("POST", "/api/v1/adjustments", "admin", adj, "Idempotency-Key", "k-1"); r.Status != 201 {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	if r := f.do("POST", "/api/v1/adjustments", "admin", adj, "Idempotency-Key", "k-1"); r.Status != 201 || r.json(t)["duplicate"] != true {
		t.Errorf("replay with key: %d %s", r.Status, r.Body)
	}
	adj["delta"] = -2
	r := f.do("POST", "/api/v1/adjustments", "admin", adj, "Idempotency-Key", "k-1")
	if code, _ := r.errInfo(t); r.Status != 409 || code != "conflict" {
		t.Errorf("reused key: %d %s", r.Status, r.Body)
	}

	// with a key, the same body re-serialised is the same content
	before = f.last()
	body1 := `{"place":"AKM-P1","lot":"L1","delta":-3,"reason":"wastage","occurred":"2021-03-02T10:00:00Z"}`
	body2 := `{ "occurred":"2021-03-02T10:00:00Z", "reason":"wastage", "delta":-3, "lot":"L1", "place":"AKM-P1" }`
	f.do("POST", "/api/v1/adjustments", "admin", body1, "Idempotency-Key", "k-2")
	if r := f.do("POST", "/api/v1/adjustments", "admin", body2, "Idempotency-Key", "k-2"); r.json(t)["duplicate"] != true {
		t.Errorf("keyed replay not a duplicate: %s", r.Body)
	}
	if got := f.last(); got != before+1 {
		t.Errorf("keyed replay wrote %d events, want 1", got-before)
	}

	// doses and people: natural keys
	p := iin(t, "85020230021")
	f.register("admin", p, "KZ-AKM")
	before = f.last()
	if r := f.do("POST", "/api/v1/people", "admin", map[string]any{"iin": p, "family": "Ivanov", "given": "Ivan", "birth_date": "1980-05-01", "sex": "M", "region": "KZ-AKM"}); r.Status != 201 || r.json(t)["duplicate"] != true {
		t.Errorf("person replay: %d %s", r.Status, r.Body)
	}
	if r := f.do("POST", "/api/v1/people", "admin", map[string]any{"iin": p, "family": "Petrov", "birth_date": "1980-05-01", "sex": "M", "region": "KZ-AKM"}); r.Status != 409 {
		t.Errorf("person with other details: %d %s", r.Status, r.Body)
	}
	dose := map[string]any{"id": "d-1", "iin": p, "at": "2021-03-01T10:00:00+06:00", "place": "AKM-P1", "lot": "L1", "vaccinator": "nurse-1"}
	r1 = f.do("POST", "/api/v1/doses", "admin", dose)
	r2 = f.do("POST", "/api/v1/doses", "admin", dose)
	if r1.Status != 201 || r2.Status != 201 || r2.json(t)["duplicate"] != true {
		t.Fatalf("dose replay: %d %s / %d %s", r1.Status, r1.Body, r2.Status, r2.Body)
	}
	d := r1.json(t)["dose"].(map[string]any)
	if d["dose_number"] != 1.0 || d["component"] != "I" || d["product"] != "sputnik-v" || d["booster"] != false {
		t.Errorf("derived fields: %v", d)
	}
	if got := f.last(); got != before+1 {
		t.Errorf("dose replay wrote %d events, want 1", got-before)
	}
	dose["lot"] = "L2"
	if r := f.do("POST", "/api/v1/doses", "admin", dose); r.Status != 409 {
		t.Errorf("dose id reused with other content: %d %s", r.Status, r.Body)
	}
}

func TestScope(t *testing.T) {
	f := newFixture(t)
	ship := map[string]any{"shipment": "S10", "from": "AKM-W", "to": "AKM-P1", "occurred": "2021-03-01T10:00:00Z", "product": "sputnik-v", "component": "I", "doses": 10}
	pid := f.register("admin", iin(t, "75030330033"), "KZ-AKM")
	dose := func(id, place string) map[string]any {
		return map[string]any{"id": id, "person": pid, "at": "2021-03-01T10:00:00+06:00", "place": place, "lot": "L1", "vaccinator": "nurse-1"}
	}
	cases := []struct {
		name, who, method, path string
		body                    any
		status                  int
	}{
		{"region dispatches from another region", "ala", "POST", "/api/v1/shipments", ship, 403},
		{"public cannot write", "", "POST", "/api/v1/shipments", ship, 403},
		{"auditor cannot write", "auditor", "POST", "/api/v1/shipments", ship, 403},
		{"bad token", "not-a-token", "GET", "/api/v1/overview", nil, 401},
		{"point records elsewhere", "p1", "POST", "/api/v1/doses", dose("d-p2", "AKM-P2"), 403},
		{"region defines a product", "akm", "POST", "/api/v1/lots/L1/suspend", map[string]any{"reason": "x"}, 403},
		{"public reads places", "", "GET", "/api/v1/places", nil, 403},
		{"public reads events", "", "GET", "/api/v1/events", nil, 403},
		{"region reads events", "akm", "GET", "/api/v1/events", nil, 403},
		{"other region stock", "ala", "GET", "/api/v1/regions/KZ-AKM/stock", nil, 403},
		{"other region place", "ala", "GET", "/api/v1/places/AKM-P1/stock", nil, 403},
		{"other region shipment", "ala", "GET", "/api/v1/shipments/S2", nil, 403},
		{"other region tallies", "ala", "GET", "/api/v1/tallies?region=KZ-AKM", nil, 403},
		{"public reads overview", "", "GET", "/api/v1/overview", nil, 200},
		{"public reads supply", "", "GET", "/api/v1/supply", nil, 200},
		{"public reads stock", "", "GET", "/api/v1/stock", nil, 200},
		{"public reads coverage", "", "GET", "/api/v1/coverage", nil, 200},
		{"public reads owid", "", "GET", "/api/v1/export/owid", nil, 200},
		{"region dispatches in region", "akm", "POST", "/api/v1/shipments", ship, 201},
		{"point records at its place", "p1", "POST", "/api/v1/doses", dose("d-p1", "AKM-P1"), 201},
		{"own region stock", "akm", "GET", "/api/v1/regions/KZ-AKM/stock", nil, 200},
		{"auditor reads events", "auditor", "GET", "/api/v1/events", nil, 200},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := f.do(c.method, c.path, c.who, c.body)
			if r.Status != c.status {
				t.Errorf("status %d, want %d: %s", r.Status, c.status, r.Body)
			}
		})
	}
	// lists are filtered by scope
	var ps struct{ Places []struct{ ID string } }
	json.Unmarshal(f.do("GET", "/api/v1/places", "ala", nil).Body, &ps)
	for _, p := range ps.Places {
		if !strings.HasPrefix(p.ID, "ALA") {
			t.Errorf("region KZ-ALA sees place %s", p.ID)
		}
	}
	var sh struct{ Shipments []struct{ Shipment string } }
	json.Unmarshal(f.do("GET", "/api/v1/shipments", "p1", nil).Body, &sh)
	for _, s := range sh.Shipments {
		if s.Shipment != "S2" && s.Shipment != "S10" {
			t.Errorf("point sees shipment %s", s.Shipment)
		}
	}
}

func TestPeopleAndPII(t *testing.T) {
	f := newFixture(t)
	clear := iin(t, "90010130012")
	pid := f.register("p1", clear, "KZ-AKM")
	if r := f.do("POST", "/api/v1/doses", "p1", map[string]any{"id": "d-1", "iin": clear, "at": "2021-03-01T10:00:00+06:00", "place": "AKM-P1", "lot": "L1", "vaccinator": "nurse-1"}); r.Status != 201 {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	r := f.do("POST", "/api/v1/people/lookup", "admin", map[string]any{"iin": clear})
	if r.Status != 200 {
		t.Fatalf("lookup: %d %s", r.Status, r.Body)
	}
	m := r.json(t)
	if m["id"] != pid || !strings.HasSuffix(m["iin_masked"].(string), clear[8:]) || len(m["doses"].([]any)) != 1 {
		t.Errorf("lookup: %s", r.Body)
	}
	if r := f.do("POST", "/api/v1/people/lookup", "akm", map[string]any{"iin": clear}); r.Status != 200 || r.json(t)["iin_masked"] != nil {
		t.Errorf("region lookup (no masked IIN expected): %d %s", r.Status, r.Body)
	}
	if r := f.do("POST", "/api/v1/people/lookup", "ala", map[string]any{"iin": clear}); r.Status != 404 {
		t.Errorf("out-of-scope lookup: %d %s", r.Status, r.Body)
	}
	if r := f.do("GET", "/api/v1/people/"+pid, "auditor", nil); r.Status != 200 {
		t.Errorf("get person: %d %s", r.Status, r.Body)
	}
	if r := f.do("POST", "/api/v1/people/"+pid+"/update", "akm", map[string]any{"given": "Ivan Petrovich", "reason": "typo"}); r.Status != 200 {
		t.Errorf("update: %d %s", r.Status, r.Body)
	}
	if r := f.do("GET", "/api/v1/doses/d-1", "auditor", nil); r.Status != 200 {
		t.Errorf("get dose: %d %s", r.Status, r.Body)
	}
	if r := f.do("GET", "/api/v1/doses/d-1", "ala", nil); r.Status != 404 {
		t.Errorf("out-of-scope dose: %d %s", r.Status, r.Body)
	}
	// the full IIN is never returned, nor logged, nor journaled in clear
	for _, path := range []string{"/api/v1/people/" + pid, "/api/v1/events?limit=1000", "/api/v1/doses/d-1"} {
		if r := f.do("GET", path, "admin", nil); strings.Contains(string(r.Body), clear) {
			t.Errorf("%s returns the IIN in clear", path)
		}
	}
	f.do("GET", "/api/v1/people/"+clear, "admin", nil) // a client's mistake
	if strings.Contains(f.logs.String(), clear) {
		t.Errorf("the IIN appears in the logs")
	}
	if !strings.Contains(f.logs.String(), `"request_id"`) {
		t.Errorf("access log has no request id")
	}
}

func TestBatch(t *testing.T) {
	f := newFixture(t)
	a, b, c := iin(t, "70010140011"), iin(t, "71020250022"), iin(t, "72030360033")
	known := f.register("admin", c, "KZ-AKM")
	rec := func(id, who, at, lot string, extra string) string {
		return fmt.Sprintf(`{"id":%q,%s,"at":%q,"place":"AKM-P1","lot":%q,"vaccinator":"nurse-1"%s}`, id, who, at, lot, extra)
	}
	person := `,"family":"Abenov","given":"Arman","birth_date":"1970-01-01","sex":"M","region":"KZ-AKM"`
	lines := []string{
		rec("b-1", `"iin":"`+a+`"`, "2021-03-01T10:00:00+06:00", "L1", person),      // 1 new person, dose 1
		rec("b-2", `"iin":"`+a+`"`, "2021-03-22T10:00:00+06:00", "L2", ""),          // 2 same person, dose 2
		rec("b-3", `"person":"`+known+`"`, "2021-03-01T10:00:00+06:00", "NOPE", ""), // 3 unknown lot
		`{"id":"b-4", "iin": }`, // 4 malformed
		"",                      // 5 blank
		rec("b-6", `"person":"`+known+`"`, "2021-03-01T10:00:00+06:00", "L1", `,"colour":"red"`), // 6 unknown field
		rec("b-7", `"person":"`+known+`"`, "2021-03-02T10:00:00+06:00", "L1", ""),                // 7 ok
		rec("b-8", `"iin":"`+b+`"`, "2021-03-01T10:00:00+06:00", "L1", ""),                       // 8 unknown person, no details
	}
	full := strings.Join(lines, "\n") + "\n"
	truncated := full + `{"id":"b-10","person":"` + known + `","at":"2021-03-`
	before := f.last()
	r := f.do("POST", "/api/v1/doses/batch", "p1", truncated, "Content-Type", "application/x-ndjson")
	if r.Status != 200 {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	var out batchResponse
	if err := json.Unmarshal(r.Body, &out); err != nil {
		t.Fatal(err)
	}
	want := []struct {
		line         int
		status, code string
		field        string
		number       int
	}{
		{1, "accepted", "", "", 1},
		{2, "accepted", "", "", 2},
		{3, "rejected", "not_found", "lot", 0},
		{4, "rejected", "invalid", "line", 0},
		{6, "rejected", "invalid", "colour", 0},
		{7, "accepted", "", "", 1},
		{8, "rejected", "not_found", "person", 0},
		{9, "rejected", "invalid", "line", 0},
	}
	if len(out.Results) != len(want) {
		t.Fatalf("got %d results, want %d: %s", len(out.Results), len(want), r.Body)
	}
	for i, w := range want {
		g := out.Results[i]
		code, field := "", ""
		if g.Error != nil {
			code, field = g.Error.Code, g.Error.Field
		}
		if g.Line != w.line || g.Status != w.status || code != w.code || field != w.field || g.DoseNumber != w.number {
			t.Errorf("result %d = %+v (error %v), want %+v", i, g, g.Error, w)
		}
	}
	if !strings.Contains(out.Results[7].Error.Message, "truncated") {
		t.Errorf("truncated line reason: %v", out.Results[7].Error)
	}
	if !out.Results[0].Registered {
		t.Errorf("line 1 should report the person registered")
	}
	if out.Accepted != 3 || out.Rejected != 5 || out.Duplicates != 0 {
		t.Errorf("counts %d/%d/%d", out.Accepted, out.Rejected, out.Duplicates)
	}
	if got := f.last(); got != before+4 { // one person + three doses
		t.Errorf("batch wrote %d events, want 4", got-before)
	}

	// re-upload as a JSON array: all duplicates, no new events
	before = f.last()
	arr := "[" + strings.Join([]string{lines[0], lines[1], lines[6]}, ",") + "]"
	r = f.do("POST", "/api/v1/doses/batch", "p1", arr, "Content-Type", "application/json")
	json.Unmarshal(r.Body, &out)
	if out.Duplicates != 3 || out.Accepted != 0 || out.Rejected != 0 {
		t.Errorf("re-upload: %s", r.Body)
	}
	if got := f.last(); got != before {
		t.Errorf("re-upload wrote %d events", got-before)
	}
	// the same dose through the single endpoint is a duplicate too
	if r := f.do("POST", "/api/v1/doses", "p1", lines[6]); r.Status != 201 || r.json(t)["duplicate"] != true {
		t.Errorf("single after batch: %d %s", r.Status, r.Body)
	}
	// a point cannot upload doses of another place
	other := strings.Replace(rec("b-20", `"person":"`+known+`"`, "2021-03-05T10:00:00+06:00", "L1", ""), "AKM-P1", "AKM-P2", 1)
	r = f.do("POST", "/api/v1/doses/batch", "p1", other+"\n", "Content-Type", "application/x-ndjson")
	json.Unmarshal(r.Body, &out)
	if out.Rejected != 1 || out.Results[0].Error.Code != "forbidden" {
		t.Errorf("point batch elsewhere: %s", r.Body)
	}
	// public may not upload at all
	if r := f.do("POST", "/api/v1/doses/batch", "", arr); r.Status != 403 {
		t.Errorf("public batch: %d", r.Status)
	}
	// malformed array is a whole-request error
	if r := f.do("POST", "/api/v1/doses/batch", "p1", "[{"); r.Status != 400 {
		t.Errorf("malformed array: %d %s", r.Status, r.Body)
	}
}

func TestMetrics(t *testing.T) {
	f := newFixture(t)
	f.do("GET", "/api/v1/overview", "", nil)
	f.do("POST", "/api/v1/lots/NOPE/suspend", "admin", map[string]any{"reason": "x"})
	f.do("POST", "/api/v1/lots/L1/suspend", "admin", map[string]any{"reason": "x"}, "Idempotency-Key", "s-1")
	f.do("POST", "/api/v1/lots/L1/suspend", "admin", map[string]any{"reason": "x"}, "Idempotency-Key", "s-1")
	r := f.do("GET", "/metrics", "", nil)
	body := string(r.Body)
	for _, want := range []string{
		`http_requests_total{route="GET /api/v1/overview",code="200"} 1`,
		`http_request_duration_seconds_bucket{route="GET /api/v1/overview",le="+Inf"} 1`,
		`http_request_duration_seconds_count{route="GET /api/v1/overview"} 1`,
		"vaxtrace_events_applied_total ",
		`vaxtrace_rejections_total{code="not_found"} 1`,
		"vaxtrace_duplicates_total 1",
		"vaxtrace_commits_total ",
		"vaxtrace_journal_seq ",
		"vaxtrace_journal_lag 0",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

func TestOpenAPIListsEveryRoute(t *testing.T) {
	f := newFixture(t)
	r := f.do("GET", "/api/v1/openapi.json", "", nil)
	var doc struct {
		OpenAPI string                               `json:"openapi"`
		Paths   map[string]map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(r.Body, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi %q", doc.OpenAPI)
	}
	n := 0
	for _, rt := range f.srv.routes {
		op := doc.Paths[rt.Path][strings.ToLower(rt.Method)]
		if op == nil {
			t.Errorf("%s %s missing from the OpenAPI document", rt.Method, rt.Path)
			continue
		}
		n++
		params, _ := op["parameters"].([]any)
		for _, m := range pathParam.FindAllStringSubmatch(rt.Path, -1) {
			found := false
			for _, p := range params {
				if pm := p.(map[string]any); pm["name"] == m[1] && pm["in"] == "path" {
					found = true
				}
			}
			if !found {
				t.Errorf("%s %s: path parameter %s undocumented", rt.Method, rt.Path, m[1])
			}
		}
	}
	total := 0
	for _, ops := range doc.Paths {
		total += len(ops)
	}
	if total != n {
		t.Errorf("document has %d operations, %d routes registered", total, n)
	}
}

// TestReads calls every GET route as admin and checks it answers 200.
func TestReads(t *testing.T) {
	f := newFixture(t)
	pid := f.register("admin", iin(t, "60010150015"), "KZ-AKM")
	f.do("POST", "/api/v1/doses", "admin", map[string]any{"id": "d-1", "person": pid, "at": "2021-03-01T10:00:00+06:00", "place": "AKM-P1", "lot": "L1", "vaccinator": "n"})
	f.do("POST", "/api/v1/targets", "admin", map[string]any{"id": "t1", "from": "2021-02-01", "to": "2021-12-31", "measure": "first", "value": 1000})
	f.do("POST", "/api/v1/tallies", "admin", map[string]any{"place": "AKM-P1", "date": "2021-03-01", "product": "sputnik-v", "dose_number": 1, "count": 3})
	f.do("POST", "/api/v1/aefi", "admin", map[string]any{"id": "ae1", "dose": "d-1", "description": "fever", "onset": "2021-03-02T10:00:00+06:00"})
	f.coldChainSeed()
	ids := map[string]string{"id": "AKM-P1", "code": "KZ-AKM"}
	for _, rt := range f.srv.routes {
		if rt.Method != "GET" {
			continue
		}
		path := rt.Path
		switch {
		case strings.HasPrefix(path, "/api/v1/shipments/"):
			path = strings.Replace(path, "{id}", "S1", 1)
		case strings.HasPrefix(path, "/api/v1/people/"):
			path = strings.Replace(path, "{id}", pid, 1)
		case strings.HasPrefix(path, "/api/v1/doses/"):
			path = strings.Replace(path, "{id}", "d-1", 1)
		case strings.HasPrefix(path, "/api/v1/equipment/"):
			path = strings.Replace(path, "{id}", "AKM-P1-FRZ", 1)
		case strings.HasPrefix(path, "/api/v1/requisitions/"):
			path = strings.Replace(path, "{id}", "RQ-1", 1)
		}
		for k, v := range ids {
			path = strings.Replace(path, "{"+k+"}", v, 1)
		}
		r := f.do("GET", path, "admin", nil)
		if r.Status != 200 {
			t.Errorf("GET %s: %d %s", path, r.Status, r.Body)
		}
	}
	// figures
	ov := f.do("GET", "/api/v1/overview?as_of=2021-03-31", "", nil).json(t)
	if ov["administered"] != 1.0 || ov["people_first_dose"] != 1.0 || ov["contracted"] != 100000.0 || ov["delivered"] != 20000.0 {
		t.Errorf("overview: %v", ov)
	}
	if ov["in_national_warehouse"] != 15000.0 || ov["at_vaccination_points"] != 1099.0 || ov["in_regional_warehouses"] != 3900.0 {
		t.Errorf("overview stock: %v", ov)
	}
	var ae aefiResponse
	json.Unmarshal(f.do("GET", "/api/v1/aefi", "admin", nil).Body, &ae)
	if len(ae.Rates) != 1 || ae.Rates[0].Per100k != 100000 {
		t.Errorf("aefi rates: %+v", ae.Rates)
	}
	cov := f.do("GET", "/api/v1/coverage?region=KZ-AKM&from=2021-02-28&to=2021-03-02", "", nil).json(t)
	d1 := cov["measures"].(map[string]any)["dose1"].(map[string]any)
	if fmt.Sprint(d1["daily"]) != "[0 1 0]" || fmt.Sprint(d1["cumulative"]) != "[0 1 1]" || cov["population"] != 700000.0 {
		t.Errorf("coverage: %v", cov)
	}
	ev := f.do("GET", "/api/v1/events?after=2&limit=3", "auditor", nil)
	if n := strings.Count(string(ev.Body), "\n"); n != 3 || !strings.HasPrefix(string(ev.Body), `{"seq":3,`) {
		t.Errorf("events: %s", ev.Body)
	}
}

func TestOWIDExport(t *testing.T) {
	f := newFixture(t)
	pid := f.register("admin", iin(t, "60010150015"), "KZ-AKM")
	f.do("POST", "/api/v1/doses", "admin", map[string]any{"id": "d-1", "person": pid, "at": "2021-03-01T10:00:00+06:00", "place": "AKM-P1", "lot": "L1", "vaccinator": "n"})
	f.do("POST", "/api/v1/doses", "admin", map[string]any{"id": "d-2", "person": pid, "at": "2021-03-22T10:00:00+06:00", "place": "AKM-P1", "lot": "L2", "vaccinator": "n"})
	r := f.do("GET", "/api/v1/export/owid?as_of=2021-03-23", "", nil)
	if r.Status != 200 {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	ref, err := os.ReadFile("../../shared/reference/owid/Kazakhstan.csv")
	if err != nil {
		t.Skip("reference file not available:", err)
	}
	refHeader, _, _ := strings.Cut(string(ref), "\n")
	rows := strings.Split(strings.TrimSpace(string(r.Body)), "\n")
	if strings.TrimSpace(rows[0]) != strings.TrimSpace(refHeader) {
		t.Errorf("header %q, want %q", rows[0], refHeader)
	}
	if len(rows) != 1+23 {
		t.Errorf("%d rows, want 23 (2021-03-01..2021-03-23)", len(rows)-1)
	}
	if rows[1] != "Kazakhstan,2021-03-01,Sputnik V,https://example.org/owid,1,1,0," || rows[len(rows)-1] != "Kazakhstan,2021-03-23,Sputnik V,https://example.org/owid,2,1,1," {
		t.Errorf("rows: %q ... %q", rows[1], rows[len(rows)-1])
	}
	if r := f.do("GET", "/api/v1/export/owid?known_at=2099-01-01&as_of=2021-03-23", "", nil); strings.TrimSpace(string(r.Body)) != strings.TrimSpace(strings.Join(rows, "\n")) {
		t.Errorf("known_at far in the future should match:\n%s", r.Body)
	}
}

func TestAuthCacheAndHealth(t *testing.T) {
	f := newFixture(t)
	if r := f.do("GET", "/healthz", "", nil); r.Status != 200 {
		t.Errorf("healthz %d", r.Status)
	}
	if r := f.do("GET", "/readyz", "", nil); r.Status != 200 || r.json(t)["lag"] != 0.0 {
		t.Errorf("readyz %d %s", r.Status, r.Body)
	}
	if r := f.do("GET", "/api/v1/places", "admin", nil); r.Status != 200 {
		t.Fatalf("admin %d", r.Status)
	}
	if _, ok := f.srv.tokens.Load(HashToken(f.tokens["admin"])); !ok {
		t.Errorf("token not cached")
	}
	r := f.do("GET", "/api/v1/places", "", nil, "Authorization", "Basic abc")
	if r.Status != 401 || r.Header.Get("WWW-Authenticate") == "" {
		t.Errorf("basic auth: %d", r.Status)
	}
	if r := f.do("GET", "/healthz", "", nil, "X-Request-ID", "abc-123"); r.Header.Get("X-Request-ID") != "abc-123" {
		t.Errorf("request id not honoured")
	}
	if r := f.do("GET", "/healthz", "", nil); len(r.Header.Get("X-Request-ID")) != 24 {
		t.Errorf("request id not generated")
	}
	s, h := NewToken()
	if len(s) != 43 || HashToken(s) != h || len(h) != 64 {
		t.Errorf("NewToken %q %q", s, h)
	}
}
