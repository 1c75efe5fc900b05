package vaxtrace_test

import (
	"strconv"
	"testing"
	"time"

	vt "vaxtrace"
)

// seriesWorld is benchWorld with two big lots of the two-dose sputnik-v
// (components I and II) at VP-AKM-1 for n people's two doses.
func seriesWorld(b testing.TB, n int) *world {
	w := benchWorld(b, n)
	at := t0.AddDate(0, -1, 0)
	big := int64(n) + 10
	for i, c := range []string{"I", "II"} {
		id := "L-SV-" + c
		w.must(vt.LotRegistered{Lot: vt.Lot{ID: id, Product: "sputnik-v", Component: c, Manufacturer: "KPC", Manufactured: vt.MkDate(2021, 1, 1), Expiry: vt.MkDate(2022, 1, 1), Origin: vt.OriginDomestic}}, at)
		w.must(vt.StockReceived{Receipt: "R-SV-" + c, Place: "NW", Lot: id, Doses: big, Occurred: at}, at)
		w.must(vt.LotReleased{Lot: id, Occurred: vt.DateOf(at)}, at)
		sh := "SV" + strconv.Itoa(i)
		w.must(vt.ShipmentDispatched{Shipment: sh + "a", From: "NW", To: "RW-AKM", Occurred: at, Lines: []vt.ShipmentLine{{Lot: id, Doses: big}}}, at)
		w.must(vt.ShipmentReceived{Shipment: sh + "a", Occurred: at.Add(time.Hour)}, at.Add(time.Hour))
		w.must(vt.ShipmentDispatched{Shipment: sh + "b", From: "RW-AKM", To: "VP-AKM-1", Occurred: at.Add(2 * time.Hour), Lines: []vt.ShipmentLine{{Lot: id, Doses: big}}}, at.Add(2*time.Hour))
		w.must(vt.ShipmentReceived{Shipment: sh + "b", Occurred: at.Add(3 * time.Hour)}, at.Add(3*time.Hour))
	}
	return w
}

// BenchmarkDoseSeriesDecideApply measures validation and apply of doses of a
// two-dose series as the batch path sees them: people's first doses, then
// their second doses 21+ days later (one op is one dose).
func BenchmarkDoseSeriesDecideApply(b *testing.B) {
	people := (b.N + 1) / 2
	w := seriesWorld(b, people)
	vs := make([]vt.DoseAdministered, 0, 2*people)
	for dose := 1; dose <= 2; dose++ {
		lot, off := "L-SV-I", 0
		if dose == 2 {
			lot, off = "L-SV-II", 21
		}
		for i := 0; i < people; i++ {
			at := t0.AddDate(0, 0, off+i%60).Add(time.Duration(i%3600) * time.Second)
			vs = append(vs, vt.DoseAdministered{ID: "d" + strconv.Itoa(i) + "-" + strconv.Itoa(dose), Person: benchPerson(i), At: at, Place: "VP-AKM-1", Lot: lot, Vaccinator: "nurse"})
		}
	}
	keys := make([]string, len(vs))
	for i := range vs {
		keys[i] = "dose:" + vs[i].ID
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range vs[:b.N] {
		rec := vs[i].At.Add(time.Hour)
		if seen, _ := w.s.KeySeen(keys[i], uint64(i)); seen {
			b.Fatal("seen")
		}
		d, err := w.s.Decide(vs[i], rec)
		if err != nil {
			b.Fatal(err)
		}
		w.s.Apply(vt.Event{Seq: uint64(1000 + i), Kind: vt.KindDoseAdministered, Key: keys[i], Recorded: rec, Hash: uint64(i), Data: d})
	}
}

// Validating a dose allocates nothing: the decided payload is the one
// submitted (already boxed), the rules' buffers are the state's.
func TestDoseDecideAllocatesNothing(t *testing.T) {
	w := seriesWorld(t, 10)
	var p vt.Payload = vt.DoseAdministered{ID: "d1", Person: benchPerson(3), At: t0, Place: "VP-AKM-1", Lot: "L-SV-I", Vaccinator: "nurse"}
	rec := t0.Add(time.Hour)
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := w.s.Decide(p, rec); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("%v heap allocations per decided dose, want 0", allocs)
	}
}
