package plan

import (
	"fmt"
	"math"
	"sort"
)

// ReserveMode selects how second-dose obligations hold back stock.
type ReserveMode int

const (
	// ReserveOnDueDate (default): a first dose of a two-dose product is given
	// only if the second-dose component on hand plus the arrivals expected
	// (under the run's scenario) within one interval covers everyone already
	// waiting or pending plus the new person.
	ReserveOnDueDate ReserveMode = iota
	// ReserveFromStock is stricter: only stock on hand counts.
	ReserveFromStock
	// ReserveNone gives first doses from whatever is on hand.
	ReserveNone
)

// Binding limits of a period or target.
const (
	LimitUptake      = "uptake"                  // demand is the limit; stock left over
	LimitSupply      = "supply"                  // stock ran out; first-dose demand unmet
	LimitSecondDoses = "second-dose obligations" // stock held back for due second doses
)

// Options tunes Forecast. The zero value is usable.
type Options struct {
	Uptake   UptakeModel
	Reserve  ReserveMode
	Scenario Scenario // arrival dates of the main run; default Expected
	// SecondDoseShowRate is the share of people who come for their second
	// dose when it falls due (default 1). The rest drop out of obligations.
	SecondDoseShowRate float64
	// PeriodDays is the length of the periods of Forecast.Periods; default 7.
	PeriodDays int
	// BoosterKeys lists the stock keys boosters may use, in preference
	// order; default the first-dose key of every product.
	BoosterKeys []string
	// NoBand skips the optimistic and pessimistic runs.
	NoBand bool
	// OpeningDays is how long points that are set up but not yet giving
	// doses take to reach their capacity (RegionState.CapacityOpening);
	// default 14.
	OpeningDays int
	// ErrorBands are the model's measured errors (from Backtest): a target's
	// band is its forecast widened by them. Without them the band is the
	// spread of the arrival scenarios only.
	ErrorBands []ErrorBand
	// ShortfallTolerance is the share of demand that may go unmet before a
	// period counts as supply-limited; default 0.01.
	ShortfallTolerance float64
}

// DayPoint is one forecast day of a region (or the nation).
type DayPoint struct {
	Date                   Day
	First, Second, Booster int // doses given
	FirstDemand            int // first doses wanted: uptake model, capped by eligible people and capacity
	BoosterDemand          int
	SecondDue              int // people due a second dose at the start of the day, overdue included
	SecondUnmet            int // of those, not served for lack of stock or capacity
	ShortSupply            int // first-dose demand unmet because stock ran out
	ShortReserve           int // first-dose demand unmet because stock is held for second doses
	PeopleFirst            int // cumulative, end of day
	PeopleFull             int
	PeopleBooster          int
	// Stock on hand at the end of the day by Forecast.Keys (main run only).
	// For the national series it is the national warehouse plus all regions.
	Stock []int
}

// Series is the day-by-day forecast of one region ("" = national).
type Series struct {
	Region string
	Days   []DayPoint
}

// PeriodLimit names what limited first doses in a region over a period.
type PeriodLimit struct {
	Region       string // "" = national
	From, To     Day
	FirstDemand  int
	First        int
	ShortSupply  int
	ShortReserve int
	Limit        string // LimitUptake, LimitSupply or LimitSecondDoses
}

// StockOut is the first day a region (or "" the national warehouse) could
// not meet demand for a stock key.
type StockOut struct {
	Region string
	Key    string
	Date   Day
	Unmet  int // doses of demand unmet over the whole horizon
}

// ExpiryLoss is a lot that reaches its expiry with doses left, given FEFO
// consumption at the forecast rate.
type ExpiryLoss struct {
	Lot    string // "" for arrivals without a lot id
	Region string
	Key    string
	Expiry Day
	Doses  int
}

