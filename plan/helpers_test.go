package plan

import (
	"fmt"
	"time"
)

// kzRegions are the 17 first-level units of 2021 with their population on
// 1 Jan 2021 (shared/reference/kazakhstan-2021.yaml).
var kzRegions = []Region{
	{"KZ-AKM", 735566, 0}, {"KZ-AKT", 894333, 0}, {"KZ-ALM", 2077967, 0}, {"KZ-ATY", 657110, 0},
	{"KZ-ZAP", 661316, 0}, {"KZ-ZHA", 1139192, 0}, {"KZ-KAR", 1375938, 0}, {"KZ-KUS", 864550, 0},
	{"KZ-KZY", 814588, 0}, {"KZ-MAN", 719571, 0}, {"KZ-PAV", 751012, 0}, {"KZ-SEV", 543735, 0},
	{"KZ-YUZ", 2044742, 0}, {"KZ-VOS", 1363797, 0}, {"KZ-AST", 1184411, 0}, {"KZ-ALA", 1977258, 0},
	{"KZ-SHY", 1074466, 0},
}

const kzPopulation = 18879552

// eligibleShare approximates the 2021 eligible population (≈9.9M of 18.88M).
func regionsWithEligible() []Region {
	out := append([]Region(nil), kzRegions...)
	for i := range out {
		out[i].Eligible = out[i].Population * 9_900_000 / kzPopulation
	}
	return out
}

// split apportions n by population share.
func split(n int) []int {
	claims := make([]int, len(kzRegions))
	for i, r := range kzRegions {
		claims[i] = r.Population
	}
	out := make([]int, len(claims))
	total := 0
	for i, c := range claims {
		out[i] = int(int64(n) * int64(c) / kzPopulation)
		total += out[i]
	}
	for i := 0; total < n; i = (i + 1) % len(out) {
		out[i]++
		total++
	}
	return out
}

func flat(n, v int) []int {
	h := make([]int, n)
	for i := range h {
		h[i] = v
	}
	return h
}

var products2021 = []Product{
	{Code: "SPUTNIK-V", Components: []string{"I", "II"}, Doses: 2, IntervalDays: 21, BoosterIntervalDays: 180},
	{Code: "SPUTNIK-LIGHT", Components: []string{"I"}, Doses: 1, BoosterIntervalDays: 180},
	{Code: "QAZVAC", Doses: 2, IntervalDays: 21},
	{Code: "HAYAT-VAX", Doses: 2, IntervalDays: 21},
	{Code: "BBIBP", Doses: 2, IntervalDays: 21},
	{Code: "CORONAVAC", Doses: 2, IntervalDays: 21},
	{Code: "COMIRNATY", Doses: 2, IntervalDays: 21},
}

// benchState is a mid-2021-sized national state: 17 regions, 7 products,
// lots, a pipeline of tranches and KPC daily production, targets.
func benchState(points int) State {
	asOf := Date(2021, time.June, 1)
	s := State{AsOf: asOf, Products: products2021, National: map[string]int{}}
	keys := s.keys()
	firstPer := split(70_000)
	secondPer := split(40_000)
	for i, reg := range regionsWithEligible() {
		rs := RegionState{Region: reg, OnHand: map[string]int{}, Capacity: firstPer[i] * 3,
			DailyFirst: make([]int, 28), DailySecond: flat(28, secondPer[i]), DailyBooster: make([]int, 28)}
		for d := range rs.DailyFirst {
			rs.DailyFirst[d] = firstPer[i] * (90 + d) / 100
		}
		for j, k := range keys {
			rs.OnHand[k] = 5_000 + 1_000*j + 10*i
		}
		for d := 0; d < 21; d++ {
			for _, p := range []string{"SPUTNIK-V", "QAZVAC", "HAYAT-VAX"} {
				rs.Waiting = append(rs.Waiting, Cohort{Product: p, FirstDose: asOf - Day(21-d), People: firstPer[i] / 3})
			}
		}
		rs.PeopleFirst = reg.Eligible / 5
		rs.PeopleFull = reg.Eligible / 10
		for pt := 0; pt < points/len(kzRegions); pt++ {
			rs.Points = append(rs.Points, Point{ID: fmt.Sprintf("%s-%03d", reg.Code, pt), OnHand: map[string]int{keys[pt%len(keys)]: 50}, RecentDaily: float64(20 + pt%30)})
		}
		s.Regions = append(s.Regions, rs)
	}
	for j, k := range keys {
		s.National[k] = 200_000 + 10_000*j
		for l := 0; l < 10; l++ {
			p, c := splitKey(&s, k)
			s.Lots = append(s.Lots, Lot{ID: fmt.Sprintf("%s-L%02d", k, l), Product: p, Component: c, Expiry: asOf + Day(20+15*l), OnHand: 15_000})
		}
	}
	var tranches []Tranche
	for w := 0; w < 16; w++ {
		for _, p := range []string{"QAZVAC", "HAYAT-VAX", "BBIBP", "CORONAVAC"} {
			tranches = append(tranches, Tranche{Supplier: p, Product: p, Expected: asOf + Day(7*w), Doses: 100_000})
		}
	}
	history := []Delivery{{"HAYAT-VAX", asOf - 40, asOf - 33}, {"HAYAT-VAX", asOf - 20, asOf - 18}, {"HAYAT-VAX", asOf - 10, asOf - 9}, {"QAZVAC", asOf - 30, asOf - 25}}
	var plans []ProductionPlan
	for m := time.June; m <= time.September; m++ {
		plans = append(plans, ProductionPlan{Supplier: "KPC", Product: "SPUTNIK-V", Components: []string{"I", "II"}, Year: 2021, Month: m, Doses: 600_000})
	}
	arr, err := BuildPipeline(asOf, tranches, history, plans, nil, PipelineOptions{})
	if err != nil {
		panic(err)
	}
	s.Pipeline = arr
	s.Targets = []Target{
		{ID: "july-first", From: Date(2021, time.July, 1), To: Date(2021, time.July, 31), Measure: MeasureFirst, Value: 2_000_000},
		{ID: "sep-full", To: Date(2021, time.September, 1), Measure: MeasureFull, Value: 5_000_000, Cumulative: true},
		{ID: "ala-first", Region: "KZ-ALA", From: asOf, To: Date(2021, time.August, 1), Measure: MeasureFirst, Value: 300_000},
	}
	return s
}
