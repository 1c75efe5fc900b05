package certs

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"vaxtrace"
	"vaxtrace/engine"
	"vaxtrace/pii"
	"vaxtrace/scenario"
	"vaxtrace/sqlite"
)

// clock of the fixture: the engine records and the service issues then.
var fixNow = time.Date(2021, 11, 1, 12, 0, 0, 0, time.UTC)

var admin = vaxtrace.Principal{Name: "admin", Role: vaxtrace.RoleAdmin}

type fixture struct {
	t    testing.TB
	eng  *engine.Engine
	svc  *Service
	keys *pii.Keys
	dir  string
	n    int
	now  time.Time
}

func ts(y int, m time.Month, d, h int) time.Time { return time.Date(y, m, d, h, 0, 0, 0, time.UTC) }

func day(y int, m time.Month, d int) vaxtrace.Date { return vaxtrace.MkDate(y, m, d) }

// newFixture is a real engine on a temporary SQLite journal with a tiny
// registry: the reference catalog, two regions, a supply chain to one
// vaccination point per region, and a certificate service.
func newFixture(t testing.TB) *fixture {
	t.Helper()
	ctx := context.Background()
	tmp := t.TempDir()
	j, err := sqlite.Open(filepath.Join(tmp, "j.db"))
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, dir: filepath.Join(tmp, "j.db.certs"), now: fixNow}
	eng, err := engine.Open(ctx, j, engine.Options{Now: func() time.Time { return f.now }, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close(); j.Close() })
	f.eng = eng
	f.keys, err = pii.New(bytes.Repeat([]byte{9}, 64))
	if err != nil {
		t.Fatal(err)
	}
	f.svc, err = Open(f.dir, "test passphrase", "KZ", ts(2021, 5, 1, 0))
	if err != nil {
		t.Fatal(err)
	}
	f.svc.Now = func() time.Time { return f.now }
	f.seed()
	return f
}

// must submits root events as admin.
func (f *fixture) must(ps ...vaxtrace.Payload) {
	f.t.Helper()
	for _, p := range ps {
		f.n++
		r := f.eng.Submit(context.Background(), engine.Command{Key: "seed:" + strconv.Itoa(f.n), Actor: admin, Data: p})
		if r.Err != nil {
			f.t.Fatalf("seed %s: %v", p.Kind(), r.Err)
		}
	}
}

