package vaxtrace_test

import (
	"testing"
	"time"

	vt "vaxtrace"
)

var fridge = vt.Equipment{ID: "F1", Place: "VP-AKM-1", Type: vt.EquipRefrigerator, PQS: "E003/045", MinC: 2, MaxC: 8, NetLitres: 60, Status: vt.StatusWorking, Device: "RTM-1"}
var freezer = vt.Equipment{ID: "Z1", Place: "RW-AKM", Type: vt.EquipFreezer, PQS: "E003/070", MinC: -25, MaxC: -18, NetLitres: 200, Status: vt.StatusWorking, Device: "RTM-2"}

// feed runs readings every step from start at temperature c for d, then one
// reading at end with value last; it returns every change.
func feed(rule vt.AlarmRule, start time.Time, step, d time.Duration, c float64) (*vt.DeviceMachine, []vt.AlarmChange) {
	m := &vt.DeviceMachine{Rule: rule}
	var out []vt.AlarmChange
	for t := start; !t.After(start.Add(d)); t = t.Add(step) {
		out = m.Feed(t, c, out)
	}
	return m, out
}

func TestAlarmRuleBoundaries(t *testing.T) {
	t0 := time.Date(2021, 3, 20, 0, 0, 0, 0, time.UTC)
	fr, fz := vt.AlarmRuleFor(&fridge), vt.AlarmRuleFor(&freezer)
	cases := []struct {
		name  string
		rule  vt.AlarmRule
		step  time.Duration
		span  time.Duration // from the first reading beyond the limit to the last
		c     float64
		alarm string // "" = none
	}{
		{"heat 9 h 59 min above +8 °C: no alarm", fr, time.Minute, 9*time.Hour + 59*time.Minute, 8.1, ""},
		{"heat 10 h above +8 °C: alarm", fr, time.Minute, 10 * time.Hour, 8.1, vt.AlarmHeat},
		{"heat 10 h at 10-minute readings: alarm at the 10 h reading", fr, 10 * time.Minute, 10 * time.Hour, 12, vt.AlarmHeat},
		{"heat 9 h 50 min at 10-minute readings: none", fr, 10 * time.Minute, 9*time.Hour + 50*time.Minute, 12, ""},
		{"exactly +8.0 °C for a day is not above +8", fr, 10 * time.Minute, 24 * time.Hour, 8.0, ""},
		{"freeze 59 min at −0.5 °C: no alarm", fr, time.Minute, 59 * time.Minute, -0.5, ""},
		{"freeze 60 min at −0.5 °C: alarm", fr, time.Minute, 60 * time.Minute, -0.5, vt.AlarmCold},
		{"−0.4 °C for a day is above the freeze threshold", fr, 10 * time.Minute, 24 * time.Hour, -0.4, ""},
		{"+3 °C for a week: nothing", fr, 10 * time.Minute, 7 * 24 * time.Hour, 3, ""},
		{"freezer above −18 °C for 59 min: none", fz, time.Minute, 59 * time.Minute, -17.9, ""},
		{"freezer above −18 °C for 60 min: heat alarm", fz, time.Minute, 60 * time.Minute, -17.9, vt.AlarmHeat},
		{"freezer at exactly −18 °C: within range", fz, 10 * time.Minute, 24 * time.Hour, -18, ""},
		{"freezer colder than its range: no low alarm unless configured", fz, 10 * time.Minute, 24 * time.Hour, -40, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, out := feed(c.rule, t0, c.step, c.span, c.c)
			if c.alarm == "" {
				if len(out) != 0 {
					t.Fatalf("want no alarm, got %+v", out)
				}
				return
			}
			if len(out) != 1 || !out[0].Opened || out[0].Kind != c.alarm {
				t.Fatalf("want one %s alarm, got %+v", c.alarm, out)
			}
			if !out[0].Started.Equal(t0) || !out[0].At.Equal(t0.Add(c.span)) {
				t.Fatalf("alarm from %s at %s, want from %s at %s", out[0].Started, out[0].At, t0, t0.Add(c.span))
			}
			if out[0].Minutes != int(c.span/time.Minute) {
				t.Fatalf("minutes %d, want %d", out[0].Minutes, int(c.span/time.Minute))
			}
		})
	}
}