// TargetResult evaluates one target against the forecast.
type TargetResult struct {
	Target        Target
	Reached       bool
	Date          Day // first day the target is met; 0 if not reached
	Value         int // forecast value on To (or on the last forecast day)
	Shortfall     int // Target.Value - Value when not reached
	BeyondHorizon bool
	Binding       string // limit over the target window
	// Counterfactuals over the same window:
	SupplyMax   int // with unlimited demand: stock, arrivals and the reserve are the limit
	DemandOnly  int // with unlimited stock: the uptake trend is the limit
	Optimistic  int // arrivals on schedule
	Pessimistic int // arrivals at their p90 delay
	// BandLow and BandHigh are the honest range of the forecast: the
	// arrival scenarios widened by the model's measured errors at this
	// horizon (Options.ErrorBands: 10th to 90th percentile); without error
	// bands, the arrival scenarios alone. ErrorBand is the band used.
	BandLow, BandHigh int
	ErrorBand         *ErrorBand
	// Regions is what limited each region over the target window (national
	// first-dose and booster targets), by the same rule as Binding.
	Regions []WindowLimit
	// FirstDoseStock is the first-dose component stock on hand at AsOf
	// (national plus regions, or the target region plus national) and
	// FirstDoseArrivals what the pipeline delivers of it by To.
	FirstDoseStock, FirstDoseArrivals int
	// WindowShortSupply and WindowShortReserve are the first-dose demand
	// unmet in the window for lack of stock / because of the reserve.
	WindowShortSupply, WindowShortReserve int
}

// WindowLimit is a region's first-dose demand, doses and shortfalls over a
// window and the limit they name (LimitUptake, LimitSupply or
// LimitSecondDoses; the same rule as PeriodLimit and TargetResult.Binding).
type WindowLimit struct {
	Region       string
	FirstDemand  int
	First        int
	ShortSupply  int
	ShortReserve int
	Limit        string
}

// ForecastResult is the result of Forecast.
type ForecastResult struct {
	AsOf      Day
	Horizon   int
	Scenario  Scenario
	Reserve   ReserveMode
	Keys      []string
	National  Series
	Regions   []Series
	Periods   []PeriodLimit
	Targets   []TargetResult
	StockOuts []StockOut
	Expiries  []ExpiryLoss
	// Optimistic and Pessimistic are the national series of the band runs
	// (empty with Options.NoBand).
	Optimistic, Pessimistic Series
	// SupplyMax and DemandOnly are the national series of the counterfactual
	// runs with unlimited demand and unlimited supply.
	SupplyMax, DemandOnly Series
}

// MaxHorizon is the longest forecast horizon in days (two years).
const MaxHorizon = 730

// Forecast simulates the campaign day by day from s.AsOf for horizonDays.
//
// Each day, per region: arrivals are received; expired lots are written
// off; second doses falling due are served first, from the region's
// second-dose component and then from the national warehouse; first doses
// (uptake model projection, capped by remaining eligible people and
// capacity) are served from the region's stock and then the national
// warehouse, limited by the second-dose reserve (see ReserveMode); boosters
// take what is left. Stock is consumed first-expiry-first-out.
//
// Besides the main run it runs the optimistic and pessimistic arrival
// scenarios and two counterfactuals (unlimited demand, unlimited supply)
// used to explain targets.
func Forecast(s State, horizonDays int, opts Options) (ForecastResult, error) {
	if horizonDays < 1 || horizonDays > MaxHorizon {
		return ForecastResult{}, inputErr("horizonDays", "%d out of range 1..%d", horizonDays, MaxHorizon)
	}
	if opts.SecondDoseShowRate < 0 || opts.SecondDoseShowRate > 1 || math.IsNaN(opts.SecondDoseShowRate) {
		return ForecastResult{}, inputErr("options.secondDoseShowRate", "%v out of range 0..1", opts.SecondDoseShowRate)
	}
	if err := s.Validate(); err != nil {
		return ForecastResult{}, fmt.Errorf("forecast: %w", err)
	}
	sm, err := newSim(&s, horizonDays, opts)
	if err != nil {
		return ForecastResult{}, fmt.Errorf("forecast: %w", err)
	}
	main := sm.run(runMode{scenario: opts.Scenario, record: true, reserve: opts.Reserve})
	f := ForecastResult{AsOf: s.AsOf, Horizon: horizonDays, Scenario: opts.Scenario, Reserve: opts.Reserve, Keys: sm.keys,
		National: main.national, Regions: main.regions, StockOuts: main.stockOuts, Expiries: main.expiries}
	var opt, pes runResult
	if !opts.NoBand {
		opt = sm.run(runMode{scenario: Optimistic, reserve: opts.Reserve})
		pes = sm.run(runMode{scenario: Pessimistic, reserve: opts.Reserve})
		f.Optimistic, f.Pessimistic = opt.national, pes.national
	}
	var smax, donly runResult
	if len(s.Targets) > 0 {
		smax = sm.run(runMode{scenario: opts.Scenario, infDemand: true, reserve: opts.Reserve})
		donly = sm.run(runMode{scenario: opts.Scenario, infSupply: true, reserve: ReserveNone})
		f.SupplyMax, f.DemandOnly = smax.national, donly.national
	}
	f.Periods = sm.periods(main)
	for _, t := range s.Targets {
		f.Targets = append(f.Targets, sm.evalTarget(t, main, smax, donly, opt, pes, !opts.NoBand))
	}
	return f, nil
}

