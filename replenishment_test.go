package vaxtrace_test

import (
	"math"
	"testing"
	"time"

	vt "vaxtrace"
)

// consumption gives 3 first doses a day at VP-AKM-1 for the 28 days ending
// 28 March 2021 (84 doses of Sputnik V component I).
func consumption(w *world) time.Time {
	b := byte(1)
	for d := 0; d < 28; d++ {
		day := time.Date(2021, 3, 1+d, 6, 0, 0, 0, time.UTC)
		for k := 0; k < 3; k++ {
			id := pid(b)
			w.must(vt.PersonRegistered{Person: vt.Person{ID: id, IINSealed: "x", Family: "T", BirthDate: vt.MkDate(1970, 1, 1), Sex: vt.SexMale, Region: "KZ-AKM"}}, day)
			w.must(dose("D"+itoa(int(b)), id, day.Add(time.Duration(k)*time.Minute), "L-I-A"), day.Add(time.Hour))
			b++
		}
	}
	return time.Date(2021, 3, 28, 12, 0, 0, 0, time.UTC)
}

func level(t *testing.T, s *vt.State, place, comp string, asOf vt.Date) vt.StockLevel {
	t.Helper()
	ls, err := s.PlaceLevels(place, asOf)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range ls {
		if l.Component == comp {
			return l
		}
	}
	t.Fatalf("no level for %s %s in %+v", place, comp, ls)
	return vt.StockLevel{}
}

// The WHO formulas: need per week from four weeks of consumption times the
// wastage factor of a 5-dose vial (10% → 1.111); a point supplied every 4
// weeks with a week's lead time has min 1, max 5 and reorder 2 weeks.
func TestMinMaxFromConsumption(t *testing.T) {
	w := newWorld(t)
	at := consumption(w)
	asOf := vt.DateOf(at)
	l := level(t, w.s, "VP-AKM-1", "I", asOf)
	need := 84.0 / 4 * (100.0 / 90)
	if math.Abs(l.WeeklyNeed-need) > 0.01 {
		t.Fatalf("weekly need %.2f, want %.2f", l.WeeklyNeed, need)
	}
	if l.Min != int64(math.Ceil(need)) || l.Max != int64(math.Ceil(need*5)) || l.Reorder != int64(math.Ceil(need*2)) {
		t.Fatalf("min/max/reorder %d/%d/%d", l.Min, l.Max, l.Reorder)
	}
	if l.MinWeeks != 1 || l.MaxWeeks != 5 || l.ReorderWeek != 2 {
		t.Fatalf("weeks %v/%v/%v", l.MinWeeks, l.MaxWeeks, l.ReorderWeek)
	}
	if l.Stock != 16 || l.Warning != vt.WarnBelowMin {
		t.Fatalf("stock %d warning %q", l.Stock, l.Warning)
	}
	// order up to the maximum in whole 5-dose vials
	if want := (l.Max - 16 + 4) / 5 * 5; l.Suggested != want {
		t.Fatalf("suggested %d, want %d", l.Suggested, want)
	}
	// the regional warehouse's need is what it issued in the window (none)
	rw := level(t, w.s, "RW-AKM", "I", asOf)
	if rw.WeeklyNeed != 0 || rw.Warning != "" {
		t.Fatalf("regional level %+v", rw)
	}
	// a population policy: 10,000 people, 70% coverage, one dose of each
	// component, two products served: 10,000×0.7×1×1.111/2/52 a week
	w.must(vt.PolicySet{Policy: vt.ReplenishmentPolicy{Place: "RW-AKM", Method: vt.MethodPopulation, TargetPopulation: 10000, Products: []string{"sputnik-v", "qazvac"}}, Occurred: at}, at)
	rw = level(t, w.s, "RW-AKM", "I", asOf)
	if want := 10000 * 0.7 * (100.0 / 90) / 2 / 52; math.Abs(rw.WeeklyNeed-want) > 0.01 || rw.MaxWeeks != 10 {
		t.Fatalf("population need %.2f (want %.2f), max weeks %v", rw.WeeklyNeed, want, rw.MaxWeeks)
	}
}

