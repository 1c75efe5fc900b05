package plan

import (
	"fmt"
	"strings"
)

// Reachability answers "is this target reachable?" in words and numbers.
type Reachability struct {
	Target    Target
	Reachable bool
	Date      Day // day the forecast reaches the target (if reachable)
	Forecast  int // forecast value at the end of the window
	// FirstDoseSupply is first-dose component stock at AsOf plus what the
	// pipeline delivers by Target.To.
	FirstDoseSupply int
	SupplyMax       int    // most the supply allows with second doses reserved (unlimited demand)
	UptakeOnly      int    // what the uptake trend gives with unlimited supply
	Binding         string // LimitSupply, LimitUptake or LimitSecondDoses
	Text            string
}

// ReachabilityReport explains a target of the forecast (matched by ID, or
// by value if the ID is empty). The target must have been in
// State.Targets when the forecast was made.
func ReachabilityReport(f ForecastResult, target Target) (Reachability, error) {
	var tr *TargetResult
	for i := range f.Targets {
		t := f.Targets[i].Target
		if (target.ID != "" && t.ID == target.ID) || (target.ID == "" && t == target) {
			tr = &f.Targets[i]
			break
		}
	}
	if tr == nil {
		return Reachability{}, inputErr("target", "target %q was not part of the forecast state", target.ID)
	}
	t := tr.Target
	r := Reachability{Target: t, Reachable: tr.Reached, Date: tr.Date, Forecast: tr.Value,
		FirstDoseSupply: tr.FirstDoseStock + tr.FirstDoseArrivals, SupplyMax: tr.SupplyMax, UptakeOnly: tr.DemandOnly, Binding: tr.Binding}
	where := "nationally"
	if t.Region != "" {
		where = "in " + t.Region
	}
	what := map[string]string{MeasureFirst: "first doses", MeasureFull: "people fully vaccinated", MeasureBooster: "boosters"}[t.Measure]
	span := fmt.Sprintf("from %s to %s", t.From, t.To)
	if t.Cumulative {
		span = "by " + t.To.String()
	}
	var b strings.Builder
	if tr.Reached {
		fmt.Fprintf(&b, "Yes: %s %s %s is forecast to be reached on %s (%s by %s). ", thousands(t.Value), what, where, tr.Date, thousands(tr.Value), t.To)
	} else {
		fmt.Fprintf(&b, "No: %s %s %s %s is short by %s (forecast %s). ", thousands(t.Value), what, where, span, thousands(tr.Shortfall), thousands(tr.Value))
	}
	if t.Measure == MeasureFirst || t.Measure == MeasureBooster {
		fmt.Fprintf(&b, "First-dose components: %s on hand and %s delivered by the pipeline by %s; ",
			thousands(tr.FirstDoseStock), thousands(tr.FirstDoseArrivals), t.To)
	}
	reserve := "with second doses reserved"
	if f.Reserve == ReserveNone {
		reserve = "without a second-dose reserve"
	}
	fmt.Fprintf(&b, "%s, at most %s can be given; the uptake trend gives %s", reserve, thousands(tr.SupplyMax), thousands(tr.DemandOnly))
	if tr.Optimistic != 0 || tr.Pessimistic != 0 {
		fmt.Fprintf(&b, "; arrival band %s (p90 delays) to %s (on schedule)", thousands(tr.Pessimistic), thousands(tr.Optimistic))
	}
	fmt.Fprintf(&b, ". Binding limit: %s", tr.Binding)
	if tr.WindowShortSupply+tr.WindowShortReserve > 0 {
		fmt.Fprintf(&b, " (demand unmet: %s for lack of stock, %s held for second doses)", thousands(tr.WindowShortSupply), thousands(tr.WindowShortReserve))
	}
	if tr.BeyondHorizon {
		b.WriteString("; the window ends after the forecast horizon, so values are at the horizon end")
	}
	b.WriteString(".")
	r.Text = b.String()
	return r, nil
}