// --- simulation engine ---

type bucket struct {
	exp Day
	lot int32 // index into State.Lots, -1 for none
	n   int
}

// pile is the stock of one key at one place, ordered by expiry (FEFO).
type pile struct {
	b     []bucket
	total int
}

func (p *pile) add(exp Day, lot int32, n int) {
	if n <= 0 {
		return
	}
	i := sort.Search(len(p.b), func(i int) bool { return p.b[i].exp > exp })
	p.b = append(p.b, bucket{})
	copy(p.b[i+1:], p.b[i:])
	p.b[i] = bucket{exp, lot, n}
	p.total += n
}

func (p *pile) take(n int) {
	p.total -= n
	for n > 0 && len(p.b) > 0 {
		if p.b[0].n > n {
			p.b[0].n -= n
			return
		}
		n -= p.b[0].n
		p.b = p.b[1:]
	}
}

type prodInfo struct {
	code     string
	k1, k2   int // key indices; k2 = -1 for single-dose products
	interval int
}

type arrEvent struct {
	day   int // day index
	place int
	key   int
	n     int
	exp   Day
}

type sim struct {
	s        *State
	opts     Options
	H        int
	R, P, K  int
	keys     []string
	keyIdx   map[string]int
	prods    []prodInfo
	maxI     int
	projF    [][]float64
	projB    [][]float64
	hazF     []float64 // share of the remaining eligible pool coming forward per day; <0: not saturating
	boosterP []int     // product indices usable for boosters (by first key)
	firstP   []int
	// scratch
	x, xPhys                    []int
	rem, capL, capsTmp, needTmp []int
}

type runMode struct {
	scenario             Scenario
	infDemand, infSupply bool
	record               bool
	reserve              ReserveMode
}

type runResult struct {
	national  Series
	regions   []Series
	stockOuts []StockOut
	expiries  []ExpiryLoss
	arrCum    [][]int // per key, cumulative system arrivals by day index
}

const inf = math.MaxInt64 / 8

