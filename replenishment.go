package vaxtrace

import (
	"math"
	"slices"
	"strings"
	"time"
)

// Replenishment: minimum and maximum stock per place and product component,
// in weeks of supply, by the WHO formulas of "Immunization in Practice"
// (shared reference, supply_chain_norms.stock_policy):
//
//	Q_period   = need per week × supply interval (weeks)
//	S_min      = 0.25 × Q_period             (safety stock)
//	S_max      = Q_period + S_min
//	S_reorder  = Q_lead + S_min,  Q_lead = need per week × lead time (weeks)
//
// so that, in weeks of supply, min = 0.25 × interval, max = 1.25 ×
// interval and reorder = lead time + 0.25 × interval. The need per week
// comes from consumption over the last four weeks (doses administered at a
// point times the WHO wastage factor; doses issued by a warehouse) or from
// the target population (people × coverage × doses in the series × wastage
// factor per year). Everything is computed from the state on demand, so it
// follows every dose, shipment and policy change.

// KindPolicySet is the event kind of a replenishment policy.
const KindPolicySet = "replenishment.policy_set"

// Min/max methods.
const (
	MethodConsumption = "consumption"
	MethodPopulation  = "population"
)

// ConsumptionWindow is how far back consumption is averaged.
const ConsumptionWindow = 28

// ReplenishmentPolicy says how a place's levels are computed. Zero values
// take the defaults of the place's level (DefaultPolicy).
type ReplenishmentPolicy struct {
	Place               string   `json:"place"`
	Method              string   `json:"method"`                          // consumption (default) or population
	SupplyIntervalWeeks float64  `json:"supply_interval_weeks,omitempty"` // between deliveries
	LeadTimeDays        int      `json:"lead_time_days,omitempty"`        // from requisition to arrival
	TargetPopulation    int64    `json:"target_population,omitempty"`     // people served (population method)
	CoveragePercent     float64  `json:"coverage_percent,omitempty"`      // of the target population (population method)
	Products            []string `json:"products,omitempty"`              // products the place uses; empty: those it holds or has received
}

// PolicySet sets a place's replenishment policy.
type PolicySet struct {
	Policy   ReplenishmentPolicy `json:"policy"`
	Occurred time.Time           `json:"occurred"`
}

func (PolicySet) Kind() string      { return KindPolicySet }
func (p *PolicySet) deref() Payload { return *p }

// DefaultPolicy returns the defaults of a level: a point is supplied every
// 4 weeks with a week's lead time, a regional warehouse every 8 weeks with
// two, a national warehouse every 13 weeks with a month. The reference
// gives these as common EPI practice (1 month for a health facility, 1–3
// months for a subnational store, 3–6 months nationally), to be configured.
func DefaultPolicy(kind string) ReplenishmentPolicy {
	switch kind {
	case PlacePoint:
		return ReplenishmentPolicy{Method: MethodConsumption, SupplyIntervalWeeks: 4, LeadTimeDays: 7, CoveragePercent: 70}
	case PlaceRegional:
		return ReplenishmentPolicy{Method: MethodConsumption, SupplyIntervalWeeks: 8, LeadTimeDays: 14, CoveragePercent: 70}
	}
	return ReplenishmentPolicy{Method: MethodConsumption, SupplyIntervalWeeks: 13, LeadTimeDays: 30, CoveragePercent: 70}
}

// Replenishment is the room of the State that holds policies and requisitions.
type Replenishment struct {
	policies   map[string]ReplenishmentPolicy
	reqs       map[string]*RequisitionState
	reqIDs     []string
	byShipment map[string]string // shipment -> requisition it fulfils
}

func newReplenishment() *Replenishment {
	return &Replenishment{policies: map[string]ReplenishmentPolicy{}, reqs: map[string]*RequisitionState{}, byShipment: map[string]string{}}
}

func (s *State) decidePolicy(v PolicySet, recorded time.Time) error {
	p := v.Policy
	if _, err := s.place("policy.place", p.Place); err != nil {
		return err
	}
	switch p.Method {
	case MethodConsumption, MethodPopulation:
	default:
		return FieldError("policy.method", "must be consumption or population")
	}
	if p.SupplyIntervalWeeks < 0 || p.SupplyIntervalWeeks > 52 || math.IsNaN(p.SupplyIntervalWeeks) {
		return FieldError("policy.supply_interval_weeks", "must lie between 0 (the default) and 52 weeks")
	}
	if p.LeadTimeDays < 0 || p.LeadTimeDays > 365 {
		return FieldError("policy.lead_time_days", "must lie between 0 (the default) and 365 days")
	}
	if p.CoveragePercent < 0 || p.CoveragePercent > 100 || math.IsNaN(p.CoveragePercent) {
		return FieldError("policy.coverage_percent", "must lie between 0 and 100")
	}
	if p.TargetPopulation < 0 || p.TargetPopulation > 50_000_000 {
		return FieldError("policy.target_population", "must lie between 0 and 50,000,000 people")
	}
	if p.Method == MethodPopulation && p.TargetPopulation == 0 {
		return FieldError("policy.target_population", "required for the population method")
	}
	seen := map[string]bool{}
	for i, code := range p.Products {
		if s.products[code] == nil {
			return NotFound("policy.products["+itoa(i)+"]", "unknown product %q", code)
		}
		if seen[code] {
			return FieldError("policy.products["+itoa(i)+"]", "product %q listed twice", code)
		}
		seen[code] = true
	}
	return checkOccurred("occurred", v.Occurred, recorded)
}

