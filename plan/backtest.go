package plan

import (
	"fmt"
	"math"
	"sort"
	"time"
)

// Dose kinds of the backtest: the doses given in a window, by what they
// did.
const (
	KindFirst     = "first"     // first doses (people_vaccinated)
	KindCompleted = "completed" // series completed (people_fully_vaccinated)
	KindBooster   = "booster"   // boosters (total_boosters)
	KindAll       = "all"       // every dose given (total_vaccinations)
)

// BacktestKinds lists the dose kinds in report order.
var BacktestKinds = []string{KindFirst, KindCompleted, KindBooster, KindAll}

// Period is a named range of cut-off dates the errors are reported over.
type Period struct {
	Name     string
	From, To Day // cut-offs From..To inclusive
}

// DefaultPeriods are the ramp-up (February-July 2021), the whole of 2021,
// 2022, and everything.
var DefaultPeriods = []Period{
	{"ramp-up 2021", Date(2021, time.February, 1), Date(2021, time.July, 31)},
	{"2021", Date(2021, time.January, 1), Date(2021, time.December, 31)},
	{"2022", Date(2022, time.January, 1), Date(2022, time.December, 31)},
	{"2021-2022", Date(2021, time.January, 1), Date(2022, time.December, 31)},
}

// EligibleFrom is the eligible population the campaign planned for from a
// day on, as it was known then.
type EligibleFrom struct {
	From   Day
	People int
}

// DefaultEligible is what Kazakhstan planned for, as known on each day:
// "about 10 million eventually" (stated 19 January 2021; the Ministry's
// coverage percentages of June-October 2021 imply 9.9 million), raised to
// 11.39 million on 1 November 2021 (shared reference, campaign_eligible_population).
var DefaultEligible = []EligibleFrom{
	{Date(2021, time.January, 19), 9_900_000},
	{Date(2021, time.November, 1), 11_390_000},
}

// BacktestOptions tunes Backtest. The zero value is usable.
type BacktestOptions struct {
	Uptake       UptakeModel    // the model under test; default Calibrated
	Eligible     []EligibleFrom // eligible population known by day; default DefaultEligible
	IntervalDays int            // second-dose interval; default 21
	BoosterDays  int            // booster interval; default 180
	HistoryDays  int            // days of history given to the state; default 56
	MaxStaleDays int            // skip a cut-off whose last known value is older; default 14
	MaxGapDays   int            // an actual value may be interpolated between known values at most this many days away on each side; default 3
	Periods      []Period       // default DefaultPeriods
}

// WindowStats are the errors of forecasts of the doses given in a window.
type WindowStats struct {
	N      int     // windows compared
	Actual float64 // doses actually given, summed over the windows
	WAPE   float64 // Σ|forecast − actual| / Σ actual, %
	Bias   float64 // Σ(forecast − actual) / Σ actual, %
}

// BacktestResult compares the model with the naive forecast (the last
// week's rate carried forward) for one period, horizon and dose kind.
type BacktestResult struct {
	Period  string
	Horizon int
	Kind    string
	Model   WindowStats
	Naive   WindowStats
	// Gain is how much lower the model's WAPE is than the naive one's, in %
	// of the naive WAPE (25 means a quarter lower; negative: worse).
	Gain float64
}

// BacktestPoint is one forecast compared with what happened.
type BacktestPoint struct {
	Cutoff  Day // the forecast knows the series up to this day
	Last    Day // the last day with a known value at the cut-off
	Horizon int
	Kind    string
	Actual  float64 // doses given in (Cutoff, Cutoff+Horizon]
	Model   float64
	Naive   float64
}

// ErrorBand is the spread of the model's errors at a horizon: of the
// forecasts of Kind made for windows of Horizon days, 10 % had
// actual < forecast × (1+Lo) and 10 % actual > forecast × (1+Hi).
type ErrorBand struct {
	Kind    string
	Horizon int
	Lo, Hi  float64
	N       int
}

// BacktestReport is the result of Backtest.
type BacktestReport struct {
	Cutoffs int // cut-off dates used
	Skipped int // cut-off dates without enough data
	Results []BacktestResult
	Points  []BacktestPoint
	Bands   []ErrorBand
}

// Result returns the result for a period, horizon and kind.
func (r BacktestReport) Result(period string, h int, kind string) (BacktestResult, bool) {
	for _, x := range r.Results {
		if x.Period == period && x.Horizon == h && x.Kind == kind {
			return x, true
		}
	}
	return BacktestResult{}, false
}

