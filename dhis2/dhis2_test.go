package dhis2

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"vaxtrace"
)

func exampleMapping(t testing.TB) *Mapping {
	t.Helper()
	f, err := os.Open("testdata/mapping-example.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := ParseMapping(f)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestMappingValidation(t *testing.T) {
	base, err := os.ReadFile("testdata/mapping-example.json")
	if err != nil {
		t.Fatal(err)
	}
	edit := func(fn func(m map[string]any)) string {
		var m map[string]any
		if err := json.Unmarshal(base, &m); err != nil {
			t.Fatal(err)
		}
		fn(m)
		b, _ := json.Marshal(m)
		return string(b)
	}
	entry := func(m map[string]any, i int) map[string]any { return m["entries"].([]any)[i].(map[string]any) }
	cases := []struct {
		name, doc, field, msg string
	}{
		{"unknown measure", edit(func(m map[string]any) { entry(m, 1)["measure"] = "vaccinated" }), "entries[1].measure", `entries[1] (people with a first dose, per region): unknown measure "vaccinated"`},
		{"no measure", edit(func(m map[string]any) { delete(entry(m, 1), "measure") }), "entries[1].measure", "required"},
		{"no data element", edit(func(m map[string]any) { delete(entry(m, 0), "data_element") }), "entries[0].data_element", "required dimension data_element is missing"},
		{"no level", edit(func(m map[string]any) { delete(entry(m, 1), "level") }), "entries[1].level", "required dimension level is missing"},
		{"level the measure has not", edit(func(m map[string]any) { entry(m, 4)["level"] = "point" }), "entries[4].level", "stock_on_hand is kept at level national or region"},
		{"dimension the measure has not", edit(func(m map[string]any) {
			entry(m, 1)["dimensions"] = []any{map[string]any{"name": "dose", "options": []any{map[string]any{"code": "1"}}}}
		}), "entries[1].dimensions[0]", `measure people_first has no dimension "dose"`},
		{"missing combo", edit(func(m map[string]any) { delete(entry(m, 0)["category_option_combos"].(map[string]any), "D2|M") }), "entries[0].category_option_combos", `the required category option combo for "D2|M" (dose=D2, sex=M) is missing`},
		{"extra combo", edit(func(m map[string]any) { entry(m, 0)["category_option_combos"].(map[string]any)["D3|M"] = "x" }), "entries[0].category_option_combos", `"D3|M" is not a combination`},
		{"overlapping options", edit(func(m map[string]any) {
			opts := entry(m, 0)["dimensions"].([]any)[0].(map[string]any)["options"].([]any)
			opts[1].(map[string]any)["values"] = []any{"2", "1"}
		}), "entries[0].dimensions[0]", `value "1" is counted by both option "D1" and "D2"`},
		{"filter on a dimension it has not", edit(func(m map[string]any) { entry(m, 5)["filter"] = map[string]any{"sex": "F"} }), "entries[5].filter", `measure wastage has no dimension "sex"`},
		{"no org units", edit(func(m map[string]any) { delete(m, "org_units") }), "org_units", "required"},
		{"no entries", edit(func(m map[string]any) { m["entries"] = []any{} }), "entries", "no entries"},
		{"unknown field", strings.Replace(string(base), `"data_set"`, `"dataset"`, 1), "", "unknown field"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseMapping(strings.NewReader(c.doc))
			if err == nil {
				t.Fatal("accepted")
			}
			if vaxtrace.ErrorCode(err) != vaxtrace.EINVALID || vaxtrace.ErrorField(err) != c.field || !strings.Contains(err.Error(), c.msg) {
				t.Errorf("got %v (field %q), want field %q and %q", err, vaxtrace.ErrorField(err), c.field, c.msg)
			}
		})
	}
	// the mapping is checked against the store too
	w := newWorld(t)
	m := exampleMapping(t)
	if err := m.Check(w.s); err != nil {
		t.Fatal(err)
	}
	m.OrgUnits["VP-NOWHERE"] = "x"
	if err := m.Check(w.s); err == nil || !strings.Contains(err.Error(), "VP-NOWHERE") {
		t.Errorf("unknown org unit key: %v", err)
	}
}

