package planning

import (
	"math"
	"sort"
	"time"

	"vaxtrace"
	"vaxtrace/plan"
)

// AgeGroup is one age band of the population: its share of a region's
// population and its uptake ceiling (the share of the group expected to
// take a first dose at all).
type AgeGroup struct {
	Band    string // one of vaxtrace.AgeBands
	Share   float64
	Ceiling float64
}

// DefaultAgeGroups is Kazakhstan's population by age band in 2021 and the
// uptake ceiling the forecast saturates at. The under-18 share is the 2021
// census figure (33.97%, shared reference); the split of the adults across
// bands is an assumption in the shape of the 2021 age pyramid. Adults are
// given a ceiling of 80%, which makes the national eligible pool 9.97
// million: the Ministry's own 2021 planning figure was 9.9 million.
// Children were not vaccinated in the first campaign year.
var DefaultAgeGroups = []AgeGroup{
	{"0-17", 0.34, 0}, {"18-29", 0.155, 0.8}, {"30-39", 0.16, 0.8}, {"40-49", 0.125, 0.8},
	{"50-59", 0.105, 0.8}, {"60-69", 0.076, 0.8}, {"70-79", 0.029, 0.8}, {"80+", 0.01, 0.8},
}

// Options tunes FromState. The zero value is usable.
type Options struct {
	// AgeGroups give each region's eligible pool: per age band, its share
	// of the population times its ceiling, less the people of that band
	// already reached (so demand saturates group by group); default
	// DefaultAgeGroups.
	AgeGroups []AgeGroup
	// PointThroughput is the doses a vaccination point can give a day; a
	// region's capacity is its points times the larger of this and the
	// best rate its points have reached (default 100, about the national
	// peak of 135,000 a day over 1,400 points in May 2021).
	PointThroughput int
	// HistoryDays is the length of the daily dose histories; default 56.
	HistoryDays int
	// LeadTimeDays is the national-to-region transport time used as the ETA
	// of shipments in transit; default 3.
	LeadTimeDays int
	// QCReleaseDays is how long stock received at the national level and
	// still in quality-control quarantine is expected to wait before it can
	// be used; default 7.
	QCReleaseDays int
	// MinDeliveries is the number of delivered tranches a supplier needs
	// before its own lateness record is used (plan.PipelineOptions.MinHistory);
	// default 3.
	MinDeliveries int
}

func (o Options) withDefaults() Options {
	if len(o.AgeGroups) == 0 {
		o.AgeGroups = DefaultAgeGroups
	}
	if o.PointThroughput <= 0 {
		o.PointThroughput = 100
	}
	if o.HistoryDays <= 0 {
		o.HistoryDays = 56
	}
	if o.LeadTimeDays <= 0 {
		o.LeadTimeDays = 3
	}
	if o.QCReleaseDays <= 0 {
		o.QCReleaseDays = 7
	}
	if o.MinDeliveries <= 0 {
		o.MinDeliveries = 3
	}
	return o
}

// Day converts a ledger date to a planning day (both count days since
// 1970-01-01).
func Day(d vaxtrace.Date) plan.Day { return plan.Day(d) }

// Date converts a planning day to a ledger date.
func Date(d plan.Day) vaxtrace.Date { return vaxtrace.Date(d) }

// DefaultAsOf is the day a plan starts from when none is given: the day
// after the last day with any dose (today if the ledger has no doses).
func DefaultAsOf(s *vaxtrace.State) vaxtrace.Date {
	if d := s.LastDay(); d != 0 {
		return d + 1
	}
	return vaxtrace.DateOf(time.Now())
}