// CutoffDates returns from, from+step, ... up to to.
func CutoffDates(from, to Day, step int) []Day {
	var out []Day
	if step < 1 {
		step = 1
	}
	for d := from; d <= to; d += Day(step) {
		out = append(out, d)
	}
	return out
}

// Backtest runs BacktestWith with default options.
func Backtest(series []OWIDRow, dates []Day, horizons []int) (BacktestReport, error) {
	return BacktestWith(series, dates, horizons, BacktestOptions{})
}

func (o BacktestOptions) withDefaults() BacktestOptions {
	if o.Uptake == (UptakeModel{}) {
		o.Uptake = Calibrated
	}
	if len(o.Eligible) == 0 {
		o.Eligible = DefaultEligible
	}
	if o.IntervalDays <= 0 {
		o.IntervalDays = 21
	}
	if o.BoosterDays <= 0 {
		o.BoosterDays = 180
	}
	if o.HistoryDays <= 0 {
		o.HistoryDays = 56
	}
	if o.MaxStaleDays <= 0 {
		o.MaxStaleDays = 14
	}
	if o.MaxGapDays <= 0 {
		o.MaxGapDays = 3
	}
	if len(o.Periods) == 0 {
		o.Periods = DefaultPeriods
	}
	return o
}

func (o BacktestOptions) eligibleOn(d Day) int {
	n := 0
	for _, e := range o.Eligible {
		if e.From <= d {
			n = e.People
		}
	}
	return n
}

// countOf returns the cumulative OWID column behind a dose kind.
func countOf(r *OWIDRow, kind string) Count {
	switch kind {
	case KindFirst:
		return r.PeopleVaccinated
	case KindCompleted:
		return r.PeopleFullyVaccinated
	case KindBooster:
		return r.TotalBoosters
	}
	return r.TotalVaccinations
}

// BacktestWith measures the forecaster against a national OWID series on
// the doses given in the next h days (not on cumulative totals, which hide
// errors while the campaign grows).
//
// For each cut-off D it keeps only the rows dated <= D (what was published
// by then), interpolates each cumulative series linearly between its known
// values (never beyond the last known day L; an empty cell is unknown, not
// zero), and builds a one-region State as of L+1 from them: daily first,
// second and booster doses over the last HistoryDays days, cumulative
// people, the people waiting for a second dose by first-dose day, the
// completion rate (CompletionRate), the booster pool (series completed at
// least BoosterDays before) and its rate, and the eligible population
// known on D. Stock and capacity are unlimited: the public series carries
// no stock, deliveries or vaccination points by day, so this backtest
// measures the uptake, completion and booster parts of the model, not the
// supply part. The state runs through Forecast itself.
//
// The forecast of kind k for window (D, D+h] is compared with the actual
// doses: the difference of the cumulative series at D+h and D, each known
// or interpolated between known values at most MaxGapDays away (otherwise
// the window is skipped). The naive forecast carries the last week's rate
// (L-7 to L) forward. "all" is forecast as first + second + booster doses
// and measured on total_vaccinations.
func BacktestWith(series []OWIDRow, dates []Day, horizons []int, opts BacktestOptions) (BacktestReport, error) {
	o := opts.withDefaults()
	if len(horizons) == 0 {
		return BacktestReport{}, inputErr("horizons", "empty")
	}
	hmax := 0
	for i, h := range horizons {
		if h < 1 || h > MaxHorizon/2 {
			return BacktestReport{}, inputErr(fmt.Sprintf("horizons[%d]", i), "%d out of range 1..%d", h, MaxHorizon/2)
		}
		hmax = max(hmax, h)
	}
	if len(series) == 0 {
		return BacktestReport{}, inputErr("series", "empty")
	}
	rows := append([]OWIDRow(nil), series...)
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].Date < rows[j].Date })
	var rep BacktestReport
	for _, D := range dates {
		n := sort.Search(len(rows), func(i int) bool { return rows[i].Date > D })
		known := rows[:n]
		cum := map[string]*cumSeries{}
		for _, k := range BacktestKinds {
			cum[k] = interpolate(known, func(r *OWIDRow) Count { return countOf(r, k) })
		}
		first := cum[KindFirst]
		if first == nil || first.last < D-Day(o.MaxStaleDays) || int(first.last-first.start) < 14 {
			rep.Skipped++
			continue
		}
		L := first.last
		st := backtestState(cum, L, D, o)
		horizon := int(D-L) + hmax
		f, err := Forecast(st, horizon, Options{Uptake: o.Uptake, NoBand: true, Reserve: ReserveNone})
		if err != nil {
			return rep, fmt.Errorf("backtest cut-off %s: %w", D, err)
		}
		rep.Cutoffs++
		for _, h := range horizons {
			for _, k := range BacktestKinds {
				a0, ok0 := actualAt(rows, func(r *OWIDRow) Count { return countOf(r, k) }, D, o.MaxGapDays)
				a1, ok1 := actualAt(rows, func(r *OWIDRow) Count { return countOf(r, k) }, D+Day(h), o.MaxGapDays)
				sr := cum[k]
				if !ok0 || !ok1 || sr == nil || sr.last < L-3 || sr.last-sr.start < 7 {
					continue // unknown then or now
				}
				var model float64
				for d := D + 1; d <= D+Day(h); d++ {
					dp := f.National.Days[int(d-st.AsOf)]
					switch k {
					case KindFirst:
						model += float64(dp.First)
					case KindCompleted:
						model += float64(dp.Second)
					case KindBooster:
						model += float64(dp.Booster)
					default:
						model += float64(dp.First + dp.Second + dp.Booster)
					}
				}
				rate7 := (sr.at(sr.last) - sr.at(sr.last-7)) / 7
				rep.Points = append(rep.Points, BacktestPoint{Cutoff: D, Last: L, Horizon: h, Kind: k,
					Actual: a1 - a0, Model: model, Naive: math.Max(0, rate7) * float64(h)})
			}
		}
	}
	rep.Results = summarize(rep.Points, o.Periods, horizons)
	rep.Bands = bands(rep.Points, horizons)
	return rep, nil
}

