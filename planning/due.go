package planning

import (
	"vaxtrace"
	"vaxtrace/plan"
)

// ReserveDays is how far ahead an allocation proposal reserves second
// doses by default: second doses falling due within this many days of the
// planning day (the supply period plus the lead time).
const ReserveDays = plan.DefaultSupplyPeriodDays + plan.DefaultLeadTimeDays

// SecondDosesDue returns, per second-dose stock key ("sputnik-v/II"), the
// people of region ("" all) with a first dose and no second one at the end
// of day asOf whose second dose falls due within ReserveDays of the next
// day (overdue ones included): the figure an allocation proposal made the
// next morning reserves second-dose stock for. It reads the coverage
// counters (first doses by day, second doses so far), never the people.
func SecondDosesDue(s *vaxtrace.State, region string, asOf vaxtrace.Date) map[string]int {
	out := map[string]int{}
	limit := Day(asOf) + 1 + plan.Day(ReserveDays)
	for _, p := range s.Products() {
		if p.SeriesDoses < 2 {
			continue
		}
		interval := p.IntervalDays
		if interval < 1 {
			interval = 21
		}
		comp := ""
		if len(p.Components) >= 2 {
			comp = p.Components[1].Code
		} else if len(p.Components) == 1 {
			comp = p.Components[0].Code
		}
		regions := []string{region}
		if region == "" {
			regions = regions[:0]
			for _, g := range s.Regions() {
				regions = append(regions, g.Code)
			}
		}
		for _, rg := range regions {
			for _, c := range cohorts(s, rg, p.Code, asOf) {
				if c.FirstDose+plan.Day(interval) <= limit {
					out[plan.Key(p.Code, comp)] += c.People
				}
			}
		}
	}
	return out
}