// FromState maps the live ledger state onto the planner's input as it stood
// at the start of day asOf (histories end on asOf-1).
//
// What comes from where:
//   - Products: catalog components (dose order), series length, interval.
//   - Regions: those valid on asOf; Eligible = EligibleShare × population.
//   - Stock on hand by region and product/component at the end of asOf-1,
//     from the flow counters (exact for any past day); when asOf is after
//     the last day with doses (the live case) the current stock, so that
//     shipments recorded on asOf itself are seen. The same cut applies to
//     deliveries, tranches and shipments in transit. Stock that cannot be
//     used at asOf — suspended or expired lots, or lots held after a
//     cold-chain excursion — is left out.
//   - National stock: the national warehouses' stock at the end of asOf-1
//     less the lots that cannot leave (quarantined, suspended, expired,
//     held). Quarantined stock received by asOf-1 is added to the pipeline
//     as a "qc-release" arrival QCReleaseDays after asOf.
//   - Lots: every lot with stock, with its expiry, at the national level
//     (released and available only) and per region. Lot detail is current
//     (the ledger keeps no per-lot history), so for a past asOf lot
//     quantities are trimmed to the reconstructed totals by the planner.
//   - Histories: first, second (and later primary) and booster doses per
//     day over the last HistoryDays days, from the coverage counters.
//   - Second-dose cohorts: per two-dose product, first doses by day minus
//     the second doses given so far, removed from the oldest cohorts first.
//     The total is exact (Cumulative(MDose1) − Cumulative(MDose2) for
//     two-dose products); the split by first-dose day assumes people come
//     back in the order they started.
//   - Pipeline: open tranches of import agreements (remaining doses split
//     evenly over the product's components, expiry = expected + shelf
//     life), domestic agreements' tranches of future months as monthly
//     production plans (daily flow), the current month's domestic
//     remainder as a tranche, supplier lateness from delivered tranches
//     (expected date vs the day the tranche was completed), shipments in
//     transit at asOf with ETA dispatch + LeadTimeDays.
//   - Targets: all targets (counted over [From, To], as the dashboard does).
func FromState(s *vaxtrace.State, asOf vaxtrace.Date, opts Options) (plan.State, error) {
	o := opts.withDefaults()
	if asOf <= vaxtrace.CovEpoch {
		return plan.State{}, vaxtrace.FieldError("as_of", "%s is before the ledger's first day %s", asOf, vaxtrace.CovEpoch)
	}
	prev := asOf - 1
	// Stock, shipments and deliveries are taken at the end of asOf-1, or
	// as they stand now when asOf is after the last day with doses (the
	// live case: moves recorded on asOf itself are then included).
	stockDay := prev
	if asOf >= DefaultAsOf(s) {
		stockDay = vaxtrace.MkDate(9999, 12, 31)
	}
	ps := plan.State{AsOf: Day(asOf), National: map[string]int{}}

	// Products.
	prods := s.Products()
	twoDose := map[string]bool{}
	shelf := map[string]int{}
	comps := map[string][]string{}
	for _, p := range prods {
		pp := plan.Product{Code: p.Code, Doses: max(1, min(p.SeriesDoses, 2)), IntervalDays: p.IntervalDays, BoosterIntervalDays: p.BoosterIntervalDays}
		for _, c := range p.Components {
			pp.Components = append(pp.Components, c.Code)
		}
		if pp.Doses == 1 {
			pp.IntervalDays = 0
		}
		if pp.Doses == 2 && pp.IntervalDays < 1 {
			pp.IntervalDays = 21
		}
		twoDose[p.Code] = pp.Doses == 2
		shelf[p.Code] = p.ShelfLifeDays
		comps[p.Code] = pp.Components
		ps.Products = append(ps.Products, pp)
	}
	key := func(product, component string) string { return plan.Key(product, component) }

	// Regions.
	regIdx := map[string]int{}
	for _, g := range s.Regions() {
		if g.ValidFrom != nil && *g.ValidFrom > asOf {
			continue
		}
		regIdx[g.Code] = len(ps.Regions)
		ps.Regions = append(ps.Regions, plan.RegionState{
			Region: plan.Region{Code: g.Code, Population: g.Population},
			OnHand: map[string]int{},
		})
	}

	// Stock totals at the end of asOf-1 from the flow counters.
	for _, ln := range s.StockPosition("", stockDay) {
		if s.Product(ln.Product) == nil || ln.OnHand <= 0 {
			continue
		}
		k := key(ln.Product, ln.Component)
		if ln.Region == "" {
			ps.National[k] += int(ln.OnHand)
			continue
		}
		if i, ok := regIdx[ln.Region]; ok {
			ps.Regions[i].OnHand[k] += int(ln.OnHand)
		}
	}

	// Receipt day of each lot (first national receipt), to tell stock that
	// was already in the warehouse on asOf-1 from later receipts.
	received := map[string]vaxtrace.Date{}
	for _, al := range s.SupplyPosition(vaxtrace.MkDate(2100, 1, 1)) {
		a := s.Agreement(al.ID)
		for _, d := range a.Deliveries {
			day := vaxtrace.DateOf(d.Occurred)
			if r, ok := received[d.Lot]; !ok || day < r {
				received[d.Lot] = day
			}
		}
	}

	// Lots by place: usable stock, national availability, quarantine.
	natLot := map[*vaxtrace.LotState]int{}
	regLot := map[string]map[*vaxtrace.LotState]int{}
	unusable := map[string]map[string]int{} // region ("" national) -> key -> doses
	quarantined := map[*vaxtrace.LotState]int{}
	addUnusable := func(region, k string, n int) {
		if unusable[region] == nil {
			unusable[region] = map[string]int{}
		}
		unusable[region][k] += n
	}
	for _, pl := range s.Places("", "") {
		region := ""
		if pl.Kind != vaxtrace.PlaceNational {
			region = pl.Region
			if _, ok := regIdx[region]; !ok {
				continue
			}
		}
		for l, n64 := range pl.Stock {
			n := int(n64)
			if n <= 0 || s.Product(l.Product) == nil {
				continue
			}
			k := key(l.Product, l.Component)
			_, held := pl.Hold[l]
			switch {
			case l.Suspended || held || l.Expiry < asOf:
				addUnusable(region, k, n)
			case !l.Released:
				if region == "" {
					if r, ok := received[l.ID]; !ok || r <= stockDay {
						quarantined[l] += n
						addUnusable(region, k, n)
					}
				}
				// quarantined stock at a region (rare) stays counted
			default:
				if region == "" {
					natLot[l] += n
				} else {
					if regLot[region] == nil {
						regLot[region] = map[*vaxtrace.LotState]int{}
					}
					regLot[region][l] += n
				}
			}
		}
	}
	sub := func(m map[string]int, region string) {
		for k, n := range unusable[region] {
			if v := m[k] - n; v > 0 {
				m[k] = v
			} else {
				delete(m, k)
			}
		}
	}
	sub(ps.National, "")
	for i := range ps.Regions {
		sub(ps.Regions[i].OnHand, ps.Regions[i].Code)
	}
	for l, n := range natLot {
		ps.Lots = append(ps.Lots, plan.Lot{ID: l.ID, Product: l.Product, Component: l.Component, Expiry: Day(l.Expiry), OnHand: n})
	}
	for region, m := range regLot {
		for l, n := range m {
			ps.Lots = append(ps.Lots, plan.Lot{ID: l.ID, Product: l.Product, Component: l.Component, Expiry: Day(l.Expiry), OnHand: n, Region: region})
		}
	}
	sort.Slice(ps.Lots, func(i, j int) bool {
		a, b := ps.Lots[i], ps.Lots[j]
		if a.Region != b.Region {
			return a.Region < b.Region
		}
		if a.Expiry != b.Expiry {
			return a.Expiry < b.Expiry
		}
		return a.ID < b.ID
	})

	// Histories, people counts and second-dose cohorts.
	from := asOf - vaxtrace.Date(o.HistoryDays)
	interval, boosterDays := 0, 0
	for _, p := range ps.Products {
		if p.Doses == 2 && (interval == 0 || p.IntervalDays < interval) {
			interval = p.IntervalDays
		}
		if p.BoosterIntervalDays > 0 && (boosterDays == 0 || p.BoosterIntervalDays < boosterDays) {
			boosterDays = p.BoosterIntervalDays
		}
	}
	if boosterDays == 0 {
		boosterDays = 180
	}
	for i := range ps.Regions {
		r := &ps.Regions[i]
		r.DailyFirst = ints(s.Daily(r.Code, "", vaxtrace.MDose1, from, prev))
		second := s.Daily(r.Code, "", vaxtrace.MDose2, from, prev)
		more := s.Daily(r.Code, "", vaxtrace.MDoseMore, from, prev)
		for j := range second {
			second[j] += more[j]
		}
		r.DailySecond = ints(second)
		r.DailyBooster = ints(s.Daily(r.Code, "", vaxtrace.MBooster, from, prev))
		r.PeopleFirst = int(s.Cumulative(r.Code, vaxtrace.MDose1, prev))
		r.PeopleFull = int(s.Cumulative(r.Code, vaxtrace.MFull, prev))
		r.PeopleBooster = int(s.Cumulative(r.Code, vaxtrace.MBoosted, prev))
		for _, p := range prods {
			if twoDose[p.Code] {
				r.Waiting = append(r.Waiting, cohorts(s, r.Code, p.Code, prev)...)
			}
		}
		r.Eligible = r.PeopleFirst + eligibleLeft(s, r.Code, r.Population, prev, o.AgeGroups)
		r.SecondDoseRate = plan.CompletionRate(r.DailyFirst, r.DailySecond, r.PeopleFirst, r.PeopleFull, interval, 7)
		boosterPool(s, r, asOf, boosterDays)
	}
	// Points: stock and recent rate (the region's recent rate split by each
	// point's share of the doses given there), and the region's capacity.
	for i := range ps.Regions {
		r := &ps.Regions[i]
		pts := s.Places(r.Code, vaxtrace.PlacePoint)
		var given int64
		active := 0
		for _, pt := range pts {
			given += pt.Doses
			if pt.Doses > 0 {
				active++
			}
		}
		recent := 0.0
		for j := max(0, len(r.DailyFirst)-14); j < len(r.DailyFirst); j++ {
			recent += float64(r.DailyFirst[j] + r.DailySecond[j] + r.DailyBooster[j])
		}
		recent /= 14
		r.Capacity, r.CapacityOpening = capacity(r, active, len(pts)-active, o.PointThroughput)
		for _, pt := range pts {
			p := plan.Point{ID: pt.ID, OnHand: map[string]int{}}
			for l, n := range pt.Stock {
				if _, held := pt.Hold[l]; held || l.Suspended || !l.Released || l.Expiry < asOf || s.Product(l.Product) == nil {
					continue
				}
				p.OnHand[key(l.Product, l.Component)] += int(n)
			}
			if given > 0 {
				p.RecentDaily = recent * float64(pt.Doses) / float64(given)
			} else if len(pts) > 0 {
				p.RecentDaily = recent / float64(len(pts))
			}
			r.Points = append(r.Points, p)
		}
	}

	// Pipeline.
	var tranches []plan.Tranche
	var history []plan.Delivery
	var plans []plan.ProductionPlan
	monthStart := vaxtrace.MkDate(asOf.Time().Year(), asOf.Time().Month(), 1)
	for _, al := range s.SupplyPosition(stockDay) {
		a := s.Agreement(al.ID)
		pc := comps[al.Product]
		if pc == nil {
			continue // product not in the catalog
		}
		// Lateness record: tranches completed by asOf-1.
		for _, t := range al.Tranches {
			if t.Status != vaxtrace.TrancheDelivered {
				continue
			}
			if done, ok := completedOn(a, t.Tranche, stockDay); ok {
				history = append(history, plan.Delivery{Supplier: al.Supplier, Expected: Day(t.Expected), Actual: Day(done)})
			}
		}
		for _, t := range al.Tranches {
			left := t.Doses - t.Delivered
			if left <= 0 {
				continue
			}
			if al.Domestic && t.Expected >= monthStart && !sameMonth(t.Expected, asOf) {
				tm := t.Expected.Time()
				plans = append(plans, plan.ProductionPlan{Supplier: al.Supplier, Product: al.Product, Components: pc,
					Year: tm.Year(), Month: tm.Month(), Doses: int(left)})
				continue
			}
			for ci, c := range splitEven(int(left), len(pc)) {
				tr := plan.Tranche{ID: al.ID + "/" + t.ID, Supplier: al.Supplier, Product: al.Product, Expected: Day(t.Expected), Doses: c}
				if len(pc) > 0 {
					tr.Component = pc[ci]
				}
				if sl := shelf[al.Product]; sl > 0 {
					tr.Expiry = Day(t.Expected) + plan.Day(sl)
				}
				tranches = append(tranches, tr)
			}
		}
	}
	var transit []plan.Shipment
	// Live: only shipments not yet received (cheap); past: all of them.
	live := stockDay > prev
	for _, sh := range s.Shipments(live) {
		sent := vaxtrace.DateOf(sh.Occurred)
		if sent > stockDay || (sh.Received && vaxtrace.DateOf(sh.ReceivedAt) <= stockDay) {
			continue
		}
		to := s.Place(sh.To)
		if to == nil {
			continue
		}
		region := ""
		if to.Kind != vaxtrace.PlaceNational {
			region = to.Region
			if _, ok := regIdx[region]; !ok {
				continue
			}
		}
		eta := max(Day(sent)+plan.Day(o.LeadTimeDays), Day(asOf))
		for _, ln := range sh.Lines {
			l := s.Lot(ln.Lot)
			if l == nil || s.Product(l.Product) == nil || ln.Doses <= 0 {
				continue
			}
			transit = append(transit, plan.Shipment{ID: sh.Shipment, Product: l.Product, Component: l.Component, Doses: int(ln.Doses),
				Region: region, ETA: eta, Expiry: Day(l.Expiry)})
		}
	}
	pipe, err := plan.BuildPipeline(Day(asOf), tranches, history, plans, transit, plan.PipelineOptions{MinHistory: o.MinDeliveries})
	if err != nil {
		return plan.State{}, err
	}
	// Quarantined national stock: usable after QC release.
	var qlots []*vaxtrace.LotState
	for l := range quarantined {
		qlots = append(qlots, l)
	}
	sort.Slice(qlots, func(i, j int) bool { return qlots[i].ID < qlots[j].ID })
	for _, l := range qlots {
		pipe = append(pipe, plan.Arrival{Date: Day(asOf) + plan.Day(o.QCReleaseDays), Product: l.Product, Component: l.Component,
			Doses: quarantined[l], Source: "qc-release", Supplier: l.Manufacturer, Expiry: Day(l.Expiry)})
	}
	sort.SliceStable(pipe, func(i, j int) bool { return pipe[i].Date < pipe[j].Date })
	ps.Pipeline = pipe

	// Targets.
	for _, t := range s.Targets() {
		if t.Region != "" {
			if _, ok := regIdx[t.Region]; !ok {
				continue
			}
		}
		ps.Targets = append(ps.Targets, plan.Target{ID: t.ID, Region: t.Region, From: Day(t.From), To: Day(t.To),
			Measure: t.Measure, Group: t.Group, Value: int(t.Value)})
	}
	if err := ps.Validate(); err != nil {
		return plan.State{}, err
	}
	return ps, nil
}

