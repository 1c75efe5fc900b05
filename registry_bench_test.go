package vaxtrace_test

import (
	"encoding/binary"
	"strconv"
	"testing"
	"time"

	vt "vaxtrace"
)

// benchWorld is newWorld with a lot large enough for n doses at VP-AKM-1
// and n registered people.
func benchWorld(b testing.TB, n int) *world {
	w := newWorld(b)
	at := t0.AddDate(0, -1, 0)
	big := int64(n) + 10
	w.must(vt.LotRegistered{Lot: vt.Lot{ID: "L-BIG", Product: "sputnik-light", Component: "I", Manufacturer: "KPC", Manufactured: vt.MkDate(2021, 1, 1), Expiry: vt.MkDate(2022, 1, 1), Origin: vt.OriginDomestic}}, at)
	w.must(vt.StockReceived{Receipt: "R-BIG", Place: "NW", Lot: "L-BIG", Doses: big, Occurred: at}, at)
	w.must(vt.LotReleased{Lot: "L-BIG", Occurred: vt.DateOf(at)}, at)
	w.must(vt.ShipmentDispatched{Shipment: "SB1", From: "NW", To: "RW-AKM", Occurred: at, Lines: []vt.ShipmentLine{{Lot: "L-BIG", Doses: big}}}, at)
	w.must(vt.ShipmentReceived{Shipment: "SB1", Occurred: at.Add(time.Hour)}, at.Add(time.Hour))
	w.must(vt.ShipmentDispatched{Shipment: "SB2", From: "RW-AKM", To: "VP-AKM-1", Occurred: at.Add(2 * time.Hour), Lines: []vt.ShipmentLine{{Lot: "L-BIG", Doses: big}}}, at.Add(2*time.Hour))
	w.must(vt.ShipmentReceived{Shipment: "SB2", Occurred: at.Add(3 * time.Hour)}, at.Add(3*time.Hour))
	for i := 0; i < n; i++ {
		w.must(vt.PersonRegistered{Person: vt.Person{ID: benchPerson(i), Family: "F", BirthDate: vt.MkDate(1980, 1, 1), Sex: vt.SexFemale, Region: "KZ-AKM"}}, at)
	}
	return w
}

func benchPerson(i int) vt.PersonID {
	var p vt.PersonID
	binary.BigEndian.PutUint64(p[:8], uint64(i)*0x9E3779B97F4A7C15|1)
	p[15] = 7
	return p
}

// BenchmarkDoseApply measures folding one decided dose into the state (the
// part of the dose path that runs under the engine's write lock after
// validation); -benchmem shows the heap allocations per dose.
func BenchmarkDoseApply(b *testing.B) {
	n := b.N
	w := benchWorld(b, n)
	evs := make([]vt.Event, n)
	for i := range evs {
		at := t0.Add(time.Duration(i%3600) * time.Second)
		v := vt.DoseAdministered{ID: "d" + strconv.Itoa(i), Person: benchPerson(i), At: at, Place: "VP-AKM-1", Lot: "L-BIG", Vaccinator: "nurse"}
		evs[i] = vt.Event{Seq: uint64(1000 + i), Kind: v.Kind(), Key: "dose:" + v.ID, Recorded: at, Hash: uint64(i), Data: v}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range evs {
		w.s.Apply(evs[i])
	}
	b.StopTimer()
	if _, d := w.s.Counts(); d != n {
		b.Fatalf("%d doses applied, want %d", d, n)
	}
}

// BenchmarkDoseDecideApply measures validation and apply of one dose.
func BenchmarkDoseDecideApply(b *testing.B) {
	n := b.N
	w := benchWorld(b, n)
	vs := make([]vt.DoseAdministered, n)
	for i := range vs {
		at := t0.Add(time.Duration(i%3600) * time.Second)
		vs[i] = vt.DoseAdministered{ID: "d" + strconv.Itoa(i), Person: benchPerson(i), At: at, Place: "VP-AKM-1", Lot: "L-BIG", Vaccinator: "nurse"}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range vs {
		d, err := w.s.Decide(vs[i], vs[i].At)
		if err != nil {
			b.Fatal(err)
		}
		w.s.Apply(vt.Event{Seq: uint64(1000 + i), Kind: vt.KindDoseAdministered, Key: "dose:" + vs[i].ID, Recorded: vs[i].At, Hash: uint64(i), Data: d})
	}
}

// Applying a decided dose allocates nothing on the heap (records and lists
// come from chunks; a chunk every 16,384 doses averages to zero): first
// doses, then a booster for the same people.
func TestDoseApplyAllocatesNothing(t *testing.T) {
	const n = 2000
	w := benchWorld(t, n)
	evs := make([]vt.Event, n)
	for i := range evs {
		at := t0.Add(time.Duration(i)*time.Second).AddDate(0, 0, 200*(i/(n/2)))
		v := vt.DoseAdministered{ID: "d" + strconv.Itoa(i), Person: benchPerson(i % (n / 2)), At: at, Place: "VP-AKM-1", Lot: "L-BIG", Vaccinator: "nurse"}
		evs[i] = vt.Event{Seq: uint64(1000 + i), Kind: v.Kind(), Key: "dose:" + v.ID, Recorded: at, Hash: 1, Data: v}
	}
	i := 0
	allocs := testing.AllocsPerRun(n-1, func() {
		w.s.Apply(evs[i])
		i++
	})
	if allocs != 0 {
		t.Fatalf("%v heap allocations per applied dose, want 0", allocs)
	}
	if _, d := w.s.Counts(); d != n {
		t.Fatalf("%d doses applied, want %d", d, n)
	}
}