// summarize computes the WAPE of model and naive per period, horizon and kind.
func summarize(points []BacktestPoint, periods []Period, horizons []int) []BacktestResult {
	var out []BacktestResult
	for _, p := range periods {
		for _, h := range horizons {
			for _, k := range BacktestKinds {
				var m, nv errSum
				for _, x := range points {
					if x.Horizon == h && x.Kind == k && x.Cutoff >= p.From && x.Cutoff <= p.To {
						m.add(x.Model, x.Actual)
						nv.add(x.Naive, x.Actual)
					}
				}
				if m.n == 0 {
					continue
				}
				r := BacktestResult{Period: p.Name, Horizon: h, Kind: k, Model: m.stats(), Naive: nv.stats()}
				if r.Naive.WAPE > 0 {
					r.Gain = 100 * (1 - r.Model.WAPE/r.Naive.WAPE)
				}
				out = append(out, r)
			}
		}
	}
	return out
}

type errSum struct {
	n             int
	abs, sgn, act float64
}

func (e *errSum) add(pred, act float64) {
	e.n++
	e.abs += math.Abs(pred - act)
	e.sgn += pred - act
	e.act += act
}

func (e *errSum) stats() WindowStats {
	s := WindowStats{N: e.n, Actual: e.act}
	if e.act > 0 {
		s.WAPE = 100 * e.abs / e.act
		s.Bias = 100 * e.sgn / e.act
	}
	return s
}

// bands returns the 10th and 90th percentiles of actual/forecast − 1 per
// kind and horizon (over every cut-off).
func bands(points []BacktestPoint, horizons []int) []ErrorBand {
	var out []ErrorBand
	for _, k := range BacktestKinds {
		for _, h := range horizons {
			var rel []float64
			for _, x := range points {
				if x.Kind == k && x.Horizon == h && x.Model > 0 && x.Actual >= 0 {
					rel = append(rel, x.Actual/x.Model-1)
				}
			}
			if len(rel) < 10 {
				continue
			}
			sort.Float64s(rel)
			q := func(p float64) float64 { return rel[min(len(rel)-1, int(p*float64(len(rel))))] }
			out = append(out, ErrorBand{Kind: k, Horizon: h, Lo: q(0.1), Hi: q(0.9), N: len(rel)})
		}
	}
	return out
}