// cohorts returns the people of region with a first dose of product and no
// second dose at the end of day `to`, by first-dose day: first doses per
// day minus all second doses so far, taken from the oldest days first.
func cohorts(s *vaxtrace.State, region, product string, to vaxtrace.Date) []plan.Cohort {
	firsts := s.Daily(region, product, vaxtrace.MDose1, vaxtrace.CovEpoch, to)
	var seconds int64
	for _, v := range s.Daily(region, product, vaxtrace.MDose2, vaxtrace.CovEpoch, to) {
		seconds += v
	}
	var out []plan.Cohort
	for i, n := range firsts {
		if n <= 0 {
			continue
		}
		take := min(n, seconds)
		seconds -= take
		if n -= take; n > 0 {
			out = append(out, plan.Cohort{Product: product, FirstDose: Day(vaxtrace.CovEpoch) + plan.Day(i), People: int(n)})
		}
	}
	return out
}

// completedOn returns the day the deliveries of tranche t reached its size,
// counting deliveries up to day `to`.
func completedOn(a *vaxtrace.AgreementState, t vaxtrace.Tranche, to vaxtrace.Date) (vaxtrace.Date, bool) {
	var days []vaxtrace.Date
	var sizes []int64
	for _, d := range a.Deliveries {
		if d.Tranche == t.ID && vaxtrace.DateOf(d.Occurred) <= to {
			days = append(days, vaxtrace.DateOf(d.Occurred))
			sizes = append(sizes, d.Doses)
		}
	}
	idx := make([]int, len(days))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(i, j int) bool { return days[idx[i]] < days[idx[j]] })
	var sum int64
	for _, i := range idx {
		sum += sizes[i]
		if sum >= t.Doses {
			return days[i], true
		}
	}
	return 0, false
}

