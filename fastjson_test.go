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

func TestDoseDecodeMatchesReflection(t *testing.T) {
	type plain vt.DoseAdministered
	inputs := []string{
		`{"id":"a","person":"00112233445566778899aabbccddeeff","at":"2021-03-19T10:00:00Z","place":"VP","lot":"L","vaccinator":"n"}`,
		`{ "id" : "a\"b\u00e9", "person":"00112233445566778899aabbccddeeff","at":"2021-03-19T10:00:00.123+06:00","place":"VP","lot":"L","product":"p","component":"II","vaccinator":"Әсел","override":"x" }`,
		`{"id":"a","person":"00112233445566778899aabbccddeeff","at":"2021-03-19T10:00:00Z","place":"VP","lot":"L","vaccinator":"n","extra":5}`,
		`{"id":"a","person":"zz","at":"2021-03-19T10:00:00Z"}`,
		`{"id":1}`,
		`{}`,
	}
	for _, in := range inputs {
		var fast vt.DoseAdministered
		var ref plain
		ferr := json.Unmarshal([]byte(in), &fast)
		rerr := json.Unmarshal([]byte(in), &ref)
		if (ferr == nil) != (rerr == nil) {
			t.Fatalf("%s: fast err %v, reflective err %v", in, ferr, rerr)
		}
		if ferr == nil && !reflect.DeepEqual(fast, vt.DoseAdministered(ref)) {
			t.Fatalf("%s:\nfast %+v\nref  %+v", in, fast, ref)
		}
	}
}

func FuzzDoseDecode(f *testing.F) {
	f.Add(`{"id":"a","person":"00112233445566778899aabbccddeeff","at":"2021-03-19T10:00:00Z","place":"VP","lot":"L","vaccinator":"n"}`)
	f.Add(`{"id":"\u0041","at":"x"}`)
	f.Fuzz(func(t *testing.T, in string) {
		type plain vt.DoseAdministered
		var fast vt.DoseAdministered
		var ref plain
		ferr := json.Unmarshal([]byte(in), &fast)
		rerr := json.Unmarshal([]byte(in), &ref)
		if (ferr == nil) != (rerr == nil) {
			t.Fatalf("%q: fast err %v, reflective err %v", in, ferr, rerr)
		}
		if ferr == nil && !reflect.DeepEqual(fast, vt.DoseAdministered(ref)) {
			t.Fatalf("%q differs", in)
		}
	})
}

// The hand-written encoder writes exactly what encoding/json writes.
func FuzzDoseEncode(f *testing.F) {
	f.Add("id", "VP-1", "nurse\x7f", "<&>", "\u2028\xff")
	f.Fuzz(func(t *testing.T, id, place, vacc, lot, override string) {
		type plain vt.DoseAdministered
		d := vt.DoseAdministered{ID: id, Person: pid(1), At: time.Date(2021, 3, 19, 10, 0, 0, 5, time.UTC), Place: place, Lot: lot, Vaccinator: vacc, Override: override}
		fast, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		ref, _ := json.Marshal(plain(d))
		if string(fast) != string(ref) {
			t.Fatalf("\nfast %s\nref  %s", fast, ref)
		}
	})
}

func FuzzAdjustmentEncode(f *testing.F) {
	f.Add("VP-1", "L", int64(-3), "wastage", "broken <vial> & \x00")
	f.Fuzz(func(t *testing.T, place, lot string, delta int64, reason, note string) {
		type plain vt.StockAdjusted
		a := vt.StockAdjusted{Place: place, Lot: lot, Delta: delta, Reason: reason, Note: note, Occurred: time.Date(2021, 3, 19, 10, 0, 0, 7, time.FixedZone("ALMT", 6*3600))}
		fast, err := json.Marshal(a)
		if err != nil {
			t.Fatal(err)
		}
		ref, _ := json.Marshal(plain(a))
		if string(fast) != string(ref) {
			t.Fatalf("\nfast %s\nref  %s", fast, ref)
		}
	})
}

func FuzzPersonDecode(f *testing.F) {
	f.Add(`{"person":{"id":"00112233445566778899aabbccddeeff","iin_sealed":"abc","family":"Иванова","given":"Olga","birth_date":"1980-02-29","sex":"F","region":"KZ-AKM","group":"teacher"}}`)
	f.Add(`{"person":{"id":"00112233445566778899aabbccddeeff","birth_date":"1980-02-30"}}`)
	f.Add(`{"person":{"id":"00112233445566778899AABBCCDDEEFF"}} `)
	f.Fuzz(func(t *testing.T, in string) {
		type plain vt.PersonRegistered
		var fast vt.PersonRegistered
		var ref plain
		ferr := json.Unmarshal([]byte(in), &fast)
		rerr := json.Unmarshal([]byte(in), &ref)
		if (ferr == nil) != (rerr == nil) {
			t.Fatalf("%q: fast err %v, reflective err %v", in, ferr, rerr)
		}
		if ferr == nil && !reflect.DeepEqual(fast, vt.PersonRegistered(ref)) {
			t.Fatalf("%q:\nfast %+v\nref  %+v", in, fast, ref)
		}
	})
}
