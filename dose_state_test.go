package vaxtrace

import (
	"fmt"
	"testing"
	"time"
)

// A dose's time reads back as the same instant in the same zone, whatever
// zone the event gave: UTC, unnamed and named fixed offsets, a zone
// database location, and zones past the table's room (kept with the dose).
func TestDoseTimeKeepsItsZone(t *testing.T) {
	base := time.Date(2021, 3, 1, 10, 30, 15, 123456789, time.UTC)
	zonesToTry := []*time.Location{time.UTC, time.FixedZone("", 6*3600), time.FixedZone("", 5*3600+45*60), time.FixedZone("ALMT", 6*3600), time.Local}
	if l, err := time.LoadLocation("Asia/Almaty"); err == nil {
		zonesToTry = append(zonesToTry, l)
	}
	for i := range 300 { // more named zones than the table has codes
		zonesToTry = append(zonesToTry, time.FixedZone(fmt.Sprintf("Z%03d", i), (i%24-12)*3600))
	}
	s := NewState()
	for _, loc := range zonesToTry {
		at := base.In(loc)
		var d DoseState
		d.setAt(s, at)
		got := d.At(s)
		if !got.Equal(at) || got.Format(time.RFC3339Nano+" MST") != at.Format(time.RFC3339Nano+" MST") || got.Location().String() != loc.String() {
			t.Fatalf("set %s (%s), read back %s (%s)", at.Format(time.RFC3339Nano+" MST"), loc, got.Format(time.RFC3339Nano+" MST"), got.Location())
		}
	}
}

// A correction to a lot of another product or component keeps the claim
// the event made; a dose that claimed nothing still reads "".
func TestDoseClaimsSurviveALotCorrection(t *testing.T) {
	s := NewState()
	a := &LotState{Lot: Lot{ID: "A", Product: "sputnik-v", Component: "I"}}
	b := &LotState{Lot: Lot{ID: "B", Product: "qazvac", Component: "1"}}
	s.addLot(a)
	s.addLot(b)
	claimed := DoseState{lot: a.pos, flags: claimProduct | claimComponent}
	bare := DoseState{lot: a.pos}
	claimed.moveLot(s, b)
	bare.moveLot(s, b)
	if claimed.Product(s) != "sputnik-v" || claimed.Component(s) != "I" || claimed.Lot(s) != "B" {
		t.Fatalf("claimed dose after the correction: product %q component %q lot %q", claimed.Product(s), claimed.Component(s), claimed.Lot(s))
	}
	if bare.Product(s) != "" || bare.Component(s) != "" {
		t.Fatalf("a dose that claimed nothing reads product %q component %q", bare.Product(s), bare.Component(s))
	}
	claimed.moveLot(s, a)
	if claimed.Product(s) != "sputnik-v" || claimed.Component(s) != "I" {
		t.Fatalf("claimed dose moved back: product %q component %q", claimed.Product(s), claimed.Component(s))
	}
}
