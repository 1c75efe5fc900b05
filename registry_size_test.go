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
		{"DoseState", unsafe.Sizeof(vt.DoseState{}), 88},
		{"PersonState", unsafe.Sizeof(vt.PersonState{}), 64},
	} {
		if c.got > c.want {
			t.Errorf("%s is %d bytes, more than the %d the registry's memory budget allows", c.name, c.got, c.want)
		}
	}
}

// A person record holds no pointer (its text is in an arena, the record
// it was merged into is a position): the collector then never scans the
// chunks of tens of millions of them.
func TestPersonStateHoldsNoPointers(t *testing.T) {
	if path, ok := pointerIn(reflect.TypeFor[vt.PersonState](), "PersonState"); ok {
		t.Errorf("%s holds a pointer: keep person records pointer-free (a position or an arena ref instead)", path)
	}
}

// pointerIn returns the path of the first field of t that is or holds a
// pointer (strings, slices, maps, interfaces and funcs all do).
func pointerIn(t reflect.Type, path string) (string, bool) {
	switch t.Kind() {
	case reflect.Pointer, reflect.UnsafePointer, reflect.String, reflect.Slice, reflect.Map, reflect.Chan, reflect.Func, reflect.Interface:
		return path, true
	case reflect.Array:
		if t.Len() > 0 {
			return pointerIn(t.Elem(), path+"[]")
		}
	case reflect.Struct:
		for i := range t.NumField() {
			if p, ok := pointerIn(t.Field(i).Type, path+"."+t.Field(i).Name); ok {
				return p, true
			}
		}
	}
	return "", false
}