func newSim(s *State, H int, opts Options) (*sim, error) {
	sm := &sim{s: s, opts: opts, H: H, R: len(s.Regions), P: len(s.Products)}
	if sm.opts.SecondDoseShowRate == 0 {
		sm.opts.SecondDoseShowRate = 1
	}
	if sm.opts.PeriodDays <= 0 {
		sm.opts.PeriodDays = 7
	}
	if sm.opts.ShortfallTolerance <= 0 {
		sm.opts.ShortfallTolerance = 0.01
	}
	if sm.opts.OpeningDays <= 0 {
		sm.opts.OpeningDays = 14
	}
	sm.keys = s.keys()
	sm.K = len(sm.keys)
	sm.keyIdx = make(map[string]int, sm.K)
	for i, k := range sm.keys {
		sm.keyIdx[k] = i
	}
	for i, p := range s.Products {
		pi := prodInfo{code: p.Code, k1: sm.keyIdx[p.FirstKey()], k2: -1}
		if p.Doses == 2 {
			pi.k2 = sm.keyIdx[p.SecondKey()]
			pi.interval = p.IntervalDays
			sm.maxI = max(sm.maxI, p.IntervalDays)
		}
		sm.prods = append(sm.prods, pi)
		sm.firstP = append(sm.firstP, i)
	}
	if len(opts.BoosterKeys) == 0 {
		sm.boosterP = sm.firstP
	} else {
		for i, k := range opts.BoosterKeys {
			found := false
			for pi, p := range sm.prods {
				if sm.keys[p.k1] == k {
					sm.boosterP = append(sm.boosterP, pi)
					found = true
				}
			}
			if !found {
				return nil, inputErr(fmt.Sprintf("options.boosterKeys[%d]", i), "%q is not the first-dose key of a product", k)
			}
		}
	}
	for _, r := range s.Regions {
		sm.projF = append(sm.projF, opts.Uptake.Project(r.DailyFirst, H, nil))
		sm.projB = append(sm.projB, opts.Uptake.Project(r.DailyBooster, H, nil))
		haz := -1.0 // no saturation
		if opts.Uptake.Saturate {
			haz = opts.Uptake.Hazard(r.DailyFirst, eligibleLeft(r))
		}
		sm.hazF = append(sm.hazF, haz)
	}
	sm.x = make([]int, sm.R*sm.P)
	sm.xPhys = make([]int, sm.R*sm.P)
	sm.rem = make([]int, sm.R)
	sm.needTmp = make([]int, sm.R)
	sm.capL = make([]int, sm.P)
	sm.capsTmp = make([]int, sm.P)
	return sm, nil
}

func (sm *sim) regionIndex(code string) int {
	if code == "" {
		return sm.R
	}
	for i, r := range sm.s.Regions {
		if r.Code == code {
			return i
		}
	}
	return -1
}

// initialStock builds the FEFO piles of every place (regions, then national).
func (sm *sim) initialStock(infSupply bool) [][]pile {
	st := make([][]pile, sm.R+1)
	for i := range st {
		st[i] = make([]pile, sm.K)
	}
	if infSupply {
		for i := range st {
			for k := range st[i] {
				st[i][k].add(NoExpiry, -1, inf)
			}
		}
		return st
	}
	onHand := func(place int) map[string]int {
		if place == sm.R {
			return sm.s.National
		}
		return sm.s.Regions[place].OnHand
	}
	// Lots sorted by expiry, trimmed to the place's on-hand quantity.
	idx := make([]int, len(sm.s.Lots))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return sm.s.Lots[idx[a]].Expiry < sm.s.Lots[idx[b]].Expiry })
	used := make([][]int, sm.R+1)
	for i := range used {
		used[i] = make([]int, sm.K)
	}
	for _, li := range idx {
		l := sm.s.Lots[li]
		place := sm.regionIndex(l.Region)
		k := sm.keyIdx[l.Key()]
		left := onHand(place)[l.Key()] - used[place][k]
		n := min(l.OnHand, left)
		if n > 0 {
			st[place][k].add(l.Expiry, int32(li), n)
			used[place][k] += n
		}
	}
	for place := 0; place <= sm.R; place++ {
		for key, v := range onHand(place) {
			k := sm.keyIdx[key]
			st[place][k].add(NoExpiry, -1, v-used[place][k])
		}
	}
	return st
}

