package vaxtrace_test

import (
	"testing"

	vt "vaxtrace"
)

// TestScheduleDaysBounded: a schedule's day counts are added to dates, so a
// product with an absurd interval is refused naming the field instead of
// wrapping a due day; ten years is still accepted.
func TestScheduleDaysBounded(t *testing.T) {
	for _, c := range []struct {
		field string
		set   func(*vt.Product, int)
	}{
		{"interval_days", func(p *vt.Product, n int) { p.IntervalDays = n }},
		{"booster_interval_days", func(p *vt.Product, n int) { p.BoosterIntervalDays = n }},
		{"window_days", func(p *vt.Product, n int) { p.WindowDays = n }},
	} {
		p := sputnik
		c.set(&p, 3650)
		if err := p.Validate(); err != nil {
			t.Errorf("%s of ten years refused: %v", c.field, err)
		}
		c.set(&p, 1<<40)
		if err := p.Validate(); vt.ErrorField(err) != c.field {
			t.Errorf("%s out of bounds: got %v (field %q)", c.field, err, vt.ErrorField(err))
		}
	}
}