// Stock-out and over-stock warnings.
func TestStockWarnings(t *testing.T) {
	w := newWorld(t)
	at := consumption(w)
	// a count finds the point's component I gone: stock-out
	w.must(vt.StockCounted{Place: "VP-AKM-1", Lot: "L-I-A", Counted: 0, Occurred: at}, at)
	if l := level(t, w.s, "VP-AKM-1", "I", vt.DateOf(at)); l.Warning != vt.WarnStockOut || l.Weeks == nil || *l.Weeks != 0 {
		t.Fatalf("after the count: %+v", l)
	}
	// 300 doses against a need of 23 a week: 13 weeks, above the 5-week maximum
	w.must(vt.StockCounted{Place: "VP-AKM-1", Lot: "L-I-A", Counted: 300, Occurred: at.Add(time.Minute)}, at.Add(time.Minute))
	if l := level(t, w.s, "VP-AKM-1", "I", vt.DateOf(at)); l.Warning != vt.WarnOverStock {
		t.Fatalf("over-stock: %+v", l)
	}
}

var (
	pointUser  = vt.Principal{Name: "vp1", Role: vt.RolePoint, Place: "VP-AKM-1"}
	akmola     = vt.Principal{Name: "akm", Role: vt.RoleRegion, Region: "KZ-AKM"}
	karaganda  = vt.Principal{Name: "kar", Role: vt.RoleRegion, Region: "KZ-KAR"}
	nationalAd = vt.Principal{Name: "moh", Role: vt.RoleAdmin}
)

