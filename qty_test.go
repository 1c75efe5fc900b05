package vaxtrace_test

import (
	"math"
	"strings"
	"testing"
	"time"

	vt "vaxtrace"
)

// TestQuantityBounds drives every stock rule with quantities at and past the
// bound, and near 2^63: each is refused with a field error naming the
// field, and the state is left unchanged.
func TestQuantityBounds(t *testing.T) {
	at := t0.AddDate(0, -2, 0).Add(4 * time.Hour)
	big := int64(math.MaxInt64)
	over := int64(vt.MaxQty) + 1
	tests := []struct {
		name  string
		setup func(w *world)
		p     vt.Payload
		field string
	}{
		{"receipt of 2^63-1", nil, vt.StockReceived{Receipt: "R9", Place: "NW", Lot: "L-I-A", Doses: big, Agreement: "AG1", Tranche: "T1", Occurred: at}, "doses"},
		{"receipt over the bound", nil, vt.StockReceived{Receipt: "R9", Place: "NW", Lot: "L-I-A", Doses: over, Agreement: "AG1", Tranche: "T1", Occurred: at}, "doses"},
		{"agreement over the bound", nil, vt.AgreementSigned{Agreement: vt.Agreement{ID: "AG9", Supplier: "x", Product: "sputnik-v", Doses: big, Signed: vt.DateOf(at)}}, "doses"},
		{"tranches summing past 2^63", nil, vt.AgreementSigned{Agreement: vt.Agreement{ID: "AG9", Supplier: "x", Product: "sputnik-v", Doses: int64(vt.MaxQty), Signed: vt.DateOf(at),
			Tranches: []vt.Tranche{{ID: "a", Expected: vt.DateOf(at), Doses: int64(vt.MaxQty)}, {ID: "b", Expected: vt.DateOf(at), Doses: int64(vt.MaxQty)}}}}, "tranches"},
		{"dispatch line of 2^63-1", nil, vt.ShipmentDispatched{Shipment: "S9", From: "NW", To: "RW-KAR", Occurred: at, Lines: []vt.ShipmentLine{{Lot: "L-I-B", Doses: big}}}, "lines[0].doses"},
		{"dispatch FEFO of 2^63-1", nil, vt.ShipmentDispatched{Shipment: "S9", From: "NW", To: "RW-KAR", Occurred: at, Product: "sputnik-v", Component: "I", Doses: big}, "doses"},
		{"receipt line received+short wrapping", func(w *world) {
			w.must(vt.ShipmentDispatched{Shipment: "S9", From: "NW", To: "RW-KAR", Occurred: at, Lines: []vt.ShipmentLine{{Lot: "L-I-B", Doses: 10}}}, at)
		}, vt.ShipmentReceived{Shipment: "S9", Occurred: at.Add(time.Hour), Lines: []vt.ReceiptLine{{Lot: "L-I-B", Received: big, Short: big}}}, "lines[0].received"},
		{"receipt line summing past the bound", func(w *world) {
			w.must(vt.ShipmentDispatched{Shipment: "S9", From: "NW", To: "RW-KAR", Occurred: at, Lines: []vt.ShipmentLine{{Lot: "L-I-B", Doses: 10}}}, at)
		}, vt.ShipmentReceived{Shipment: "S9", Occurred: at.Add(time.Hour), Lines: []vt.ReceiptLine{{Lot: "L-I-B", Received: int64(vt.MaxQty), Short: int64(vt.MaxQty)}}}, "lines[0]"},
		{"negative short", func(w *world) {
			w.must(vt.ShipmentDispatched{Shipment: "S9", From: "NW", To: "RW-KAR", Occurred: at, Lines: []vt.ShipmentLine{{Lot: "L-I-B", Doses: 10}}}, at)
		}, vt.ShipmentReceived{Shipment: "S9", Occurred: at.Add(time.Hour), Lines: []vt.ReceiptLine{{Lot: "L-I-B", Received: 20, Short: -10}}}, "lines[0].short"},
		{"write-off of -2^63", nil, vt.StockAdjusted{Place: "NW", Lot: "L-I-B", Delta: math.MinInt64, Reason: vt.ReasonWastage, Occurred: at}, "delta"},
		{"count gain of 2^63-1", nil, vt.StockAdjusted{Place: "NW", Lot: "L-I-B", Delta: big, Reason: vt.ReasonCount, Occurred: at}, "delta"},
		{"count of 2^63-1", nil, vt.StockCounted{Place: "NW", Lot: "L-I-B", Counted: big, Occurred: at}, "counted"},
		{"count just over the bound", nil, vt.StockCounted{Place: "NW", Lot: "L-I-B", Counted: over, Occurred: at}, "counted"},
		{"vials opened × doses per vial wrapping", nil, vt.SessionClosed{Session: "X1", Place: "VP-AKM-1", Lot: "L-I-A", Date: vt.DateOf(at), VialsOpened: big/5 + 2}, "vials_opened"},
		{"vials opened × doses per vial past the bound", nil, vt.SessionClosed{Session: "X1", Place: "VP-AKM-1", Lot: "L-I-A", Date: vt.DateOf(at), VialsOpened: int64(vt.MaxQty)/5 + 1}, "vials_opened"},
		{"tally of 2^63-1", nil, vt.TallySubmitted{Place: "VP-AKM-1", Date: vt.DateOf(at), Product: "sputnik-v", DoseNumber: 1, Count: big}, "count"},
		{"region population of 2^63-1", nil, vt.RegionDefined{Region: vt.Region{Code: "KZ-X", Names: map[string]string{"en": "X"}, Population: math.MaxInt}}, "population"},
		{"target of 2^63-1", nil, vt.TargetSet{Target: vt.Target{ID: "t", Measure: vt.MeasureFirst, From: vt.DateOf(at), To: vt.DateOf(at), Value: big}}, "value"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			if tc.setup != nil {
				tc.setup(w)
			}
			before := w.s.Seq
			err := w.do(tc.p, at.Add(2*time.Hour))
			wantErr(t, err, vt.EINVALID, tc.field, "")
			if w.s.Seq != before {
				t.Fatalf("state changed: seq %d -> %d", before, w.s.Seq)
			}
			c := vt.NewChecker()
			for _, ev := range w.log {
				c.Add(ev)
			}
			if r := c.Compare(w.s); !r.OK() {
				t.Fatalf("check after a refused write: %v", r.Breaches)
			}
		})
	}
}

