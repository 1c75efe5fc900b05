package plan

import (
	"fmt"
	"math"
	"sort"
	"time"
)

// Tranche is a contracted delivery from a supplier with its expected date.
type Tranche struct {
	ID        string
	Supplier  string
	Product   string
	Component string
	Expected  Day
	Doses     int
	Expiry    Day // 0 = unknown
}

// Delivery is one past tranche of a supplier: when it was expected and when
// it actually arrived. A supplier's deliveries form its lateness record.
type Delivery struct {
	Supplier string
	Expected Day
	Actual   Day
}

// Delay summarises a supplier's lateness in days (negative = early).
type Delay struct {
	N    int     // deliveries in the record
	Mean float64 // mean delay
	P90  float64 // 90th percentile delay (nearest-rank)
}

// DelayStats computes each supplier's delay from its lateness record. The
// key "" holds the pooled statistics of all suppliers.
func DelayStats(history []Delivery) map[string]Delay {
	by := map[string][]float64{}
	for _, d := range history {
		v := float64(d.Actual - d.Expected)
		by[d.Supplier] = append(by[d.Supplier], v)
		by[""] = append(by[""], v)
	}
	out := make(map[string]Delay, len(by))
	for s, v := range by {
		out[s] = delayOf(v)
	}
	return out
}

func delayOf(v []float64) Delay {
	if len(v) == 0 {
		return Delay{}
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	sum := 0.0
	for _, x := range s {
		sum += x
	}
	rank := int(math.Ceil(0.9*float64(len(s)))) - 1
	return Delay{N: len(s), Mean: sum / float64(len(s)), P90: s[rank]}
}

// ProductionPlan is a monthly domestic production plan (e.g. Sputnik V at
// the Karaganda Pharmaceutical Complex). Doses are split evenly across
// Components and released as a daily flow over the month.
type ProductionPlan struct {
	Supplier   string
	Product    string
	Components []string
	Year       int
	Month      time.Month
	Doses      int
}

// Shipment is a shipment already in transit to a region (or to the national
// warehouse when Region is "").
type Shipment struct {
	ID        string
	Product   string
	Component string
	Doses     int
	Region    string
	ETA       Day
	Expiry    Day
}

// PipelineOptions tunes BuildPipeline.
type PipelineOptions struct {
	// MinHistory is the number of deliveries a supplier needs before its own
	// record is used; below it the pooled record of all suppliers is used.
	// Default 3.
	MinHistory int
	// ProductionDelay is the delay applied to the daily production flow (for
	// example QC release time), in days. Default 0.
	ProductionDelay Delay
}

// BuildPipeline turns tranches, production plans and shipments in transit
// into arrivals as of asOf. Each tranche carries the delay estimate of its
// supplier (own record if it has at least MinHistory deliveries, else the
// pooled record). Production plans become a daily flow over their month;
// days before asOf are dropped (that output is assumed already in stock).
// The result is sorted by date.
func BuildPipeline(asOf Day, tranches []Tranche, history []Delivery, plans []ProductionPlan, transit []Shipment, opts PipelineOptions) ([]Arrival, error) {
	if opts.MinHistory <= 0 {
		opts.MinHistory = 3
	}
	for i, d := range history {
		if d.Actual-d.Expected > 3650 || d.Expected-d.Actual > 3650 {
			return nil, inputErr(fmt.Sprintf("history[%d].actual", i), "delay of %d days is implausible", d.Actual-d.Expected)
		}
	}
	stats := DelayStats(history)
	delayFor := func(supplier string) Delay {
		if d, ok := stats[supplier]; ok && d.N >= opts.MinHistory {
			return d
		}
		return stats[""]
	}
	var out []Arrival
	for i, t := range tranches {
		if t.Doses < 0 {
			return nil, inputErr(fmt.Sprintf("tranches[%d].doses", i), "negative %d", t.Doses)
		}
		d := delayFor(t.Supplier)
		out = append(out, Arrival{Date: t.Expected, Product: t.Product, Component: t.Component, Doses: t.Doses,
			Source: "tranche", Supplier: t.Supplier, Expiry: t.Expiry, DelayMean: d.Mean, DelayP90: d.P90})
	}
	for i, p := range plans {
		f := fmt.Sprintf("plans[%d]", i)
		if p.Doses < 0 {
			return nil, inputErr(f+".doses", "negative %d", p.Doses)
		}
		if p.Month < time.January || p.Month > time.December {
			return nil, inputErr(f+".month", "%d out of range", p.Month)
		}
		comps := p.Components
		if len(comps) == 0 {
			comps = []string{""}
		}
		first := Date(p.Year, p.Month, 1)
		last := first.MonthEnd()
		days := int(last - first + 1)
		for ci, c := range comps {
			n := p.Doses / len(comps)
			if ci < p.Doses%len(comps) {
				n++
			}
			// Daily flow with cumulative rounding so that the month sums to n.
			prev := 0
			for k := 0; k < days; k++ {
				cum := n * (k + 1) / days
				q := cum - prev
				prev = cum
				day := first + Day(k)
				if day < asOf || q == 0 {
					continue
				}
				out = append(out, Arrival{Date: day, Product: p.Product, Component: c, Doses: q, Source: "production",
					Supplier: p.Supplier, DelayMean: opts.ProductionDelay.Mean, DelayP90: opts.ProductionDelay.P90})
			}
		}
	}
	for i, s := range transit {
		if s.Doses < 0 {
			return nil, inputErr(fmt.Sprintf("transit[%d].doses", i), "negative %d", s.Doses)
		}
		out = append(out, Arrival{Date: s.ETA, Product: s.Product, Component: s.Component, Doses: s.Doses,
			Source: "in-transit", Region: s.Region, Expiry: s.Expiry})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Date < out[j].Date })
	return out, nil
}

// Scenario selects arrival dates for a forecast run.
type Scenario int

const (
	Expected    Scenario = iota // scheduled date + mean delay
	Optimistic                  // scheduled date, no delay
	Pessimistic                 // scheduled date + p90 delay
)

func (s Scenario) String() string {
	switch s {
	case Optimistic:
		return "optimistic"
	case Pessimistic:
		return "pessimistic"
	}
	return "expected"
}

// DateFor returns the day the arrival is available under scenario s, never
// before asOf (an overdue tranche is expected from asOf on).
func (a Arrival) DateFor(s Scenario, asOf Day) Day {
	d := a.Date
	switch s {
	case Expected:
		d += Day(math.Round(math.Max(a.DelayMean, 0)))
	case Pessimistic:
		d += Day(math.Round(math.Max(a.DelayP90, 0)))
	}
	if d < asOf {
		d = asOf
	}
	return d
}
