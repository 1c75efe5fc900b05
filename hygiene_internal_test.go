package vaxtrace

import (
	"fmt"
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

// TestTextFastPaths: the written-out checks of a registration and a stock
// adjustment agree with the reflective walk for a bad value in each string
// field and when several are bad (the same field is named first), and
// cover every string field (a new field fails this test until it is added).
func TestTextFastPaths(t *testing.T) {
	for _, tc := range []struct {
		good Payload
		// record returns the struct holding the payload's strings
		record func(payload reflect.Value) reflect.Value
		strs   int
	}{
		{PersonRegistered{Person: Person{ID: PersonID{1}, Family: "F", Sex: "M", Region: "KZ-AKM"}},
			func(v reflect.Value) reflect.Value { return v.Field(0) }, 8},
		{StockAdjusted{Place: "P", Lot: "L", Delta: -1, Reason: "wastage"},
			func(v reflect.Value) reflect.Value { return v }, 4},
	} {
		name := reflect.TypeOf(tc.good).Name()
		with := func(set func(rec reflect.Value)) Payload {
			v := reflect.New(reflect.TypeOf(tc.good)).Elem()
			v.Set(reflect.ValueOf(tc.good))
			set(tc.record(v))
			return v.Interface().(Payload)
		}
		agree := func(what string, p Payload) {
			fast, slow := CheckPayloadText(p), walkText(reflect.ValueOf(p), "")
			if (fast == nil) != (slow == nil) || fast != nil && fast.Error() != slow.Error() {
				t.Errorf("%s %s: fast path %v, walk %v", name, what, fast, slow)
			}
		}
		rec := tc.record(reflect.ValueOf(tc.good))
		strs := 0
		for i := 0; i < rec.NumField(); i++ {
			if rec.Field(i).Kind() != reflect.String {
				continue
			}
			strs++
			for _, bad := range []string{"a\x00", " ", "a/b", "\xff", "ok", "\ufffd"} {
				agree(fmt.Sprintf("%s = %q", rec.Type().Field(i).Name, bad), with(func(r reflect.Value) { r.Field(i).SetString(bad) }))
			}
		}
		for from := 0; from < rec.NumField(); from++ {
			agree(fmt.Sprintf("every string field from %d on bad", from), with(func(r reflect.Value) {
				for i := from; i < r.NumField(); i++ {
					if r.Field(i).Kind() == reflect.String {
						r.Field(i).SetString(fmt.Sprintf("bad\x01%d", i))
					}
				}
			}))
		}
		if strs != tc.strs {
			t.Errorf("%s has %d string fields; the fast path knows %d", name, strs, tc.strs)
		}
	}
}

// BenchmarkPayloadText measures the text checks of the hot payloads, the
// written-out paths against the reflective walk they replace.
func BenchmarkPayloadText(b *testing.B) {
	for _, p := range []Payload{
		PersonRegistered{Person: Person{ID: PersonID{1}, IINSealed: "sealedsealedsealed", Family: "Family", Given: "Given", Sex: "F", Region: "KZ-AKM"}},
		StockAdjusted{Place: "VP-AKM-0001", Lot: "FIX-I", Delta: -1, Reason: "wastage"},
	} {
		name := reflect.TypeOf(p).Name()
		b.Run(name+"/fast", func(b *testing.B) {
			for b.Loop() {
				_ = CheckPayloadText(p)
			}
		})
		b.Run(name+"/walk", func(b *testing.B) {
			for b.Loop() {
				_ = walkText(reflect.ValueOf(p), "")
			}
		})
	}
}