func (sm *sim) arrivals(sc Scenario) ([]arrEvent, [][]int) {
	n := sm.H + sm.maxI + 2
	cum := make([][]int, sm.K)
	for k := range cum {
		cum[k] = make([]int, n+1)
	}
	var ev []arrEvent
	for _, a := range sm.s.Pipeline {
		d := int(a.DateFor(sc, sm.s.AsOf) - sm.s.AsOf)
		if d >= n || a.Doses == 0 {
			continue
		}
		k := sm.keyIdx[a.Key()]
		exp := a.Expiry
		if exp == 0 {
			exp = NoExpiry
		}
		ev = append(ev, arrEvent{day: d, place: sm.regionIndex(a.Region), key: k, n: a.Doses, exp: exp})
		cum[k][d+1] += a.Doses
	}
	for k := range cum {
		for i := 1; i <= n; i++ {
			cum[k][i] += cum[k][i-1]
		}
	}
	sort.SliceStable(ev, func(i, j int) bool { return ev[i].day < ev[j].day })
	return ev, cum
}

func (sm *sim) run(m runMode) runResult {
	R, P, K, H := sm.R, sm.P, sm.K, sm.H
	s := sm.s
	show := sm.opts.SecondDoseShowRate
	st := sm.initialStock(m.infSupply)
	ev, cum := sm.arrivals(m.scenario)
	if m.infSupply {
		ev = nil
	}
	// Cohorts: due[r*P+p][day] people expected for a second dose that day.
	dueLen := H + sm.maxI + 1
	due := make([][]int, R*P)
	waiting := make([]int, R*P)
	pending := make([]int, P) // national, people scheduled but not yet due
	waitTot := make([]int, P)
	for r, rs := range s.Regions {
		for _, c := range rs.Waiting {
			p := -1
			for i := range sm.prods {
				if sm.prods[i].code == c.Product {
					p = i
				}
			}
			n := int(math.Round(float64(c.People) * show))
			d := int(c.FirstDose) + sm.prods[p].interval - int(s.AsOf)
			if d <= 0 {
				waiting[r*P+p] += n
				waitTot[p] += n
				continue
			}
			if due[r*P+p] == nil {
				due[r*P+p] = make([]int, dueLen)
			}
			due[r*P+p][d] += n
			pending[p] += n
		}
	}
	res := runResult{arrCum: cum}
	res.national.Days = make([]DayPoint, H)
	res.regions = make([]Series, R)
	var stockBuf []int
	if m.record {
		stockBuf = make([]int, (R+1)*H*K)
	}
	for r := range res.regions {
		res.regions[r].Region = s.Regions[r].Code
		res.regions[r].Days = make([]DayPoint, H)
	}
	pf := make([]int, R)
	pfull := make([]int, R)
	pb := make([]int, R)
	eligLeft := make([]int, R)
	bpool := make([]int, R) // people eligible for a booster and not boosted
	for r, rs := range s.Regions {
		pf[r], pfull[r], pb[r] = rs.PeopleFirst, rs.PeopleFull, rs.PeopleBooster
		eligLeft[r] = eligibleLeft(rs)
		bpool[r] = rs.BoosterEligible
	}
	capLeft := make([]int, R)
	demand := make([]int, R)
	unmet2 := make([]int, R)
	firstOut := map[[2]int]int{} // (place,key) -> index into res.stockOuts
	noteOut := func(place, key, date, n int) {
		if !m.record || n <= 0 {
			return
		}
		id := [2]int{place, key}
		if i, ok := firstOut[id]; ok {
			res.stockOuts[i].Unmet += n
			return
		}
		reg := ""
		if place < R {
			reg = s.Regions[place].Code
		}
		firstOut[id] = len(res.stockOuts)
		res.stockOuts = append(res.stockOuts, StockOut{Region: reg, Key: sm.keys[key], Date: s.AsOf + Day(date), Unmet: n})
	}
	caps := sm.capsTmp
	ei := 0
	for t := 0; t < H; t++ {
		date := s.AsOf + Day(t)
		// 1. arrivals
		for ; ei < len(ev) && ev[ei].day <= t; ei++ {
			e := ev[ei]
			st[e.place][e.key].add(e.exp, -1, e.n)
		}
		// 2. expiry: a lot is usable through its expiry day
		for place := 0; place <= R; place++ {
			for k := 0; k < K; k++ {
				pl := &st[place][k]
				for len(pl.b) > 0 && pl.b[0].exp < date {
					b := pl.b[0]
					pl.b = pl.b[1:]
					pl.total -= b.n
					if m.record {
						e := ExpiryLoss{Region: "", Key: sm.keys[k], Expiry: b.exp, Doses: b.n}
						if place < R {
							e.Region = s.Regions[place].Code
						}
						if b.lot >= 0 {
							e.Lot = s.Lots[b.lot].ID
						}
						res.expiries = append(res.expiries, e)
					}
				}
			}
		}
		for r := 0; r < R; r++ {
			rs := &s.Regions[r]
			capLeft[r] = inf
			if rs.Capacity > 0 || rs.CapacityOpening > 0 {
				capLeft[r] = rs.Capacity + rs.CapacityOpening*min(t+1, sm.opts.OpeningDays)/sm.opts.OpeningDays
			}
			if t < len(rs.BoosterEligibleNew) {
				bpool[r] += rs.BoosterEligibleNew[t]
			}
			dp := &res.regions[r].Days[t]
			dp.Date = date
		}
		// 3. second doses falling due, served first
		for p, pi := range sm.prods {
			if pi.k2 < 0 {
				continue
			}
			for r := 0; r < R; r++ {
				if d := due[r*P+p]; d != nil && d[t] > 0 {
					waiting[r*P+p] += d[t]
					waitTot[p] += d[t]
					pending[p] -= d[t]
				}
			}
			nat := &st[R][pi.k2]
			totU := 0
			for r := 0; r < R; r++ {
				w := waiting[r*P+p]
				res.regions[r].Days[t].SecondDue += w
				need := min(w, capLeft[r])
				if k := s.Regions[r].SecondDoseRate; k > 0 && k < 1 {
					need = min(int(math.Round(k*float64(w))), capLeft[r])
				}
				own := &st[r][pi.k2]
				a := min(need, own.total)
				own.take(a)
				sm.give2(r, p, a, waiting, waitTot, capLeft, &res.regions[r].Days[t])
				unmet2[r] = need - a
				totU += unmet2[r]
			}
			if totU > 0 {
				sm.apportion(unmet2, min(nat.total, totU), sm.needTmp)
				for r := 0; r < R; r++ {
					a := sm.needTmp[r]
					nat.take(a)
					sm.give2(r, p, a, waiting, waitTot, capLeft, &res.regions[r].Days[t])
					if left := unmet2[r] - a; left > 0 {
						noteOut(r, pi.k2, t, left)
						if nat.total == 0 {
							noteOut(R, pi.k2, t, left)
						}
					}
				}
			}
		}
		for r := 0; r < R; r++ {
			u := 0
			for p := 0; p < P; p++ {
				u += waiting[r*P+p]
			}
			res.regions[r].Days[t].SecondUnmet = u
		}
		// 4. reserve caps for new first doses, per product
		for p, pi := range sm.prods {
			caps[p] = inf
			if pi.k2 < 0 || m.reserve == ReserveNone || m.infSupply {
				continue
			}
			sys := 0
			for place := 0; place <= R; place++ {
				sys += st[place][pi.k2].total
			}
			if m.reserve == ReserveOnDueDate {
				hi := min(t+pi.interval+1, len(cum[pi.k2])-1)
				sys += cum[pi.k2][hi] - cum[pi.k2][t+1]
			}
			cover := sys - waitTot[p] - pending[p]
			if pi.k1 == pi.k2 {
				cover /= 2
			}
			caps[p] = max(0, cover)
		}
		// 5. first doses
		for r := 0; r < R; r++ {
			var d int
			if m.infDemand {
				d = min(eligLeft[r], capLeft[r])
			} else {
				d = min(int(math.Round(sm.projF[r][t])), eligLeft[r], capLeft[r])
				if h := sm.hazF[r]; h >= 0 && eligLeft[r] < inf {
					d = min(d, int(math.Round(h*float64(eligLeft[r]))))
				}
			}
			demand[r] = d
			res.regions[r].Days[t].FirstDemand = d
		}
		phys := sm.x
		if !m.infSupply && m.reserve != ReserveNone {
			// Counterfactual without the reserve, to attribute shortfalls.
			for p := range sm.capL {
				sm.capL[p] = inf
			}
			sm.serve(st, demand, sm.firstP, sm.capL, sm.xPhys)
			phys = sm.xPhys
		}
		copy(sm.capL, caps)
		sm.serve(st, demand, sm.firstP, sm.capL, sm.x)
		for r := 0; r < R; r++ {
			g, gp := 0, 0
			for p := 0; p < P; p++ {
				g += sm.x[r*P+p]
				gp += phys[r*P+p]
			}
			dp := &res.regions[r].Days[t]
			dp.ShortReserve = max(0, gp-g)
			dp.ShortSupply = max(0, demand[r]-max(gp, g))
			if dp.ShortSupply > 0 && !m.infSupply {
				for _, p := range sm.firstP {
					k := sm.prods[p].k1
					if st[r][k].total == sm.x[r*P+p] {
						noteOut(r, k, t, dp.ShortSupply)
					}
				}
			}
		}
		for r := 0; r < R; r++ {
			dp := &res.regions[r].Days[t]
			for p, pi := range sm.prods {
				n := sm.x[r*P+p]
				if n == 0 {
					continue
				}
				sm.consume(st, r, pi.k1, n)
				dp.First += n
				if pi.k2 >= 0 {
					c := int(math.Round(float64(n) * show))
					if due[r*P+p] == nil {
						due[r*P+p] = make([]int, dueLen)
					}
					due[r*P+p][t+pi.interval] += c
					pending[p] += c
				}
			}
			pf[r] += dp.First
			eligLeft[r] = max(0, eligLeft[r]-dp.First)
			capLeft[r] -= dp.First
		}
		// 6. boosters from what is left, within the remaining reserve caps
		any := false
		for r := 0; r < R; r++ {
			d := min(int(math.Round(sm.projB[r][t])), max(0, pfull[r]-pb[r]), capLeft[r])
			if k := s.Regions[r].BoosterRate; k > 0 {
				d = min(int(math.Round(k*float64(bpool[r]))), bpool[r], capLeft[r])
			}
			demand[r] = d
			res.regions[r].Days[t].BoosterDemand = d
			any = any || d > 0
		}
		if any {
			sm.serve(st, demand, sm.boosterP, sm.capL, sm.x)
			for r := 0; r < R; r++ {
				dp := &res.regions[r].Days[t]
				for _, p := range sm.boosterP {
					n := sm.x[r*P+p]
					if n > 0 {
						sm.consume(st, r, sm.prods[p].k1, n)
						dp.Booster += n
					}
				}
				pb[r] += dp.Booster
				bpool[r] = max(0, bpool[r]-dp.Booster)
			}
		}
		// 7. record
		nd := &res.national.Days[t]
		nd.Date = date
		if m.record {
			nd.Stock = stockBuf[(R*H+t)*K : (R*H+t+1)*K]
			for k := 0; k < K; k++ {
				nd.Stock[k] = st[R][k].total
			}
		}
		for r := 0; r < R; r++ {
			dp := &res.regions[r].Days[t]
			pfull[r] += dp.Second
			dp.PeopleFirst, dp.PeopleFull, dp.PeopleBooster = pf[r], pfull[r], pb[r]
			if m.record {
				dp.Stock = stockBuf[(r*H+t)*K : (r*H+t+1)*K]
				for k := 0; k < K; k++ {
					dp.Stock[k] = st[r][k].total
					nd.Stock[k] += dp.Stock[k]
				}
			}
			nd.First += dp.First
			nd.Second += dp.Second
			nd.Booster += dp.Booster
			nd.FirstDemand += dp.FirstDemand
			nd.BoosterDemand += dp.BoosterDemand
			nd.SecondDue += dp.SecondDue
			nd.SecondUnmet += dp.SecondUnmet
			nd.ShortSupply += dp.ShortSupply
			nd.ShortReserve += dp.ShortReserve
			nd.PeopleFirst += dp.PeopleFirst
			nd.PeopleFull += dp.PeopleFull
			nd.PeopleBooster += dp.PeopleBooster
		}
	}
	return res
}