func TestPeriods(t *testing.T) {
	p, err := NewPeriods(Weekly, vaxtrace.MkDate(2021, 1, 2), vaxtrace.MkDate(2021, 1, 12))
	if err != nil {
		t.Fatal(err)
	}
	// 2 January 2021 is a Saturday of ISO week 2020W53 (28 Dec - 3 Jan)
	if p.From != vaxtrace.MkDate(2020, 12, 28) || p.To != vaxtrace.MkDate(2021, 1, 17) || p.Len() != 3 {
		t.Fatalf("weekly periods %s..%s (%d)", p.From, p.To, p.Len())
	}
	for i, want := range []string{"2020W53", "2021W1", "2021W2"} {
		if p.ID(i) != want {
			t.Errorf("week %d = %s, want %s", i, p.ID(i), want)
		}
		typ, start, err := ParsePeriodID(want)
		if s, _ := p.Bounds(i); err != nil || typ != Weekly || start != s {
			t.Errorf("ParsePeriodID(%s) = %s %s %v", want, typ, start, err)
		}
	}
	if p.ADX(1) != "2021-01-04/P7D" {
		t.Errorf("ADX week %s", p.ADX(1))
	}
	d, _ := NewPeriods(Daily, vaxtrace.MkDate(2021, 3, 19), vaxtrace.MkDate(2021, 3, 20))
	if d.ID(0) != "20210319" || d.ADX(1) != "2021-03-20/P1D" || d.Index(vaxtrace.MkDate(2021, 3, 21)) != -1 {
		t.Errorf("daily: %s %s", d.ID(0), d.ADX(1))
	}
	for _, bad := range []string{"2021W0", "2021W54", "2021W01", "20211332", "2021-03-19", ""} {
		if _, _, err := ParsePeriodID(bad); err == nil {
			t.Errorf("ParsePeriodID(%q) accepted", bad)
		}
	}
	if _, err := NewPeriods("monthly", 0, 1); err == nil {
		t.Error("monthly accepted")
	}
}

// scenario: doses at three points (one of them not mapped to DHIS2), a
// completed series, a voided dose and a write-off.
func scenario(t *testing.T) *world {
	w := newWorld(t)
	p1 := w.person(vaxtrace.SexFemale, 1980)
	p2 := w.person(vaxtrace.SexMale, 1950)
	p3 := w.person(vaxtrace.SexFemale, 1990)
	p4 := w.person(vaxtrace.SexUnknown, 1970)
	p5 := w.person(vaxtrace.SexMale, 1985)
	w.dose("a1", p1, "VP-AKM-1", "SV-I", 0)
	w.dose("a2", p1, "VP-AKM-1", "SV-II", 21)
	w.dose("b1", p2, "VP-AKM-1", "SV-I", 0)
	w.dose("c1", p3, "VP-AKM-2", "QV", 1)
	w.dose("d1", p4, "VP-KAR-1", "SV-I", 0)
	w.dose("e1", p5, "VP-AKM-1", "SV-I", 0)
	w.must(vaxtrace.DoseVoided{Dose: "e1", Reason: "wrong person"}, t0.AddDate(0, 0, 2))
	w.must(vaxtrace.StockAdjusted{Place: "VP-AKM-2", Lot: "SV-I", Delta: -5, Reason: vaxtrace.ReasonWastage, Occurred: t0.AddDate(0, 0, 1)}, t0.AddDate(0, 0, 1))
	return w
}

func find(r *Result, de, pe, ou, coc string) (int64, bool) {
	for i := range r.Values {
		if d := r.DataValue(&r.Values[i]); d.DataElement == de && d.Period == pe && d.OrgUnit == ou && d.CategoryOptionCombo == coc {
			return r.Values[i].Value, true
		}
	}
	return 0, false
}

