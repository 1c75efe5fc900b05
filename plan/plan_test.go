package plan

import (
	"errors"
	"strings"
	"testing"
	"time"
)

var d0 = Date(2021, time.March, 20)

func oneRegion(onHand map[string]int, daily int, waiting []Cohort, products ...Product) State {
	return State{AsOf: d0, Products: products, National: map[string]int{}, Regions: []RegionState{{
		Region: Region{Code: "KZ-ALA", Population: 1_977_258, Eligible: 1_000_000}, OnHand: onHand,
		DailyFirst: flat(28, daily), DailySecond: flat(28, 0), DailyBooster: flat(28, 0), Waiting: waiting,
	}}}
}

var (
	sputnik = Product{Code: "SV", Components: []string{"I", "II"}, Doses: 2, IntervalDays: 21}
	single  = Product{Code: "SL", Doses: 1}
)

func TestDay(t *testing.T) {
	d, err := ParseDay("2021-04-30")
	if err != nil || d != Date(2021, time.April, 30) || d.String() != "2021-04-30" || Date(2021, time.April, 2).MonthEnd() != d {
		t.Fatalf("day arithmetic broken: %v %v", d, err)
	}
	if DayOf(time.Date(2021, 4, 30, 23, 59, 0, 0, time.FixedZone("ALMT", 6*3600))) != d {
		t.Fatal("DayOf must use the local calendar date")
	}
}

// (a) The second-dose reserve binds: little component II, many second doses
// due, so first doses are held back and the limit says so. Without the
// reserve the outcome changes.
func TestSecondDoseReserveBinds(t *testing.T) {
	due := []Cohort{{Product: "SV", FirstDose: d0 - 21, People: 5_000}}
	tests := []struct {
		name       string
		reserve    ReserveMode
		wantLimit  string
		wantFirstD int // first doses given in week 1
	}{
		{"reserve", ReserveOnDueDate, LimitSecondDoses, 0},
		{"reserve from stock", ReserveFromStock, LimitSecondDoses, 0},
		{"no reserve", ReserveNone, LimitSupply, 10_000},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := oneRegion(map[string]int{"SV/I": 10_000, "SV/II": 1_000}, 2_000, due, sputnik)
			f, err := Forecast(s, 28, Options{Reserve: tc.reserve})
			if err != nil {
				t.Fatal(err)
			}
			w := periodOf(f, "KZ-ALA", d0)
			if w.Limit != tc.wantLimit {
				t.Errorf("week 1 limit = %q (%+v), want %q", w.Limit, w, tc.wantLimit)
			}
			if w.First != tc.wantFirstD {
				t.Errorf("week 1 first doses = %d, want %d", w.First, tc.wantFirstD)
			}
			if got := f.National.Days[0].Second; got != 1_000 {
				t.Errorf("second doses on day 1 = %d, want all 1,000 component II", got)
			}
			if len(f.StockOuts) == 0 || f.StockOuts[0].Key != "SV/II" || f.StockOuts[0].Date != d0 {
				t.Errorf("want component II stock-out on %s, got %+v", d0, f.StockOuts)
			}
		})
	}
}

// (c) Supply vs uptake limits on constructed cases.
func TestLimitIdentification(t *testing.T) {
	tests := []struct {
		name  string
		stock int
		want  []string // weekly limits of the region
	}{
		{"plenty of stock", 1_000_000, []string{LimitUptake, LimitUptake}},
		{"runs out on day 4", 3_000, []string{LimitSupply, LimitSupply}},
		{"runs out in week 2", 10_000, []string{LimitUptake, LimitSupply}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := oneRegion(map[string]int{"SL": tc.stock}, 1_000, nil, single)
			f, err := Forecast(s, 14, Options{})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range f.Periods {
				if p.Region == "KZ-ALA" {
					got = append(got, p.Limit)
				}
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Errorf("limits = %v, want %v", got, tc.want)
			}
			if tc.stock < 14_000 {
				if len(f.StockOuts) != 1 || f.StockOuts[0].Date != d0+Day(tc.stock/1000) {
					t.Errorf("stock-outs = %+v, want SL on %s", f.StockOuts, d0+Day(tc.stock/1000))
				}
			} else if len(f.StockOuts) != 0 {
				t.Errorf("unexpected stock-outs %+v", f.StockOuts)
			}
		})
	}
}

