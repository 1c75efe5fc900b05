package httpapi

import (
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"vaxtrace"
	"vaxtrace/csvimport"
)

// The bad-input catalog: every write endpoint's valid request, mutated one
// field at a time into something the API must refuse. Each case asserts the
// status, the field the error names, and that nothing was written (journal
// sequence and a digest of the state unchanged).

type catField struct {
	path []any // keys and indexes into the body: "lines", 0, "lot"
	kind string
	// typeField is the field the JSON decoder names for a value of the
	// wrong type: it knows struct fields, not array indexes or map keys
	// ("lines.doses", "names").
	typeField string
}

type catEndpoint struct {
	path   string
	body   func(ids matrixIDs) map[string]any
	fields []catField
}

func f(kind string, path ...any) catField {
	var keys []string
	for _, p := range path {
		if k, ok := p.(string); ok {
			keys = append(keys, k)
		}
	}
	return catField{path: path, kind: kind, typeField: strings.Join(keys, ".")}
}

// catMutation is one way to spoil a field; raw is inserted as JSON text.
// A wrongType mutation is refused by the JSON decoder.
type catMutation struct {
	name      string
	raw       string
	wrongType bool
}

var catMutations = map[string][]catMutation{
	"text": {{"NUL", `"a\u0000b"`, false}, {"escape", `"a\u001b[31m"`, false}, {"blank", `"   "`, false}, {"lone surrogate", `"a\ud800b"`, false},
		{"3000 bytes", strconv.Quote(strings.Repeat("x", 3000)), false}, {"number", `42`, true}},
	"id": {{"NUL", `"a\u0000b"`, false}, {"blank", `" "`, false}, {"lone surrogate", `"\udc00"`, false}, {"slash", `"a/b"`, false}, {"newline", `"a\nb"`, false},
		{"3000 bytes", strconv.Quote(strings.Repeat("x", 3000)), false}, {"number", `7`, true}},
	"qty": {{"negative", `-1`, false}, {"over the bound", strconv.FormatInt(int64(vaxtrace.MaxQty)+1, 10), false}, {"2^63-1", `9223372036854775807`, false},
		{"string", `"12"`, true}, {"fraction", `1.5`, true}, {"1e30", `1e30`, true}},
	"delta": {{"below the bound", strconv.FormatInt(-int64(vaxtrace.MaxQty)-1, 10), false}, {"-2^63", `-9223372036854775808`, false}, {"2^63-1", `9223372036854775807`, false}, {"string", `"-1"`, true}},
	"time":  {{"not a time", `"yesterday"`, false}, {"future", `"2099-01-01T00:00:00Z"`, false}, {"number", `1612137600`, false}, {"year 1", `"0001-01-01T00:00:00Z"`, false}},
	"date":  {{"not a date", `"2021-02-30"`, false}, {"number", `20210201`, false}, {"garbage", `"01/02/2021"`, false}},
}

