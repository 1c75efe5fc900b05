package vaxtrace_test

import (
	"fmt"
	"testing"
	"time"

	vt "vaxtrace"
)

// nationalLedger builds, through Decide and Apply, a country of 17 regions
// and `points` vaccination points, each supplied with both Sputnik V
// components and giving `perDay` first doses a day for the four weeks
// before 28 March 2021, with some shipments still in transit.
func nationalLedger(tb testing.TB, points, perDay int) (*vt.State, vt.Date) {
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
	at := time.Date(2021, 2, 1, 4, 0, 0, 0, time.UTC)
	do(vt.ProductDefined{Product: sputnik}, at)
	do(vt.PlaceDefined{Place: vt.Place{ID: "NW", Kind: vt.PlaceNational, Name: "National"}}, at)
	do(vt.AgreementSigned{Agreement: vt.Agreement{ID: "AG", Supplier: "KPC", Product: "sputnik-v", Doses: 1 << 40, Signed: vt.DateOf(at), Domestic: true}}, at)
	perPoint := int64(perDay*28 + 200)
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
		for d := 0; d < 28; d++ {
			day := time.Date(2021, 3, 1+d, 6, 0, 0, 0, time.UTC)
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
// supply and warnings for every place of a 3,000-point country (goal ≤ 200 ms).
func BenchmarkMinMax3000Points(b *testing.B) {
	s, asOf := nationalLedger(b, 3000, 2)
	b.ResetTimer()
	var n int
	for i := 0; i < b.N; i++ {
		n = len(s.StockLevels(asOf, nil))
	}
	b.ReportMetric(float64(n), "levels")
}

func TestNationalLedgerLevels(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 300-point ledger")
	}
	s, asOf := nationalLedger(t, 300, 1)
	ls := s.StockLevels(asOf, nil)
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
