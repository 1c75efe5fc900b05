package vaxtrace_test

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	vt "vaxtrace"
	"vaxtrace/gen"
)

// campaignState builds, through Decide and Apply, a 2021-like campaign of
// people people (default 200,000; VAXTRACE_SNAP_PEOPLE) over 17 regions
// with 40 points each and three products, February to December: national
// size rooms (coverage region × product × day, person-level counts by
// point and day, flows by region and component), a registry of a tenth
// of the nation.
func campaignState(tb testing.TB) *vt.State {
	people := 200_000
	if v, err := strconv.Atoi(os.Getenv("VAXTRACE_SNAP_PEOPLE")); err == nil && v > 0 {
		people = v
	}
	var regions []vt.Region
	for i := range 17 {
		regions = append(regions, vt.Region{Code: fmt.Sprintf("KZ-R%02d", i), Type: "region", Names: map[string]string{"en": fmt.Sprint("Region ", i)}, Population: 500_000 + 100_000*i})
	}
	catalog := []vt.Product{sputnik, qazvac}
	cfg := gen.DefaultConfig(people, regions, catalog)
	cfg.PointsPerRegion = 40
	g, err := gen.New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	s := vt.NewState()
	seq := uint64(0)
	do := func(p vt.Payload, at time.Time) {
		d, err := s.Decide(p, at)
		if err != nil {
			tb.Fatalf("%s: %v", p.Kind(), err)
		}
		seq++
		key := "k" + strconv.FormatUint(seq, 36)
		switch v := p.(type) { // the keys the API gives: kept on the record, not in the key index
		case vt.DoseAdministered:
			key = "dose:" + v.ID
		case vt.PersonRegistered:
			key = "person:" + v.Person.ID.String()
		}
		s.Apply(vt.Event{Seq: seq, Kind: p.Kind(), Key: key, Recorded: at, Data: d})
	}
	at := time.Date(2021, 1, 20, 9, 0, 0, 0, time.UTC)
	for _, p := range catalog {
		do(vt.ProductDefined{Product: p}, at)
	}
	for _, r := range regions {
		do(vt.RegionDefined{Region: r}, at)
	}
	do(vt.PlaceDefined{Place: vt.Place{ID: "NW", Kind: vt.PlaceNational, Name: "National"}}, at)
	for _, pl := range gen.Places("NW", regions, cfg.PointsPerRegion) {
		do(vt.PlaceDefined{Place: pl}, at)
	}
	do(vt.AgreementSigned{Agreement: vt.Agreement{ID: "AG", Supplier: "KPC", Product: "sputnik-v", Doses: 1_000_000_000, Signed: vt.DateOf(at), Domestic: true}}, at)
	points := gen.Points(regions, cfg.PointsPerRegion)
	perPoint := int64(people)
	lots := map[string]string{}
	for _, p := range catalog {
		for _, c := range p.Components {
			l := "B-" + p.Code + "-" + c.Code
			lots[p.Code+"/"+c.Code] = l
			do(vt.LotRegistered{Lot: vt.Lot{ID: l, Product: p.Code, Component: c.Code, Manufacturer: "KPC", Manufactured: vt.MkDate(2021, 1, 1), Expiry: vt.MkDate(2022, 12, 31), Origin: vt.OriginDomestic, DosesPerVial: 5}}, at)
			do(vt.StockReceived{Receipt: "R" + l, Place: "NW", Lot: l, Doses: perPoint * int64(len(points)+1), Occurred: at}, at)
			do(vt.LotReleased{Lot: l, Occurred: vt.DateOf(at)}, at)
			for _, pt := range points {
				sid := "S-" + pt + l
				do(vt.ShipmentDispatched{Shipment: sid, From: "NW", To: pt, Occurred: at, Lines: []vt.ShipmentLine{{Lot: l, Doses: perPoint}}}, at)
				do(vt.ShipmentReceived{Shipment: sid, Occurred: at}, at)
			}
		}
	}
	ids := make([]vt.PersonID, people)
	for d := range g.Doses {
		if d.New != nil {
			h := sha256.Sum256([]byte(d.IIN))
			copy(ids[d.Person][:], h[:16])
			do(vt.PersonRegistered{Person: d.New.Registry(ids[d.Person], "sealed")}, d.At.Add(-time.Minute))
		}
		do(d.Administered(ids[d.Person], lots[d.Product+"/"+d.Component]), d.At.Add(time.Duration(d.Person%3)*24*time.Hour))
	}
	return s
}

// BenchmarkSnapshotRooms writes and reads the rooms of a campaign state.
func BenchmarkSnapshotRooms(b *testing.B) {
	if testing.Short() {
		b.Skip("builds a 200,000-person campaign")
	}
	s := campaignState(b)
	var buf bytes.Buffer
	if err := vt.EncodeRooms(s, &buf); err != nil {
		b.Fatal(err)
	}
	enc := bytes.Clone(buf.Bytes())
	people, doses := s.Counts()
	b.Logf("%d people, %d doses: rooms snapshot %d bytes", people, doses, len(enc))
	b.Run("encode", func(b *testing.B) {
		b.SetBytes(int64(len(enc)))
		for b.Loop() {
			buf.Reset()
			if err := vt.EncodeRooms(s, &buf); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decode", func(b *testing.B) {
		b.SetBytes(int64(len(enc)))
		for b.Loop() {
			if _, err := vt.DecodeRooms(bytes.NewReader(enc)); err != nil {
				b.Fatal(err)
			}
		}
	})
}
