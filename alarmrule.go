package vaxtrace

import (
	"math"
	"time"
)

// The alarm rules of a 30-day electronic temperature recorder (WHO PQS
// E006/TR06, the defaults a Fridge-tag 2 ships with): a heat alarm when a
// single excursion stays above +8 °C for 10 hours, a freeze alarm when one
// stays at or below −0.5 °C for 60 minutes. Freezers are judged by their
// own range: a heat alarm when the temperature stays above the freezer's
// maximum (−18 °C or colder for Sputnik V) for 60 minutes, no low alarm
// unless one is configured. Durations can be overridden per equipment.
//
// DeviceMachine applies one rule to one device's readings as they arrive.
// It is pure: feed it readings in time order and it says when an alarm
// opens and when it clears. An excursion lasts from the first reading beyond
// the limit to the reading that returns within it; gaps between readings
// count as part of the excursion when the readings on both sides are beyond
// the limit (the safe assumption for vaccine).

// Defaults (minutes).
const (
	DefaultHeatMinutes       = 600 // 10 h above +8 °C
	DefaultFreezeMinutes     = 60  // 1 h at or below −0.5 °C
	DefaultFreezerHeatMinute = 60  // 1 h above a freezer's maximum
	FreezeThresholdC         = -0.5
)

// AlarmRule is what counts as an alarm for one piece of equipment.
type AlarmRule struct {
	HeatAboveC     float64       `json:"heat_above_c"`       // strictly above
	HeatFor        time.Duration `json:"heat_for"`           // for at least this long
	ColdAtOrBelowC float64       `json:"cold_at_or_below_c"` // at or below
	ColdFor        time.Duration `json:"cold_for"`           // 0: no low alarm
}

// AlarmRuleFor derives the rule of a piece of equipment from its range and
// class (see the package comment above).
func AlarmRuleFor(e *Equipment) AlarmRule {
	minutes := func(v, def int) time.Duration {
		if v > 0 {
			return time.Duration(v) * time.Minute
		}
		return time.Duration(def) * time.Minute
	}
	if e.Frozen() {
		r := AlarmRule{HeatAboveC: e.MaxC, HeatFor: minutes(e.HeatMinutes, DefaultFreezerHeatMinute)}
		if e.ColdMinutes > 0 {
			r.ColdAtOrBelowC, r.ColdFor = e.MinC, time.Duration(e.ColdMinutes)*time.Minute
		}
		return r
	}
	return AlarmRule{
		HeatAboveC: e.MaxC, HeatFor: minutes(e.HeatMinutes, DefaultHeatMinutes),
		ColdAtOrBelowC: FreezeThresholdC, ColdFor: minutes(e.ColdMinutes, DefaultFreezeMinutes),
	}
}

// AlarmChange is what a reading changed: an alarm opened or cleared.
type AlarmChange struct {
	Kind    string    // AlarmHeat or AlarmCold
	Opened  bool      // false: cleared
	Started time.Time // first reading beyond the limit
	At      time.Time // the reading that opened or cleared it
	MinC    float64   // observed over the excursion up to At
	MaxC    float64
	Minutes int // excursion length at At
}

// excursionRun follows one side of the range.
type excursionRun struct {
	active   bool
	alarmed  bool
	since    time.Time
	min, max float64
}

// DeviceMachine evaluates one device's readings against a rule.
type DeviceMachine struct {
	Rule  AlarmRule
	Last  time.Time // time of the last reading fed
	LastC float64
	heat  excursionRun
	cold  excursionRun
}

// Alarmed reports which alarms the machine holds open (for reconciling with
// the journal after a restart).
func (m *DeviceMachine) Alarmed(kind string) (bool, time.Time) {
	r := m.run(kind)
	return r.alarmed, r.since
}

func (m *DeviceMachine) run(kind string) *excursionRun {
	if kind == AlarmCold {
		return &m.cold
	}
	return &m.heat
}

// Feed applies one reading (at must be after the previous one; the caller
// refuses readings out of order) and appends what changed to out.
func (m *DeviceMachine) Feed(at time.Time, c float64, out []AlarmChange) []AlarmChange {
	m.Last, m.LastC = at, c
	out = m.step(&m.heat, AlarmHeat, c > m.Rule.HeatAboveC, m.Rule.HeatFor, at, c, out)
	if m.Rule.ColdFor > 0 {
		out = m.step(&m.cold, AlarmCold, c <= m.Rule.ColdAtOrBelowC, m.Rule.ColdFor, at, c, out)
	}
	return out
}

func (m *DeviceMachine) step(r *excursionRun, kind string, beyond bool, limit time.Duration, at time.Time, c float64, out []AlarmChange) []AlarmChange {
	if !beyond {
		if r.alarmed {
			out = append(out, AlarmChange{Kind: kind, Opened: false, Started: r.since, At: at, MinC: r.min, MaxC: r.max, Minutes: minutesBetween(r.since, at)})
		}
		*r = excursionRun{}
		return out
	}
	if !r.active {
		*r = excursionRun{active: true, since: at, min: c, max: c}
	} else {
		r.min, r.max = math.Min(r.min, c), math.Max(r.max, c)
	}
	if !r.alarmed && at.Sub(r.since) >= limit {
		r.alarmed = true
		out = append(out, AlarmChange{Kind: kind, Opened: true, Started: r.since, At: at, MinC: r.min, MaxC: r.max, Minutes: minutesBetween(r.since, at)})
	}
	return out
}

// Restore marks an alarm the journal holds open, so that the machine clears
// it (and does not open it again) once the readings return within range.
func (m *DeviceMachine) Restore(kind string, since time.Time, minC, maxC float64) {
	r := m.run(kind)
	if r.alarmed {
		return
	}
	*r = excursionRun{active: true, alarmed: true, since: since, min: minC, max: maxC}
}

func minutesBetween(a, b time.Time) int { return int(b.Sub(a) / time.Minute) }
