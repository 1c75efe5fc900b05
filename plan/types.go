package plan

import (
	"fmt"
	"math"
	"sort"
)

// Product is a vaccine product as the planner sees it.
type Product struct {
	Code string
	// Components lists the component codes in dose order: ["I","II"] for
	// Sputnik V (dose 1 uses I, dose 2 uses II). A product whose every dose
	// uses the same preparation lists one component (or none, meaning the
	// component ""). Doses beyond the list use the last component.
	Components []string
	// Doses is the number of doses in the primary series (1 or 2).
	Doses int
	// IntervalDays is the scheduled interval between dose 1 and dose 2.
	IntervalDays int
	// BoosterIntervalDays is the minimum interval from the last primary dose
	// to a booster (informational; boosters are modelled from their history).
	BoosterIntervalDays int
}

// Key returns the stock key "product/component" (the product code alone when
// component is "").
func Key(product, component string) string {
	if component == "" {
		return product
	}
	return product + "/" + component
}

func (p Product) component(dose int) string {
	if len(p.Components) == 0 {
		return ""
	}
	if dose > len(p.Components) {
		dose = len(p.Components)
	}
	return p.Components[dose-1]
}

// FirstKey is the stock key used for dose 1 (and boosters) of p.
func (p Product) FirstKey() string { return Key(p.Code, p.component(1)) }

// SecondKey is the stock key used for dose 2 of p ("" for a single-dose product).
func (p Product) SecondKey() string {
	if p.Doses < 2 {
		return ""
	}
	return Key(p.Code, p.component(2))
}

// Region is a first-level administrative unit.
type Region struct {
	Code       string // ISO 3166-2 code as of 2021, e.g. "KZ-AKM"
	Population int
	Eligible   int // people eligible for vaccination (caps first doses)
}

// Cohort is a group of people who received dose 1 of Product on FirstDose
// and have not yet received dose 2. Their second dose falls due on
// FirstDose + Product.IntervalDays.
type Cohort struct {
	Product   string
	FirstDose Day
	People    int
}

// RegionState is the planning view of one region at State.AsOf.
type RegionState struct {
	Region
	// OnHand is stock at the regional warehouse and its vaccination points,
	// by Key(product, component).
	OnHand map[string]int
	// Doses given per day, most recent last (the last entry is AsOf-1).
	DailyFirst, DailySecond, DailyBooster []int
	// Waiting lists people with a first dose and no second dose, by product
	// and first-dose day (overdue cohorts included).
	Waiting []Cohort
	// Cumulative people reached.
	PeopleFirst, PeopleFull, PeopleBooster int
	// Capacity is the maximum doses per day the region's points can give
	// (points × daily throughput); 0 means not limited. CapacityOpening is
	// the capacity of points that are set up but not yet giving doses: it
	// is added linearly over Options.OpeningDays.
	Capacity, CapacityOpening int
	// SecondDoseRate is the share of the people due a second dose who get
	// it each day (see CompletionRate); 0 means 1: everyone due is served on
	// the due day, as scheduled.
	SecondDoseRate float64
	// BoosterEligible is the number of people whose series was completed at
	// least the booster interval before AsOf and who have no booster;
	// BoosterEligibleNew[i] people become eligible on day AsOf+i.
	// BoosterRate is the share of that pool boosted per day. With
	// BoosterRate 0 boosters follow the uptake projection of DailyBooster.
	BoosterEligible    int
	BoosterEligibleNew []int
	BoosterRate        float64
	// Points are the region's vaccination points, used by Propose to split a
	// region's allocation; optional.
	Points []Point
}

// Point is a vaccination point under a region.
type Point struct {
	ID     string
	OnHand map[string]int
	// RecentDaily is the point's recent mean doses per day (all kinds).
	RecentDaily float64
}

// Arrival is a future delivery of doses to the national warehouse (Region
// "") or directly to a region.
type Arrival struct {
	Date      Day // scheduled (expected) date before any delay
	Product   string
	Component string
	Doses     int
	Source    string // "tranche", "production", "in-transit"
	Supplier  string
	Region    string // "" = national warehouse
	Expiry    Day    // 0 = unknown (treated as not expiring)
	// Delay estimate in days, from the supplier's lateness record.
	DelayMean float64
	DelayP90  float64
}

// Key returns the arrival's stock key.
func (a Arrival) Key() string { return Key(a.Product, a.Component) }

// Lot is a lot of one product component held at one place.
type Lot struct {
	ID        string
	Product   string
	Component string
	Expiry    Day // last day the lot may be used
	OnHand    int
	Region    string // "" = national warehouse
}

// Key returns the lot's stock key.
func (l Lot) Key() string { return Key(l.Product, l.Component) }

// Measure values of a Target.
const (
	MeasureFirst   = "first"
	MeasureFull    = "full"
	MeasureBooster = "booster"
)

// Target is a campaign target: Value people reached by Measure in a region
// ("" = national). If Cumulative, the count is the cumulative coverage on
// To; otherwise it is the number of doses of that kind given in [From, To].
type Target struct {
	ID         string
	Region     string
	From, To   Day
	Measure    string
	Group      string
	Value      int
	Cumulative bool
}

// State is everything the forecaster and the allocator need.
type State struct {
	AsOf     Day // first day to forecast; histories end the day before
	Products []Product
	Regions  []RegionState
	// National is stock at the national warehouse by key.
	National map[string]int
	Pipeline []Arrival
	// Lots give expiry information for part or all of the stock. Stock in
	// OnHand/National not covered by lots is treated as not expiring.
	Lots    []Lot
	Targets []Target
}

func (s *State) product(code string) (Product, bool) {
	for _, p := range s.Products {
		if p.Code == code {
			return p, true
		}
	}
	return Product{}, false
}

