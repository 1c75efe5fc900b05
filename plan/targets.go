package plan

import "math"

func (sm *sim) limitOf(demand, shortSupply, shortReserve int) string {
	short := shortSupply + shortReserve
	if short == 0 || float64(short) <= sm.opts.ShortfallTolerance*float64(demand) {
		return LimitUptake
	}
	if shortReserve > shortSupply {
		return LimitSecondDoses
	}
	return LimitSupply
}

func (sm *sim) periods(res runResult) []PeriodLimit {
	var out []PeriodLimit
	all := append([]Series{res.national}, res.regions...)
	for _, se := range all {
		for from := 0; from < sm.H; from += sm.opts.PeriodDays {
			to := min(from+sm.opts.PeriodDays, sm.H)
			pl := PeriodLimit{Region: se.Region, From: sm.s.AsOf + Day(from), To: sm.s.AsOf + Day(to-1)}
			for _, d := range se.Days[from:to] {
				pl.FirstDemand += d.FirstDemand
				pl.First += d.First
				pl.ShortSupply += d.ShortSupply
				pl.ShortReserve += d.ShortReserve
			}
			pl.Limit = sm.limitOf(pl.FirstDemand, pl.ShortSupply, pl.ShortReserve)
			out = append(out, pl)
		}
	}
	return out
}

// histSum sums the history of measure over [from, to] (days before AsOf) for
// region index r (sm.R = national).
func (sm *sim) histSum(r int, measure string, from, to Day) int {
	asOf := sm.s.AsOf
	if to >= asOf {
		to = asOf - 1
	}
	sum := 0
	for i, rs := range sm.s.Regions {
		if r != sm.R && r != i {
			continue
		}
		h := rs.DailyFirst
		switch measure {
		case MeasureFull:
			h = rs.DailySecond
		case MeasureBooster:
			h = rs.DailyBooster
		}
		lo := from
		if hs := asOf - Day(len(h)); lo < hs {
			lo = hs
		}
		for d := lo; d <= to; d++ {
			j := len(h) - int(asOf-d)
			if j >= 0 && j < len(h) {
				sum += h[j]
			}
		}
	}
	return sum
}

func dayDoses(d *DayPoint, measure string) int {
	switch measure {
	case MeasureFull:
		return d.Second
	case MeasureBooster:
		return d.Booster
	}
	return d.First
}

func dayPeople(d *DayPoint, measure string) int {
	switch measure {
	case MeasureFull:
		return d.PeopleFull
	case MeasureBooster:
		return d.PeopleBooster
	}
	return d.PeopleFirst
}

func (sm *sim) current(r int, measure string) int {
	n := 0
	for i, rs := range sm.s.Regions {
		if r != sm.R && r != i {
			continue
		}
		switch measure {
		case MeasureFull:
			n += rs.PeopleFull
		case MeasureBooster:
			n += rs.PeopleBooster
		default:
			n += rs.PeopleFirst
		}
	}
	return n
}

// valueAt is the target count on day d (d >= t.From).
func (sm *sim) valueAt(days []DayPoint, r int, t Target, d Day) int {
	asOf := sm.s.AsOf
	if t.Cumulative {
		if d < asOf {
			return sm.current(r, t.Measure) - sm.histSum(r, t.Measure, d+1, asOf-1)
		}
		if len(days) == 0 {
			return 0
		}
		i := min(int(d-asOf), len(days)-1)
		return dayPeople(&days[i], t.Measure)
	}
	v := sm.histSum(r, t.Measure, t.From, d)
	for i := max(t.From, asOf); i <= d && int(i-asOf) < len(days); i++ {
		v += dayDoses(&days[i-asOf], t.Measure)
	}
	return v
}

func (sm *sim) seriesOf(res runResult, r int) []DayPoint {
	if r == sm.R {
		return res.national.Days
	}
	if r < len(res.regions) {
		return res.regions[r].Days
	}
	return nil
}