// TestQuantityWithinBounds: the bound itself is accepted where it fits.
func TestQuantityWithinBounds(t *testing.T) {
	w := newWorld(t)
	at := t0.AddDate(0, -2, 0).Add(4 * time.Hour)
	w.must(vt.AgreementSigned{Agreement: vt.Agreement{ID: "AG9", Supplier: "x", Product: "sputnik-v", Doses: int64(vt.MaxQty), Signed: vt.DateOf(at)}}, at)
	w.must(vt.LotRegistered{Lot: vt.Lot{ID: "L9", Product: "sputnik-v", Component: "I", Manufacturer: "KPC", Manufactured: vt.MkDate(2021, 1, 1), Expiry: vt.MkDate(2021, 7, 1), Origin: vt.OriginImport, Agreement: "AG9"}}, at)
	w.must(vt.StockReceived{Receipt: "R9", Place: "NW", Lot: "L9", Doses: int64(vt.MaxQty), Agreement: "AG9", Occurred: at}, at)
	// one more dose would pass 10^12 on the lot and on the agreement
	err := w.do(vt.StockCounted{Place: "NW", Lot: "L9", Counted: int64(vt.MaxQty) + 1, Occurred: at}, at)
	wantErr(t, err, vt.EINVALID, "counted", "")
	if _, err := vt.Qty(vt.MaxQty).Mul("x", math.MaxInt64); err == nil {
		t.Fatal("MaxQty × 2^63-1 accepted")
	}
	if n, err := vt.Qty(1000).Mul("x", 5); err != nil || n != 5000 {
		t.Fatalf("1000 × 5 = %d, %v", n, err)
	}
}

// TestCheckDetectsOverflow: a journal written by a version without the
// bound (events applied without Decide) fails the check, naming the event.
func TestCheckDetectsOverflow(t *testing.T) {
	at := t0.AddDate(0, -2, 0).Add(4 * time.Hour)
	big := int64(math.MaxInt64)
	for _, tc := range []struct {
		name string
		p    vt.Payload
		want string
	}{
		{"receipt of 2^63-1", vt.StockReceived{Receipt: "R9", Place: "NW", Lot: "L-I-B", Doses: big, Occurred: at}, "doses 9223372036854775807"},
		{"write-off of -2^63", vt.StockAdjusted{Place: "NW", Lot: "L-I-B", Delta: math.MinInt64, Reason: vt.ReasonWastage, Occurred: at}, "delta -9223372036854775808"},
		{"count of 2^63-1", vt.StockCounted{Place: "NW", Lot: "L-I-B", Counted: big, Delta: big - 1000, Occurred: at}, "counted"},
		{"tally of 2^63-1", vt.TallySubmitted{Place: "VP-AKM-1", Date: vt.DateOf(at), Product: "sputnik-v", DoseNumber: 1, Count: big}, "count"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			w.seq++
			ev := vt.Event{Seq: w.seq, Kind: tc.p.Kind(), Key: "old", Recorded: at, Data: tc.p}
			w.s.Apply(ev)
			w.log = append(w.log, ev)
			c := vt.NewChecker()
			for _, ev := range w.log {
				c.Add(ev)
			}
			r := c.Compare(w.s)
			if r.OK() || !strings.Contains(strings.Join(r.Breaches, "\n"), tc.want) {
				t.Fatalf("check passed or did not name %q: %v", tc.want, r.Breaches)
			}
		})
	}
}
