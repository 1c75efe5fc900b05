package scenario

import (
	"context"
	"fmt"
	"time"

	"vaxtrace"
	"vaxtrace/engine"
)

// Minimal loads the catalog and regions, a national warehouse, one regional
// warehouse and `points` vaccination points in Akmola, and `doses` doses of
// each Sputnik V component at every point (lots released, expiring in 2022).
// Tests, benchmarks and the crash test build on it.
func Minimal(ctx context.Context, eng *engine.Engine, points int, doses int64) error {
	ref, err := LoadReference()
	if err != nil {
		return err
	}
	at := time.Date(2021, 1, 10, 4, 0, 0, 0, time.UTC)
	if err := Seed(ctx, eng, ref, at); err != nil {
		return err
	}
	total := doses * int64(points)
	cmds := []engine.Command{
		cmd("place:NW", at, vaxtrace.PlaceDefined{Place: vaxtrace.Place{ID: "NW", Kind: vaxtrace.PlaceNational, Name: "National warehouse"}}),
		cmd("place:RW-AKM", at, vaxtrace.PlaceDefined{Place: vaxtrace.Place{ID: "RW-AKM", Kind: vaxtrace.PlaceRegional, Name: "Akmola warehouse", Region: "KZ-AKM", Parent: "NW"}}),
		cmd("agreement:AG", at, vaxtrace.AgreementSigned{Agreement: vaxtrace.Agreement{ID: "AG", Supplier: "KPC", Product: "sputnik-v", Doses: 2 * total, Signed: vaxtrace.DateOf(at), Domestic: true}}),
	}
	for _, c := range []string{"I", "II"} {
		lot := "FIX-" + c
		cmds = append(cmds,
			cmd("lot:"+lot, at, vaxtrace.LotRegistered{Lot: vaxtrace.Lot{ID: lot, Product: "sputnik-v", Component: c, Manufacturer: "KPC", Manufactured: vaxtrace.MkDate(2021, 1, 1), Expiry: vaxtrace.MkDate(2022, 12, 31), Origin: vaxtrace.OriginDomestic, Agreement: "AG", DosesPerVial: 5}}),
			cmd("receipt:"+lot, at, vaxtrace.StockReceived{Receipt: "R-" + lot, Place: "NW", Lot: lot, Doses: total, Agreement: "AG", Occurred: at}),
			cmd("release:"+lot, at, vaxtrace.LotReleased{Lot: lot, Occurred: vaxtrace.DateOf(at)}),
			cmd("ship:"+lot, at, vaxtrace.ShipmentDispatched{Shipment: "S-" + lot, From: "NW", To: "RW-AKM", Occurred: at, Lines: []vaxtrace.ShipmentLine{{Lot: lot, Doses: total}}}),
			cmd("recv:"+lot, at, vaxtrace.ShipmentReceived{Shipment: "S-" + lot, Occurred: at}),
		)
	}
	for i := 1; i <= points; i++ {
		id := PointID(i)
		cmds = append(cmds, cmd("place:"+id, at, vaxtrace.PlaceDefined{Place: vaxtrace.Place{ID: id, Kind: vaxtrace.PlacePoint, Name: "Point " + id, Region: "KZ-AKM", Parent: "RW-AKM"}}))
		for _, c := range []string{"I", "II"} {
			sid := "S-" + id + "-" + c
			cmds = append(cmds,
				cmd("ship:"+sid, at, vaxtrace.ShipmentDispatched{Shipment: sid, From: "RW-AKM", To: id, Occurred: at, Lines: []vaxtrace.ShipmentLine{{Lot: "FIX-" + c, Doses: doses}}}),
				cmd("recv:"+sid, at, vaxtrace.ShipmentReceived{Shipment: sid, Occurred: at}))
		}
	}
	return submitAll(ctx, eng, cmds)
}

// PointID names the i-th fixture point.
func PointID(i int) string { return fmt.Sprintf("VP-AKM-%04d", i) }
