package vaxtrace_test

import (
	"strings"
	"testing"
	"time"

	vt "vaxtrace"
)

// TestHygiene: text that is not text, ids that break URLs and writes that
// contradict themselves are refused with the field named.
func TestHygiene(t *testing.T) {
	at := t0.AddDate(0, -2, 0).Add(4 * time.Hour)
	person := func(family, given string) vt.Payload {
		return vt.PersonRegistered{Person: vt.Person{ID: pid(9), IINSealed: "x", Family: family, Given: given, BirthDate: vt.MkDate(1970, 5, 5), Sex: vt.SexFemale, Region: "KZ-AKM"}}
	}
	place := func(id, name string) vt.Payload {
		return vt.PlaceDefined{Place: vt.Place{ID: id, Kind: vt.PlacePoint, Name: name, Region: "KZ-AKM", Parent: "RW-AKM"}}
	}
	tests := []struct {
		name  string
		p     vt.Payload
		field string
		want  string
	}{
		{"NUL in a name", person("Ivan\x00ov", "I"), "family", "control character"},
		{"escape character in a name", person("Ivanov", "I\x1b[31m"), "given", "control character"},
		{"lone surrogate (decoded as U+FFFD)", person("Iva\uFFFDnov", "I"), "family", "invalid character"},
		{"invalid UTF-8", person("Iva\xffnov", "I"), "family", "UTF-8"},
		{"whitespace-only family name", person("   ", "I"), "family", "blank"},
		{"whitespace-only given name", person("Ivanov", "\t \n"), "given", "blank"},
		{"1 MB name", person(strings.Repeat("a", 1<<20), "I"), "family", "longer than"},
		{"long given name", person("Ivanov", strings.Repeat("я", 60)), "given", "100 characters"},
		{"place id with a slash", place("AKM/P9", "P9"), "id", "\"/\""},
		{"place id with a newline", place("AKM-P9\n", "P9"), "id", "line breaks"},
		{"blank place name", place("AKM-P9", " "), "name", "blank"},
		{"shipment id with a slash", vt.ShipmentDispatched{Shipment: "S/9", From: "NW", To: "RW-KAR", Occurred: at, Lines: []vt.ShipmentLine{{Lot: "L-I-B", Doses: 5}}}, "shipment", "\"/\""},
		{"NUL in a line's lot", vt.ShipmentDispatched{Shipment: "S9", From: "NW", To: "RW-KAR", Occurred: at, Lines: []vt.ShipmentLine{{Lot: "L-I-B\x00", Doses: 5}}}, "lines[0].lot", "control character"},
		{"NUL in a region name", vt.RegionDefined{Region: vt.Region{Code: "KZ-X", Names: map[string]string{"en": "X\x00"}}}, "names.en", "control character"},
		{"blank suspension reason", vt.LotSuspended{Lot: "L-I-A", Reason: "  "}, "reason", "blank"},
		{"session at a warehouse", vt.SessionClosed{Session: "X1", Place: "RW-AKM", Lot: "L-I-A", Date: vt.DateOf(at), VialsOpened: 1}, "place", "warehouse"},
		{"excursion inside the storage range", vt.ExcursionReported{Excursion: "X1", Place: "RW-AKM", MinC: -22, MaxC: -19, Minutes: 30, Occurred: at}, "max_c", "not an excursion"},
		{"dispatch whose product contradicts its lines", vt.ShipmentDispatched{Shipment: "S9", From: "NW", To: "RW-KAR", Occurred: at, Product: "qazvac", Lines: []vt.ShipmentLine{{Lot: "L-I-B", Doses: 5}}}, "lines[0].lot", "qazvac"},
		{"dispatch whose component contradicts its lines", vt.ShipmentDispatched{Shipment: "S9", From: "NW", To: "RW-KAR", Occurred: at, Product: "sputnik-v", Component: "II", Lines: []vt.ShipmentLine{{Lot: "L-I-B", Doses: 5}}}, "lines[0].lot", "component"},
		{"dispatch whose doses contradict its lines", vt.ShipmentDispatched{Shipment: "S9", From: "NW", To: "RW-KAR", Occurred: at, Doses: 7, Lines: []vt.ShipmentLine{{Lot: "L-I-B", Doses: 5}}}, "doses", "add up to 5"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			seq := w.s.Seq
			wantErr(t, w.do(tc.p, at.Add(time.Hour)), vt.EINVALID, tc.field, tc.want)
			if w.s.Seq != seq {
				t.Fatal("state changed")
			}
		})
	}
	// what is fine stays fine: tabs and newlines in free text, an excursion
	// out of range, a dispatch whose product agrees
	w := newWorld(t)
	w.must(vt.LotSuspended{Lot: "L-I-A", Reason: "signal:\n\tAEFI cluster"}, at)
	w.must(vt.ExcursionReported{Excursion: "X1", Place: "RW-AKM", MinC: -22, MaxC: -12, Minutes: 30, Occurred: at}, at)
	w.must(vt.ShipmentDispatched{Shipment: "S9", From: "NW", To: "RW-KAR", Occurred: at, Product: "sputnik-v", Component: "I", Doses: 5, Lines: []vt.ShipmentLine{{Lot: "L-I-B", Doses: 5}}}, at)
}
