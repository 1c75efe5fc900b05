package plan

import "math"

// UptakeModel projects doses per day from a history of doses per day. It is
// the single uptake model of the package: Forecast uses it for first doses
// and boosters of every region, and Backtest runs Forecast, so the backtest
// measures this code.
//
// The current rate r1 is the mean of the last Window days. The trend is the
// daily growth factor g = (r1/r0)^(1/Window), where r0 is the mean of the
// Window days before (a log-linear trend over 2·Window days), clamped to
// [1-MaxDecline, 1+MaxGrowth]. The projected rate k days after the history
// ends is r1·g^E(k), where E sums Damping^j over the days from the middle of
// the last window to day k, so the trend fades with the horizon (Damping 1
// keeps it for ever).
type UptakeModel struct {
	Window     int     // days per averaging window; default 7
	MaxGrowth  float64 // cap on daily growth, default 0.05 (5 %/day)
	MaxDecline float64 // cap on daily decline, default 0.05
	Damping    float64 // per-day trend damping in (0,1]; default 0.9
}

func (m UptakeModel) withDefaults() UptakeModel {
	if m.Window <= 0 {
		m.Window = 7
	}
	if m.MaxGrowth <= 0 {
		m.MaxGrowth = 0.05
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
