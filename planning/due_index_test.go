package planning

import (
	"testing"

	"vaxtrace"
	"vaxtrace/plan"
	"vaxtrace/scenario"
)

// The due lists (vaxtrace.State.Due, kept at write time per person) and the
// planner's second-dose reserve (SecondDosesDue, from the coverage
// counters) must give the same figure: the people of each region whose
// second dose falls due within ReserveDays of the morning after the as-of
// day. A third count, made here by walking every person, checks both. The
// due index is the present state, so the comparison is made on the
// scenario's last day (the planner's figure for an earlier day counts only
// the doses given by then).
func TestDueListMatchesPlannerReserve(t *testing.T) {
	eng := scenarioEngine(t)
	eng.Read(func(s *vaxtrace.State) {
		for _, asOf := range []vaxtrace.Date{scenario.AsOf} {
			limit := asOf.AddDays(1 + int(ReserveDays))
			for _, region := range append([]string{""}, regionCodes(s)...) {
				want := SecondDosesDue(s, region, asOf)
				got := map[string]int{}
				for _, p := range s.Products() {
					if p.SeriesDoses < 2 {
						continue
					}
					comp := p.Components[min(1, len(p.Components)-1)].Code
					l := s.Due(vaxtrace.DueFilter{Region: region, Product: p.Code, AsOf: asOf, Ahead: int(limit - asOf)})
					for _, c := range l.Counts {
						if c.Number == 2 {
							got[plan.Key(p.Code, comp)] += int(c.Upcoming + c.Due + c.Overdue)
						}
					}
				}
				if (region == "" && len(want) == 0) || !equalCounts(got, want) {
					t.Errorf("as of %s, region %q: due lists %v, planner reserves for %v", asOf, region, got, want)
				}
			}
		}
		// the figure as of the scenario's day, counted person by person
		asOf := scenario.AsOf
		limit := asOf.AddDays(1 + int(ReserveDays))
		walked := map[string]int{}
		s.EachPerson(func(p *vaxtrace.PersonState) bool {
			ds := s.DosesOf(p)
			if len(ds) != 1 {
				return true
			}
			d := ds[0]
			pr := s.Product(s.Lot(d.Lot(s)).Product)
			if pr == nil || pr.SeriesDoses < 2 || vaxtrace.DateOf(d.At(s)).AddDays(pr.IntervalDays) > limit {
				return true
			}
			walked[plan.Key(pr.Code, pr.Components[min(1, len(pr.Components)-1)].Code)]++
			return true
		})
		if want := SecondDosesDue(s, "", asOf); !equalCounts(walked, want) {
			t.Errorf("people walked one by one: %v, planner %v", walked, want)
		}
		t.Logf("second doses due within %d days of %s: %v", ReserveDays, asOf, walked)
	})
}

func regionCodes(s *vaxtrace.State) []string {
	var out []string
	for _, r := range s.Regions() {
		out = append(out, r.Code)
	}
	return out
}

func equalCounts(a, b map[string]int) bool {
	for k, v := range a {
		if v != 0 && b[k] != v {
			return false
		}
	}
	for k, v := range b {
		if v != 0 && a[k] != v {
			return false
		}
	}
	return true
}