// (d) Target reached date and shortfall (1,000 first doses a day, flat).
func TestTargets(t *testing.T) {
	tests := []struct {
		name      string
		target    Target
		reached   bool
		date      Day
		shortfall int
	}{
		{"window reached", Target{ID: "a", From: d0, To: d0 + 30, Measure: MeasureFirst, Value: 10_000}, true, d0 + 9, 0},
		{"window short", Target{ID: "b", From: d0, To: d0 + 30, Measure: MeasureFirst, Value: 50_000}, false, 0, 19_000},
		{"window counts history", Target{ID: "c", From: d0 - 5, To: d0 + 30, Measure: MeasureFirst, Value: 10_000}, true, d0 + 4, 0},
		{"cumulative", Target{ID: "d", Region: "KZ-ALA", To: d0 + 60, Measure: MeasureFirst, Value: 120_000, Cumulative: true}, true, d0 + 19, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := oneRegion(map[string]int{"SL": 1_000_000}, 1_000, nil, single)
			s.Regions[0].PeopleFirst = 100_000
			s.Targets = []Target{tc.target}
			f, err := Forecast(s, 90, Options{})
			if err != nil {
				t.Fatal(err)
			}
			r := f.Targets[0]
			if r.Reached != tc.reached || r.Date != tc.date || r.Shortfall != tc.shortfall {
				t.Errorf("got reached=%v date=%s shortfall=%d, want %v %s %d", r.Reached, r.Date, r.Shortfall, tc.reached, tc.date, tc.shortfall)
			}
			if !tc.reached && r.Binding != LimitUptake {
				t.Errorf("binding = %q, want uptake", r.Binding)
			}
		})
	}
}

// Lots expiring before use are flagged with the doses left (FEFO at the
// forecast rate).
func TestExpiryFlag(t *testing.T) {
	s := oneRegion(map[string]int{"SL": 20_000}, 1_000, nil, single)
	s.Lots = []Lot{
		{ID: "late", Product: "SL", Expiry: d0 + 100, OnHand: 10_000, Region: "KZ-ALA"},
		{ID: "early", Product: "SL", Expiry: d0 + 4, OnHand: 8_000, Region: "KZ-ALA"},
	}
	f, err := Forecast(s, 30, Options{})
	if err != nil {
		t.Fatal(err)
	}
	// Days d0..d0+4 use 5,000 of "early"; 3,000 are left when it expires.
	if len(f.Expiries) != 1 || f.Expiries[0].Lot != "early" || f.Expiries[0].Doses != 3_000 {
		t.Errorf("expiries = %+v, want lot early with 3,000 doses left", f.Expiries)
	}
}

// (e) Bad input.
func TestForecastBadInput(t *testing.T) {
	good := oneRegion(map[string]int{"SL": 10}, 1, nil, single)
	tests := []struct {
		name    string
		mutate  func(*State)
		horizon int
		field   string
	}{
		{"horizon 0", nil, 0, "horizonDays"},
		{"horizon beyond two years", nil, 731, "horizonDays"},
		{"unknown key", func(s *State) { s.Regions[0].OnHand["XX/I"] = 1 }, 10, "regions[0].onHand[XX/I]"},
		{"negative stock", func(s *State) { s.National["SL"] = -1 }, 10, "national[SL]"},
		{"bad measure", func(s *State) { s.Targets = []Target{{Measure: "second"}} }, 10, "targets[0].measure"},
		{"unknown target region", func(s *State) { s.Targets = []Target{{Measure: MeasureFirst, Region: "KZ-XXX"}} }, 10, "targets[0].region"},
		{"negative history", func(s *State) { s.Regions[0].DailyFirst[3] = -5 }, 10, "regions[0].dailyFirst[3]"},
		{"no products", func(s *State) { s.Products = nil }, 10, "products"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := good
			s.Regions = []RegionState{good.Regions[0]}
			s.Regions[0].OnHand = map[string]int{"SL": 10}
			s.Regions[0].DailyFirst = flat(28, 1)
			s.National = map[string]int{}
			if tc.mutate != nil {
				tc.mutate(&s)
			}
			_, err := Forecast(s, tc.horizon, Options{})
			var ie *InputError
			if !errors.As(err, &ie) || ie.Field != tc.field {
				t.Fatalf("err = %v, want InputError on %q", err, tc.field)
			}
		})
	}
}

