package vaxtrace_test

import (
	"fmt"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"testing"
	"time"

	vt "vaxtrace"
	"vaxtrace/pii"
)

// BenchmarkRegistryMemory measures the live heap the registry holds per
// person with two doses: people registered with a sealed IIN and names under
// their "person:" key, then a first and a second dose each under its "dose:"
// key, all through Decide and Apply. It reports B/person (the heap after a
// collection, minus the heap before the people). VAXTRACE_MEM_PEOPLE sets
// the people (default 200,000). Run with -benchtime=1x; -memprofile shows
// where the bytes go.
func BenchmarkRegistryMemory(b *testing.B) {
	n := 200_000
	if v, err := strconv.Atoi(os.Getenv("VAXTRACE_MEM_PEOPLE")); err == nil && v > 0 {
		n = v
	}
	keys, err := pii.New([]byte(strings.Repeat("k", 64)))
	if err != nil {
		b.Fatal(err)
	}
	for range b.N {
		w := memWorld(b, 2*n)
		runtime.GC()
		var m0 runtime.MemStats
		runtime.ReadMemStats(&m0)
		scan0 := scannableHeap()
		almaty := time.FixedZone("", 6*3600)
		seq := uint64(1 << 20)
		apply := func(key string, p vt.Payload, at time.Time) {
			d, err := w.s.Decide(p, at)
			if err != nil {
				b.Fatalf("%s: %v", p.Kind(), err)
			}
			seq++
			w.s.Apply(vt.Event{Seq: seq, Kind: p.Kind(), Key: key, Recorded: at, Hash: seq, Data: d})
		}
		ids := make([]vt.PersonID, n)
		for i := range n {
			iin := fmt.Sprintf("%012d", 800101300000+i)
			id, sealed := keys.ID(iin), keys.Seal(iin)
			ids[i] = id
			p := vt.Person{ID: id, IINSealed: sealed, Family: "Family" + strconv.Itoa(i%1000), Given: "Given" + strconv.Itoa(i%700),
				BirthDate: vt.MkDate(1950+i%50, 1, 1), Sex: vt.SexFemale, Region: "KZ-AKM"}
			apply("person:"+id.String(), vt.PersonRegistered{Person: p}, t0)
		}
		for dose := 1; dose <= 2; dose++ {
			lot := "L-M-I"
			if dose == 2 {
				lot = "L-M-II"
			}
			for i := range n {
				at := t0.AddDate(0, 0, 21*(dose-1)+i%30).In(almaty)
				v := vt.DoseAdministered{ID: fmt.Sprintf("d%d-%d", i, dose), Person: ids[i], At: at, Place: "VP-AKM-1", Lot: lot, Vaccinator: "nurse"}
				apply("dose:"+v.ID, v, at.Add(time.Hour))
			}
		}
		ids = nil
		runtime.GC()
		var m1 runtime.MemStats
		runtime.ReadMemStats(&m1)
		b.ReportMetric(float64(int64(m1.HeapAlloc)-int64(m0.HeapAlloc))/float64(n), "B/person")
		// of which the collector must scan (records with pointers)
		b.ReportMetric(float64(int64(scannableHeap())-int64(scan0))/float64(n), "scan-B/person")
		if p, d := w.s.Counts(); p != n || d != 2*n {
			b.Fatalf("%d people, %d doses, want %d, %d", p, d, n, 2*n)
		}
		memKept = w.s // so that -memprofile, written after the run, sees it live
	}
}

// scannableHeap is the heap the collector scans (runtime/metrics
// /gc/scan/heap:bytes): objects without pointers are not counted.
func scannableHeap() uint64 {
	m := []metrics.Sample{{Name: "/gc/scan/heap:bytes"}}
	metrics.Read(m)
	if m[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return m[0].Value.Uint64()
}

// memKept holds the last measured state.
var memKept *vt.State

// memWorld is newWorld with two Sputnik V lots of doses doses each at
// VP-AKM-1.
func memWorld(b testing.TB, doses int) *world {
	w := newWorld(b)
	at := t0.AddDate(0, -1, 0)
	big := int64(doses) + 10
	for _, l := range []vt.Lot{
		{ID: "L-M-I", Product: "sputnik-v", Component: "I", Manufacturer: "KPC", Manufactured: vt.MkDate(2021, 1, 1), Expiry: vt.MkDate(2022, 1, 1), Origin: vt.OriginDomestic},
		{ID: "L-M-II", Product: "sputnik-v", Component: "II", Manufacturer: "KPC", Manufactured: vt.MkDate(2021, 1, 1), Expiry: vt.MkDate(2022, 1, 1), Origin: vt.OriginDomestic},
	} {
		w.must(vt.LotRegistered{Lot: l}, at)
		w.must(vt.StockReceived{Receipt: "R-" + l.ID, Place: "NW", Lot: l.ID, Doses: big, Occurred: at}, at)
		w.must(vt.LotReleased{Lot: l.ID, Occurred: vt.DateOf(at)}, at)
		w.must(vt.ShipmentDispatched{Shipment: "SA-" + l.ID, From: "NW", To: "RW-AKM", Occurred: at, Lines: []vt.ShipmentLine{{Lot: l.ID, Doses: big}}}, at)
		w.must(vt.ShipmentReceived{Shipment: "SA-" + l.ID, Occurred: at.Add(time.Hour)}, at.Add(time.Hour))
		w.must(vt.ShipmentDispatched{Shipment: "SB-" + l.ID, From: "RW-AKM", To: "VP-AKM-1", Occurred: at.Add(2 * time.Hour), Lines: []vt.ShipmentLine{{Lot: l.ID, Doses: big}}}, at.Add(2*time.Hour))
		w.must(vt.ShipmentReceived{Shipment: "SB-" + l.ID, Occurred: at.Add(3 * time.Hour)}, at.Add(3*time.Hour))
	}
	return w
}