// Policy returns the policy in force at a place (its own, with the
// defaults of its level filled in).
func (s *State) Policy(place string) ReplenishmentPolicy {
	pl := s.places[place]
	kind := PlacePoint
	if pl != nil {
		kind = pl.Kind
	}
	d := DefaultPolicy(kind)
	p, ok := s.repl.policies[place]
	if !ok {
		d.Place = place
		return d
	}
	if p.SupplyIntervalWeeks == 0 {
		p.SupplyIntervalWeeks = d.SupplyIntervalWeeks
	}
	if p.LeadTimeDays == 0 {
		p.LeadTimeDays = d.LeadTimeDays
	}
	if p.CoveragePercent == 0 {
		p.CoveragePercent = d.CoveragePercent
	}
	return p
}

// WastageFactor is WHO's WF = 100 / (100 − WR) with the indicative maximum
// wastage rates of the shared reference (WHO "Projected vaccine wastage"):
// 5% for single-dose vials, 10% for 2–6 doses, 25% for 10–20 doses.
func WastageFactor(dosesPerVial int) float64 {
	wr := 5.0
	switch {
	case dosesPerVial >= 10:
		wr = 25
	case dosesPerVial >= 2:
		wr = 10
	}
	return 100 / (100 - wr)
}

// StockLevel is a place's position in one product component against its
// minimum and maximum.
type StockLevel struct {
	Place       string   `json:"place"`
	Region      string   `json:"region,omitempty"`
	PlaceKind   string   `json:"place_kind"`
	Product     string   `json:"product"`
	Component   string   `json:"component"`
	Method      string   `json:"method"`
	WeeklyNeed  float64  `json:"weekly_need"`  // doses per week
	Stock       int64    `json:"stock"`        // usable now (released, unexpired, not suspended or quarantined)
	Unusable    int64    `json:"unusable"`     // on hand but not usable
	InboundPush int64    `json:"inbound_push"` // in transit, sent without a requisition (allocations)
	InboundPull int64    `json:"inbound_pull"` // in transit against a requisition
	Pending     int64    `json:"pending"`      // requisitioned (submitted or approved), not yet shipped
	Min         int64    `json:"min"`
	Max         int64    `json:"max"`
	Reorder     int64    `json:"reorder"`
	MinWeeks    float64  `json:"min_weeks"`
	MaxWeeks    float64  `json:"max_weeks"`
	ReorderWeek float64  `json:"reorder_weeks"`
	Weeks       *float64 `json:"weeks_of_supply"` // stock / weekly need; null without a need
	Warning     string   `json:"warning,omitempty"`
	Suggested   int64    `json:"suggested"` // order up to the maximum when at or below the reorder level
}

// Stock-level warnings.
const (
	WarnStockOut  = "stock_out"
	WarnBelowMin  = "below_min"
	WarnReorder   = "reorder"
	WarnOverStock = "over_stock"
)

type prodComp struct{ product, component string }

// levelInputs gathers, in one pass over the shipments, what every place
// has received and what is on its way, and what warehouses issued recently.
type levelInputs struct {
	received map[string]map[prodComp]bool  // place -> product components it has been sent
	push     map[string]map[prodComp]int64 // place -> in transit, no requisition
	pull     map[string]map[prodComp]int64 // place -> in transit, requisitioned
	issued   map[string]map[prodComp]int64 // place -> dispatched within the window
	pending  map[string]map[prodComp]int64 // place -> requisitioned, not yet shipped
}

func addPC(m map[string]map[prodComp]int64, place string, k prodComp, n int64) {
	if m[place] == nil {
		m[place] = map[prodComp]int64{}
	}
	m[place][k] += n
}

