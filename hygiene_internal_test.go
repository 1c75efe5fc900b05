package vaxtrace

import (
	"reflect"
	"testing"
)

// TestDoseTextFastPath: the written-out dose check agrees with the
// reflective walk for a bad value in each field, and covers every string
// field of DoseAdministered (a new field fails this test until it is added).
func TestDoseTextFastPath(t *testing.T) {
	typ := reflect.TypeOf(DoseAdministered{})
	strs := 0
	for i := 0; i < typ.NumField(); i++ {
		if typ.Field(i).Type.Kind() != reflect.String {
			continue
		}
		strs++
		for _, bad := range []string{"a\x00", " ", "a/b", "\xff", "ok"} {
			d := DoseAdministered{ID: "d1", Place: "P", Lot: "L", Vaccinator: "n"}
			reflect.ValueOf(&d).Elem().Field(i).SetString(bad)
			fast, slow := checkDoseText(d), walkText(reflect.ValueOf(d), "")
			if (fast == nil) != (slow == nil) || fast != nil && ErrorField(fast) != ErrorField(slow) {
				t.Errorf("%s = %q: fast path %v, walk %v", typ.Field(i).Name, bad, fast, slow)
			}
		}
	}
	if strs != 7 {
		t.Fatalf("DoseAdministered has %d string fields; checkDoseText knows 7", strs)
	}
}