func catEndpoints() []catEndpoint {
	ts := "2021-02-02T05:00:00Z"
	obj := func(kv ...any) func(matrixIDs) map[string]any {
		return func(matrixIDs) map[string]any {
			b, _ := json.Marshal(kv[0])
			var m map[string]any
			_ = json.Unmarshal(b, &m)
			return m
		}
	}
	return []catEndpoint{
		{"/api/v1/products", obj(map[string]any{"code": "px", "name": "PX", "components": []any{map[string]any{"code": "1"}}, "series_doses": 1, "presentations": []any{map[string]any{"doses_per_vial": 1}}}),
			[]catField{f("text", "code"), f("text", "name"), f("text", "components", 0, "code")}},
		{"/api/v1/regions", obj(map[string]any{"code": "KZ-X", "names": map[string]any{"en": "X"}, "population": 10}),
			[]catField{f("text", "code"), catField{[]any{"names", "en"}, "text", "names"}, f("qty", "population")}},
		{"/api/v1/places", obj(map[string]any{"id": "AKM-P9", "kind": "point", "name": "P9", "region": "KZ-AKM", "parent": "AKM-W"}),
			[]catField{f("id", "id"), f("text", "name"), f("text", "region"), f("text", "parent"), f("text", "kind")}},
		{"/api/v1/places/AKM-P2/move", obj(map[string]any{"region": "KZ-ALA", "from": "2021-03-01"}),
			[]catField{f("text", "region"), f("date", "from")}},
		{"/api/v1/agreements", obj(map[string]any{"id": "A9", "supplier": "X", "product": "sputnik-v", "doses": 10, "signed": "2021-01-01"}),
			[]catField{f("id", "id"), f("text", "supplier"), f("text", "product"), f("qty", "doses"), f("date", "signed")}},
		{"/api/v1/lots", obj(map[string]any{"id": "L9", "product": "sputnik-v", "component": "I", "manufacturer": "X", "manufactured": "2021-01-01", "expiry": "2022-01-01", "origin": "domestic"}),
			[]catField{f("id", "id"), f("text", "product"), f("text", "component"), f("text", "manufacturer"), f("date", "manufactured"), f("date", "expiry"), f("text", "origin")}},
		{"/api/v1/lots/L1/suspend", obj(map[string]any{"reason": "recall"}), []catField{f("text", "reason")}},
		{"/api/v1/lots/L2/reinstate", obj(map[string]any{"reason": "cleared"}), []catField{f("text", "reason")}},
		{"/api/v1/receipts", obj(map[string]any{"receipt": "R9", "place": "NAT", "lot": "L1", "doses": 10, "agreement": "A1", "tranche": "T1", "occurred": ts}),
			[]catField{f("id", "receipt"), f("text", "place"), f("text", "lot"), f("qty", "doses"), f("text", "agreement"), f("text", "tranche"), f("time", "occurred")}},
		{"/api/v1/shipments", obj(map[string]any{"shipment": "S9", "from": "AKM-W", "to": "AKM-P1", "occurred": ts, "lines": []any{map[string]any{"lot": "L1", "doses": 5}}}),
			[]catField{f("id", "shipment"), f("text", "from"), f("text", "to"), f("time", "occurred"), f("text", "lines", 0, "lot"), f("qty", "lines", 0, "doses")}},
		{"/api/v1/shipments/S7/receive", obj(map[string]any{"occurred": ts, "lines": []any{map[string]any{"lot": "L1", "received": 10}}}),
			[]catField{f("time", "occurred"), f("text", "lines", 0, "lot"), f("qty", "lines", 0, "received"), f("qty", "lines", 0, "short")}},
		{"/api/v1/adjustments", obj(map[string]any{"place": "AKM-P1", "lot": "L1", "delta": -1, "reason": "wastage", "occurred": ts, "note": "dropped"}),
			[]catField{f("text", "place"), f("text", "lot"), f("delta", "delta"), f("text", "reason"), f("text", "note"), f("time", "occurred")}},
		{"/api/v1/counts", obj(map[string]any{"place": "AKM-P1", "lot": "L1", "counted": 3, "occurred": ts}),
			[]catField{f("text", "place"), f("text", "lot"), f("qty", "counted"), f("time", "occurred")}},
		{"/api/v1/excursions", obj(map[string]any{"excursion": "X9", "place": "AKM-P1", "min_c": 9, "max_c": 12, "minutes": 30, "occurred": ts}),
			[]catField{f("id", "excursion"), f("text", "place"), f("time", "occurred")}},
		{"/api/v1/people", obj(map[string]any{"iin": "", "family": "A", "given": "B", "birth_date": "1970-01-02", "sex": "F", "region": "KZ-AKM"}),
			[]catField{f("text", "family"), f("text", "given"), f("text", "sex"), f("text", "region"), f("text", "group"), f("date", "birth_date")}},
		{"/api/v1/people/{pa}/update", obj(map[string]any{"given": "New", "reason": "typo"}),
			[]catField{f("text", "given"), f("text", "family"), f("text", "reason"), f("text", "region"), f("date", "birth_date")}},
		{"/api/v1/doses", func(ids matrixIDs) map[string]any {
			return map[string]any{"id": "D9", "person": ids.pc, "at": ts, "place": "AKM-P1", "lot": "L1", "vaccinator": "n", "override": "ok"}
		}, []catField{f("id", "id"), f("time", "at"), f("text", "place"), f("text", "lot"), f("text", "vaccinator"), f("text", "override"), f("text", "product")}},
		{"/api/v1/doses/D-A/void", obj(map[string]any{"reason": "error"}), []catField{f("text", "reason")}},
		{"/api/v1/doses/D-A/correct", obj(map[string]any{"at": "2021-02-01T06:00:00Z", "reason": "time"}),
			[]catField{f("text", "reason"), f("time", "at"), f("text", "lot"), f("text", "place")}},
		{"/api/v1/sessions", obj(map[string]any{"session": "SS9", "place": "AKM-P1", "date": "2021-02-01", "lot": "L1", "vials_opened": 1}),
			[]catField{f("id", "session"), f("text", "place"), f("text", "lot"), f("date", "date"), f("qty", "vials_opened")}},
		{"/api/v1/aefi", obj(map[string]any{"id": "E9", "dose": "D-A", "description": "fever", "onset": "2021-02-01T10:00:00Z"}),
			[]catField{f("id", "id"), f("text", "dose"), f("text", "description"), f("time", "onset")}},
		{"/api/v1/targets", obj(map[string]any{"id": "t9", "measure": "first", "from": "2021-02-01", "to": "2021-03-01", "value": 10}),
			[]catField{f("id", "id"), f("text", "measure"), f("text", "group"), f("qty", "value"), f("date", "from"), f("date", "to")}},
		{"/api/v1/tallies", obj(map[string]any{"place": "AKM-P1", "date": "2021-02-01", "product": "sputnik-v", "dose_number": 1, "count": 5}),
			[]catField{f("text", "place"), f("text", "product"), f("qty", "count"), f("date", "date")}},
	}
}

