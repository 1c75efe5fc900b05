package vaxtrace_test

import (
	"strings"
	"testing"
	"time"

	vt "vaxtrace"
)

// TestHistoryInTime: nothing can be dated before what it depends on.
// newWorld's stock reaches the national warehouse, the Akmola warehouse and
// the point VP-AKM-1 on 2021-01-01; its lots were made that day.
func TestHistoryInTime(t *testing.T) {
	before := time.Date(2020, 12, 31, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		setup func(w *world, p vt.PersonID)
		p     func(p vt.PersonID) vt.Payload
		field string
		want  string
	}{
		{"dose before the lot reached the point", nil,
			func(p vt.PersonID) vt.Payload { return dose("d9", p, before, "L-I-A") }, "lot", "had not reached"},
		{"dispatch before the stock was received", nil,
			func(vt.PersonID) vt.Payload {
				return vt.ShipmentDispatched{Shipment: "S9", From: "NW", To: "RW-KAR", Occurred: before, Lines: []vt.ShipmentLine{{Lot: "L-I-B", Doses: 5}}}
			}, "lines[0].lot", "had not reached"},
		{"FEFO dispatch before the stock was received", nil,
			func(vt.PersonID) vt.Payload {
				return vt.ShipmentDispatched{Shipment: "S9", From: "NW", To: "RW-KAR", Occurred: before, Product: "sputnik-v", Component: "I", Doses: 5}
			}, "doses", "only 0 doses"},
		{"receipt before manufacture", func(w *world, _ vt.PersonID) {
			w.must(vt.LotRegistered{Lot: vt.Lot{ID: "L-NEW", Product: "sputnik-v", Component: "I", Manufacturer: "KPC", Manufactured: vt.MkDate(2021, 1, 10), Expiry: vt.MkDate(2021, 7, 1), Origin: vt.OriginDomestic}}, t0)
		}, func(vt.PersonID) vt.Payload {
			return vt.StockReceived{Receipt: "R9", Place: "NW", Lot: "L-NEW", Doses: 10, Occurred: time.Date(2021, 1, 5, 0, 0, 0, 0, time.UTC)}
		}, "occurred", "manufactured"},
		{"birth date moved after a dose", func(w *world, p vt.PersonID) { w.must(dose("d1", p, t0, "L-I-A"), t0) },
			func(p vt.PersonID) vt.Payload {
				return vt.PersonUpdated{Person: vt.Person{ID: p, IINSealed: "x", Family: "Test", Given: "P", BirthDate: vt.DateOf(t0).AddDays(1), Sex: vt.SexFemale, Region: "KZ-AKM"}, Reason: "typo"}
			}, "birth_date", "after the dose"},
		{"AEFI on a voided dose", func(w *world, p vt.PersonID) {
			w.must(dose("d1", p, t0, "L-I-A"), t0)
			w.must(vt.DoseVoided{Dose: "d1", Reason: "error"}, t0.Add(time.Hour))
		}, func(vt.PersonID) vt.Payload {
			return vt.AEFIReported{ID: "E1", Dose: "d1", Description: "fever", Onset: t0.Add(2 * time.Hour)}
		}, "dose", "voided"},
		{"correction dated before the lot reached the point", func(w *world, p vt.PersonID) { w.must(dose("d1", p, t0, "L-I-A"), t0) },
			func(vt.PersonID) vt.Payload {
				at := before
				return vt.DoseCorrected{Dose: "d1", At: &at, Reason: "time"}
			}, "at", "had not reached"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			p := w.person(1)
			if tc.setup != nil {
				tc.setup(w, p)
			}
			seq := w.s.Seq
			err := w.do(tc.p(p), t0.Add(3*time.Hour))
			wantErr(t, err, vt.EINVALID, tc.field, tc.want)
			if w.s.Seq != seq {
				t.Fatal("state changed")
			}
		})
	}
	// the same dose on the day the lot arrived is fine
	w := newWorld(t)
	p := w.person(1)
	w.must(dose("d1", p, time.Date(2021, 1, 1, 12, 0, 0, 0, time.UTC), "L-I-A"), t0)
}

// TestCheckStockAsOfADay: a journal (written without the rules) holding a
// dose dated before its lot reached the point balances in sequence order
// but not in the order of days; check reports the day.
func TestCheckStockAsOfADay(t *testing.T) {
	w := newWorld(t)
	p := w.person(1)
	w.seq++
	ev := vt.Event{Seq: w.seq, Kind: vt.KindDoseAdministered, Key: "old", Recorded: t0,
		Data: dose("d-old", p, time.Date(2020, 12, 20, 9, 0, 0, 0, time.UTC), "L-I-A")}
	w.s.Apply(ev)
	w.log = append(w.log, ev)
	c := vt.NewChecker()
	for _, e := range w.log {
		c.Add(e)
	}
	r := c.Compare(w.s)
	if r.OK() || !strings.Contains(strings.Join(r.Breaches, "\n"), "stock as of 2020-12-20 was -1") {
		t.Fatalf("check did not see the negative stock as of 2020-12-20: %v", r.Breaches)
	}
	// the world's own journal has none
	c = vt.NewChecker()
	for _, e := range w.log[:len(w.log)-1] {
		c.Add(e)
	}
	for _, b := range c.Compare(w.s).Breaches {
		if strings.Contains(b, "as of") {
			t.Fatalf("false breach: %s", b)
		}
	}
}
