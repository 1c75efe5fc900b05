package vaxtrace_test

import (
	"strings"
	"testing"
	"time"

	vt "vaxtrace"
)

func equip(e vt.Equipment, mod func(*vt.Equipment)) vt.Equipment {
	mod(&e)
	return e
}

func fieldOf(err error) string { return vt.ErrorField(err) }

func TestEquipmentRefusals(t *testing.T) {
	w := newWorld(t)
	w.must(vt.EquipmentDefined{Equipment: freezer, Occurred: t0}, t0)
	cases := []struct {
		name  string
		e     vt.Equipment
		field string
	}{
		{"zero volume", equip(fridge, func(e *vt.Equipment) { e.NetLitres = 0 }), "equipment.net_litres"},
		{"negative volume", equip(fridge, func(e *vt.Equipment) { e.NetLitres = -40 }), "equipment.net_litres"},
		{"range upside down", equip(fridge, func(e *vt.Equipment) { e.MinC, e.MaxC = 8, 2 }), "equipment.min_c"},
		{"range below −90", equip(fridge, func(e *vt.Equipment) { e.MinC = -120 }), "equipment.min_c"},
		{"not a PQS code", equip(fridge, func(e *vt.Equipment) { e.PQS = "fridge-42" }), "equipment.pqs"},
		{"unknown type", equip(fridge, func(e *vt.Equipment) { e.Type = "icebox" }), "equipment.type"},
		{"unknown status", equip(fridge, func(e *vt.Equipment) { e.Status = "fine" }), "equipment.status"},
		{"device with a slash", equip(fridge, func(e *vt.Equipment) { e.Device = "a/b" }), "equipment.device"},
		{"device already fitted elsewhere", equip(fridge, func(e *vt.Equipment) { e.Device = freezer.Device }), "equipment.device"},
		{"unknown place", equip(fridge, func(e *vt.Equipment) { e.Place = "nowhere" }), "equipment.place"},
	}
	for _, c := range cases {
		err := w.do(vt.EquipmentDefined{Equipment: c.e, Occurred: t0}, t0)
		if err == nil || fieldOf(err) != c.field {
			t.Errorf("%s: got %v, want an error on %s", c.name, err, c.field)
		}
	}
	if err := w.do(vt.EquipmentDefined{Equipment: freezer, Occurred: t0}, t0); vt.ErrorCode(err) != vt.ECONFLICT {
		t.Errorf("defining Z1 twice: %v", err)
	}
	ch := equip(freezer, func(e *vt.Equipment) { e.Status = vt.StatusBroken })
	if err := w.do(vt.EquipmentChanged{Equipment: ch, Occurred: t0}, t0); fieldOf(err) != "reason" {
		t.Errorf("a change without a reason: %v", err)
	}
	w.must(vt.EquipmentChanged{Equipment: ch, Reason: "compressor failed", Occurred: t0}, t0)
	if got := w.s.Equipment("Z1"); got.Status != vt.StatusBroken || got.Why != "compressor failed" {
		t.Fatalf("after the change: %+v", got)
	}
}

// setupFreezers puts two freezers at RW-AKM: Z1 holds lots L-I-A and
// L-II-A (placed), Z2 holds L-I-B (the only other freezer: placed too).
func setupFreezers(w *world) {
	at := t0
	w.must(vt.ShipmentDispatched{Shipment: "S3", From: "NW", To: "RW-AKM", Occurred: at, Lines: []vt.ShipmentLine{{Lot: "L-I-B", Doses: 300}}}, at)
	w.must(vt.ShipmentReceived{Shipment: "S3", Occurred: at.Add(time.Hour)}, at.Add(time.Hour))
	w.must(vt.EquipmentDefined{Equipment: freezer, Occurred: at}, at)
	z2 := equip(freezer, func(e *vt.Equipment) { e.ID, e.Device = "Z2", "RTM-3" })
	w.must(vt.EquipmentDefined{Equipment: z2, Occurred: at}, at)
	w.must(vt.EquipmentDefined{Equipment: equip(fridge, func(e *vt.Equipment) { e.ID, e.Place, e.Device = "F9", "RW-AKM", "RTM-9" }), Occurred: at}, at)
	for lot, eq := range map[string]string{"L-I-A": "Z1", "L-II-A": "Z1", "L-I-B": "Z2"} {
		w.must(vt.StockPlaced{Place: "RW-AKM", Lot: lot, Equipment: eq, Occurred: at.Add(2 * time.Hour)}, at.Add(2*time.Hour))
	}
}