func sameMonth(a, b vaxtrace.Date) bool {
	ta, tb := a.Time(), b.Time()
	return ta.Year() == tb.Year() && ta.Month() == tb.Month()
}

// splitEven splits n into k near-equal parts (k < 1 gives one part).
func splitEven(n, k int) []int {
	if k < 1 {
		k = 1
	}
	out := make([]int, k)
	for i := range out {
		out[i] = n / k
		if i < n%k {
			out[i]++
		}
	}
	return out
}

func ints(v []int64) []int {
	out := make([]int, len(v))
	for i, x := range v {
		out[i] = int(x)
	}
	return out
}

// eligibleLeft is the region's pool of people still to reach with a first
// dose: per age band, the band's share of the population times its uptake
// ceiling, less the people of that band with a first dose (a band past its
// ceiling adds nothing), from the coverage counters by age.
func eligibleLeft(s *vaxtrace.State, region string, population int, to vaxtrace.Date, groups []AgeGroup) int {
	byAge := s.ByAge(region, vaxtrace.MDose1, to)
	left := 0.0
	for _, g := range groups {
		reached := 0.0
		for b, name := range vaxtrace.AgeBands {
			if name == g.Band && b < len(byAge) {
				reached = float64(byAge[b])
			}
		}
		left += math.Max(0, g.Share*g.Ceiling*float64(population)-reached)
	}
	return int(math.Round(left))
}

