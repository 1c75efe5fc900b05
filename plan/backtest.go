package plan

import (
	"fmt"
	"math"
	"sort"
)

// BacktestOptions tunes Backtest. The zero value is usable.
type BacktestOptions struct {
	Uptake       UptakeModel // the model under test (also Forecast's default)
	Eligible     int         // eligible population cap; default 11,390,000
	IntervalDays int         // dose interval of the generic product; default 21
	HistoryDays  int         // days of history given to the state; default 56
	MaxStaleDays int         // skip a cut-off whose last known value is older; default 14
	MaxGapDays   int         // actual values may be interpolated across gaps up to this; default 3 each side
}

// ErrorStats summarises forecast errors.
type ErrorStats struct {
	N    int
	MAPE float64 // mean absolute percentage error of the cumulative value, %
	MAE  float64 // mean absolute error, people (doses for "total")
	Bias float64 // mean signed error (forecast - actual)
	// IncMAPE is the MAPE of the increment over the horizon (forecast change
	// vs actual change from the last known value), %.
	IncMAPE float64
	IncN    int
}

// BacktestResult is the error of the model and the naive baseline for one
// horizon and metric.
type BacktestResult struct {
	Horizon int
	Metric  string // "first" (people_vaccinated), "full" (people_fully_vaccinated), "total" (total_vaccinations)
	Model   ErrorStats
	Naive   ErrorStats // persistence of the last 7-day rate
}

// BacktestPoint is one comparison.
type BacktestPoint struct {
	Cutoff, Target Day
	Horizon        int
	Metric         string
	Last           float64 // last known value at the cut-off
	Actual         float64
	Model, Naive   float64
}

// BacktestReport is the result of Backtest.
type BacktestReport struct {
	Cutoffs int // cut-off dates used
	Skipped int // cut-off dates without enough data
	Results []BacktestResult
	Points  []BacktestPoint
}