// eligibleLeft is the region's pool of people not yet reached by a first
// dose: its eligible population (population when not given) less those
// with a first dose; inf when neither is known.
func eligibleLeft(rs RegionState) int {
	lim := rs.Eligible
	if lim == 0 {
		lim = rs.Population
	}
	if lim == 0 {
		return inf
	}
	return max(0, lim-rs.PeopleFirst)
}

// give2 records a second doses given in region r for product p.
func (sm *sim) give2(r, p, a int, waiting, waitTot, capLeft []int, dp *DayPoint) {
	waiting[r*sm.P+p] -= a
	waitTot[p] -= a
	capLeft[r] -= a
	dp.Second += a
}

// consume takes n doses of key k for region r: own stock first, then the
// national warehouse, both FEFO.
func (sm *sim) consume(st [][]pile, r, k, n int) {
	own := &st[r][k]
	a := min(n, own.total)
	own.take(a)
	if n > a {
		st[sm.R][k].take(n - a)
	}
}

// apportion splits total among claims proportionally (largest remainder,
// ties to the lower index); out[i] <= claims[i].
func (sm *sim) apportion(claims []int, total int, out []int) {
	sum := 0
	for _, c := range claims {
		sum += c
	}
	for i := range out {
		out[i] = 0
	}
	if sum == 0 || total <= 0 {
		return
	}
	if total >= sum {
		copy(out, claims)
		return
	}
	given := 0
	for i, c := range claims {
		out[i] = int(int64(c) * int64(total) / int64(sum))
		given += out[i]
	}
	for left := total - given; left > 0; {
		moved := false
		for i, c := range claims {
			if left > 0 && out[i] < c {
				out[i]++
				left--
				moved = true
			}
		}
		if !moved {
			break
		}
	}
}