func lotIDs(ls []vt.LotQty) string {
	var ids []string
	for _, l := range ls {
		ids = append(ids, l.Lot)
	}
	return strings.Join(ids, ",")
}

func TestPlacement(t *testing.T) {
	w := newWorld(t)
	w.must(vt.EquipmentDefined{Equipment: fridge, Occurred: t0}, t0)
	// Sputnik V is kept at −18 °C or colder: not in a 2…8 °C refrigerator
	err := w.do(vt.StockPlaced{Place: "VP-AKM-1", Lot: "L-I-A", Equipment: "F1", Occurred: t0}, t0)
	if fieldOf(err) != "equipment" || !strings.Contains(err.Error(), "−18") && !strings.Contains(err.Error(), "-18") {
		t.Fatalf("Sputnik V into a refrigerator: %v", err)
	}
	// the point's only freezer holds its Sputnik V without an explicit placement
	w.must(vt.EquipmentDefined{Equipment: equip(freezer, func(e *vt.Equipment) { e.ID, e.Place, e.Device = "PZ", "VP-AKM-1", "RTM-P" }), Occurred: t0}, t0)
	if got := lotIDs(w.s.LotsInEquipment("PZ")); got != "L-I-A,L-II-A" {
		t.Fatalf("lots in the point's only freezer: %q", got)
	}
	if got := lotIDs(w.s.LotsInEquipment("F1")); got != "" {
		t.Fatalf("lots in the refrigerator: %q", got)
	}
	setupFreezers(w)
	if got := lotIDs(w.s.LotsInEquipment("Z1")); got != "L-I-A,L-II-A" {
		t.Fatalf("lots in Z1: %q", got)
	}
	if got := lotIDs(w.s.LotsInEquipment("Z2")); got != "L-I-B" {
		t.Fatalf("lots in Z2: %q", got)
	}
	if err := w.do(vt.StockPlaced{Place: "RW-AKM", Lot: "L-I-A", Equipment: "PZ", Occurred: t0}, t0); fieldOf(err) != "equipment" {
		t.Fatalf("placing into equipment of another place: %v", err)
	}
	if err := w.do(vt.StockPlaced{Place: "RW-KAR", Lot: "L-I-A", Equipment: "Z1", Occurred: t0}, t0); fieldOf(err) != "lot" {
		t.Fatalf("placing a lot the place does not hold: %v", err)
	}
}