// Result returns the result for a horizon and metric.
func (r BacktestReport) Result(h int, metric string) (BacktestResult, bool) {
	for _, x := range r.Results {
		if x.Horizon == h && x.Metric == metric {
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

var backtestMetrics = []string{"first", "full", "total"}

// BacktestWith measures the forecaster against a national OWID series. For
// each cut-off D it keeps only rows dated <= D, interpolates the cumulative
// series linearly between known values (never beyond the last known day L),
// and builds a one-region State as of L+1: daily first, second and booster
// doses for the last HistoryDays days, cumulative people, and the people
// waiting for a second dose as cohorts of the most recent first-dose days
// (older ones are taken as served or lapsed). Stock is unlimited, so only
// the uptake model and the second-dose schedule are tested. The state is
// run through Forecast itself, and the forecast for D+h is compared with the
// actual value (skipped where unknown). The naive baseline extends the last
// 7-day rate from L.
func BacktestWith(series []OWIDRow, dates []Day, horizons []int, opts BacktestOptions) (BacktestReport, error) {
	if opts.Eligible <= 0 {
		opts.Eligible = 11_390_000
	}
	if opts.IntervalDays <= 0 {
		opts.IntervalDays = 21
	}
	if opts.HistoryDays <= 0 {
		opts.HistoryDays = 56
	}
	if opts.MaxStaleDays <= 0 {
		opts.MaxStaleDays = 14
	}
	if opts.MaxGapDays <= 0 {
		opts.MaxGapDays = 3
	}
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
	get := func(r *OWIDRow, m string) Count {
		switch m {
		case "first":
			return r.PeopleVaccinated
		case "full":
			return r.PeopleFullyVaccinated
		case "total":
			return r.TotalVaccinations
		}
		return r.TotalBoosters
	}
	type acc struct{ model, naive errAcc }
	accs := map[[2]int]*acc{}
	var rep BacktestReport
	for _, D := range dates {
		// Known data up to D.
		n := sort.Search(len(rows), func(i int) bool { return rows[i].Date > D })
		known := rows[:n]
		first := interpolate(known, func(r *OWIDRow) Count { return get(r, "first") })
		if first == nil || first.last < D-Day(opts.MaxStaleDays) || int(first.last-first.start) < 14 {
			rep.Skipped++
			continue
		}
		L := first.last
		full := interpolate(known, func(r *OWIDRow) Count { return get(r, "full") })
		total := interpolate(known, func(r *OWIDRow) Count { return get(r, "total") })
		st, show := backtestState(first, full, total, L, opts)
		horizon := int(D-L) + hmax
		f, err := Forecast(st, horizon, Options{Uptake: opts.Uptake, SecondDoseShowRate: show, NoBand: true, Reserve: ReserveNone})
		if err != nil {
			return rep, fmt.Errorf("backtest cut-off %s: %w", D, err)
		}
		rep.Cutoffs++
		for _, h := range horizons {
			T := D + Day(h)
			idx := int(T - st.AsOf)
			for mi, m := range backtestMetrics {
				act, ok := actualAt(rows, func(r *OWIDRow) Count { return get(r, m) }, T, opts.MaxGapDays)
				if !ok {
					continue
				}
				var sr *cumSeries
				switch m {
				case "first":
					sr = first
				case "full":
					sr = full
				default:
					sr = total
				}
				if sr == nil || sr.last != L {
					continue // the metric is not known on the last day
				}
				last := sr.at(L)
				var pred float64
				dp := f.National.Days[idx]
				switch m {
				case "first":
					pred = float64(dp.PeopleFirst)
				case "full":
					pred = float64(dp.PeopleFull)
				default:
					pred = last
					for _, d := range f.National.Days[:idx+1] {
						pred += float64(d.First + d.Second + d.Booster)
					}
				}
				rate7 := (last - sr.at(L-7)) / 7
				naive := last + rate7*float64(T-L)
				a := accs[[2]int{h, mi}]
				if a == nil {
					a = &acc{}
					accs[[2]int{h, mi}] = a
				}
				a.model.add(pred, act, last)
				a.naive.add(naive, act, last)
				rep.Points = append(rep.Points, BacktestPoint{Cutoff: D, Target: T, Horizon: h, Metric: m, Last: last, Actual: act, Model: pred, Naive: naive})
			}
		}
	}
	for _, h := range horizons {
		for mi, m := range backtestMetrics {
			if a := accs[[2]int{h, mi}]; a != nil {
				rep.Results = append(rep.Results, BacktestResult{Horizon: h, Metric: m, Model: a.model.stats(), Naive: a.naive.stats()})
			}
		}
	}
	return rep, nil
}

// backtestState builds the one-region state known at L and the estimated
// second-dose show rate.
func backtestState(first, full, total *cumSeries, L Day, o BacktestOptions) (State, float64) {
	val := func(s *cumSeries, d Day) float64 {
		if s == nil {
			return 0
		}
		return s.at(d)
	}
	inc := func(s *cumSeries, d Day) int { return int(math.Round(val(s, d))) - int(math.Round(val(s, d-1))) }
	H := o.HistoryDays
	rs := RegionState{Region: Region{Code: "KZ", Eligible: o.Eligible}, OnHand: map[string]int{"ANY/1": 1 << 40}}
	for d := L - Day(H) + 1; d <= L; d++ {
		f, s := max(0, inc(first, d)), max(0, inc(full, d))
		b := 0
		if total != nil && total.known(d) && total.known(d-1) {
			b = max(0, inc(total, d)-f-s)
		}
		rs.DailyFirst = append(rs.DailyFirst, f)
		rs.DailySecond = append(rs.DailySecond, s)
		rs.DailyBooster = append(rs.DailyBooster, b)
	}
	rs.PeopleFirst = int(math.Round(val(first, L)))
	rs.PeopleFull = int(math.Round(val(full, L)))
	if total != nil && total.known(L) {
		rs.PeopleBooster = max(0, int(math.Round(val(total, L)))-rs.PeopleFirst-rs.PeopleFull)
	}
	I := o.IntervalDays
	outstanding := max(0, rs.PeopleFirst-rs.PeopleFull)
	for d := L; d > L-Day(I) && outstanding > 0; d-- {
		c := min(max(0, inc(first, d)), outstanding)
		if c > 0 {
			rs.Waiting = append(rs.Waiting, Cohort{Product: "ANY", FirstDose: d, People: c})
			outstanding -= c
		}
	}
	show := 0.9
	den := val(first, L-Day(I)) - val(first, L-Day(I)-28)
	if num := val(full, L) - val(full, L-28); den > 0 && num >= 0 {
		show = math.Min(math.Max(num/den, 0.3), 1)
	}
	st := State{AsOf: L + 1, Products: []Product{{Code: "ANY", Components: []string{"1"}, Doses: 2, IntervalDays: I}}, Regions: []RegionState{rs}}
	return st, show
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

type errAcc struct {
	n, incN               int
	ape, ae, bias, incAPE float64
}

func (a *errAcc) add(pred, act, last float64) {
	a.n++
	a.ae += math.Abs(pred - act)
	a.bias += pred - act
	if act > 0 {
		a.ape += math.Abs(pred-act) / act
	}
	if inc := act - last; inc > 0 {
		a.incN++
		a.incAPE += math.Abs((pred-last)-inc) / inc
	}
}

func (a *errAcc) stats() ErrorStats {
	if a.n == 0 {
		return ErrorStats{}
	}
	n := float64(a.n)
	s := ErrorStats{N: a.n, MAPE: 100 * a.ape / n, MAE: a.ae / n, Bias: a.bias / n, IncN: a.incN}
	if a.incN > 0 {
		s.IncMAPE = 100 * a.incAPE / float64(a.incN)
	}
	return s
}