// serve computes (without consuming) how many new doses of each product
// each region gives: own stock first (scaled to the product caps), then the
// national warehouse apportioned by unmet demand. caps is consumed.
func (sm *sim) serve(st [][]pile, demand []int, plist []int, caps []int, x []int) {
	R, P := sm.R, sm.P
	for i := range x {
		x[i] = 0
	}
	rem := sm.rem
	copy(rem, demand)
	for r := 0; r < R; r++ {
		for _, p := range plist {
			if rem[r] == 0 {
				break
			}
			w := min(rem[r], st[r][sm.prods[p].k1].total)
			x[r*P+p] = w
			rem[r] -= w
		}
	}
	for _, p := range plist {
		tot := 0
		for r := 0; r < R; r++ {
			tot += x[r*P+p]
		}
		if tot > caps[p] {
			sum := 0
			for r := 0; r < R; r++ {
				nx := int(int64(x[r*P+p]) * int64(caps[p]) / int64(tot))
				rem[r] += x[r*P+p] - nx
				x[r*P+p] = nx
				sum += nx
			}
			tot = sum
		}
		caps[p] -= tot
	}
	for r := 0; r < R; r++ {
		for _, p := range plist {
			if rem[r] == 0 {
				break
			}
			w := min(rem[r], st[r][sm.prods[p].k1].total-x[r*P+p], caps[p])
			if w > 0 {
				x[r*P+p] += w
				rem[r] -= w
				caps[p] -= w
			}
		}
	}
	share := sm.needTmp
	for _, p := range plist {
		k := sm.prods[p].k1
		// national stock already promised to other products sharing no key: keys are per product
		pool := min(st[R][k].total, caps[p])
		if pool <= 0 {
			continue
		}
		sm.apportion(rem, pool, share)
		for r := 0; r < R; r++ {
			x[r*P+p] += share[r]
			rem[r] -= share[r]
			caps[p] -= share[r]
		}
	}
}