// setPath replaces the value at path in body with raw JSON, creating the
// key when absent.
func setPath(t *testing.T, body map[string]any, path []any, raw string) []byte {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(raw), &v); err != nil {
		t.Fatalf("bad raw %s: %v", raw, err)
	}
	marker := "\x01MARK\x01"
	var cur any = body
	for i, p := range path {
		last := i == len(path)-1
		switch k := p.(type) {
		case string:
			m := cur.(map[string]any)
			if last {
				m[k] = marker
			} else {
				cur = m[k]
			}
		case int:
			a := cur.([]any)
			if last {
				a[k] = marker
			} else {
				cur = a[k]
			}
		}
	}
	b, _ := json.Marshal(body)
	// keep the raw text as written (lone surrogates, 2^63-1, 1e30)
	return []byte(strings.Replace(string(b), `"\u0001MARK\u0001"`, raw, 1))
}

// fieldName is the field an error should name for path: "lines[0].lot".
func fieldName(path []any) string {
	var b strings.Builder
	for _, p := range path {
		switch k := p.(type) {
		case string:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(k)
		case int:
			fmt.Fprintf(&b, "[%d]", k)
		}
	}
	return b.String()
}

// digest summarises what a caller can see of the state.
func (fx *fixture) digest(t *testing.T, ids ...string) string {
	h := sha256.New()
	for _, p := range []string{"/api/v1/lots", "/api/v1/shipments", "/api/v1/places", "/api/v1/agreements", "/api/v1/aefi", "/api/v1/targets?as_of=2021-03-01", "/api/v1/stock?as_of=2021-03-01"} {
		r := fx.do("GET", p, "admin", nil)
		h.Write([]byte(p))
		h.Write(r.Body)
	}
	newIIN, _ := vaxtrace.CompleteIIN("70010240005")
	r := fx.do("POST", "/api/v1/people/lookup", "admin", map[string]any{"iin": newIIN})
	h.Write(r.Body)
	for _, id := range ids {
		h.Write(fx.do("GET", "/api/v1/people/"+id, "admin", nil).Body)
	}
	var seq uint64
	fx.eng.Read(func(st *vaxtrace.State) { seq = st.Seq })
	fmt.Fprintf(h, "%d", seq)
	return fmt.Sprintf("%x", h.Sum(nil))
}