func TestCompute(t *testing.T) {
	w := scenario(t)
	m := exampleMapping(t)
	p, _ := NewPeriods(Daily, vaxtrace.DateOf(t0), vaxtrace.DateOf(t0).AddDays(21))
	r := Compute(w.s, m, p)
	coc := func(entry int, key string) string { return m.Entries[entry].CategoryOptionCombos[key] }
	want := []struct {
		de, pe, ou, coc string
		v               int64
	}{
		{"deDoses0001", "20210301", "ouVPAKM0001", coc(0, "D1|F"), 1},
		{"deDoses0001", "20210301", "ouVPAKM0001", coc(0, "D1|M"), 1}, // the voided dose is not counted
		{"deDoses0001", "20210301", "ouVPAKM0001", coc(0, "D2|F"), 0}, // zero-filled within the cell
		{"deDoses0001", "20210322", "ouVPAKM0001", coc(0, "D2|F"), 1},
		{"deDoses0001", "20210302", "ouVPAKM0002", coc(0, "D1|F"), 1},
		{"deFirst0001", "20210301", "ouAKM000001", "", 2},
		{"deFirst0001", "20210302", "ouAKM000001", "", 1},
		{"deFirst0001", "20210301", "ouKAR000001", "", 1},
		{"deFullSV001", "20210322", "ouKZ0000001", coc(2, "A18_59"), 1},
		{"deStock0001", "20210322", "ouAKM000001", coc(4, "I"), 1000 - 2 - 5},
		{"deStock0001", "20210322", "ouAKM000001", coc(4, "II"), 1000 - 1},
		{"deStock0001", "20210322", "ouAKM000001", coc(4, "Q"), 1000 - 1},
		{"deStock0001", "20210301", "ouKAR000001", coc(4, "I"), 500 - 1},
		{"deWaste0001", "20210302", "ouKZ0000001", "", 5},
	}
	for _, x := range want {
		got, ok := find(r, x.de, x.pe, x.ou, x.coc)
		if !ok || got != x.v {
			t.Errorf("%s %s %s %s = %d (present %v), want %d", x.de, x.pe, x.ou, x.coc, got, ok, x.v)
		}
	}
	for _, absent := range []struct{ de, pe, ou string }{
		{"deDoses0001", "20210303", "ouVPAKM0001"}, // no doses that day: nothing sent
		{"deWaste0001", "20210303", "ouKZ0000001"},
	} {
		for i := range r.Values {
			if d := r.DataValue(&r.Values[i]); d.DataElement == absent.de && d.Period == absent.pe && d.OrgUnit == absent.ou && r.Values[i].Value != 0 {
				t.Errorf("unexpected value %+v", d)
			}
		}
	}
	if r.UnmappedOrgUnits["VP-KAR-1"] != 1 {
		t.Errorf("the dose at the unmapped point VP-KAR-1 should be counted: %v", r.UnmappedOrgUnits)
	}
	// weekly: the two first weeks of March, whole
	wk, _ := NewPeriods(Weekly, vaxtrace.DateOf(t0).AddDays(2), vaxtrace.DateOf(t0).AddDays(21))
	rw := Compute(w.s, m, wk)
	if got, _ := find(rw, "deFirst0001", "2021W9", "ouAKM000001", ""); got != 3 {
		t.Errorf("first doses in KZ-AKM in 2021W9 = %d, want 3", got)
	}
	// the same state gives the same payload
	var a, b bytes.Buffer
	EncodeJSON(&a, r, r.Values)
	r2 := Compute(w.s, m, p)
	EncodeJSON(&b, r2, r2.Values)
	if a.String() != b.String() {
		t.Error("two computations of the same state differ")
	}
}