// backtestState builds the one-region state known at the end of day L.
func backtestState(cum map[string]*cumSeries, L, D Day, o BacktestOptions) State {
	val := func(s *cumSeries, d Day) int {
		if s == nil {
			return 0
		}
		return int(math.Round(s.at(d)))
	}
	inc := func(s *cumSeries, d Day) int { return max(0, val(s, d)-val(s, d-1)) }
	first, full, boost := cum[KindFirst], cum[KindCompleted], cum[KindBooster]
	H := o.HistoryDays
	rs := RegionState{Region: Region{Code: "KZ", Eligible: o.eligibleOn(D)}, OnHand: map[string]int{"ANY/1": 1 << 40}}
	if rs.Eligible > 0 && rs.Eligible < val(first, L) {
		rs.Eligible = val(first, L) // a revised series may pass the planning figure
	}
	for d := L - Day(H) + 1; d <= L; d++ {
		b := 0
		if boost != nil && d > boost.start && d <= boost.last {
			b = inc(boost, d)
		}
		rs.DailyFirst = append(rs.DailyFirst, inc(first, d))
		rs.DailySecond = append(rs.DailySecond, inc(full, d))
		rs.DailyBooster = append(rs.DailyBooster, b)
	}
	rs.PeopleFirst = val(first, L)
	rs.PeopleFull = val(full, L)
	rs.PeopleBooster = val(boost, L)
	// People waiting for a second dose, by first-dose day: the latest
	// first doses are the ones still outstanding.
	outstanding := max(0, rs.PeopleFirst-rs.PeopleFull)
	oldest := L - Day(H) + 1
	for d := L; d >= oldest && outstanding > 0; d-- {
		c := min(inc(first, d), outstanding)
		if d == oldest {
			c = outstanding
		}
		if c > 0 {
			rs.Waiting = append(rs.Waiting, Cohort{Product: "ANY", FirstDose: d, People: c})
			outstanding -= c
		}
	}
	rs.SecondDoseRate = CompletionRate(rs.DailyFirst, rs.DailySecond, rs.PeopleFirst, rs.PeopleFull, o.IntervalDays, 7)
	// Boosters: the pool of people whose series was completed BoosterDays
	// ago or more and who have no booster, and its recent rate.
	B := Day(o.BoosterDays)
	rs.BoosterEligible = max(0, val(full, L+1-B)-rs.PeopleBooster)
	for d := L + 1; d <= L+Day(MaxHorizon/2); d++ {
		rs.BoosterEligibleNew = append(rs.BoosterEligibleNew, inc(full, d-B))
	}
	if boost != nil && boost.last >= L-3 && boost.last-boost.start >= 7 && rs.BoosterEligible > 0 {
		rs.BoosterRate = math.Min(recent(rs.DailyBooster, 7)/float64(rs.BoosterEligible), 1)
	}
	return State{AsOf: L + 1, Products: []Product{{Code: "ANY", Components: []string{"1"}, Doses: 2, IntervalDays: o.IntervalDays, BoosterIntervalDays: o.BoosterDays}}, Regions: []RegionState{rs}}
}

// cumSeries is a daily cumulative series from start to last, interpolated
// linearly between known values.
type cumSeries struct {
	start, last Day
	v           []float64
	isKnown     []bool
}

func (s *cumSeries) at(d Day) float64 {
	switch {
	case d < s.start:
		return 0
	case d > s.last:
		return s.v[len(s.v)-1]
	}
	return s.v[d-s.start]
}

func (s *cumSeries) known(d Day) bool { return d >= s.start && d <= s.last && s.isKnown[d-s.start] }

func interpolate(rows []OWIDRow, get func(*OWIDRow) Count) *cumSeries {
	var s *cumSeries
	prevD, prevV := Day(0), 0.0
	for i := range rows {
		c := get(&rows[i])
		if !c.Known {
			continue
		}
		d, v := rows[i].Date, float64(c.N)
		if s == nil {
			s = &cumSeries{start: d, last: d, v: []float64{v}, isKnown: []bool{true}}
			prevD, prevV = d, v
			continue
		}
		for x := prevD + 1; x <= d; x++ {
			s.v = append(s.v, prevV+(v-prevV)*float64(x-prevD)/float64(d-prevD))
			s.isKnown = append(s.isKnown, x == d)
		}
		s.last = d
		prevD, prevV = d, v
	}
	return s
}

// actualAt is the known value on d, or one interpolated between known
// values at most gap days either side.
func actualAt(rows []OWIDRow, get func(*OWIDRow) Count, d Day, gap int) (float64, bool) {
	i := sort.Search(len(rows), func(i int) bool { return rows[i].Date >= d })
	if i < len(rows) && rows[i].Date == d {
		c := get(&rows[i])
		if c.Known {
			return float64(c.N), true
		}
	}
	var lo, hi *OWIDRow
	for j := i - 1; j >= 0 && rows[j].Date >= d-Day(gap); j-- {
		if get(&rows[j]).Known {
			lo = &rows[j]
			break
		}
	}
	for j := i; j < len(rows) && rows[j].Date <= d+Day(gap); j++ {
		if rows[j].Date > d && get(&rows[j]).Known {
			hi = &rows[j]
			break
		}
	}
	if lo == nil || hi == nil {
		return 0, false
	}
	a, b := float64(get(lo).N), float64(get(hi).N)
	return a + (b-a)*float64(d-lo.Date)/float64(hi.Date-lo.Date), true
}