func TestBadInputCatalog(t *testing.T) {
	fx := newFixture(t)
	pa, pb, pc, pd := fx.matrixSeed()
	ids := matrixIDs{pa.String(), pb.String(), pc.String(), pd.String()}
	newIIN, _ := vaxtrace.CompleteIIN("70010240005")
	before, digest := fx.last(), fx.digest(t, ids.pa, ids.pb, ids.pc, ids.pd)
	cases := 0
	for _, ep := range catEndpoints() {
		path := strings.Replace(ep.path, "{pa}", ids.pa, 1)
		for _, fl := range ep.fields {
			for _, m := range catMutations[fl.kind] {
				name := fmt.Sprintf("%s %s %s", ep.path, fieldName(fl.path), m.name)
				t.Run(name, func(t *testing.T) {
					cases++
					fx.t = t
					body := ep.body(ids)
					if _, ok := body["iin"]; ok {
						body["iin"] = newIIN
					}
					raw := setPath(t, body, fl.path, m.raw)
					r := fx.do("POST", path, "admin", raw)
					if r.Status != http.StatusBadRequest {
						t.Fatalf("status %d, want 400: %s\n%s", r.Status, r.Body, raw[:min(len(raw), 300)])
					}
					want := fieldName(fl.path)
					if m.wrongType {
						want = fl.typeField
					}
					if _, field := r.errInfo(t); field != want {
						t.Fatalf("field %q, want %q: %s", field, want, r.Body)
					}
				})
			}
		}
	}
	fx.t = t
	if fx.last() != before || fx.digest(t, ids.pa, ids.pb, ids.pc, ids.pd) != digest {
		t.Fatalf("the catalog's refused requests changed the store (journal %d -> %d)", before, fx.last())
	}
	if cases < 300 {
		t.Fatalf("only %d cases", cases)
	}
	t.Logf("%d bad inputs over %d endpoints", cases, len(catEndpoints()))
}

// TestBadInputCatalogBasesValid: each endpoint's unspoilt request succeeds,
// so the catalog's refusals are the mutation's doing.
func TestBadInputCatalogBasesValid(t *testing.T) {
	newIIN, _ := vaxtrace.CompleteIIN("70010240005")
	for _, ep := range catEndpoints() {
		t.Run(ep.path, func(t *testing.T) {
			fx := newFixture(t)
			pa, pb, pc, pd := fx.matrixSeed()
			ids := matrixIDs{pa.String(), pb.String(), pc.String(), pd.String()}
			body := ep.body(ids)
			if _, ok := body["iin"]; ok {
				body["iin"] = newIIN
			}
			r := fx.do("POST", strings.Replace(ep.path, "{pa}", ids.pa, 1), "admin", body)
			if r.Status/100 != 2 {
				t.Fatalf("%d %s", r.Status, r.Body)
			}
		})
	}
}

// batchFields are the dose-batch record fields the import catalog spoils.
var batchFields = []catField{f("id", "id"), f("time", "at"), f("text", "place"), f("text", "lot"), f("text", "vaccinator"), f("text", "override"),
	f("text", "family"), f("text", "given"), f("text", "sex"), f("text", "region"), f("date", "birth_date")}

// TestBadInputCatalogBatch: the same spoilt values in a dose-batch record
// (NDJSON): the record is rejected naming the field, and nothing is written.
func TestBadInputCatalogBatch(t *testing.T) {
	fx := newFixture(t)
	pa, pb, pc, pd := fx.matrixSeed()
	ids := matrixIDs{pa.String(), pb.String(), pc.String(), pd.String()}
	newIIN, _ := vaxtrace.CompleteIIN("70010240005")
	before, digest := fx.last(), fx.digest(t, ids.pa, ids.pb, ids.pc, ids.pd)
	cases := 0
	for _, fl := range batchFields {
		for _, m := range catMutations[fl.kind] {
			t.Run(fieldName(fl.path)+" "+m.name, func(t *testing.T) {
				cases++
				fx.t = t
				body := map[string]any{"id": "B9", "iin": newIIN, "at": "2021-02-02T05:00:00Z", "place": "AKM-P1", "lot": "L1", "vaccinator": "n", "override": "ok",
					"family": "A", "given": "B", "birth_date": "1970-01-02", "sex": "F", "region": "KZ-AKM"}
				raw := setPath(t, body, fl.path, m.raw)
				r := fx.do("POST", "/api/v1/doses/batch", "admin", string(raw)+"\n", "Content-Type", "application/x-ndjson")
				if r.Status != http.StatusOK {
					t.Fatalf("status %d: %s", r.Status, r.Body)
				}
				res := r.json(t)["results"].([]any)[0].(map[string]any)
				e, _ := res["error"].(map[string]any)
				want := fieldName(fl.path)
				if m.wrongType {
					want = fl.typeField
				}
				if res["status"] != "rejected" || e == nil || e["field"] != want {
					t.Fatalf("want the record rejected on %q: %s", want, r.Body)
				}
			})
		}
	}
	fx.t = t
	if fx.last() != before || fx.digest(t, ids.pa, ids.pb, ids.pc, ids.pd) != digest {
		t.Fatalf("rejected records changed the store (journal %d -> %d)", before, fx.last())
	}
	if cases == 0 {
		t.Fatal("no case ran: the table is empty")
	}
	t.Logf("%d bad batch records", cases)
}

