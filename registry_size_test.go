package vaxtrace_test

import (
	"reflect"
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
		{"DoseState", unsafe.Sizeof(vt.DoseState{}), 64},
		{"PersonState", unsafe.Sizeof(vt.PersonState{}), 88},
	} {
		if c.got > c.want {
			t.Errorf("%s is %d bytes, more than the %d the registry's memory budget allows", c.name, c.got, c.want)
		}
	}
}

// A dose record holds no pointers (its id, person, place, lot and rare text
// are refs and positions), so the chunks of the dose table are memory the
// collector never scans: with tens of millions of doses, a pointer added to
// the record would make every collection walk all of them again.
func TestDoseRecordHasNoPointers(t *testing.T) {
	if path, kind, ok := pointerIn(reflect.TypeFor[vt.DoseState](), "DoseState"); ok {
		t.Errorf("%s is a %s: a dose record must hold no pointers (use a position or an arena ref)", path, kind)
	}
}

// pointerIn returns the first field of t that is or holds a pointer.
func pointerIn(t reflect.Type, path string) (string, reflect.Kind, bool) {
	switch t.Kind() {
	case reflect.Struct:
		for i := range t.NumField() {
			f := t.Field(i)
			if p, k, ok := pointerIn(f.Type, path+"."+f.Name); ok {
				return p, k, true
			}
		}
		return "", 0, false
	case reflect.Array:
		return pointerIn(t.Elem(), path+"[]")
	case reflect.Pointer, reflect.UnsafePointer, reflect.Map, reflect.Slice, reflect.String, reflect.Interface, reflect.Chan, reflect.Func:
		return path, t.Kind(), true
	}
	return "", 0, false
}