func (s *State) levelInputs(from, to Date) *levelInputs {
	in := &levelInputs{received: map[string]map[prodComp]bool{}, push: map[string]map[prodComp]int64{}, pull: map[string]map[prodComp]int64{}, issued: map[string]map[prodComp]int64{}, pending: map[string]map[prodComp]int64{}}
	for _, sh := range s.shipments {
		day := DateOf(sh.Occurred)
		_, pulled := s.repl.byShipment[sh.Shipment]
		for _, ln := range sh.Lines {
			l := s.lots[ln.Lot]
			if l == nil {
				continue
			}
			k := prodComp{l.Product, l.Component}
			if in.received[sh.To] == nil {
				in.received[sh.To] = map[prodComp]bool{}
			}
			in.received[sh.To][k] = true
			if !sh.Received {
				if pulled {
					addPC(in.pull, sh.To, k, ln.Doses)
				} else {
					addPC(in.push, sh.To, k, ln.Doses)
				}
			}
			if day >= from && day <= to {
				addPC(in.issued, sh.From, k, ln.Doses)
			}
		}
	}
	for _, id := range s.repl.reqIDs {
		r := s.repl.reqs[id]
		if r.Status != ReqSubmitted && r.Status != ReqApproved && r.Status != ReqPartlyFulfilled {
			continue
		}
		for _, ln := range r.Lines {
			if left := ln.Doses - r.shipped[prodComp{ln.Product, ln.Component}]; left > 0 {
				addPC(in.pending, r.Place, prodComp{ln.Product, ln.Component}, left)
			}
		}
	}
	return in
}

// StockLevels computes the levels of every place that keep accepts (nil:
// all places) as of the end of day asOf, sorted by place, product and
// component.
func (s *State) StockLevels(asOf Date, keep func(*PlaceState) bool) []StockLevel {
	from := asOf.AddDays(-(ConsumptionWindow - 1))
	in := s.levelInputs(from, asOf)
	out := make([]StockLevel, 0, 2*len(s.places))
	sc := &levelScratch{usable: map[prodComp]int64{}, unusable: map[prodComp]int64{}, products: map[string]bool{}}
	var places []*PlaceState
	points := 0
	for _, pl := range s.places {
		if keep == nil || keep(pl) {
			places = append(places, pl)
			if pl.Kind == PlacePoint {
				points++
			}
		}
	}
	sc.given = s.givenInWindow(from, asOf, points)
	for _, pl := range places {
		out = s.placeLevels(pl, asOf, from, in, sc, out)
	}
	slices.SortFunc(out, func(a, b StockLevel) int {
		if c := strings.Compare(a.Place, b.Place); c != 0 {
			return c
		}
		if c := strings.Compare(a.Product, b.Product); c != 0 {
			return c
		}
		return strings.Compare(a.Component, b.Component)
	})
	return out
}

// PlaceLevels computes one place's levels.
func (s *State) PlaceLevels(place string, asOf Date) ([]StockLevel, error) {
	if _, err := s.place("place", place); err != nil {
		return nil, err
	}
	return s.StockLevels(asOf, func(p *PlaceState) bool { return p.ID == place }), nil
}