// A requisition from creation to a received shipment: created from stock
// levels at the point, edited and approved by its region, fulfilled as a
// FEFO shipment from the regional warehouse, received at the point.
func TestRequisitionLifecycle(t *testing.T) {
	w := newWorld(t)
	at := consumption(w)
	suggested := level(t, w.s, "VP-AKM-1", "I", vt.DateOf(at)).Suggested
	create := vt.RequisitionCreated{Requisition: "RQ-1", Place: "VP-AKM-1", FromStock: true, Occurred: at}
	if err := vt.Authorize(pointUser, w.s, create); err != nil {
		t.Fatalf("the point requisitioning for itself: %v", err)
	}
	other := create
	other.Place = "RW-AKM"
	if err := vt.Authorize(pointUser, w.s, other); vt.ErrorCode(err) != vt.EFORBIDDEN {
		t.Fatalf("the point requisitioning for its warehouse: %v", err)
	}
	w.must(create, at)
	r := w.s.Requisition("RQ-1")
	if r.Supplier != "RW-AKM" || len(r.Lines) != 1 || r.Lines[0].Component != "I" || suggested == 0 || r.Lines[0].Doses != suggested {
		t.Fatalf("created from stock: %+v", r)
	}
	asked := r.Lines[0].Doses
	if l := level(t, w.s, "VP-AKM-1", "I", vt.DateOf(at)); l.Pending != asked || l.Suggested != 0 {
		t.Fatalf("pending after the requisition: %+v", l)
	}

	// the review belongs to the supplying level
	edit := vt.RequisitionEdited{Requisition: "RQ-1", Lines: []vt.RequisitionLine{{Product: "sputnik-v", Component: "I", Doses: 80}}, Reason: "regional stock is short this week"}
	approve := vt.RequisitionApproved{Requisition: "RQ-1", Note: "ok"}
	for _, c := range []struct {
		who vt.Principal
		p   vt.Payload
	}{{pointUser, approve}, {karaganda, approve}, {pointUser, edit}, {karaganda, edit}} {
		if err := vt.Authorize(c.who, w.s, c.p); vt.ErrorCode(err) != vt.EFORBIDDEN {
			t.Errorf("%s doing %s: %v (want forbidden)", c.who.Name, c.p.Kind(), err)
		}
	}
	if err := vt.Authorize(akmola, w.s, approve); err != nil {
		t.Fatalf("the region approving its point: %v", err)
	}
	if err := w.do(vt.RequisitionEdited{Requisition: "RQ-1", Lines: edit.Lines}, at); fieldOf(err) != "reason" {
		t.Fatalf("an edit without a reason: %v", err)
	}
	w.must(edit, at)
	w.must(approve, at)
	if err := w.do(vt.RequisitionRejected{Requisition: "RQ-1", Reason: "late"}, at); vt.ErrorCode(err) != vt.ECONFLICT {
		t.Fatalf("rejecting an approved requisition: %v", err)
	}

	// fulfilled first-expiry-first-out from the regional warehouse
	r = w.s.Requisition("RQ-1")
	lines, short := w.s.FulfilmentLines(r, vt.DateOf(at))
	if len(short) != 0 || len(lines) != 1 || lines[0].Lot != "L-I-A" || lines[0].Doses != 80 {
		t.Fatalf("fulfilment lines %+v short %+v", lines, short)
	}
	ship := vt.ShipmentDispatched{Shipment: "RQ-1-1", From: "RW-AKM", To: "VP-AKM-1", Occurred: at, Lines: lines}
	if err := vt.Authorize(akmola, w.s, ship); err != nil {
		t.Fatal(err)
	}
	w.must(ship, at)
	w.must(vt.RequisitionFulfilled{Requisition: "RQ-1", Shipment: "RQ-1-1"}, at)
	if got := w.s.RequisitionStatus(w.s.Requisition("RQ-1")); got != vt.ReqFulfilled {
		t.Fatalf("status after dispatch: %s", got)
	}
	if l := level(t, w.s, "VP-AKM-1", "I", vt.DateOf(at)); l.InboundPull != 80 || l.Pending != 0 || l.InboundPush != 0 {
		t.Fatalf("in transit against the requisition: %+v", l)
	}
	arrived := at.Add(3 * time.Hour)
	w.must(vt.ShipmentReceived{Shipment: "RQ-1-1", Occurred: arrived}, arrived)
	if got := w.s.RequisitionStatus(w.s.Requisition("RQ-1")); got != vt.ReqReceived {
		t.Fatalf("status after receipt: %s", got)
	}
	if l := level(t, w.s, "VP-AKM-1", "I", vt.DateOf(at)); l.Stock != 96 || l.InboundPull != 0 {
		t.Fatalf("after receipt: %+v", l)
	}
	if err := w.do(vt.RequisitionFulfilled{Requisition: "RQ-1", Shipment: "S2"}, at); vt.ErrorCode(err) != vt.ECONFLICT {
		t.Fatalf("fulfilling a fulfilled requisition: %v", err)
	}
	checkConserved(t, w)
}

// A regional warehouse's requisition is approved nationally, never by the region.
func TestRegionalRequisitionNeedsNational(t *testing.T) {
	w := newWorld(t)
	w.must(vt.RequisitionCreated{Requisition: "RQ-R", Place: "RW-AKM", Lines: []vt.RequisitionLine{{Product: "sputnik-v", Component: "II", Doses: 5000}}, Occurred: t0}, t0)
	if r := w.s.Requisition("RQ-R"); r.Supplier != "NW" {
		t.Fatalf("supplier %q", r.Supplier)
	}
	if err := vt.Authorize(akmola, w.s, vt.RequisitionApproved{Requisition: "RQ-R"}); vt.ErrorCode(err) != vt.EFORBIDDEN {
		t.Fatalf("the region approving its own requisition: %v", err)
	}
	if err := vt.Authorize(nationalAd, w.s, vt.RequisitionApproved{Requisition: "RQ-R"}); err != nil {
		t.Fatal(err)
	}
	if err := w.do(vt.RequisitionRejected{Requisition: "RQ-R", Reason: " "}, t0); fieldOf(err) != "reason" {
		t.Fatalf("rejection without a reason: %v", err)
	}
	w.must(vt.RequisitionRejected{Requisition: "RQ-R", Reason: "national stock reserved for second doses"}, t0)
	if r := w.s.Requisition("RQ-R"); r.Status != vt.ReqRejected || r.Note == "" {
		t.Fatalf("rejected: %+v", r)
	}
}

