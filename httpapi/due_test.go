package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"vaxtrace"
)

func (f *fixture) dose(who, id, person, at, place, lot string) {
	f.t.Helper()
	r := f.do("POST", "/api/v1/doses", who, map[string]any{"id": id, "person": person, "at": at, "place": place, "lot": lot, "vaccinator": "nurse"})
	if r.Status != http.StatusCreated {
		f.t.Fatalf("dose %s: %d %s", id, r.Status, r.Body)
	}
}

func (f *fixture) due(who, query string) (dueResponse, resp) {
	f.t.Helper()
	r := f.do("GET", "/api/v1/due?"+query, who, nil)
	var out dueResponse
	if r.Status == http.StatusOK {
		if err := json.Unmarshal(r.Body, &out); err != nil {
			f.t.Fatal(err)
		}
	}
	return out, r
}

// TestDueList: the due list follows doses, voids and corrections as they
// are written, answers by point and region with the due day and the last
// day of the window, pages, and keeps each caller to its scope.
func TestDueList(t *testing.T) {
	f := newFixture(t)
	f.must(vaxtrace.ShipmentDispatched{Shipment: "S5", From: "ALA-W", To: "ALA-P1", Occurred: at("2021-01-28T09:00:00Z"), Lines: []vaxtrace.ShipmentLine{{Lot: "L1", Doses: 100}}},
		vaxtrace.ShipmentReceived{Shipment: "S5", Occurred: at("2021-01-28T15:00:00Z")})
	ids := map[string]string{}
	for i, name := range []string{"a", "b", "c", "d", "e", "g"} {
		region := "KZ-AKM"
		if name == "c" {
			region = "KZ-ALA"
		}
		ids[name] = f.register("admin", someIIN(t, 200+i*10), region)
	}
	f.dose("admin", "a1", ids["a"], "2021-02-01T10:00:00Z", "AKM-P1", "L1") // due 22 Feb, window to 1 Mar
	f.dose("admin", "b1", ids["b"], "2021-02-10T10:00:00Z", "AKM-P2", "L1") // due 3 Mar
	f.dose("admin", "c1", ids["c"], "2021-02-01T10:00:00Z", "ALA-P1", "L1") // another region
	f.dose("admin", "d1", ids["d"], "2021-02-01T10:00:00Z", "AKM-P1", "L1")
	f.dose("admin", "d2", ids["d"], "2021-02-22T10:00:00Z", "AKM-P1", "L2") // series complete: not due
	f.dose("admin", "e1", ids["e"], "2021-02-01T10:00:00Z", "AKM-P1", "L1")
	if r := f.do("POST", "/api/v1/doses/e1/void", "admin", map[string]any{"reason": "entered in error"}); r.Status != http.StatusOK {
		t.Fatalf("void: %d %s", r.Status, r.Body)
	}
	f.dose("admin", "g1", ids["g"], "2021-02-01T10:00:00Z", "AKM-P1", "L1")
	if r := f.do("POST", "/api/v1/doses/g1/correct", "admin", map[string]any{"at": "2021-02-05T10:00:00Z", "reason": "wrong day"}); r.Status != http.StatusOK {
		t.Fatalf("correct: %d %s", r.Status, r.Body)
	}

	l, r := f.due("admin", "region=KZ-AKM&as_of=2021-02-25")
	if r.Status != http.StatusOK {
		t.Fatalf("due: %d %s", r.Status, r.Body)
	}
	type row struct {
		person, status   string
		dueFrom, winEnd  string
		place, component string
	}
	var got []row
	for _, p := range l.People {
		got = append(got, row{p.Person.String(), p.Status, p.DueFrom.String(), p.WindowEnd.String(), p.Place, p.Component})
	}
	want := []row{
		{ids["a"], "due", "2021-02-22", "2021-03-01", "AKM-P1", "II"},
		{ids["g"], "due", "2021-02-26", "2021-03-05", "AKM-P1", "II"}, // moved by the correction: upcoming by a day
		{ids["b"], "upcoming", "2021-03-03", "2021-03-10", "AKM-P2", "II"},
	}
	want[1].status = "upcoming"
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("due list of KZ-AKM on 25 Feb:\n got %v\nwant %v", got, want)
	}
	if l.Total != 3 || len(l.Counts) != 1 || l.Counts[0].Due != 1 || l.Counts[0].Upcoming != 2 || l.Counts[0].Overdue != 0 || l.Counts[0].Component != "II" || l.Counts[0].Number != 2 {
		t.Errorf("counts %+v total %d", l.Counts, l.Total)
	}
	if l.People[0].Family != "Ivanov" {
		t.Errorf("names missing: %+v", l.People[0])
	}
	// later: a is overdue; the list of a point holds its people only
	l, _ = f.due("admin", "place=AKM-P1&as_of=2021-03-04")
	if l.Total != 2 || l.Counts[0].Overdue != 1 || l.Counts[0].Due != 1 || l.People[0].Status != "overdue" {
		t.Errorf("AKM-P1 on 4 Mar: %+v", l)
	}
	// nationally, with paging
	l, _ = f.due("admin", "as_of=2021-03-04&limit=2&offset=1")
	if l.Total != 4 || len(l.People) != 2 || l.People[0].DueFrom.String() != "2021-02-22" || l.People[1].Person.String() != ids["g"] {
		t.Errorf("national page 2: %+v", l)
	}
	// ahead=0 leaves out people not yet due; a product filter
	if l, _ = f.due("admin", "region=KZ-AKM&as_of=2021-02-25&ahead=0"); l.Total != 1 {
		t.Errorf("ahead=0: %+v", l)
	}
	if l, _ = f.due("admin", "region=KZ-AKM&as_of=2021-02-25&product=qazvac"); l.Total != 0 {
		t.Errorf("qazvac: %+v", l)
	}
	// the second dose takes a off the list at once
	f.dose("admin", "a2", ids["a"], "2021-02-26T10:00:00Z", "AKM-P1", "L2")
	if l, _ = f.due("admin", "region=KZ-AKM&as_of=2021-02-25"); l.Total != 2 {
		t.Errorf("after a's second dose: %+v", l)
	}

	// scope: a point sees its point whatever it asks; a region its region
	if l, _ = f.due("p1", "as_of=2021-03-04"); l.Place != "AKM-P1" || l.Total != 1 {
		t.Errorf("point p1: %+v", l)
	}
	if l, _ = f.due("akm", "as_of=2021-03-04"); l.Region != "KZ-AKM" || l.Total != 2 {
		t.Errorf("region akm: %+v", l)
	}
	for _, c := range []struct {
		who, q string
		status int
		field  string
	}{
		{"p1", "place=AKM-P2", 403, ""},
		{"ala", "region=KZ-AKM", 403, ""},
		{"ala", "place=AKM-P1", 403, ""},
		{"", "", 403, ""}, // public: no due lists
		{"admin", "as_of=yesterday", 400, "as_of"},
		{"admin", "limit=5000", 400, "limit"},
		{"admin", "ahead=-1", 400, "ahead"},
		{"admin", "product=nope", 400, "product"},
		{"admin", "place=NOPE", 400, "place"},
		{"admin", "region=KZ-XX", 400, "region"},
	} {
		_, r := f.due(c.who, c.q)
		if r.Status != c.status {
			t.Errorf("%s %q: %d, want %d (%s)", c.who, c.q, r.Status, c.status, r.Body)
			continue
		}
		if c.field != "" {
			if _, fld := r.errInfo(t); fld != c.field {
				t.Errorf("%s %q: field %q, want %q", c.who, c.q, fld, c.field)
			}
		}
	}
}

// someIIN is a valid IIN near seed n (prefixes are tried upwards).
func someIIN(t *testing.T, n int) string {
	for k := n; k < n+10; k++ {
		if v, ok := vaxtrace.CompleteIIN(fmt.Sprintf("8005013%04d", k)); ok {
			return v
		}
	}
	t.Fatalf("no IIN near %d", n)
	return ""
}
