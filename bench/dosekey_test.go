package bench

import (
	"fmt"
	"testing"
)

// doseKey builds the key the bench always gave a person's dose.
func TestDoseKey(t *testing.T) {
	for _, c := range []struct{ k, dose int }{{0, 1}, {7, 2}, {123456789, 2}, {19999999, 1}} {
		if got, want := doseKey(c.k, c.dose), fmt.Sprintf("dose:d%d-%d", c.k, c.dose); got != want {
			t.Errorf("doseKey(%d, %d) = %q, want %q", c.k, c.dose, got, want)
		}
	}
}