// An alarm opens an excursion on exactly the lots in that freezer, through
// the same ExcursionReported a person would type: the other freezer's lot
// and the same lots at other places keep moving.
func TestAlarmQuarantinesTheFreezersLots(t *testing.T) {
	w := newWorld(t)
	setupFreezers(w)
	at := t0.Add(5 * time.Hour)
	started := at.Add(-time.Hour)
	id := vt.AlarmID("RTM-2", vt.AlarmHeat, started)
	var lots []string
	for _, l := range w.s.LotsInEquipment("Z1") {
		lots = append(lots, l.Lot)
	}
	x := vt.ExcursionID(id)
	w.must(vt.ExcursionReported{Excursion: x, Place: "RW-AKM", MinC: -17.5, MaxC: -12, Minutes: 60, Occurred: started, Lots: lots}, at)
	w.must(vt.AlarmOpened{Alarm: id, Equipment: "Z1", Device: "RTM-2", AlarmKind: vt.AlarmHeat, Started: started, Detected: at, MinC: -17.5, MaxC: -12, Minutes: 60, Source: "mqtt", Excursion: x}, at)

	held := map[string]string{}
	st, _ := w.s.PlaceStock("RW-AKM")
	for _, ls := range st {
		held[ls.Lot] = ls.Held
	}
	if held["L-I-A"] != x || held["L-II-A"] != x || held["L-I-B"] != "" {
		t.Fatalf("held at RW-AKM: %v", held)
	}
	later := at.Add(time.Hour)
	if err := w.do(vt.ShipmentDispatched{Shipment: "S9", From: "RW-AKM", To: "VP-AKM-1", Occurred: later, Lines: []vt.ShipmentLine{{Lot: "L-I-A", Doses: 10}}}, later); err == nil || !strings.Contains(err.Error(), "quarantined") {
		t.Fatalf("dispatching a held lot: %v", err)
	}
	w.must(vt.ShipmentDispatched{Shipment: "S10", From: "RW-AKM", To: "VP-AKM-1", Occurred: later, Lines: []vt.ShipmentLine{{Lot: "L-I-B", Doses: 10}}}, later)
	// the point's stock of the same lot is not in that freezer
	w.must(vt.DoseAdministered{ID: "D1", Person: w.person(1), At: later, Place: "VP-AKM-1", Lot: "L-I-A", Vaccinator: "n"}, later)

	// acknowledged with a comment, then cleared, then resolved like any excursion
	if err := w.do(vt.AlarmAcknowledged{Alarm: id, Comment: "  "}, later); fieldOf(err) != "comment" {
		t.Fatalf("acknowledging without a comment: %v", err)
	}
	w.must(vt.AlarmAcknowledged{Alarm: id, Comment: "door left ajar; closed, lots moved to Z2"}, later)
	a := w.s.Alarm(id)
	if !a.Acknowledged || a.ResponseTime() != time.Hour {
		t.Fatalf("acknowledgement: %+v", a)
	}
	w.must(vt.AlarmCleared{Alarm: id, Ended: later, MinC: -17.5, MaxC: -12, Minutes: 120}, later)
	if len(w.s.OpenAlarms("Z1")) != 0 {
		t.Fatal("alarm still open after clearing")
	}
	w.must(vt.ExcursionResolved{Excursion: x, Lot: "L-I-A", Decision: "write_off", Occurred: later}, later)
	w.must(vt.ExcursionResolved{Excursion: x, Lot: "L-II-A", Decision: "release", Occurred: later}, later)
	checkConserved(t, w)
}

func checkConserved(t *testing.T, w *world) {
	t.Helper()
	c := vt.NewChecker()
	for _, ev := range w.log {
		c.Add(ev)
	}
	if r := c.Compare(w.s); !r.OK() {
		t.Fatalf("conservation: %v", r.Breaches)
	}
}

