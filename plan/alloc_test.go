package plan

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// (b) FEFO: the older-expiry lot goes first; a lot that would expire before
// it can be used is never sent, and a short-dated lot only as far as usable.
func TestProposeFEFO(t *testing.T) {
	s := oneRegion(map[string]int{}, 100, nil, single)
	s.National = map[string]int{"SL": 13_000}
	s.Lots = []Lot{
		{ID: "new", Product: "SL", Expiry: d0 + 200, OnHand: 5_000},
		{ID: "doomed", Product: "SL", Expiry: d0 + 2, OnHand: 1_000},
		{ID: "old", Product: "SL", Expiry: d0 + 60, OnHand: 2_000},
		{ID: "short", Product: "SL", Expiry: d0 + 10, OnHand: 5_000},
	}
	p, err := Propose(s, map[string]int{"SL": 13_000}, AllocOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// Q = 30 days × 100 = 3,000; max = 3,750. "short" arrives d0+3 and can
	// be used for 8 days: 800 doses. Then "old" 2,000, then "new" 950.
	want := []struct {
		lot   string
		doses int
	}{{"short", 800}, {"old", 2_000}, {"new", 950}}
	if len(p.Lines) != len(want) {
		t.Fatalf("lines = %+v", p.Lines)
	}
	for i, w := range want {
		if p.Lines[i].Lot != w.lot || p.Lines[i].Doses != w.doses {
			t.Errorf("line %d = %s %d, want %s %d", i, p.Lines[i].Lot, p.Lines[i].Doses, w.lot, w.doses)
		}
	}
	if p.Needs[0].Q != 3_000 || p.Needs[0].Max != 3_750 || !p.Needs[0].Priority {
		t.Errorf("need = %+v", p.Needs[0])
	}
	if err := Validate(s, map[string]int{"SL": 13_000}, p); err != nil {
		t.Errorf("own proposal invalid: %v", err)
	}
}

func TestProposeSecondDoseReserve(t *testing.T) {
	s := oneRegion(map[string]int{"SV/II": 8_000}, 1_000, []Cohort{{Product: "SV", FirstDose: d0 - 10, People: 21_340}}, sputnik)
	s.National = map[string]int{"SV/I": 50_000, "SV/II": 50_000}
	p, err := Propose(s, map[string]int{"SV/I": 50_000, "SV/II": 50_000}, AllocOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var ii, i int
	for _, ln := range p.Lines {
		switch ln.Component {
		case "II":
			ii += ln.Doses
			if !strings.Contains(ln.Explanation, "21,340 second doses") || !strings.Contains(ln.Explanation, "reserve 13,340") {
				t.Errorf("explanation = %q", ln.Explanation)
			}
		case "I":
			i += ln.Doses
		}
	}
	if ii != 13_340 {
		t.Errorf("component II sent = %d, want 13,340", ii)
	}
	if i != 37_500 { // Q = 30,000, max 37,500, no stock
		t.Errorf("component I sent = %d, want 37,500", i)
	}
}

func TestProposeAndValidateErrors(t *testing.T) {
	s := oneRegion(map[string]int{}, 100, nil, single)
	s.National = map[string]int{"SL": 1_000}
	s.Lots = []Lot{{ID: "L1", Product: "SL", Expiry: d0 + 100, OnHand: 600}}
	tests := []struct {
		name  string
		avail map[string]int
		field string
	}{
		{"negative", map[string]int{"SL": -1}, "available[SL]"},
		{"unknown key", map[string]int{"XX": 1}, "available[XX]"},
		{"more than national", map[string]int{"SL": 2_000}, "available[SL]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Propose(s, tc.avail, AllocOptions{})
			var ie *InputError
			if !errors.As(err, &ie) || ie.Field != tc.field {
				t.Fatalf("err = %v, want InputError on %q", err, tc.field)
			}
		})
	}
	edits := []struct {
		name  string
		lines []ProposalLine
		field string
	}{
		{"unknown region", []ProposalLine{{Region: "KZ-XXX", Product: "SL", Doses: 1}}, "lines[0].region"},
		{"negative", []ProposalLine{{Region: "KZ-ALA", Product: "SL", Doses: -5}}, "lines[0].doses"},
		{"lot overdrawn", []ProposalLine{{Region: "KZ-ALA", Product: "SL", Lot: "L1", Doses: 700}}, "lines"},
		{"more than available", []ProposalLine{{Region: "KZ-ALA", Product: "SL", Lot: "L1", Doses: 600}, {Region: "KZ-ALA", Product: "SL", Doses: 401}}, "lines"},
		{"unknown lot", []ProposalLine{{Region: "KZ-ALA", Product: "SL", Lot: "L9", Doses: 1}}, "lines[0].lot"},
	}
	for _, tc := range edits {
		t.Run(tc.name, func(t *testing.T) {
			err := Validate(s, map[string]int{"SL": 1_000}, Proposal{Lines: tc.lines})
			var ie *InputError
			if !errors.As(err, &ie) || ie.Field != tc.field {
				t.Fatalf("err = %v, want InputError on %q", err, tc.field)
			}
		})
	}
	ok := Proposal{Lines: []ProposalLine{{Region: "KZ-ALA", Product: "SL", Lot: "L1", Doses: 600}, {Region: "KZ-ALA", Product: "SL", Doses: 400}}}
	if err := Validate(s, map[string]int{"SL": 1_000}, ok); err != nil {
		t.Errorf("valid edit rejected: %v", err)
	}
}

func TestProposePoints(t *testing.T) {
	s := benchState(3000)
	avail := map[string]int{}
	for k, v := range s.National {
		avail[k] = v
	}
	p, err := Propose(s, avail, AllocOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := Validate(s, avail, p); err != nil {
		t.Fatalf("own proposal invalid: %v", err)
	}
	if len(p.Points) == 0 {
		t.Fatal("no point lines")
	}
	sum := map[string]int{}
	for _, l := range p.Lines {
		sum[l.Region] += l.Doses
	}
	for _, pl := range p.Points {
		sum[pl.Region] -= pl.Doses
	}
	for r, v := range sum {
		if v != 0 {
			t.Errorf("%s: point lines differ from region lines by %d", r, v)
		}
	}
}

func BenchmarkPropose(b *testing.B) {
	s := benchState(3000)
	avail := map[string]int{}
	for k, v := range s.National {
		avail[k] = v
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Propose(s, avail, AllocOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// The March 2021 question: is 1,000,000 first doses in April reachable,
// from a state resembling 19 March 2021? The answer is computed, not
// hard-coded; the test checks its consistency.
func TestReachabilityMarch2021(t *testing.T) {
	asOf := Date(2021, time.March, 20)
	// National first doses per day: ~740/day from 20 Feb, 8,600/day 9-11
	// Mar, 5,850/day 12-19 Mar (coverage series: 33,279 on 9 Mar, 59,000 on
	// 12 Mar, 100,000 on 19 Mar).
	var national []int
	for d := Date(2021, time.February, 20); d < asOf; d++ {
		switch {
		case d < Date(2021, time.March, 9):
			national = append(national, 740)
		case d < Date(2021, time.March, 12):
			national = append(national, 8_600)
		default:
			national = append(national, 5_850)
		}
	}
	s := State{AsOf: asOf, Products: []Product{{Code: "SPUTNIK-V", Components: []string{"I", "II"}, Doses: 2, IntervalDays: 21}}, National: map[string]int{}}
	regs := regionsWithEligible()
	for i, reg := range regs {
		share := func(n int) int { return int(int64(n) * int64(reg.Population) / kzPopulation) }
		rs := RegionState{Region: reg, PeopleFirst: share(100_000), PeopleFull: share(19_500),
			// 145,000 delivered − 119,500 used ≈ 25,500 left in regions
			OnHand: map[string]int{"SPUTNIK-V/I": share(10_000), "SPUTNIK-V/II": share(15_500)}}
		for _, v := range national {
			rs.DailyFirst = append(rs.DailyFirst, share(v))
			rs.DailySecond = append(rs.DailySecond, share(700))
			rs.DailyBooster = append(rs.DailyBooster, 0)
		}
		left := rs.PeopleFirst - rs.PeopleFull
		for j := len(rs.DailyFirst) - 1; j >= 0 && left > 0; j-- {
			c := min(rs.DailyFirst[j], left)
			rs.Waiting = append(rs.Waiting, Cohort{Product: "SPUTNIK-V", FirstDose: asOf - Day(len(rs.DailyFirst)-j), People: c})
			left -= c
		}
		_ = i
		s.Regions = append(s.Regions, rs)
	}
	arr, err := BuildPipeline(asOf,
		[]Tranche{{Supplier: "KPC", Product: "SPUTNIK-V", Component: "I", Expected: Date(2021, time.March, 31), Doses: 75_000},
			{Supplier: "KPC", Product: "SPUTNIK-V", Component: "II", Expected: Date(2021, time.March, 31), Doses: 75_000}},
		[]Delivery{{"KPC", Date(2021, time.February, 15), Date(2021, time.February, 26)}},
		[]ProductionPlan{{Supplier: "KPC", Product: "SPUTNIK-V", Components: []string{"I", "II"}, Year: 2021, Month: time.April, Doses: 600_000},
			{Supplier: "KPC", Product: "SPUTNIK-V", Components: []string{"I", "II"}, Year: 2021, Month: time.May, Doses: 600_000}},
		nil, PipelineOptions{})
	if err != nil {
		t.Fatal(err)
	}
	s.Pipeline = arr
	target := Target{ID: "april-1m", From: Date(2021, time.April, 1), To: Date(2021, time.April, 30), Measure: MeasureFirst, Value: 1_000_000}
	s.Targets = []Target{target}
	for _, mode := range []ReserveMode{ReserveOnDueDate, ReserveNone} {
		f, err := Forecast(s, 60, Options{Reserve: mode})
		if err != nil {
			t.Fatal(err)
		}
		r, err := ReachabilityReport(f, target)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("reserve=%d: %s", mode, r.Text)
		tr := f.Targets[0]
		if r.Forecast > r.FirstDoseSupply {
			t.Errorf("first doses %d exceed component I available %d", r.Forecast, r.FirstDoseSupply)
		}
		if r.Forecast > r.SupplyMax || r.SupplyMax > r.FirstDoseSupply {
			t.Errorf("want forecast %d ≤ supply max %d ≤ component I %d", r.Forecast, r.SupplyMax, r.FirstDoseSupply)
		}
		if r.Forecast > r.UptakeOnly {
			t.Errorf("forecast %d exceeds uptake-only %d", r.Forecast, r.UptakeOnly)
		}
		if r.Reachable != (r.Forecast >= target.Value) || r.Reachable != tr.Reached {
			t.Errorf("reachable=%v inconsistent with forecast %d", r.Reachable, r.Forecast)
		}
		if !r.Reachable && r.Binding == LimitUptake && r.UptakeOnly > r.SupplyMax {
			t.Errorf("binding uptake although uptake %d > supply %d", r.UptakeOnly, r.SupplyMax)
		}
		if !strings.Contains(r.Text, thousands(r.Forecast)) || !strings.Contains(r.Text, "Binding limit: "+r.Binding) {
			t.Errorf("text lacks numbers: %s", r.Text)
		}
		// Component I delivered by 30 April: 10,000 on hand + 75,000 tranche + 300,000 April.
		if r.FirstDoseSupply < 380_000 || r.FirstDoseSupply > 390_000 {
			t.Errorf("component I supply %d, want ≈385,000", r.FirstDoseSupply)
		}
	}
}
