package vaxtrace_test

import (
	"fmt"
	"runtime"
	"syscall"
	"testing"
	"time"

	vt "vaxtrace"
)

// cpuTime is the process's user and system CPU time so far: on a shared
// machine it says what an operation costs when wall time says how busy
// the neighbours are.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// nationalLedger builds, through Decide and Apply, a country of 17 regions
// and `points` vaccination points, each supplied with both Sputnik V
// components and giving `perDay` first doses a day for the `days` days up
// to 28 March 2021, with some shipments still in transit.
func nationalLedger(tb testing.TB, points, perDay, days int) (*vt.State, vt.Date) {
	s := vt.NewState()
	seq := uint64(0)
	do := func(p vt.Payload, at time.Time) {
		d, err := s.Decide(p, at)
		if err != nil {
			tb.Fatalf("%s: %v", p.Kind(), err)
		}
		seq++
		s.Apply(vt.Event{Seq: seq, Kind: p.Kind(), Key: fmt.Sprint("k", seq), Recorded: at, Data: d})
	}
	end := time.Date(2021, 3, 28, 6, 0, 0, 0, time.UTC)
	at := end.AddDate(0, 0, -days-2).Add(-2 * time.Hour)
	do(vt.ProductDefined{Product: sputnik}, at)
	do(vt.PlaceDefined{Place: vt.Place{ID: "NW", Kind: vt.PlaceNational, Name: "National"}}, at)
	do(vt.AgreementSigned{Agreement: vt.Agreement{ID: "AG", Supplier: "KPC", Product: "sputnik-v", Doses: int64(vt.MaxQty), Signed: vt.DateOf(at), Domestic: true}}, at)
	if days > 150 {
		tb.Fatal("the lots of the ledger expire at the end of 2021")
	}
	perPoint := int64(perDay*days + 200)
	lots := []string{"B-I", "B-II"}
	for i, c := range []string{"I", "II"} {
		do(vt.LotRegistered{Lot: vt.Lot{ID: lots[i], Product: "sputnik-v", Component: c, Manufacturer: "KPC", Manufactured: vt.MkDate(2021, 1, 1), Expiry: vt.MkDate(2021, 12, 31), Origin: vt.OriginDomestic, Agreement: "AG", DosesPerVial: 5}}, at)
		do(vt.StockReceived{Receipt: "R" + c, Place: "NW", Lot: lots[i], Doses: perPoint * int64(points) * 2, Agreement: "AG", Occurred: at}, at)
		do(vt.LotReleased{Lot: lots[i], Occurred: vt.DateOf(at)}, at)
	}
	regions := 17
	for r := 0; r < regions; r++ {
		code := fmt.Sprintf("KZ-R%02d", r)
		do(vt.RegionDefined{Region: vt.Region{Code: code, Names: map[string]string{"en": code}, Population: 1000000}}, at)
		rw := "RW-" + code
		do(vt.PlaceDefined{Place: vt.Place{ID: rw, Kind: vt.PlaceRegional, Name: rw, Region: code, Parent: "NW"}}, at)
		n := int64(points/regions+1) * perPoint
		for _, l := range lots {
			id := "S-" + rw + l
			do(vt.ShipmentDispatched{Shipment: id, From: "NW", To: rw, Occurred: at, Lines: []vt.ShipmentLine{{Lot: l, Doses: n}}}, at)
			do(vt.ShipmentReceived{Shipment: id, Occurred: at}, at)
		}
	}
	person := 0
	for p := 0; p < points; p++ {
		code := fmt.Sprintf("KZ-R%02d", p%regions)
		id := fmt.Sprintf("VP-%05d", p)
		do(vt.PlaceDefined{Place: vt.Place{ID: id, Kind: vt.PlacePoint, Name: id, Region: code, Parent: "RW-" + code}}, at)
		for k, l := range lots {
			sid := "S-" + id + l
			do(vt.ShipmentDispatched{Shipment: sid, From: "RW-" + code, To: id, Occurred: at, Lines: []vt.ShipmentLine{{Lot: l, Doses: perPoint - int64(k)*100}}}, at)
			if p%10 != 0 { // every tenth point's delivery is still on its way
				do(vt.ShipmentReceived{Shipment: sid, Occurred: at}, at)
			}
		}
		if p%10 == 0 {
			continue
		}
		for d := 0; d < days; d++ {
			day := end.AddDate(0, 0, d-days+1)
			for k := 0; k < perDay; k++ {
				person++
				var pidv vt.PersonID
				pidv[0], pidv[1], pidv[2], pidv[15] = byte(person), byte(person>>8), byte(person>>16), 7
				do(vt.PersonRegistered{Person: vt.Person{ID: pidv, IINSealed: "x", Family: "T", BirthDate: vt.MkDate(1970, 1, 1), Sex: vt.SexMale, Region: code}}, day)
				do(vt.DoseAdministered{ID: fmt.Sprint("D", person), Person: pidv, At: day.Add(time.Duration(k) * time.Minute), Place: id, Lot: "B-I", Vaccinator: "n"}, day.Add(time.Hour))
			}
		}
	}
	return s, vt.MkDate(2021, 3, 28)
}

// BenchmarkMinMax3000Points recomputes min, max, reorder level, weeks of
// supply and warnings for every place of a 3,000-point country (goal ≤ 200
// ms), with four weeks of dose history and with four months.
func BenchmarkMinMax3000Points(b *testing.B) {
	for _, c := range []struct{ perDay, days int }{{2, 28}, {1, 120}} {
		b.Run(fmt.Sprintf("history=%dd", c.days), func(b *testing.B) {
			s, asOf := nationalLedger(b, 3000, c.perDay, c.days)
			runtime.GC() // settle the collector after building the ledger
			b.ResetTimer()
			cpu := cpuTime()
			var n int
			for i := 0; i < b.N; i++ {
				n = len(s.StockLevels(asOf, nil))
			}
			b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N)/1e6, "cpu-ms/op")
			b.ReportMetric(float64(n), "levels")
		})
	}
}

func TestNationalLedgerLevels(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 300-point ledger")
	}
	s, asOf := nationalLedger(t, 300, 1, 40)
	ls := s.StockLevels(asOf, nil)
	// one pass over the counters (all places) and one look-up per day (a
	// single place) give the same levels
	for _, l := range ls[:60] {
		one, err := s.PlaceLevels(l.Place, asOf)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, o := range one {
			if o.Component == l.Component && o.Product == l.Product {
				found = true
				if o.WeeklyNeed != l.WeeklyNeed || o.Max != l.Max || o.Warning != l.Warning {
					t.Fatalf("%s %s: alone %+v, with all %+v", l.Place, l.Component, o, l)
				}
			}
		}
		if !found {
			t.Fatalf("%s %s missing when computed alone", l.Place, l.Component)
		}
	}
	points, warned := 0, 0
	for _, l := range ls {
		if l.PlaceKind == vt.PlacePoint && l.Component == "I" {
			points++
			if l.Warning != "" {
				warned++
			}
		}
	}
	if points != 300 {
		t.Fatalf("%d point levels for component I, want 300", points)
	}
	if warned == 0 {
		t.Fatal("no warnings at all: the points still waiting for their delivery are stocked out")
	}
}