func TestAlarmRefusals(t *testing.T) {
	w := newWorld(t)
	setupFreezers(w)
	at := t0.Add(5 * time.Hour)
	ok := vt.AlarmOpened{Alarm: "ALM-1", Equipment: "Z1", Device: "RTM-2", AlarmKind: vt.AlarmHeat, Started: at.Add(-time.Hour), Detected: at, Minutes: 60, Source: "mqtt"}
	cases := []struct {
		name  string
		mod   func(*vt.AlarmOpened)
		field string
	}{
		{"unknown equipment", func(a *vt.AlarmOpened) { a.Equipment = "Z7" }, "equipment"},
		{"unknown kind", func(a *vt.AlarmOpened) { a.AlarmKind = "warm" }, "kind"},
		{"detected in the future", func(a *vt.AlarmOpened) { a.Detected = at.Add(time.Hour) }, "detected"},
		{"started after detected", func(a *vt.AlarmOpened) { a.Started = at.Add(time.Minute) }, "started"},
		{"unknown excursion", func(a *vt.AlarmOpened) { a.Excursion = "X-none" }, "excursion"},
	}
	for _, c := range cases {
		a := ok
		c.mod(&a)
		if err := w.do(a, at); fieldOf(err) != c.field {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	// opened by the monitor only: a regional token may acknowledge, not open
	region := vt.Principal{Name: "akm", Role: vt.RoleRegion, Region: "KZ-AKM"}
	if err := vt.Authorize(region, w.s, ok); vt.ErrorCode(err) != vt.EFORBIDDEN {
		t.Errorf("a region opening an alarm: %v", err)
	}
	w.must(ok, at)
	if err := vt.Authorize(region, w.s, vt.AlarmAcknowledged{Alarm: "ALM-1", Comment: "seen"}); err != nil {
		t.Errorf("the region acknowledging its warehouse's alarm: %v", err)
	}
	other := vt.Principal{Name: "kar", Role: vt.RoleRegion, Region: "KZ-KAR"}
	if err := vt.Authorize(other, w.s, vt.AlarmAcknowledged{Alarm: "ALM-1", Comment: "seen"}); vt.ErrorCode(err) != vt.EFORBIDDEN {
		t.Errorf("another region acknowledging: %v", err)
	}
	if err := w.do(ok, at); vt.ErrorCode(err) != vt.ECONFLICT {
		t.Errorf("the same alarm twice: %v", err)
	}
}

// VVM stages 3 and 4 write the stock off with reason vvm_failed; 1 and 2
// change nothing; conservation holds throughout.
func TestVVMWriteOffs(t *testing.T) {
	w := newWorld(t)
	at := t0
	onHand := func(place, lot string) int64 {
		st, _ := w.s.PlaceStock(place)
		for _, ls := range st {
			if ls.Lot == lot {
				return ls.Doses
			}
		}
		return 0
	}
	w.must(vt.VVMRecorded{Place: "VP-AKM-1", Lot: "L-I-A", Stage: 2, Context: vt.VVMAtCount, Occurred: at}, at)
	if onHand("VP-AKM-1", "L-I-A") != 100 {
		t.Fatal("stage 2 changed the stock")
	}
	w.must(vt.VVMRecorded{Place: "VP-AKM-1", Lot: "L-I-A", Stage: 3, Doses: 15, Context: vt.VVMAtCount, Occurred: at}, at)
	if got := onHand("VP-AKM-1", "L-I-A"); got != 85 {
		t.Fatalf("after 15 doses at stage 3: %d on hand, want 85", got)
	}
	if v, _ := w.s.VVMStage("VP-AKM-1", "L-I-A"); v.Stage != 2 {
		t.Fatalf("the vials kept are still at stage 2, state says %d", v.Stage)
	}
	// at receipt: the whole lot of the shipment, stage 4
	w.must(vt.VVMRecorded{Place: "RW-AKM", Lot: "L-II-A", Stage: 4, Context: vt.VVMAtReceipt, Shipment: "S1", Occurred: at}, at)
	if got := onHand("RW-AKM", "L-II-A"); got != 0 {
		t.Fatalf("stage 4 at receipt left %d doses", got)
	}
	l := w.s.Lot("L-II-A")
	if l.WrittenOff[vt.ReasonVVM] != 400 {
		t.Fatalf("written off for VVM: %v", l.WrittenOff)
	}
	if w.s.Lot("L-I-A").WrittenOff[vt.ReasonVVM] != 15 {
		t.Fatalf("L-I-A written off: %v", w.s.Lot("L-I-A").WrittenOff)
	}
	cases := []struct {
		name  string
		v     vt.VVMRecorded
		field string
	}{
		{"stage 5", vt.VVMRecorded{Place: "VP-AKM-1", Lot: "L-I-A", Stage: 5, Context: vt.VVMAtCount, Occurred: at}, "stage"},
		{"stage 0", vt.VVMRecorded{Place: "VP-AKM-1", Lot: "L-I-A", Stage: 0, Context: vt.VVMAtCount, Occurred: at}, "stage"},
		{"more doses than on hand", vt.VVMRecorded{Place: "VP-AKM-1", Lot: "L-I-A", Stage: 3, Doses: 86, Context: vt.VVMAtCount, Occurred: at}, "doses"},
		{"nothing left to write off", vt.VVMRecorded{Place: "RW-AKM", Lot: "L-II-A", Stage: 3, Context: vt.VVMAtCount, Occurred: at}, "lot"},
		{"receipt without shipment", vt.VVMRecorded{Place: "VP-AKM-1", Lot: "L-I-A", Stage: 1, Context: vt.VVMAtReceipt, Occurred: at}, "shipment"},
		{"receipt of another place's shipment", vt.VVMRecorded{Place: "VP-AKM-1", Lot: "L-I-A", Stage: 1, Context: vt.VVMAtReceipt, Shipment: "S1", Occurred: at}, "shipment"},
		{"unknown context", vt.VVMRecorded{Place: "VP-AKM-1", Lot: "L-I-A", Stage: 1, Context: "glance", Occurred: at}, "context"},
		{"unknown lot", vt.VVMRecorded{Place: "VP-AKM-1", Lot: "L-X", Stage: 1, Context: vt.VVMAtCount, Occurred: at}, "lot"},
	}
	for _, c := range cases {
		if err := w.do(c.v, at); fieldOf(err) != c.field {
			t.Errorf("%s: %v (want field %s)", c.name, err, c.field)
		}
	}
	checkConserved(t, w)
}

func TestCapacityOverfill(t *testing.T) {
	w := newWorld(t)
	// Sputnik V at 5.41 cm³ a dose in 5-dose vials: a 2-litre freezer holds 369 doses
	p := sputnik
	p.Presentations = []vt.Presentation{{DosesPerVial: 5, PackedCM3PerDose: 5.41}}
	w.must(vt.ProductDefined{Product: p}, t0)
	small := equip(freezer, func(e *vt.Equipment) { e.ID, e.Place, e.Device, e.NetLitres = "PZ", "VP-AKM-1", "RTM-P", 2 })
	w.must(vt.EquipmentDefined{Equipment: small, Occurred: t0}, t0)
	// the point holds 200 doses (lots without a doses-per-vial: the largest per-dose volume is taken)
	r, err := w.s.Capacity("VP-AKM-1", []vt.CapacityAdd{{Lot: "L-I-A", Doses: 160}})
	if err != nil {
		t.Fatal(err)
	}
	if r.Overfill || len(r.Lines) != 1 || r.Lines[0].Class != vt.ClassFrozen {
		t.Fatalf("360 doses in 2 litres: %+v", r)
	}
	r, _ = w.s.Capacity("VP-AKM-1", []vt.CapacityAdd{{Product: "sputnik-v", Doses: 170}})
	if !r.Overfill || r.Overfull {
		t.Fatalf("370 doses in 2 litres should overfill: %+v", r)
	}
	// an allocation already on its way that does not fit flags the place
	w.must(vt.ShipmentDispatched{Shipment: "S-BIG", From: "RW-AKM", To: "VP-AKM-1", Occurred: t0, Lines: []vt.ShipmentLine{{Lot: "L-I-A", Doses: 300}}}, t0)
	if r, _ = w.s.Capacity("VP-AKM-1", nil); !r.Overfull {
		t.Fatalf("500 doses (300 on their way) in 2 litres: %+v", r)
	}
	// a broken freezer has no capacity
	w.must(vt.EquipmentChanged{Equipment: equip(small, func(e *vt.Equipment) { e.Status = vt.StatusBroken }), Reason: "broken", Occurred: t0}, t0)
	r, _ = w.s.Capacity("VP-AKM-1", []vt.CapacityAdd{{Lot: "L-I-A", Doses: 1}})
	if !r.Overfill {
		t.Fatalf("adding to a place whose only freezer is broken: %+v", r)
	}
	if _, err := w.s.Capacity("VP-AKM-1", []vt.CapacityAdd{{Lot: "L-I-A", Doses: -1}}); fieldOf(err) != "lines[0].doses" {
		t.Fatalf("negative doses: %v", err)
	}
}