func TestEncodings(t *testing.T) {
	w := scenario(t)
	m := exampleMapping(t)
	m.AttributeOptionCombo = "aocDefault1"
	p, _ := NewPeriods(Daily, vaxtrace.DateOf(t0), vaxtrace.DateOf(t0).AddDays(21))
	r := Compute(w.s, m, p)
	var fast bytes.Buffer
	if err := EncodeJSON(&fast, r, r.Values); err != nil {
		t.Fatal(err)
	}
	set := DataValueSet{DataSet: m.DataSet, DataValues: []DataValue{}}
	for i := range r.Values {
		set.DataValues = append(set.DataValues, r.DataValue(&r.Values[i]))
	}
	slow, _ := json.Marshal(set)
	if strings.TrimSpace(fast.String()) != string(slow) {
		t.Fatalf("hand-written JSON differs from encoding/json:\n%s\n%s", fast.String()[:200], slow[:200])
	}
	var adx bytes.Buffer
	if err := EncodeADX(&adx, r, time.Date(2021, 3, 23, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		XMLName  xml.Name `xml:"urn:ihe:qrph:adx:2015 adx"`
		Exported string   `xml:"exported,attr"`
		Groups   []struct {
			OrgUnit string `xml:"orgUnit,attr"`
			Period  string `xml:"period,attr"`
			DataSet string `xml:"dataSet,attr"`
			Raw     []struct {
				Attrs []xml.Attr `xml:",any,attr"`
			} `xml:"dataValue"`
		} `xml:"group"`
	}
	if err := xml.Unmarshal(adx.Bytes(), &doc); err != nil {
		t.Fatalf("ADX is not well-formed: %v\n%s", err, adx.String())
	}
	var n int
	found := false
	for _, g := range doc.Groups {
		if g.DataSet != "dsCOVAC0001" {
			t.Errorf("group data set %q", g.DataSet)
		}
		n += len(g.Raw)
		if g.OrgUnit == "ouVPAKM0001" && g.Period == "2021-03-01/P1D" {
			for _, dv := range g.Raw {
				at := map[string]string{}
				for _, a := range dv.Attrs {
					at[a.Name.Local] = a.Value
				}
				if at["dataElement"] == "deDoses0001" && at["DOSE"] == "D1" && at["SEX"] == "M" && at["value"] == "1" {
					found = true
				}
			}
		}
	}
	if n != len(r.Values) || !found {
		t.Errorf("ADX has %d values (want %d); dose 1 of a man at VP-AKM-1 on 1 March found: %v", n, len(r.Values), found)
	}
	m.DataSet = ""
	if err := EncodeADX(&adx, r, time.Now()); vaxtrace.ErrorField(err) != "data_set" {
		t.Errorf("ADX without a data set: %v", err)
	}
}

// TestPushConflictsAndRepush: a push to a DHIS2 that does not know one
// organisation unit imports the rest and reports the conflicts; pushing the
// same periods again updates in place (nothing imported twice); after a
// dose is voided, the lowered value (zero) reaches DHIS2.
func TestPushConflictsAndRepush(t *testing.T) {
	for _, legacy := range []bool{false, true} {
		name := "WebMessage 409"
		if legacy {
			name = "bare ImportSummary"
		}
		t.Run(name, func(t *testing.T) {
			w := scenario(t)
			m := exampleMapping(t)
			fake := newFakeDHIS2([]string{"ouKZ0000001", "ouAKM000001", "ouKAR000001", "ouVPAKM0001"}, []string{"deDoses0001", "deFirst0001", "deFullSV001", "deBoost0001", "deStock0001", "deWaste0001"})
			fake.legacy = legacy
			srv := httptest.NewServer(fake)
			defer srv.Close()
			c := &Client{BaseURL: srv.URL, Token: "d2pat_test", BatchSize: 50}
			p, _ := NewPeriods(Daily, vaxtrace.DateOf(t0), vaxtrace.DateOf(t0).AddDays(21))
			r := Compute(w.s, m, p)
			var atAKM2 int
			for i := range r.Values {
				if r.DataValue(&r.Values[i]).OrgUnit == "ouVPAKM0002" {
					atAKM2++
				}
			}
			res, err := c.Push(context.Background(), r)
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != "WARNING" || res.Count.Imported != len(r.Values)-atAKM2 || res.Count.Ignored != atAKM2 || len(res.Conflict) != atAKM2 {
				t.Fatalf("first push: %+v (values %d, of which %d for the unknown org unit)", res, len(r.Values), atAKM2)
			}
			if res.Requests < 2 || fake.auth != "ApiToken d2pat_test" {
				t.Errorf("requests %d, auth %q", res.Requests, fake.auth)
			}
			if cf := res.Conflict[0]; cf.Object != "ouVPAKM0002" || cf.Value == "" || len(cf.Indexes) != 1 || r.DataValue(&r.Values[cf.Indexes[0]]).OrgUnit != "ouVPAKM0002" {
				t.Errorf("conflict %+v does not point at its value", cf)
			}
			stored := fake.size()
			again, err := c.Push(context.Background(), r)
			if err != nil {
				t.Fatal(err)
			}
			if again.Count.Imported != 0 || again.Count.Updated != len(r.Values)-atAKM2 || fake.size() != stored {
				t.Fatalf("re-push: %+v; stored %d -> %d", again, stored, fake.size())
			}
			// a correction lowers a value: the zero reaches DHIS2
			w.must(vaxtrace.DoseVoided{Dose: "b1", Reason: "entered twice"}, t0.AddDate(0, 0, 22))
			r2 := Compute(w.s, m, p)
			if _, err := c.Push(context.Background(), r2); err != nil {
				t.Fatal(err)
			}
			if v, _ := fake.value("deDoses0001", "20210301", "ouVPAKM0001", m.Entries[0].CategoryOptionCombos["D1|M"]); v != "0" {
				t.Errorf("after the void DHIS2 holds %q for dose 1 of men at VP-AKM-1, want 0", v)
			}
			if v, _ := fake.value("deFirst0001", "20210301", "ouAKM000001", ""); v != "1" {
				t.Errorf("first doses in KZ-AKM on 1 March: DHIS2 holds %q, want 1", v)
			}
			if fake.size() != stored {
				t.Errorf("stored values %d -> %d: a push must update, never add", stored, fake.size())
			}
		})
	}
}

// TestPushFailures: a DHIS2 that errs, refuses the credentials, answers
// too late or hangs up gives a clear error, and a push repeated once it is
// back duplicates nothing.
func TestPushFailures(t *testing.T) {
	w := scenario(t)
	m := exampleMapping(t)
	all := []string{"ouKZ0000001", "ouAKM000001", "ouKAR000001", "ouVPAKM0001", "ouVPAKM0002"}
	fake := newFakeDHIS2(all, []string{"deDoses0001", "deFirst0001", "deFullSV001", "deBoost0001", "deStock0001", "deWaste0001"})
	srv := httptest.NewServer(fake)
	defer srv.Close()
	p, _ := NewPeriods(Daily, vaxtrace.DateOf(t0), vaxtrace.DateOf(t0).AddDays(21))
	r := Compute(w.s, m, p)
	c := &Client{BaseURL: srv.URL, Username: "admin", Password: "district", HTTP: &http.Client{Timeout: 300 * time.Millisecond}, BatchSize: 40}
	for _, tc := range []struct{ mode, msg string }{
		{"error500", "HTTP 500"},
		{"unauthorized", "HTTP 401"},
		{"slow", "did not answer in time"},
		{"hangup", "could not be reached"},
	} {
		fake.mu.Lock()
		fake.mode, fake.delay = tc.mode, time.Second
		fake.mu.Unlock()
		_, err := c.Push(context.Background(), r)
		if err == nil || vaxtrace.ErrorCode(err) != vaxtrace.EUNAVAILABLE || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: %v, want unavailable %q", tc.mode, err, tc.msg)
		}
	}
	// half a push went through, then DHIS2 failed
	fake.mu.Lock()
	fake.mode = ""
	fake.mu.Unlock()
	half := *r
	half.Values = r.Values[:len(r.Values)/2]
	if _, err := c.Push(context.Background(), &half); err != nil {
		t.Fatal(err)
	}
	res, err := c.Push(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	if fake.size() != len(r.Values) || res.Count.Imported+res.Count.Updated != len(r.Values) || res.Status != "SUCCESS" {
		t.Errorf("retry after a partial push: stored %d of %d, %+v", fake.size(), len(r.Values), res)
	}
}

func TestParseSummary(t *testing.T) {
	cases := []struct {
		status int
		body   string
		want   string // status, or "error: ..."
		count  ImportCount
	}{
		{200, `{"responseType":"ImportSummary","status":"SUCCESS","importCount":{"imported":2,"updated":1,"ignored":1,"deleted":0},"dataSetComplete":"false"}`, "SUCCESS", ImportCount{2, 1, 1, 0}},
		{200, `{"httpStatus":"OK","httpStatusCode":200,"status":"OK","message":"Import was successful.","response":{"responseType":"ImportSummary","status":"SUCCESS","importCount":{"imported":0,"updated":431,"ignored":0,"deleted":0}}}`, "SUCCESS", ImportCount{0, 431, 0, 0}},
		{409, `{"httpStatus":"Conflict","httpStatusCode":409,"status":"WARNING","message":"One more conflicts encountered, please check import summary.","response":{"responseType":"ImportSummary","status":"WARNING","importCount":{"imported":1,"updated":1,"ignored":6,"deleted":1},"conflicts":[{"object":"a57FmdPj3Zl","value":"Data value is not a valid option"}]}}`, "WARNING", ImportCount{1, 1, 6, 1}},
		{409, `{"httpStatus":"Conflict","httpStatusCode":409,"status":"ERROR","message":"Data set not found or not accessible","response":{"responseType":"ImportSummary","status":"ERROR","importCount":{"imported":0,"updated":0,"ignored":3,"deleted":0},"conflicts":[{"object":"x","value":"Data set not found or not accessible","errorCode":"E7600"}]}}`, "ERROR", ImportCount{0, 0, 3, 0}},
		{200, `{"status":"SUCCESS","importCount":{"imported":1},"conflicts":[{"object":"o","value":"v"}]}`, "WARNING", ImportCount{1, 0, 0, 0}},
		{500, `<html>Internal Server Error</html>`, "error: HTTP 500", ImportCount{}},
		{401, `{"httpStatus":"Unauthorized","httpStatusCode":401,"status":"ERROR","message":"Unauthorized"}`, "error: HTTP 401", ImportCount{}},
		{200, `<html>login page</html>`, "error: not an import summary", ImportCount{}},
		{409, `{"httpStatus":"Conflict","httpStatusCode":409,"status":"ERROR","message":"Period is locked"}`, "error: Period is locked", ImportCount{}},
	}
	for i, c := range cases {
		s, err := ParseSummary(c.status, []byte(c.body))
		if strings.HasPrefix(c.want, "error: ") {
			if err == nil || !strings.Contains(err.Error(), strings.TrimPrefix(c.want, "error: ")) {
				t.Errorf("case %d: %v, want %s", i, err, c.want)
			}
			continue
		}
		if err != nil || s.Status != c.want || s.ImportCount != c.count {
			t.Errorf("case %d: %+v %v, want %s %+v", i, s, err, c.want, c.count)
		}
	}
}

// TestHandler: the API exports the values and pushes them, admin only.
func TestHandler(t *testing.T) {
	w := scenario(t)
	m := exampleMapping(t)
	fake := newFakeDHIS2([]string{"ouKZ0000001", "ouAKM000001", "ouKAR000001", "ouVPAKM0001", "ouVPAKM0002"}, []string{"deDoses0001", "deFirst0001", "deFullSV001", "deBoost0001", "deStock0001", "deWaste0001"})
	srv := httptest.NewServer(fake)
	defer srv.Close()
	eng := newEngineFor(t, w)
	who := vaxtrace.Principal{Name: "a", Role: vaxtrace.RoleAdmin}
	h := Handler(eng, Config{Mapping: m, Client: &Client{BaseURL: srv.URL}}, func(*http.Request) (vaxtrace.Principal, error) { return who, nil })
	do := func(method, q string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(method, "/api/v1/dhis2/"+q, nil))
		return rec
	}
	q := "?period=daily&from=2021-03-01&to=2021-03-22"
	if r := do("GET", "dataValueSets"+q); r.Code != 200 || !strings.Contains(r.Body.String(), `"dataElement":"deFirst0001","period":"20210301","orgUnit":"ouAKM000001","value":"2"`) {
		t.Fatalf("export: %d %.300s", r.Code, r.Body.String())
	}
	if r := do("GET", "dataValueSets"+q+"&format=adx"); r.Code != 200 || !strings.Contains(r.Body.String(), "<adx") {
		t.Errorf("adx: %d", r.Code)
	}
	r := do("POST", "push"+q)
	var ans PushAnswer
	json.Unmarshal(r.Body.Bytes(), &ans)
	if r.Code != 200 || ans.Push.Status != "SUCCESS" || ans.Push.Count.Imported != ans.Values || ans.UnmappedOrgUnits["VP-KAR-1"] != 1 {
		t.Errorf("push: %d %s", r.Code, r.Body.String())
	}
	if r := do("GET", "dataValueSets?period=monthly"); r.Code != 400 {
		t.Errorf("monthly: %d", r.Code)
	}
	who.Role = vaxtrace.RoleAuditor
	if r := do("POST", "push"+q); r.Code != 403 {
		t.Errorf("auditor push: %d", r.Code)
	}
	if r := do("GET", "dataValueSets"+q); r.Code != 200 {
		t.Errorf("auditor export: %d", r.Code)
	}
}
