package fhir

import (
	"context"
	"fmt"
	"sort"
	"time"

	"vaxtrace"
	"vaxtrace/engine"
)

// Fixture is what ImportFixture set up.
type Fixture struct {
	Region    string
	Warehouse string
	Point     string
	// DefaultLots maps each product code to the fixture lot used for
	// Immunizations without lotNumber.
	DefaultLots map[string]string
}

// Importer returns an Importer that falls back on the fixture's region,
// point, lots and the vaccinator "fhir-import".
func (f Fixture) Importer() *Importer {
	return &Importer{DefaultRegion: f.Region, DefaultPlace: f.Point, DefaultVaccinator: "fhir-import", DefaultLots: f.DefaultLots}
}

// ImportFixture is for TESTS ONLY: it makes foreign FHIR data importable by
// defining (idempotently, as admin) the region if unknown, a national
// warehouse and a vaccination point in it, the products if unknown, and for
// each product a released domestic lot "FHIX-<code>" — plus the named lots
// (lot id -> product code), e.g. the spec examples' lotNumbers — each with
// dosesPerLot doses on hand at the point. Dates are in 2000 and lots expire
// in 2099, so any historical dose date from 2000 on passes the lot checks.
func ImportFixture(ctx context.Context, eng *engine.Engine, admin vaxtrace.Principal, region string, products []vaxtrace.Product, namedLots map[string]string, dosesPerLot int64) (Fixture, error) {
	f := Fixture{Region: region, Warehouse: "fhir-fixture-store", Point: "fhir-fixture-point", DefaultLots: map[string]string{}}
	day := func(d int) time.Time { return time.Date(2000, 1, d, 12, 0, 0, 0, time.UTC) }
	var cmds []engine.Command
	cmd := func(key string, p vaxtrace.Payload) {
		cmds = append(cmds, engine.Command{Key: "fhir-fixture:" + key, Actor: admin, Data: p})
	}
	var known map[string]bool
	var regionKnown bool
	eng.Read(func(s *vaxtrace.State) {
		known = map[string]bool{}
		for _, p := range products {
			known[p.Code] = s.Product(p.Code) != nil
		}
		regionKnown = s.Region(region) != nil
	})
	if !regionKnown {
		cmd("region:"+region, vaxtrace.RegionDefined{Region: vaxtrace.Region{Code: region, Type: "region", Names: map[string]string{"en": "FHIR import fixture " + region}, Population: 1, PopulationDate: vaxtrace.MkDate(2021, 1, 1)}})
	}
	cmd("store", vaxtrace.PlaceDefined{Place: vaxtrace.Place{ID: f.Warehouse, Kind: vaxtrace.PlaceNational, Name: "FHIR import fixture store"}})
	cmd("point", vaxtrace.PlaceDefined{Place: vaxtrace.Place{ID: f.Point, Kind: vaxtrace.PlacePoint, Name: "FHIR import fixture point", Region: region, Parent: f.Warehouse}})
	lots := map[string]string{}
	for _, p := range products {
		if !known[p.Code] {
			cmd("product:"+p.Code, vaxtrace.ProductDefined{Product: p})
		}
		id := "FHIX-" + p.Code
		lots[id] = p.Code
		f.DefaultLots[p.Code] = id
	}
	for id, code := range namedLots {
		lots[id] = code
	}
	ids := make([]string, 0, len(lots))
	for id := range lots {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		code := lots[id]
		comp := "1"
		for _, p := range products {
			if p.Code == code && len(p.Components) > 0 {
				comp = p.Components[0].Code
			}
		}
		cmd("lot:"+id, vaxtrace.LotRegistered{Lot: vaxtrace.Lot{ID: id, Product: code, Component: comp, Manufacturer: "fixture", Manufactured: vaxtrace.MkDate(2000, 1, 1), Expiry: vaxtrace.MkDate(2099, 12, 31), Origin: vaxtrace.OriginDomestic}})
		cmd("release:"+id, vaxtrace.LotReleased{Lot: id, Occurred: vaxtrace.MkDate(2000, 1, 2)})
		cmd("receipt:"+id, vaxtrace.StockReceived{Receipt: "fhir-fixture-" + id, Place: f.Warehouse, Lot: id, Doses: dosesPerLot, Occurred: day(3)})
		cmd("ship:"+id, vaxtrace.ShipmentDispatched{Shipment: "fhir-fixture-" + id, From: f.Warehouse, To: f.Point, Occurred: day(4), Lines: []vaxtrace.ShipmentLine{{Lot: id, Doses: dosesPerLot}}})
		cmd("arrive:"+id, vaxtrace.ShipmentReceived{Shipment: "fhir-fixture-" + id, Occurred: day(5)})
	}
	for i, r := range eng.SubmitBatch(ctx, cmds) {
		if r.Err != nil {
			return f, fmt.Errorf("fhir fixture: %s: %w", cmds[i].Key, r.Err)
		}
	}
	return f, nil
}