func (f *fixture) seed() {
	ref, err := scenario.LoadReference()
	if err != nil {
		f.t.Fatal(err)
	}
	for _, p := range ref.Products {
		f.must(vaxtrace.ProductDefined{Product: p})
	}
	for _, g := range ref.Regions2021() {
		if g.Code == "KZ-AKM" || g.Code == "KZ-ALA" {
			f.must(vaxtrace.RegionDefined{Region: g})
		}
	}
	place := func(id, kind, region, parent string) vaxtrace.PlaceDefined {
		return vaxtrace.PlaceDefined{Place: vaxtrace.Place{ID: id, Kind: kind, Name: id, Region: region, Parent: parent}}
	}
	lot := func(id, product, comp, origin, ag string) vaxtrace.LotRegistered {
		return vaxtrace.LotRegistered{Lot: vaxtrace.Lot{ID: id, Product: product, Component: comp, Manufacturer: "M", Manufactured: day(2021, 1, 5),
			Expiry: day(2022, 6, 30), Origin: origin, Agreement: ag, DosesPerVial: 5}}
	}
	f.must(
		place("nat", vaxtrace.PlaceNational, "", ""),
		place("reg-akm", vaxtrace.PlaceRegional, "KZ-AKM", "nat"),
		place("pt-akm", vaxtrace.PlacePoint, "KZ-AKM", "reg-akm"),
		place("reg-ala", vaxtrace.PlaceRegional, "KZ-ALA", "nat"),
		place("pt-ala", vaxtrace.PlacePoint, "KZ-ALA", "reg-ala"),
		vaxtrace.AgreementSigned{Agreement: vaxtrace.Agreement{ID: "ag-1", Supplier: "RDIF", Product: "sputnik-v", Doses: 10000, Signed: day(2021, 1, 10),
			Tranches: []vaxtrace.Tranche{{ID: "t1", Expected: day(2021, 2, 1), Doses: 10000}}}},
		lot("SV-I", "sputnik-v", "I", vaxtrace.OriginImport, "ag-1"),
		lot("SV-II", "sputnik-v", "II", vaxtrace.OriginImport, "ag-1"),
		lot("QV-1", "qazvac", "1", vaxtrace.OriginDomestic, ""),
		lot("SL-1", "sputnik-light", "I", vaxtrace.OriginDomestic, ""),
	)
	for _, l := range []string{"SV-I", "SV-II", "QV-1", "SL-1"} {
		f.must(vaxtrace.LotReleased{Lot: l, Occurred: day(2021, 2, 1)})
		f.must(vaxtrace.StockReceived{Receipt: "R-" + l, Place: "nat", Lot: l, Doses: 1000, Agreement: map[bool]string{true: "ag-1"}[l[:2] == "SV"], Occurred: ts(2021, 2, 2, 9)})
	}
	lines := func(n int64) []vaxtrace.ShipmentLine {
		return []vaxtrace.ShipmentLine{{Lot: "SV-I", Doses: n}, {Lot: "SV-II", Doses: n}, {Lot: "QV-1", Doses: n}, {Lot: "SL-1", Doses: n}}
	}
	f.must(
		vaxtrace.ShipmentDispatched{Shipment: "S1", From: "nat", To: "reg-akm", Occurred: ts(2021, 2, 3, 6), Lines: lines(300)},
		vaxtrace.ShipmentReceived{Shipment: "S1", Occurred: ts(2021, 2, 4, 6)},
		vaxtrace.ShipmentDispatched{Shipment: "S2", From: "reg-akm", To: "pt-akm", Occurred: ts(2021, 2, 5, 6), Lines: lines(100)},
		vaxtrace.ShipmentReceived{Shipment: "S2", Occurred: ts(2021, 2, 5, 12)},
		vaxtrace.ShipmentDispatched{Shipment: "S3", From: "nat", To: "reg-ala", Occurred: ts(2021, 2, 3, 6), Lines: lines(300)},
		vaxtrace.ShipmentReceived{Shipment: "S3", Occurred: ts(2021, 2, 4, 6)},
		vaxtrace.ShipmentDispatched{Shipment: "S4", From: "reg-ala", To: "pt-ala", Occurred: ts(2021, 2, 5, 6), Lines: lines(100)},
		vaxtrace.ShipmentReceived{Shipment: "S4", Occurred: ts(2021, 2, 5, 12)},
	)
}

// person registers a person with a valid IIN built from prefix (11 digits)
// and returns the id and the IIN.
func (f *fixture) person(prefix, family, given, region string, birth vaxtrace.Date) (vaxtrace.PersonID, string) {
	f.t.Helper()
	iin, ok := vaxtrace.CompleteIIN(prefix)
	if !ok {
		f.t.Fatalf("prefix %s is never issued", prefix)
	}
	id, sealed, err := f.keys.Person(iin)
	if err != nil {
		f.t.Fatal(err)
	}
	f.must(vaxtrace.PersonRegistered{Person: vaxtrace.Person{ID: id, IINSealed: sealed, Family: family, Given: given, BirthDate: birth, Sex: vaxtrace.SexFemale, Region: region}})
	return id, iin
}

func (f *fixture) dose(person vaxtrace.PersonID, at time.Time, place, lot string) string {
	f.t.Helper()
	id := person.String()[:8] + "-" + at.Format("20060102")
	f.must(vaxtrace.DoseAdministered{ID: id, Person: person, At: at, Place: place, Lot: lot, Vaccinator: "nurse"})
	return id
}