// TestBadInputCatalogCSV: spoilt cells of a dose CSV row are refused naming
// the column, at parsing or when the row is submitted, and nothing is
// written.
func TestBadInputCatalogCSV(t *testing.T) {
	fx := newFixture(t)
	pa, pb, pc, pd := fx.matrixSeed()
	ids := matrixIDs{pa.String(), pb.String(), pc.String(), pd.String()}
	newIIN, _ := vaxtrace.CompleteIIN("70010240005")
	header := []string{"id", "iin", "family", "given", "birth_date", "sex", "region", "group", "at", "place", "lot", "vaccinator", "override"}
	good := []string{"C9", newIIN, "A", "B", "1970-01-02", "F", "KZ-AKM", "", "2021-02-02T05:00:00Z", "AKM-P1", "L1", "n", "ok"}
	cells := map[string][]string{
		"text": {"a\x00b", "a\x1bb", "   ", "a\xffb", strings.Repeat("x", 3000)},
		"id":   {"a\x00b", "   ", "a/b", "a\xffb", strings.Repeat("x", 3000)},
		"time": {"yesterday", "2099-01-01T00:00:00Z", "1612137600"},
		"date": {"2021-02-30", "20210201", "01/02/2021"},
	}
	kinds := map[string]string{"id": "id", "family": "text", "given": "text", "birth_date": "date", "sex": "text", "region": "text", "at": "time", "place": "text", "lot": "text", "vaccinator": "text", "override": "text"}
	before, digest := fx.last(), fx.digest(t, ids.pa, ids.pb, ids.pc, ids.pd)
	cases := 0
	for col, kind := range kinds {
		ci := -1
		for i, h := range header {
			if h == col {
				ci = i
			}
		}
		for k, bad := range cells[kind] {
			t.Run(fmt.Sprintf("%s %d", col, k), func(t *testing.T) {
				cases++
				fx.t = t
				if (col == "given" || col == "override") && strings.TrimSpace(bad) == "" {
					t.Skip("a blank optional cell is an empty one in a CSV file")
				}
				row := append([]string(nil), good...)
				row[0] = fmt.Sprintf("C%s%d", col, k) // a dose id of its own: nothing below depends on an earlier case
				row[ci] = bad
				var b strings.Builder
				w := csv.NewWriter(&b)
				_ = w.Write(header)
				_ = w.Write(row)
				w.Flush()
				file, err := csvimport.Parse(csvimport.KindDoses, strings.NewReader(b.String()), fx.keys)
				if err != nil {
					if !strings.Contains(err.Error(), col) {
						t.Fatalf("file refused without naming %s: %v", col, err)
					}
					return
				}
				for _, re := range file.RowErrors {
					if re.Line == 2 && re.Field == col {
						return
					}
					t.Fatalf("row error on %q, want %q: %v", re.Field, col, re)
				}
				var field string
				for _, r := range fx.eng.SubmitBatch(context.Background(), file.Commands(admin)) {
					if r.Err != nil && field == "" {
						field = vaxtrace.ErrorField(r.Err)
					}
				}
				if field != col {
					t.Fatalf("submitted row refused on %q, want %q", field, col)
				}
			})
		}
	}
	fx.t = t
	if fx.last() != before || fx.digest(t, ids.pa, ids.pb, ids.pc, ids.pd) != digest {
		t.Fatalf("refused rows changed the store (journal %d -> %d)", before, fx.last())
	}
	if cases == 0 {
		t.Fatal("no case ran: the table is empty")
	}
	t.Logf("%d bad CSV cells", cases)
}
