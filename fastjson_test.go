package vaxtrace_test

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	vt "vaxtrace"
)

// The hand-written encoder must round-trip through encoding/json.
func TestDoseJSONRoundTrip(t *testing.T) {
	cases := []vt.DoseAdministered{
		{ID: "a\"b\\c\u2028", Person: pid(3), At: time.Date(2021, 3, 19, 10, 4, 5, 123456789, time.UTC), Place: "VP-1", Lot: "L", Vaccinator: "Әсел"},
		{ID: "x", Person: pid(9), At: time.Date(2021, 3, 19, 10, 0, 0, 0, time.FixedZone("ALMT", 6*3600)), Place: "VP", Lot: "L", Product: "p", Component: "I", Vaccinator: "v", Override: "travel"},
	}
	for _, d := range cases {
		b, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		if !json.Valid(b) {
			t.Fatalf("invalid JSON %s", b)
		}
		var back vt.DoseAdministered
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if !back.At.Equal(d.At) {
			t.Fatalf("time %v != %v", back.At, d.At)
		}
		back.At = d.At
		if !reflect.DeepEqual(back, d) {
			t.Fatalf("round trip\n%+v\n%+v", back, d)
		}
	}
}
