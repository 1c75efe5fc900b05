package vaxtrace_test

import (
	"testing"
	"unsafe"

	vt "vaxtrace"
)

// The registry holds one PersonState per person and one DoseState per dose
// (tens of millions of each), so a field added to either costs gigabytes
// at national scale. These are the sizes the memory budget was measured
// with (BenchmarkRegistryMemory); growing a record must be a decision, made
// here with the new figure.
func TestRegistryRecordSizes(t *testing.T) {
	for _, c := range []struct {
		name      string
		got, want uintptr
	}{
		{"DoseState", unsafe.Sizeof(vt.DoseState{}), 88},
		{"PersonState", unsafe.Sizeof(vt.PersonState{}), 88},
	} {
		if c.got > c.want {
			t.Errorf("%s is %d bytes, more than the %d the registry's memory budget allows", c.name, c.got, c.want)
		}
	}
}