// keys returns the sorted list of stock keys of all products.
func (s *State) keys() []string {
	seen := map[string]bool{}
	var ks []string
	for _, p := range s.Products {
		comps := p.Components
		if len(comps) == 0 {
			comps = []string{""}
		}
		for _, c := range comps {
			k := Key(p.Code, c)
			if !seen[k] {
				seen[k] = true
				ks = append(ks, k)
			}
		}
	}
	sort.Strings(ks)
	return ks
}

// Validate checks the state for structural errors.
func (s *State) Validate() error {
	if len(s.Products) == 0 {
		return inputErr("products", "no products")
	}
	seenP := map[string]bool{}
	for i, p := range s.Products {
		f := fmt.Sprintf("products[%d]", i)
		switch {
		case p.Code == "":
			return inputErr(f+".code", "empty")
		case seenP[p.Code]:
			return inputErr(f+".code", "duplicate product %q", p.Code)
		case p.Doses < 1 || p.Doses > 2:
			return inputErr(f+".doses", "%d doses in series; want 1 or 2", p.Doses)
		case p.Doses == 2 && p.IntervalDays < 1:
			return inputErr(f+".intervalDays", "%d; a two-dose product needs a positive interval", p.IntervalDays)
		case p.IntervalDays > 365 || p.IntervalDays < 0:
			return inputErr(f+".intervalDays", "%d out of range 0..365", p.IntervalDays)
		}
		seenP[p.Code] = true
	}
	keys := map[string]bool{}
	for _, k := range s.keys() {
		keys[k] = true
	}
	checkStock := func(field string, m map[string]int) error {
		for k, v := range m {
			if !keys[k] {
				return inputErr(field+"["+k+"]", "unknown product/component")
			}
			if v < 0 {
				return inputErr(field+"["+k+"]", "negative stock %d", v)
			}
		}
		return nil
	}
	if err := checkStock("national", s.National); err != nil {
		return err
	}
	seenR := map[string]bool{}
	for i, r := range s.Regions {
		f := fmt.Sprintf("regions[%d]", i)
		if r.Code == "" {
			return inputErr(f+".code", "empty")
		}
		if seenR[r.Code] {
			return inputErr(f+".code", "duplicate region %q", r.Code)
		}
		seenR[r.Code] = true
		if r.Population < 0 || r.Eligible < 0 || r.Capacity < 0 || r.CapacityOpening < 0 || r.BoosterEligible < 0 {
			return inputErr(f, "negative population, eligible, capacity or booster pool")
		}
		for name, v := range map[string]float64{"secondDoseRate": r.SecondDoseRate, "boosterRate": r.BoosterRate} {
			if v < 0 || v > 1 || math.IsNaN(v) {
				return inputErr(f+"."+name, "%v out of range 0..1", v)
			}
		}
		if r.PeopleFirst < 0 || r.PeopleFull < 0 || r.PeopleBooster < 0 {
			return inputErr(f, "negative people count")
		}
		if err := checkStock(f+".onHand", r.OnHand); err != nil {
			return err
		}
		for name, h := range map[string][]int{"dailyFirst": r.DailyFirst, "dailySecond": r.DailySecond, "dailyBooster": r.DailyBooster} {
			for j, v := range h {
				if v < 0 {
					return inputErr(fmt.Sprintf("%s.%s[%d]", f, name, j), "negative dose count %d", v)
				}
			}
		}
		for j, c := range r.Waiting {
			cf := fmt.Sprintf("%s.waiting[%d]", f, j)
			p, ok := s.product(c.Product)
			if !ok {
				return inputErr(cf+".product", "unknown product %q", c.Product)
			}
			if p.Doses < 2 {
				return inputErr(cf+".product", "%q is a single-dose product", c.Product)
			}
			if c.People < 0 {
				return inputErr(cf+".people", "negative %d", c.People)
			}
		}
	}
	for i, a := range s.Pipeline {
		f := fmt.Sprintf("pipeline[%d]", i)
		if !keys[a.Key()] {
			return inputErr(f+".product", "unknown product/component %q", a.Key())
		}
		if a.Doses < 0 {
			return inputErr(f+".doses", "negative %d", a.Doses)
		}
		if a.Region != "" && !seenR[a.Region] {
			return inputErr(f+".region", "unknown region %q", a.Region)
		}
		if a.DelayMean < -365 || a.DelayMean > 365 || a.DelayP90 < -365 || a.DelayP90 > 365 || a.DelayMean != a.DelayMean || a.DelayP90 != a.DelayP90 {
			return inputErr(f+".delay", "delay out of range")
		}
	}
	for i, l := range s.Lots {
		f := fmt.Sprintf("lots[%d]", i)
		if !keys[l.Key()] {
			return inputErr(f+".product", "unknown product/component %q", l.Key())
		}
		if l.OnHand < 0 {
			return inputErr(f+".onHand", "negative %d", l.OnHand)
		}
		if l.Region != "" && !seenR[l.Region] {
			return inputErr(f+".region", "unknown region %q", l.Region)
		}
	}
	for i, t := range s.Targets {
		f := fmt.Sprintf("targets[%d]", i)
		switch {
		case t.Measure != MeasureFirst && t.Measure != MeasureFull && t.Measure != MeasureBooster:
			return inputErr(f+".measure", "%q; want first, full or booster", t.Measure)
		case t.Region != "" && !seenR[t.Region]:
			return inputErr(f+".region", "unknown region %q", t.Region)
		case t.To < t.From:
			return inputErr(f+".to", "%s before from %s", t.To, t.From)
		case t.Value < 0:
			return inputErr(f+".value", "negative %d", t.Value)
		}
	}
	return nil
}