// capacity is what a region's points can give a day: the points already
// giving doses times the throughput, plus the points set up but not yet
// used (they open over the forecast's first weeks). The throughput is the
// larger of the default and the best 7-day rate per active point seen in
// the history, so a region that has done more is not capped below it.
func capacity(r *plan.RegionState, active, pending, throughput int) (int, int) {
	if active+pending == 0 {
		return 0, 0 // no points recorded: not limited
	}
	if active > 0 {
		n := min(len(r.DailyFirst), len(r.DailySecond), len(r.DailyBooster))
		best := 0
		for end := 7; end <= n; end++ {
			sum := 0
			for j := end - 7; j < end; j++ {
				sum += r.DailyFirst[j] + r.DailySecond[j] + r.DailyBooster[j]
			}
			best = max(best, (sum+7*active-1)/(7*active))
		}
		throughput = max(throughput, best)
	}
	return active * throughput, pending * throughput
}

// boosterPool sets the region's booster pool: people whose series was
// completed at least boosterDays before asOf and who have no booster, the
// people becoming eligible on each of the next days, and the share of the
// pool boosted per day recently (0 when nobody was: boosters then follow
// their own uptake projection).
func boosterPool(s *vaxtrace.State, r *plan.RegionState, asOf vaxtrace.Date, boosterDays int) {
	cut := asOf - vaxtrace.Date(boosterDays)
	r.BoosterEligible = max(0, int(s.Cumulative(r.Code, vaxtrace.MFull, cut))-r.PeopleBooster)
	r.BoosterEligibleNew = ints(s.Daily(r.Code, "", vaxtrace.MFull, cut+1, asOf-1))
	if r.BoosterEligible > 0 {
		sum := 0
		for j := max(0, len(r.DailyBooster)-7); j < len(r.DailyBooster); j++ {
			sum += r.DailyBooster[j]
		}
		r.BoosterRate = math.Min(float64(sum)/7/float64(r.BoosterEligible), 1)
	}
}