func (sm *sim) evalTarget(t Target, main, smax, donly, opt, pes runResult, band bool) TargetResult {
	r := sm.regionIndex(t.Region)
	out := TargetResult{Target: t}
	last := sm.s.AsOf + Day(sm.H-1)
	end := t.To
	if end > last {
		end = last
		out.BeyondHorizon = true
	}
	days := sm.seriesOf(main, r)
	start := t.From
	if hs := sm.s.AsOf - Day(sm.maxHistory()); start < hs {
		start = hs // earlier days hold no history to count
	}
	for d := start; d <= end; d++ {
		if sm.valueAt(days, r, t, d) >= t.Value {
			out.Reached, out.Date = true, d
			break
		}
	}
	out.Value = sm.valueAt(days, r, t, end)
	if !out.Reached {
		out.Shortfall = t.Value - out.Value
	}
	sdays := sm.seriesOf(smax, r)
	out.SupplyMax = sm.valueAt(sdays, r, t, end)
	if !t.Cumulative {
		// Stock the unlimited-demand run used before the window could have
		// been kept for it: the most the window can get is the supply-limited
		// cumulative by its end less what the main run gives before it.
		for d := sm.s.AsOf; d < t.From && int(d-sm.s.AsOf) < len(days); d++ {
			i := int(d - sm.s.AsOf)
			out.SupplyMax += dayDoses(&sdays[i], t.Measure) - dayDoses(&days[i], t.Measure)
		}
	}
	out.DemandOnly = sm.valueAt(sm.seriesOf(donly, r), r, t, end)
	if band {
		out.Optimistic = sm.valueAt(sm.seriesOf(opt, r), r, t, end)
		out.Pessimistic = sm.valueAt(sm.seriesOf(pes, r), r, t, end)
	}
	// First-dose components: stock at AsOf and arrivals by To.
	for _, p := range sm.prods {
		key := sm.keys[p.k1]
		out.FirstDoseStock += sm.s.National[key]
		for i, rs := range sm.s.Regions {
			if r == sm.R || r == i {
				out.FirstDoseStock += rs.OnHand[key]
			}
		}
		c := main.arrCum[p.k1]
		hi := min(int(t.To-sm.s.AsOf)+1, len(c)-1)
		if hi > 0 {
			out.FirstDoseArrivals += c[hi]
		}
	}
	demand, unmet2 := 0, 0
	for d := max(t.From, sm.s.AsOf); d <= end; d++ {
		dp := &days[d-sm.s.AsOf]
		demand += dp.FirstDemand
		out.WindowShortSupply += dp.ShortSupply
		out.WindowShortReserve += dp.ShortReserve
		unmet2 += dp.SecondUnmet
	}
	switch t.Measure {
	case MeasureFull:
		out.Binding = LimitUptake
		if unmet2 > 0 {
			out.Binding = LimitSupply
		}
	default:
		out.Binding = sm.limitOf(demand, out.WindowShortSupply, out.WindowShortReserve)
	}
	if r == sm.R && t.Measure != MeasureFull {
		for _, rs := range main.regions {
			wl := WindowLimit{Region: rs.Region}
			for d := max(t.From, sm.s.AsOf); d <= end; d++ {
				dp := &rs.Days[d-sm.s.AsOf]
				wl.FirstDemand += dp.FirstDemand
				wl.First += dp.First
				wl.ShortSupply += dp.ShortSupply
				wl.ShortReserve += dp.ShortReserve
			}
			wl.Limit = sm.limitOf(wl.FirstDemand, wl.ShortSupply, wl.ShortReserve)
			out.Regions = append(out.Regions, wl)
		}
	}
	sm.band(&out, r, end)
	return out
}

// band sets the target's honest range: the forecast part of the value
// (what is still to come after AsOf) between the pessimistic and optimistic
// arrival runs, widened by the model's measured error at the horizon of
// the window's end.
func (sm *sim) band(out *TargetResult, r int, end Day) {
	t := out.Target
	known := 0 // the part of the value already in the history
	if t.Cumulative {
		known = sm.current(r, t.Measure)
	} else {
		known = sm.histSum(r, t.Measure, t.From, sm.s.AsOf-1)
	}
	lo, hi := out.Value, out.Value
	if out.Optimistic != 0 || out.Pessimistic != 0 {
		lo, hi = min(lo, out.Pessimistic, out.Optimistic), max(hi, out.Pessimistic, out.Optimistic)
	}
	out.BandLow, out.BandHigh = lo, hi
	eb := pickBand(sm.opts.ErrorBands, kindOf(t.Measure), int(end-sm.s.AsOf)+1)
	if eb == nil {
		return
	}
	out.ErrorBand = eb
	out.BandLow = known + max(0, int(math.Round(float64(lo-known)*(1+eb.Lo))))
	out.BandHigh = known + max(0, int(math.Round(float64(hi-known)*(1+eb.Hi))))
}

// kindOf maps a target measure to the backtest's dose kind.
func kindOf(measure string) string {
	switch measure {
	case MeasureFull:
		return KindCompleted
	case MeasureBooster:
		return KindBooster
	}
	return KindFirst
}

// pickBand returns the error band of kind for the shortest horizon at
// least h days (the longest one when none is that long).
func pickBand(bands []ErrorBand, kind string, h int) *ErrorBand {
	var best *ErrorBand
	for i := range bands {
		b := &bands[i]
		if b.Kind != kind {
			continue
		}
		switch {
		case best == nil:
			best = b
		case best.Horizon < h && b.Horizon > best.Horizon:
			best = b
		case b.Horizon >= h && b.Horizon < best.Horizon:
			best = b
		}
	}
	return best
}

func (sm *sim) maxHistory() int {
	n := 1
	for _, rs := range sm.s.Regions {
		n = max(n, len(rs.DailyFirst), len(rs.DailySecond), len(rs.DailyBooster))
	}
	return n
}