func TestBuildPipeline(t *testing.T) {
	asOf := Date(2021, time.March, 20)
	hist := []Delivery{
		{"RDIF", asOf - 60, asOf - 50}, {"RDIF", asOf - 40, asOf - 38}, {"RDIF", asOf - 30, asOf - 30}, {"RDIF", asOf - 20, asOf - 16},
		{"KPC", asOf - 33, asOf - 22},
	}
	st := DelayStats(hist)
	if d := st["RDIF"]; d.N != 4 || d.Mean != 4 || d.P90 != 10 {
		t.Errorf("RDIF delay = %+v, want mean 4, p90 10", d)
	}
	arr, err := BuildPipeline(asOf, []Tranche{{Supplier: "RDIF", Product: "SV", Component: "I", Expected: asOf + 5, Doses: 30_000}, {Supplier: "KPC", Product: "SV", Component: "I", Expected: asOf + 2, Doses: 1}},
		hist, []ProductionPlan{{Supplier: "KPC", Product: "SV", Components: []string{"I", "II"}, Year: 2021, Month: time.April, Doses: 600_001}},
		[]Shipment{{Product: "SV", Component: "II", Doses: 500, Region: "KZ-ALA", ETA: asOf + 1}}, PipelineOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sum := map[string]int{}
	for _, a := range arr {
		sum[a.Source+"/"+a.Component] += a.Doses
		if a.Source == "tranche" && a.Supplier == "RDIF" && (a.DateFor(Expected, asOf) != asOf+9 || a.DateFor(Pessimistic, asOf) != asOf+15 || a.DateFor(Optimistic, asOf) != asOf+5) {
			t.Errorf("RDIF tranche dates wrong: %+v", a)
		}
		if a.Source == "tranche" && a.Supplier == "KPC" && a.DelayMean != st[""].Mean {
			t.Errorf("KPC has 1 delivery: want the pooled record, got %+v", a)
		}
	}
	if sum["production/I"] != 300_001 || sum["production/II"] != 300_000 || sum["in-transit/II"] != 500 {
		t.Errorf("pipeline sums = %v", sum)
	}
	if _, err := BuildPipeline(asOf, []Tranche{{Doses: -1}}, nil, nil, nil, PipelineOptions{}); err == nil {
		t.Error("negative tranche accepted")
	}
}

// The forecast is deterministic.
func TestForecastDeterministic(t *testing.T) {
	s := benchState(0)
	a, err := Forecast(s, 120, Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Forecast(s, 120, Options{})
	for i := range a.National.Days {
		x, y := a.National.Days[i], b.National.Days[i]
		if x.First != y.First || x.Second != y.Second || x.PeopleFull != y.PeopleFull {
			t.Fatalf("day %d differs", i)
		}
	}
	// Conservation: stock never negative, coverage monotone.
	for _, rf := range a.Regions {
		prev := 0
		for _, d := range rf.Days {
			for k, v := range d.Stock {
				if v < 0 {
					t.Fatalf("%s %s: negative stock %d of %s", rf.Region, d.Date, v, a.Keys[k])
				}
			}
			if d.PeopleFirst < prev {
				t.Fatalf("coverage decreased")
			}
			prev = d.PeopleFirst
		}
	}
}

func BenchmarkForecast(b *testing.B) {
	s := benchState(0)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Forecast(s, 120, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

func periodOf(f ForecastResult, region string, from Day) PeriodLimit {
	for _, p := range f.Periods {
		if p.Region == region && p.From == from {
			return p
		}
	}
	return PeriodLimit{}
}