// An excursion interrupted by one reading in range starts over.
func TestAlarmRuleSingleExcursion(t *testing.T) {
	t0 := time.Date(2021, 3, 20, 0, 0, 0, 0, time.UTC)
	m := &vt.DeviceMachine{Rule: vt.AlarmRuleFor(&fridge)}
	var out []vt.AlarmChange
	for i := 0; i < 6*60; i++ { // 6 h above
		out = m.Feed(t0.Add(time.Duration(i)*time.Minute), 9, out)
	}
	out = m.Feed(t0.Add(6*time.Hour), 7.9, out) // back in range once
	for i := 1; i <= 5*60; i++ {                // 5 h above again: 11 h in total but no single 10 h excursion
		out = m.Feed(t0.Add(6*time.Hour+time.Duration(i)*time.Minute), 9, out)
	}
	if len(out) != 0 {
		t.Fatalf("two excursions of 6 h and 5 h raised %+v", out)
	}
}

// The alarm clears on the first reading back within range, carrying the
// whole excursion's minimum, maximum and length.
func TestAlarmRuleClears(t *testing.T) {
	t0 := time.Date(2021, 3, 20, 0, 0, 0, 0, time.UTC)
	m := &vt.DeviceMachine{Rule: vt.AlarmRuleFor(&freezer)}
	var out []vt.AlarmChange
	temps := []float64{-20, -17, -12, -9, -10, -15, -19}
	for i, c := range temps {
		out = m.Feed(t0.Add(time.Duration(i)*30*time.Minute), c, out)
	}
	if len(out) != 2 {
		t.Fatalf("want open and clear, got %+v", out)
	}
	o, c := out[0], out[1]
	if !o.Opened || o.Kind != vt.AlarmHeat || !o.Started.Equal(t0.Add(30*time.Minute)) || !o.At.Equal(t0.Add(90*time.Minute)) || o.MaxC != -9 {
		t.Fatalf("opened %+v", o)
	}
	if c.Opened || !c.At.Equal(t0.Add(180*time.Minute)) || c.MinC != -17 || c.MaxC != -9 || c.Minutes != 150 {
		t.Fatalf("cleared %+v", c)
	}
	if ok, _ := m.Alarmed(vt.AlarmHeat); ok {
		t.Fatal("machine still holds the alarm")
	}
}

// After a restart the journal's open alarm is restored: the machine does
// not open it again and clears it when the readings return within range.
func TestAlarmRuleRestore(t *testing.T) {
	t0 := time.Date(2021, 3, 20, 0, 0, 0, 0, time.UTC)
	m := &vt.DeviceMachine{Rule: vt.AlarmRuleFor(&freezer)}
	m.Restore(vt.AlarmHeat, t0, -17, -10)
	var out []vt.AlarmChange
	out = m.Feed(t0.Add(2*time.Hour), -12, out)
	if len(out) != 0 {
		t.Fatalf("restored alarm opened again: %+v", out)
	}
	out = m.Feed(t0.Add(3*time.Hour), -20, out)
	if len(out) != 1 || out[0].Opened || !out[0].Started.Equal(t0) || out[0].MaxC != -10 {
		t.Fatalf("want the restored alarm cleared, got %+v", out)
	}
}

func TestCheckReading(t *testing.T) {
	now := time.Date(2021, 3, 22, 12, 0, 0, 0, time.UTC)
	last := now.Add(-10 * time.Minute)
	cases := []struct {
		at     time.Time
		c      float64
		last   time.Time
		reason string
	}{
		{now, 4.5, last, ""},
		{now, -90, last, ""},
		{now, 60, last, ""},
		{now, -90.01, last, vt.RefuseOutOfRange},
		{now, 60.5, last, vt.RefuseOutOfRange},
		{now.Add(vt.ReadingSkew + time.Second), 4, last, vt.RefuseFuture},
		{last, 4, last, vt.RefuseDuplicate},
		{last.Add(-time.Second), 4, last, vt.RefuseOutOfOrder},
		{time.Time{}, 4, time.Time{}, vt.RefuseMalformed},
	}
	for i, c := range cases {
		if got, _ := vt.CheckReading(c.at, c.c, c.last, now); got != c.reason {
			t.Errorf("case %d: reason %q, want %q", i, got, c.reason)
		}
	}
}
