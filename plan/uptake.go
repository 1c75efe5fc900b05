package plan

import "math"

// UptakeModel projects first doses (and, without a booster pool, boosters)
// per day from a history of doses per day. It is the single uptake model of
// the package: Forecast uses it for every region, and Backtest runs
// Forecast, so the backtest measures this code.
//
// The current rate r1 is the mean of the last Window days. The trend is the
// daily growth factor g = (r1/r0)^(1/Window), where r0 is the mean of the
// Window days before (a log-linear trend over 2·Window days), clamped to
// [1-MaxDecline, 1+MaxGrowth]. The projected rate k days after the history
// ends is r1·g^E(k), where E sums Damping^j over the days from the middle of
// the last window to day k, so the trend fades with the horizon (Damping 1
// keeps it for ever).
//
// With Saturate, demand also saturates: the people still to reach are a
// pool (Region.Eligible, the sum of each age group's uptake ceiling, less
// those already vaccinated), and a day's demand is at most the recent
// share of that pool coming forward each day (r1 / pool at the cut-off)
// times what is left of it. A region whose groups are nearly all reached
// slows down on its own.
type UptakeModel struct {
	Window int // days per averaging window; default 7
	// MaxGrowth caps daily growth; default 0.05 (5 %/day). A negative value
	// means no growth is extrapolated (Calibrated does that: the backtest
	// shows rises are driven by events the series does not carry).
	MaxGrowth  float64
	MaxDecline float64 // cap on daily decline, default 0.05
	Damping    float64 // per-day trend damping in (0,1]; default 0.9
	Saturate   bool    // cap demand by the remaining eligible pool
}

// Calibrated is the uptake model the planner and the backtest use: a
// decline is extrapolated (damped), a rise is not, and demand saturates.
// Window, MaxDecline and Damping are the package defaults, not fitted to
// the backtest. With Saturate and a known pool a day's demand never
// exceeds the recent rate (the hazard cap is r1 at the cut-off and shrinks
// with the pool), so no rise is extrapolated whatever MaxGrowth says;
// MaxGrowth -1 keeps it so for a region whose pool is unknown. The backtest
// (README) measured the alternatives: extrapolating rises, without
// saturation, does worse.
var Calibrated = UptakeModel{Window: 7, MaxGrowth: -1, MaxDecline: 0.05, Damping: 0.9, Saturate: true}

func (m UptakeModel) withDefaults() UptakeModel {
	if m.Window <= 0 {
		m.Window = 7
	}
	switch {
	case m.MaxGrowth == 0:
		m.MaxGrowth = 0.05
	case m.MaxGrowth < 0:
		m.MaxGrowth = 0
	}
	if m.MaxDecline <= 0 {
		m.MaxDecline = 0.05
	}
	if m.MaxDecline > 1 {
		m.MaxDecline = 1
	}
	if m.Damping <= 0 || m.Damping > 1 {
		m.Damping = 0.9
	}
	return m
}

// recent is the mean of the last w days of history (missing days count as 0).
func recent(history []int, w int) float64 {
	s := 0
	for i := len(history) - w; i < len(history); i++ {
		if i >= 0 {
			s += history[i]
		}
	}
	return float64(s) / float64(w)
}

// Project returns the projected rate for each of the n days after the
// history, appending to out[:0].
func (m UptakeModel) Project(history []int, n int, out []float64) []float64 {
	m = m.withDefaults()
	out = out[:0]
	w := m.Window
	mean := func(from, to int) float64 { // history[from:to], missing days count as 0
		s := 0
		for i := from; i < to; i++ {
			if i >= 0 && i < len(history) {
				s += history[i]
			}
		}
		return float64(s) / float64(to-from)
	}
	L := len(history)
	r1 := mean(L-w, L)
	r0 := mean(L-2*w, L-w)
	g := 1.0
	switch {
	case r1 <= 0:
		g = 1
	case r0 <= 0:
		g = 1 + m.MaxGrowth
	default:
		g = math.Pow(r1/r0, 1/float64(w))
	}
	g = math.Min(math.Max(g, 1-m.MaxDecline), 1+m.MaxGrowth)
	lg := 0.0
	if g > 0 {
		lg = math.Log(g)
	}
	lag := (w + 1) / 2 // days from the middle of the last window to day 0
	e, pw := 0.0, 1.0
	for j := 1; j < lag; j++ {
		pw *= m.Damping
		e += pw
	}
	for k := 0; k < n; k++ {
		pw *= m.Damping
		e += pw
		r := r1
		if g <= 0 {
			r = 0
		} else if lg != 0 {
			r = r1 * math.Exp(lg*e)
		}
		out = append(out, r)
	}
	return out
}

// Hazard is the share of the remaining pool that came forward per day over
// the last Window days of history (0 when the pool is empty).
func (m UptakeModel) Hazard(history []int, pool int) float64 {
	m = m.withDefaults()
	if pool <= 0 {
		return 0
	}
	return recent(history, m.Window) / float64(pool)
}

// CompletionRate estimates the share of the people due a second dose who
// get it each day: second doses over the last `window` days divided by the
// people who were due on those days (first dose at least `interval` days
// before, no second dose yet). histories end the day before the cut-off;
// peopleFirst and peopleFull are the cumulative counts at the end of that
// day. It returns 1 (everyone due is served on the due day, the schedule)
// when the history is too short or nobody was due, and stays in [0.01, 1].
// Backtest and the live adapter both use it, so what the backtest measures
// is what the planner runs.
func CompletionRate(dailyFirst, dailySecond []int, peopleFirst, peopleFull, interval, window int) float64 {
	H := min(len(dailyFirst), len(dailySecond))
	if window < 1 || interval < 1 || H < window+interval {
		return 1
	}
	// cum[i] is the cumulative count at the end of history day i (0..H-1).
	cumF := cumulative(dailyFirst[len(dailyFirst)-H:], peopleFirst)
	cumS := cumulative(dailySecond[len(dailySecond)-H:], peopleFull)
	var num, den float64
	for d := H - window; d < H; d++ {
		num += float64(dailySecond[len(dailySecond)-H+d])
		if p := cumF[d-interval] - cumS[d-1]; p > 0 {
			den += float64(p)
		}
	}
	if den <= 0 {
		return 1
	}
	return math.Min(math.Max(num/den, 0.01), 1)
}

// cumulative returns the running totals at the end of each day of daily,
// given the total at the end of its last day.
func cumulative(daily []int, last int) []int {
	out := make([]int, len(daily))
	v := last
	for i := len(daily) - 1; i >= 0; i-- {
		out[i] = v
		v -= daily[i]
	}
	return out
}