func TestRequisitionRefusals(t *testing.T) {
	w := newWorld(t)
	at := t0
	line := func(p, c string, n int64) []vt.RequisitionLine {
		return []vt.RequisitionLine{{Product: p, Component: c, Doses: n}}
	}
	cases := []struct {
		name  string
		v     vt.RequisitionCreated
		field string
	}{
		{"a product the place does not use", vt.RequisitionCreated{Requisition: "A", Place: "VP-AKM-1", Lines: line("qazvac", "", 100), Occurred: at}, "lines[0].product"},
		{"an unknown product", vt.RequisitionCreated{Requisition: "A", Place: "VP-AKM-1", Lines: line("covaxin", "", 100), Occurred: at}, "lines[0].product"},
		{"negative doses", vt.RequisitionCreated{Requisition: "A", Place: "VP-AKM-1", Lines: line("sputnik-v", "I", -5), Occurred: at}, "lines[0].doses"},
		{"zero doses", vt.RequisitionCreated{Requisition: "A", Place: "VP-AKM-1", Lines: line("sputnik-v", "I", 0), Occurred: at}, "lines[0].doses"},
		{"an absurd quantity", vt.RequisitionCreated{Requisition: "A", Place: "VP-AKM-1", Lines: line("sputnik-v", "I", 2_000_000), Occurred: at}, "lines[0].doses"},
		{"a multi-component product without its component", vt.RequisitionCreated{Requisition: "A", Place: "VP-AKM-1", Lines: line("sputnik-v", "", 10), Occurred: at}, "lines[0].component"},
		{"no lines", vt.RequisitionCreated{Requisition: "A", Place: "VP-AKM-1", Occurred: at}, "lines"},
		{"from stock with nothing to order", vt.RequisitionCreated{Requisition: "A", Place: "VP-AKM-1", FromStock: true, Occurred: at}, "lines"},
		{"the national warehouse has no supplier", vt.RequisitionCreated{Requisition: "A", Place: "NW", Lines: line("sputnik-v", "I", 10), Occurred: at}, "place"},
		{"a supplier that is not the parent", vt.RequisitionCreated{Requisition: "A", Place: "VP-AKM-1", Supplier: "NW", Lines: line("sputnik-v", "I", 10), Occurred: at}, "supplier"},
		{"in the future", vt.RequisitionCreated{Requisition: "A", Place: "VP-AKM-1", Lines: line("sputnik-v", "I", 10), Occurred: at.Add(time.Hour)}, "occurred"},
	}
	for _, c := range cases {
		if err := w.do(c.v, at); fieldOf(err) != c.field {
			t.Errorf("%s: %v (want field %s)", c.name, err, c.field)
		}
	}
	if len(w.s.Requisitions(nil)) != 0 {
		t.Fatal("a refused requisition was recorded")
	}
	// once the policy lists QazVac the point may ask for it
	w.must(vt.PolicySet{Policy: vt.ReplenishmentPolicy{Place: "VP-AKM-1", Method: vt.MethodConsumption, Products: []string{"sputnik-v", "qazvac"}}, Occurred: at}, at)
	w.must(vt.RequisitionCreated{Requisition: "Q", Place: "VP-AKM-1", Lines: line("qazvac", "", 100), Occurred: at}, at)
	if err := vt.Authorize(pointUser, w.s, vt.PolicySet{Policy: vt.ReplenishmentPolicy{Place: "VP-AKM-1", Method: vt.MethodConsumption}}); vt.ErrorCode(err) != vt.EFORBIDDEN {
		t.Fatalf("a point setting its own policy: %v", err)
	}
}