// usesComponents lists the product components a place uses: those of its
// policy's products, else of what it holds or has been sent.
func (s *State) usesComponents(pl *PlaceState, pol ReplenishmentPolicy, in *levelInputs) []prodComp {
	set := map[prodComp]bool{}
	if len(pol.Products) > 0 {
		for _, code := range pol.Products {
			if p := s.products[code]; p != nil {
				for _, c := range p.Components {
					set[prodComp{code, c.Code}] = true
				}
			}
		}
	} else {
		for l := range pl.Stock {
			set[prodComp{l.Product, l.Component}] = true
		}
		for k := range in.received[pl.ID] {
			set[k] = true
		}
		for k := range in.pending[pl.ID] {
			set[k] = true
		}
	}
	out := make([]prodComp, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	return out
}

// Uses reports whether a place uses a product (see usesComponents).
func (s *State) Uses(place, product string) bool {
	pl := s.places[place]
	if pl == nil {
		return false
	}
	pol := s.Policy(place)
	if len(pol.Products) > 0 {
		for _, p := range pol.Products {
			if p == product {
				return true
			}
		}
		return false
	}
	for l := range pl.Stock {
		if l.Product == product {
			return true
		}
	}
	for _, sh := range s.shipments {
		if sh.To != place {
			continue
		}
		for _, ln := range sh.Lines {
			if l := s.lots[ln.Lot]; l != nil && l.Product == product {
				return true
			}
		}
	}
	return false
}

// levelScratch is reused from place to place.
type levelScratch struct {
	usable, unusable map[prodComp]int64
	products         map[string]bool
	given            map[*PlaceState]map[prodNum]int64 // doses given in the window, when gathered in one pass
}

type prodNum struct {
	product uint16
	number  int32
}

// givenInWindow gathers, in one pass over the point-day counters, the doses
// each point gave on days from..to, when that pass is cheaper than looking
// up every point's days one by one (lookups ≈ 10× a step of the pass).
func (s *State) givenInWindow(from, to Date, points int) map[*PlaceState]map[prodNum]int64 {
	lookups := points * int(to-from+1) * 3
	if len(s.Cov.pointDay) > 10*lookups {
		return nil
	}
	out := map[*PlaceState]map[prodNum]int64{}
	for k, n := range s.Cov.pointDay {
		if k.day < from || k.day > to {
			continue
		}
		m := out[k.place]
		if m == nil {
			m = map[prodNum]int64{}
			out[k.place] = m
		}
		m[prodNum{k.product, k.number}] += n
	}
	return out
}

func (s *State) placeLevels(pl *PlaceState, asOf, from Date, in *levelInputs, sc *levelScratch, out []StockLevel) []StockLevel {
	pol := s.Policy(pl.ID)
	comps := s.usesComponents(pl, pol, in)
	if len(comps) == 0 {
		return out
	}
	clear(sc.usable)
	clear(sc.unusable)
	clear(sc.products)
	for l, n := range pl.Stock {
		k := prodComp{l.Product, l.Component}
		if a, _ := s.available(pl, l, asOf); a > 0 {
			sc.usable[k] += n
		} else {
			sc.unusable[k] += n
		}
	}
	for _, k := range comps {
		sc.products[k.product] = true
	}
	weeks := float64(ConsumptionWindow) / 7
	for _, k := range comps {
		p := s.products[k.product]
		if p == nil {
			continue
		}
		wf := WastageFactor(p.MaxDosesPerVial())
		var need float64
		if pol.Method == MethodPopulation {
			perComponent := float64(p.SeriesDoses)
			if len(p.Components) > 1 {
				perComponent = 1
			}
			annual := float64(pol.TargetPopulation) * pol.CoveragePercent / 100 * perComponent * wf / float64(len(sc.products))
			need = annual / 52
		} else if pl.Kind == PlacePoint {
			need = float64(s.administeredAt(pl, p, k.component, from, asOf, sc.given)) / weeks * wf
		} else {
			need = float64(in.issued[pl.ID][k]) / weeks
		}
		ln := StockLevel{Place: pl.ID, Region: pl.Region, PlaceKind: pl.Kind, Product: k.product, Component: k.component, Method: pol.Method,
			WeeklyNeed: round2(need), Stock: sc.usable[k], Unusable: sc.unusable[k],
			InboundPush: in.push[pl.ID][k], InboundPull: in.pull[pl.ID][k], Pending: in.pending[pl.ID][k]}
		ln.MinWeeks = 0.25 * pol.SupplyIntervalWeeks
		ln.MaxWeeks = pol.SupplyIntervalWeeks + ln.MinWeeks
		ln.ReorderWeek = float64(pol.LeadTimeDays)/7 + ln.MinWeeks
		ln.MinWeeks, ln.MaxWeeks, ln.ReorderWeek = round2(ln.MinWeeks), round2(ln.MaxWeeks), round2(ln.ReorderWeek)
		ln.Min = int64(math.Ceil(need * 0.25 * pol.SupplyIntervalWeeks))
		ln.Max = int64(math.Ceil(need * 1.25 * pol.SupplyIntervalWeeks))
		ln.Reorder = int64(math.Ceil(need * (float64(pol.LeadTimeDays)/7 + 0.25*pol.SupplyIntervalWeeks)))
		if need > 0 {
			w := round2(float64(ln.Stock) / need)
			ln.Weeks = &w
		}
		switch {
		case need > 0 && ln.Stock == 0:
			ln.Warning = WarnStockOut
		case ln.Stock < ln.Min:
			ln.Warning = WarnBelowMin
		case ln.Stock < ln.Reorder:
			ln.Warning = WarnReorder
		case need > 0 && ln.Stock > ln.Max:
			ln.Warning = WarnOverStock
		}
		if have := ln.Stock + ln.InboundPush + ln.InboundPull + ln.Pending; need > 0 && have <= ln.Reorder && have < ln.Max {
			vial := int64(p.MaxDosesPerVial())
			ln.Suggested = (ln.Max - have + vial - 1) / vial * vial
		}
		out = append(out, ln)
	}
	return out
}

// administeredAt counts person-level doses of a product component given at
// a point on days from..to (the coverage counters kept at write time).
func (s *State) administeredAt(pl *PlaceState, p *Product, component string, from, to Date, given map[*PlaceState]map[prodNum]int64) int64 {
	pi, ok := s.productIdx[p.Code]
	if !ok {
		return 0
	}
	var n int64
	for num := 1; num <= p.SeriesDoses+1; num++ { // the series and a booster
		if p.ComponentFor(num) != component {
			continue
		}
		if given != nil {
			n += given[pl][prodNum{pi, int32(num)}]
			continue
		}
		for d := from; d <= to; d++ {
			n += s.Cov.pointDay[pointDayKey{place: pl, day: d, product: pi, number: int32(num)}]
		}
	}
	return n
}

func round2(f float64) float64 { return math.Round(f*100) / 100 }
