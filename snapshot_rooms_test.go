package vaxtrace_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	vt "vaxtrace"
)

// richWorld touches every room of the State: the catalog (a product
// redefined, a region added with a validity date, a place moved into it
// with its stock), agreements, lots (released, suspended, reinstated, AEFI),
// receipts, shipments (received with losses, one held in transit by an
// excursion), adjustments and counts, excursions, sessions, targets,
// tallies, first doses (coverage and person-level counts), equipment
// (defined, changed), placements, alarms (acknowledged, cleared, one left
// open), VVM stages, policies and requisitions (fulfilled, rejected,
// submitted).
func richWorld(t testing.TB) *world {
	w := newWorld(t)
	at := consumption(w) // 84 first doses at VP-AKM-1, 1–28 March
	qv := qazvac
	qv.Name, qv.Names, qv.Disease = "QazVac (QazCovid-in)", map[string]string{"ru": "КазВак", "en": "QazVac"}, vt.CampaignDisease
	w.must(vt.ProductDefined{Product: qv}, at)
	from := vt.DateOf(at)
	w.must(vt.RegionDefined{Region: vt.Region{Code: "KZ-10", ISO2022: "KZ-10", Type: "region", Names: map[string]string{"en": "Abai", "kk": "Абай"}, Population: 611888, PopulationDate: from, ValidFrom: &from}}, at)
	w.must(vt.PlaceDefined{Place: vt.Place{ID: "VP-KAR-1", Kind: vt.PlacePoint, Name: "Semey 1", Names: map[string]string{"ru": "Семей 1"}, Region: "KZ-KAR", Parent: "RW-KAR"}}, at)
	w.must(vt.AgreementSigned{Agreement: vt.Agreement{ID: "AG2", Supplier: "KPC", Product: "qazvac", Doses: 5000, Signed: vt.DateOf(t0), Domestic: true, Note: "fill-finish"}}, at)
	w.must(vt.LotRegistered{Lot: vt.Lot{ID: "Q-1", Product: "qazvac", Component: "1", Manufacturer: "KPC", Manufactured: vt.MkDate(2021, 2, 1), Expiry: vt.MkDate(2021, 9, 1), Origin: vt.OriginDomestic, Agreement: "AG2", DosesPerVial: 5}}, at)
	w.must(vt.StockReceived{Receipt: "R-Q-1", Place: "NW", Lot: "Q-1", Doses: 2000, Agreement: "AG2", Occurred: at}, at)
	w.must(vt.LotReleased{Lot: "Q-1", Occurred: vt.DateOf(at)}, at)
	at = at.Add(time.Hour)
	w.must(vt.ShipmentDispatched{Shipment: "S-Q-1", From: "NW", To: "RW-KAR", Occurred: at, Product: "qazvac", Doses: 800}, at)
	w.must(vt.ShipmentReceived{Shipment: "S-Q-1", Occurred: at.Add(time.Hour), Lines: []vt.ReceiptLine{{Lot: "Q-1", Received: 790, Short: 5, Damaged: 3, VVMFailed: 2}}}, at.Add(time.Hour))
	at = at.Add(2 * time.Hour)
	w.must(vt.ShipmentDispatched{Shipment: "S-Q-2", From: "RW-KAR", To: "VP-KAR-1", Occurred: at, Lines: []vt.ShipmentLine{{Lot: "Q-1", Doses: 200}}}, at)
	w.must(vt.ShipmentReceived{Shipment: "S-Q-2", Occurred: at.Add(time.Hour)}, at.Add(time.Hour))
	at = at.Add(2 * time.Hour)
	for i := byte(200); i < 204; i++ {
		w.must(vt.PersonRegistered{Person: vt.Person{ID: pid(i), IINSealed: "x", Family: "K", BirthDate: vt.MkDate(1950+int(i-200)*10, 2, 2), Sex: vt.SexMale, Region: "KZ-KAR"}}, at)
		d := dose(fmt.Sprintf("DQ%d", i), pid(i), at, "Q-1")
		d.Place = "VP-KAR-1"
		w.must(d, at)
	}
	w.must(vt.SessionClosed{Session: "SS-1", Place: "VP-KAR-1", Date: vt.DateOf(at), Lot: "Q-1", VialsOpened: 1}, at.Add(time.Hour))
	w.must(vt.TallySubmitted{Place: "VP-KAR-1", Date: vt.DateOf(at), Product: "qazvac", DoseNumber: 1, Count: 6}, at.Add(time.Hour))
	w.must(vt.TallySubmitted{Place: "VP-AKM-1", Date: vt.MkDate(2021, 3, 2), Product: "sputnik-v", DoseNumber: 1, Count: 2}, at.Add(time.Hour))
	w.must(vt.AEFIReported{ID: "AEFI-1", Dose: "DQ200", Serious: false, Description: "fever", Onset: at.Add(30 * time.Minute)}, at.Add(time.Hour))
	w.must(vt.TargetSet{Target: vt.Target{ID: "T-APR", Region: "KZ-KAR", From: vt.MkDate(2021, 4, 1), To: vt.MkDate(2021, 4, 30), Measure: vt.MeasureFirst, Group: "60+", Value: 1000, Note: "April"}}, at)
	w.must(vt.TargetSet{Target: vt.Target{ID: "T-NAT", From: vt.MkDate(2021, 4, 1), To: vt.MkDate(2021, 12, 31), Measure: vt.MeasureFull, Value: 1000000}}, at)
	// the point moves to the new region with its stock
	at = at.Add(time.Hour)
	w.must(vt.PlaceMoved{Place: "VP-KAR-1", Region: "KZ-10", From: vt.DateOf(at)}, at)
	w.must(vt.StockAdjusted{Place: "VP-KAR-1", Lot: "Q-1", Delta: -3, Reason: vt.ReasonDamaged, Note: "dropped", Occurred: at}, at)
	w.must(vt.StockCounted{Place: "RW-KAR", Lot: "Q-1", Counted: 595, Occurred: at}, at)
	// a lot suspended and reinstated
	w.must(vt.LotSuspended{Lot: "L-I-B", Reason: "inspection"}, at)
	w.must(vt.LotReinstated{Lot: "L-I-B", Reason: "inspection passed"}, at)
	// cold chain: freezers, placements, an alarm with its excursion
	setupFreezers(w)
	w.must(vt.EquipmentChanged{Equipment: equip(freezer, func(e *vt.Equipment) { e.Status, e.Model = vt.StatusNeedsRepair, "Vestfrost MF 314" }), Reason: "door seal", Occurred: at}, at)
	w.must(vt.EquipmentDefined{Equipment: equip(fridge, func(e *vt.Equipment) { e.ID, e.Place, e.Device, e.HeatMinutes = "F-KAR", "VP-KAR-1", "RTM-K", 30 }), Occurred: at}, at)
	started := at.Add(-time.Hour)
	alarm := vt.AlarmID("RTM-2", vt.AlarmHeat, started)
	x := vt.ExcursionID(alarm)
	w.must(vt.ExcursionReported{Excursion: x, Place: "RW-AKM", MinC: -17.5, MaxC: -12, Minutes: 60, Occurred: started, Lots: []string{"L-I-A"}}, at)
	w.must(vt.AlarmOpened{Alarm: alarm, Equipment: "Z1", Device: "RTM-2", AlarmKind: vt.AlarmHeat, Started: started, Detected: at, ThresholdC: -18, MinC: -17.5, MaxC: -12, Minutes: 60, Source: "mqtt", Excursion: x}, at)
	w.must(vt.AlarmAcknowledged{Alarm: alarm, Comment: "door ajar"}, at.Add(time.Minute))
	w.must(vt.AlarmAcknowledged{Alarm: alarm, Comment: "closed", At: at.Add(2 * time.Minute)}, at.Add(2*time.Minute))
	w.must(vt.AlarmCleared{Alarm: alarm, Ended: at.Add(time.Hour), MinC: -17.5, MaxC: -11, Minutes: 120}, at.Add(time.Hour))
	silent := vt.AlarmID("RTM-K", vt.AlarmSilent, at)
	w.must(vt.AlarmOpened{Alarm: silent, Equipment: "F-KAR", Device: "RTM-K", AlarmKind: vt.AlarmSilent, Started: at, Detected: at.Add(time.Hour), Source: "check"}, at.Add(time.Hour))
	at = at.Add(2 * time.Hour)
	w.must(vt.VVMRecorded{Place: "VP-KAR-1", Lot: "Q-1", Stage: 2, Context: vt.VVMAtCount, Occurred: at}, at)
	w.must(vt.VVMRecorded{Place: "RW-KAR", Lot: "Q-1", Stage: 3, Doses: 5, Context: vt.VVMAtInspection, Occurred: at, Note: "five vials"}, at)
	// an excursion in transit
	w.must(vt.ShipmentDispatched{Shipment: "S-T", From: "RW-KAR", To: "VP-KAR-1", Occurred: at, Lines: []vt.ShipmentLine{{Lot: "Q-1", Doses: 50}}}, at)
	w.must(vt.ExcursionReported{Excursion: "X-T", Shipment: "S-T", MinC: 9, MaxC: 11, Minutes: 40, Occurred: at}, at)
	// replenishment: a policy, a requisition fulfilled and received, one rejected, one waiting
	w.must(vt.PolicySet{Policy: vt.ReplenishmentPolicy{Place: "VP-AKM-1", Method: vt.MethodPopulation, SupplyIntervalWeeks: 2, LeadTimeDays: 3, TargetPopulation: 5000, CoveragePercent: 60, Products: []string{"sputnik-v"}}, Occurred: at}, at)
	w.must(vt.RequisitionCreated{Requisition: "RQ-1", Place: "VP-AKM-1", Lines: []vt.RequisitionLine{{Product: "sputnik-v", Component: "I", Doses: 50}}, Note: "April", Occurred: at}, at)
	w.must(vt.RequisitionEdited{Requisition: "RQ-1", Lines: []vt.RequisitionLine{{Product: "sputnik-v", Component: "I", Doses: 40}}, Reason: "short"}, at)
	w.must(vt.RequisitionApproved{Requisition: "RQ-1", Note: "ok"}, at)
	w.must(vt.ShipmentDispatched{Shipment: "RQ-1-1", From: "RW-AKM", To: "VP-AKM-1", Occurred: at, Lines: []vt.ShipmentLine{{Lot: "L-I-B", Doses: 30}}}, at)
	w.must(vt.RequisitionFulfilled{Requisition: "RQ-1", Shipment: "RQ-1-1"}, at)
	w.must(vt.ShipmentReceived{Shipment: "RQ-1-1", Occurred: at.Add(time.Hour)}, at.Add(time.Hour))
	w.must(vt.RequisitionCreated{Requisition: "RQ-2", Place: "RW-KAR", Lines: []vt.RequisitionLine{{Product: "qazvac", Doses: 500}}, Occurred: at}, at)
	w.must(vt.RequisitionRejected{Requisition: "RQ-2", Reason: "reserved"}, at)
	w.must(vt.RequisitionCreated{Requisition: "RQ-3", Place: "VP-KAR-1", Lines: []vt.RequisitionLine{{Product: "qazvac", Doses: 100}}, Occurred: at}, at)
	// a second dose late (as-known counters), a dose voided
	late := time.Date(2021, 3, 22, 6, 0, 0, 0, time.UTC)
	w.must(dose("D2-1", pid(1), late, "L-II-A"), at.Add(2*time.Hour))
	w.must(vt.DoseVoided{Dose: "D" + itoa(5), Reason: "entered twice"}, at.Add(2*time.Hour))
	return w
}

// snapshot encodes a state.
func snapshot(t testing.TB, s *vt.State) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := s.EncodeSnapshot(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// restore decodes a snapshot.
func restore(t testing.TB, b []byte) *vt.State {
	t.Helper()
	s, err := vt.DecodeSnapshot(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// roomReports answers every exported read of the rooms, as JSON by name;
// with registry, also those that read doses (late records).
// With light, one day and two regions only (for damaged snapshots).
func roomReports(s *vt.State, registry, light bool) map[string]string {
	out := map[string]string{}
	put := func(name string, v any) {
		b, err := json.Marshal(v)
		if err != nil {
			panic(name + ": " + err.Error())
		}
		out[name] = string(b)
	}
	days := []vt.Date{vt.MkDate(2021, 1, 1), vt.MkDate(2021, 3, 2), vt.MkDate(2021, 3, 22), vt.MkDate(2021, 3, 28), vt.MkDate(2021, 3, 29), vt.MkDate(2021, 6, 1)}
	regions := []string{"", "KZ-AKM", "KZ-KAR", "KZ-10"}
	if light {
		days, regions = days[3:4], regions[:2]
	}
	all := func(*vt.PlaceState) bool { return true }
	for _, d := range days {
		for _, r := range regions {
			put("StockPosition "+r+d.String(), s.StockPosition(r, d))
			put("StockPositionKnown "+r+d.String(), s.StockPositionKnown(r, d, d))
			put("Tallies "+r+d.String(), s.Tallies(r, d))
			if registry {
				put("LateRecords "+r+d.String(), s.LateRecords(r, vt.MkDate(2021, 3, 1), d))
			}
			pl, gap := s.TallyEstimate(r, d)
			put("TallyEstimate "+r+d.String(), [2]int64{pl, gap})
			put("RegionLotStock "+r, s.RegionLotStock(r))
			for m := range vt.NumMeasures {
				put(fmt.Sprint("Daily ", r, m, d), s.Daily(r, "", m, vt.MkDate(2021, 3, 1), d))
				put(fmt.Sprint("Cumulative ", r, m, d), s.Cumulative(r, m, d))
				put(fmt.Sprint("KnownCumulative ", r, m, d), s.KnownCumulative(r, m, d, d))
				put(fmt.Sprint("KnownSeries ", r, m, d), s.KnownSeries(r, m, vt.MkDate(2021, 3, 1), d, func(x vt.Date) vt.Date { return x }))
				put(fmt.Sprint("ByAge ", r, m, d), s.ByAge(r, m, d))
				put(fmt.Sprint("BySex ", r, m), s.BySex(r, m))
				for _, g := range []string{"adults", "60+", "18-29", vt.PriorityGroups[0]} {
					put(fmt.Sprint("CumulativeGroup ", r, m, g, d), s.CumulativeGroup(r, m, g, d))
				}
			}
			for k := range vt.NumFlows {
				put(fmt.Sprint("FlowTotal ", r, k, d), s.FlowTotal(r, "", "", k, d))
			}
		}
		put("SupplyPosition "+d.String(), s.SupplyPosition(d))
		put("Arrivals "+d.String(), s.Arrivals(vt.MkDate(2021, 1, 1), d, all))
		put("StockAndWastage "+d.String(), s.StockAndWastage(d, all))
		put("StockLevels "+d.String(), s.StockLevels(d, all))
		put("OWIDRows "+d.String(), s.OWIDRows(d, func(x vt.Date) vt.Date { return x }, "Kazakhstan", "test"))
	}
	put("LastDay", s.LastDay())
	put("WrittenOffByReason", s.WrittenOffByReason())
	put("Products", s.Products())
	put("Regions", s.Regions())
	for _, kind := range []string{"", vt.PlacePoint} {
		for _, r := range []string{"", "KZ-KAR", "KZ-10"} {
			var ids []string
			for _, pl := range s.Places(r, kind) {
				ids = append(ids, pl.ID)
			}
			put("Places "+r+kind, ids)
		}
	}
	put("Lots", s.Lots())
	put("Shipments", s.Shipments(false))
	put("InTransit", s.Shipments(true))
	put("Targets", s.Targets())
	put("Excursions", s.Excursions())
	put("AEFIs", s.AEFIs())
	put("AllEquipment", s.AllEquipment())
	put("Alarms", s.Alarms("", false))
	put("OpenAlarms", s.Alarms("", true))
	put("VVMLog", s.VVMLog(""))
	for _, pl := range s.Places("", "") {
		put("Place "+pl.ID, []any{pl.Place, pl.Doses, pl.NameIn("ru")})
		st, err := s.PlaceStock(pl.ID)
		put("PlaceStock "+pl.ID, []any{st, err})
		put("Policy "+pl.ID, s.Policy(pl.ID))
		lv, err := s.PlaceLevels(pl.ID, vt.MkDate(2021, 3, 29))
		put("PlaceLevels "+pl.ID, []any{lv, err})
		put("EquipmentAt "+pl.ID, s.EquipmentAt(pl.ID))
		for _, l := range s.Lots() {
			id, explicit := s.EquipmentOfLot(pl.ID, l)
			put("EquipmentOfLot "+pl.ID+l.ID, []any{id, explicit})
			v, ok := s.VVMStage(pl.ID, l.ID)
			put("VVMStage "+pl.ID+l.ID, []any{v, ok})
		}
		c, err := s.Capacity(pl.ID, nil)
		put("Capacity "+pl.ID, []any{c, err})
	}
	for _, e := range s.AllEquipment() {
		put("LotsInEquipment "+e.ID, s.LotsInEquipment(e.ID))
		put("OpenAlarms "+e.ID, s.OpenAlarms(e.ID))
		if e.Device != "" {
			put("EquipmentByDevice "+e.Device, s.EquipmentByDevice(e.Device))
		}
	}
	for _, r := range s.Requisitions(nil) {
		lines, short := s.FulfilmentLines(r, vt.MkDate(2021, 3, 29))
		put("Requisition "+r.Requisition, []any{r, s.RequisitionStatus(r), lines, short, r.Shipped("sputnik-v", "I"), r.Shipped("qazvac", "1")})
		for _, id := range r.Shipments {
			put("RequisitionOf "+id, s.RequisitionOf(id))
		}
	}
	for _, l := range s.Lots() {
		put("Balanced "+l.ID, []any{l.Balanced(), l.WrittenOffTotal()})
	}
	return out
}

// sameReports fails on the first report that differs.
func sameReports(t *testing.T, a, b *vt.State) {
	t.Helper()
	pa, _ := a.Counts()
	pb, _ := b.Counts()
	registry := pa == pb // until the registry is in the snapshot, reports that read doses differ
	ra, rb := roomReports(a, registry, false), roomReports(b, registry, false)
	if len(ra) != len(rb) {
		t.Fatalf("%d reports against %d", len(ra), len(rb))
	}
	n := 0
	for k, v := range ra {
		if rb[k] != v {
			n++
			if n <= 3 {
				t.Errorf("%s differs after a snapshot:\n%.600s\n%.600s", k, v, rb[k])
			}
		}
	}
	if n > 0 {
		t.Fatalf("%d of %d reports differ", n, len(ra))
	}
}

// TestSnapshotRoomsRoundTrip: a state encodes to the same bytes after a
// trip through a snapshot, and the restored state answers every report of
// the rooms the same.
func TestSnapshotRoomsRoundTrip(t *testing.T) {
	w := richWorld(t)
	enc := snapshot(t, w.s)
	s2 := restore(t, enc)
	if again := snapshot(t, s2); !bytes.Equal(enc, again) {
		t.Fatalf("encoding changed after a round trip: %d bytes, then %d (first difference at %d)", len(enc), len(again), firstByteDiff(enc, again))
	}
	if !bytes.Equal(enc, snapshot(t, w.s)) {
		t.Fatal("encoding the same state twice gave different bytes")
	}
	sameReports(t, w.s, s2)
	for _, ev := range w.log { // replays are told from conflicts the same
		for _, h := range []uint64{ev.Hash, ev.Hash + 1} {
			seen, same := w.s.KeySeen(ev.Key, h)
			seen2, same2 := s2.KeySeen(ev.Key, h)
			if seen != seen2 || same != same2 {
				t.Fatalf("key %s: seen %v same %v before the snapshot, %v %v after", ev.Key, seen, same, seen2, same2)
			}
		}
	}
	t.Logf("%d events, snapshot %d bytes", len(w.log), len(enc))
}

func firstByteDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// TestSnapshotRoomsDecideAlike: the same further events decided and applied
// on the original state and on its restored copy give the same decisions,
// then the same bytes and the same reports: decisions depend only on what
// the snapshot holds.
func TestSnapshotRoomsDecideAlike(t *testing.T) {
	w := richWorld(t)
	s2 := restore(t, snapshot(t, w.s))
	at := time.Date(2021, 3, 30, 8, 0, 0, 0, time.UTC)
	people, _ := w.s.Counts()
	registry, _ := s2.Counts()
	next := []vt.Payload{
		vt.ProductDefined{Product: light},
		vt.PlaceMoved{Place: "VP-KAR-1", Region: "KZ-KAR", From: vt.DateOf(at)},
		vt.ShipmentDispatched{Shipment: "N-1", From: "NW", To: "RW-KAR", Occurred: at, Product: "sputnik-v", Component: "I", Doses: 50},
		vt.ShipmentDispatched{Shipment: "N-2", From: "RW-AKM", To: "VP-AKM-1", Occurred: at, Product: "sputnik-v", Component: "I", Doses: 5},
		vt.ShipmentDispatched{Shipment: "N-bad", From: "RW-AKM", To: "VP-AKM-1", Occurred: at, Lines: []vt.ShipmentLine{{Lot: "L-I-A", Doses: 1}}}, // held by the excursion
		vt.ShipmentReceived{Shipment: "N-1", Occurred: at.Add(time.Hour)},
		vt.ShipmentReceived{Shipment: "S-T", Occurred: at.Add(time.Hour)},
		vt.ExcursionResolved{Excursion: "X-T", Lot: "Q-1", Decision: "write_off", Occurred: at.Add(2 * time.Hour)},
		vt.ExcursionResolved{Excursion: vt.ExcursionID(vt.AlarmID("RTM-2", vt.AlarmHeat, w.s.Alarms("Z1", false)[0].Started)), Lot: "L-I-A", Decision: "release", Occurred: at.Add(2 * time.Hour)},
		vt.StockCounted{Place: "VP-AKM-1", Lot: "L-I-A", Counted: 10, Occurred: at.Add(2 * time.Hour)},
		vt.StockAdjusted{Place: "RW-KAR", Lot: "Q-1", Delta: -1, Reason: vt.ReasonExpired, Occurred: at.Add(2 * time.Hour)},
		vt.StockPlaced{Place: "RW-AKM", Lot: "L-I-A", Equipment: "Z2", Occurred: at.Add(2 * time.Hour)},
		vt.VVMRecorded{Place: "VP-KAR-1", Lot: "Q-1", Stage: 4, Context: vt.VVMAtCount, Occurred: at.Add(2 * time.Hour)},
		vt.AlarmCleared{Alarm: w.s.Alarms("F-KAR", true)[0].Alarm, Ended: at, Minutes: 5},
		vt.AlarmAcknowledged{Alarm: w.s.Alarms("F-KAR", false)[0].Alarm, Comment: "battery"},
		vt.EquipmentChanged{Equipment: equip(freezer, func(e *vt.Equipment) { e.Device = "RTM-3" }), Reason: "new logger", Occurred: at},
		vt.EquipmentChanged{Equipment: equip(freezer, func(e *vt.Equipment) { e.Device = "RTM-22" }), Reason: "new logger", Occurred: at},
		vt.RequisitionApproved{Requisition: "RQ-3"},
		vt.RequisitionFulfilled{Requisition: "RQ-3", Shipment: "N-1"},
		vt.ShipmentDispatched{Shipment: "N-3", From: "RW-KAR", To: "VP-KAR-1", Occurred: at, Product: "qazvac", Doses: 20},
		vt.RequisitionFulfilled{Requisition: "RQ-3", Shipment: "N-3"},
		vt.RequisitionCreated{Requisition: "RQ-4", Place: "VP-AKM-1", FromStock: true, Occurred: at},
		vt.RequisitionFulfilled{Requisition: "RQ-1", Shipment: "N-2"},
		vt.TallySubmitted{Place: "VP-AKM-1", Date: vt.MkDate(2021, 3, 2), Product: "sputnik-v", DoseNumber: 1, Count: 4},
		vt.TallySubmitted{Place: "VP-AKM-1", Date: vt.MkDate(2021, 3, 2), Product: "sputnik-v", DoseNumber: 1, Count: 4, Reopen: true},
		vt.TargetSet{Target: vt.Target{ID: "T-APR-2", Region: "KZ-KAR", From: vt.MkDate(2021, 4, 1), To: vt.MkDate(2021, 4, 30), Measure: vt.MeasureFirst, Group: "60+", Value: 999}},
		vt.SessionClosed{Session: "SS-1", Place: "VP-KAR-1", Date: vt.DateOf(at), Lot: "Q-1", VialsOpened: 1},
		vt.AEFIReported{ID: "AEFI-1", Dose: "DQ201", Description: "again", Onset: at},
		vt.LotSuspended{Lot: "Q-1", Reason: "recall"},
		vt.LotReleased{Lot: "Q-1", Occurred: vt.DateOf(at)},
		vt.AgreementSigned{Agreement: vt.Agreement{ID: "AG2", Supplier: "x", Product: "qazvac", Doses: 1, Signed: vt.DateOf(at)}},
		vt.StockReceived{Receipt: "R-Q-2", Place: "NW", Lot: "Q-1", Doses: 4000, Agreement: "AG2", Occurred: at},
		vt.StockReceived{Receipt: "R-Q-3", Place: "NW", Lot: "Q-1", Doses: 3000, Agreement: "AG2", Occurred: at},
		vt.PolicySet{Policy: vt.ReplenishmentPolicy{Place: "RW-KAR", Method: vt.MethodConsumption}, Occurred: at},
	}
	if registry == people {
		next = append(next, dose("N-D1", pid(2), at, "L-II-A"), vt.DoseVoided{Dose: "D2-1", Reason: "x"})
	} else {
		t.Logf("the registry is not in the snapshot yet (%d people restored of %d): room events only", registry, people)
	}
	for i, p := range next {
		rec := at.Add(3*time.Hour + time.Duration(i)*time.Minute)
		d1, err1 := w.s.Decide(p, rec)
		d2, err2 := s2.Decide(p, rec)
		j1, _ := json.Marshal(d1)
		j2, _ := json.Marshal(d2)
		if fmt.Sprint(err1) != fmt.Sprint(err2) || !bytes.Equal(j1, j2) {
			t.Fatalf("event %d %s decided differently after a snapshot:\n%v %s\n%v %s", i, p.Kind(), err1, j1, err2, j2)
		}
		if err1 != nil {
			t.Logf("event %d %s refused on both: %v", i, p.Kind(), err1)
			continue
		}
		seq := w.s.Seq + 1
		ev := vt.Event{Seq: seq, Kind: p.Kind(), Key: fmt.Sprintf("next:%d", i), Recorded: rec, Hash: vt.ContentHash(p), Actor: "tester"}
		ev.Data = d1
		w.s.Apply(ev)
		ev.Data = d2
		s2.Apply(ev)
	}
	if a, b := snapshot(t, w.s), snapshot(t, s2); !bytes.Equal(a, b) {
		t.Fatalf("after the same events the encodings differ (at byte %d of %d)", firstByteDiff(a, b), len(a))
	}
	sameReports(t, w.s, s2)
}

// TestSnapshotRoomsRefuseBadReferences: a snapshot whose rooms refer to
// what it does not hold is refused as corrupt, never loaded to fail later.
func TestSnapshotRoomsRefuseBadReferences(t *testing.T) {
	for _, name := range vt.SnapshotBreakNames() {
		t.Run(name, func(t *testing.T) {
			w := richWorld(t)
			vt.SnapshotBreak(w.s, name)
			s, err := vt.DecodeSnapshot(bytes.NewReader(snapshot(t, w.s)))
			if !errors.Is(err, vt.ErrSnapshotCorrupt) || s != nil {
				t.Fatalf("decoded a snapshot with %s: %v", name, err)
			}
		})
	}
}

// TestSnapshotRoomsTruncated: every prefix of a snapshot is refused.
func TestSnapshotRoomsTruncated(t *testing.T) {
	enc := snapshot(t, richWorld(t).s)
	step := max(1, len(enc)/2000)
	for n := 0; n < len(enc); n += step {
		if _, err := vt.DecodeSnapshot(bytes.NewReader(enc[:n])); !errors.Is(err, vt.ErrSnapshotCorrupt) {
			t.Fatalf("a snapshot cut at %d of %d bytes: %v", n, len(enc), err)
		}
	}
}

// smallWorld has a record or two in every room, so that damage to any byte
// of its snapshot lands somewhere that matters.
func smallWorld(t testing.TB) *world {
	w := newWorld(t)
	w.must(vt.EquipmentDefined{Equipment: freezer, Occurred: t0}, t0)
	w.must(vt.StockPlaced{Place: "RW-AKM", Lot: "L-I-A", Equipment: "Z1", Occurred: t0}, t0)
	w.must(vt.AlarmOpened{Alarm: "A", Equipment: "Z1", Device: "RTM-2", AlarmKind: vt.AlarmSilent, Started: t0, Detected: t0, Source: "check"}, t0)
	w.must(vt.VVMRecorded{Place: "RW-AKM", Lot: "L-I-A", Stage: 2, Context: vt.VVMAtCount, Occurred: t0}, t0)
	w.must(vt.ExcursionReported{Excursion: "X", Place: "RW-AKM", MinC: 9, MaxC: 11, Minutes: 40, Occurred: t0, Lots: []string{"L-II-A"}}, t0)
	w.must(vt.TallySubmitted{Place: "VP-AKM-1", Date: vt.DateOf(t0), Product: "sputnik-v", DoseNumber: 1, Count: 1}, t0)
	w.must(vt.TargetSet{Target: vt.Target{ID: "T", From: vt.DateOf(t0), To: vt.DateOf(t0), Measure: vt.MeasureFirst, Value: 1}}, t0)
	w.must(vt.RequisitionCreated{Requisition: "R", Place: "VP-AKM-1", Lines: []vt.RequisitionLine{{Product: "sputnik-v", Component: "I", Doses: 5}}, Occurred: t0}, t0)
	w.must(vt.RequisitionApproved{Requisition: "R"}, t0)
	w.must(vt.ShipmentDispatched{Shipment: "S", From: "RW-AKM", To: "VP-AKM-1", Occurred: t0, Lines: []vt.ShipmentLine{{Lot: "L-I-A", Doses: 5}}}, t0)
	w.must(vt.RequisitionFulfilled{Requisition: "R", Shipment: "S"}, t0)
	w.must(dose("D", w.person(1), t0, "L-I-A"), t0)
	return w
}

// checkDecodes decodes b: an error must be ErrSnapshotCorrupt; a state that
// decodes must answer its reports and encode again without panicking.
func checkDecodes(t *testing.T, b []byte) {
	t.Helper()
	s, err := vt.DecodeSnapshot(bytes.NewReader(b))
	if err != nil {
		if !errors.Is(err, vt.ErrSnapshotCorrupt) {
			t.Fatalf("error not marked corrupt: %v", err)
		}
		return
	}
	roomReports(s, true, true)
	var out bytes.Buffer
	if err := s.EncodeSnapshot(&out); err != nil {
		t.Fatal(err)
	}
}

// TestSnapshotRoomsDamaged: bytes all through a small snapshot damaged in
// turn give a refusal or a state that answers, never a panic.
func TestSnapshotRoomsDamaged(t *testing.T) {
	enc := snapshot(t, smallWorld(t).s)
	step := max(1, len(enc)/800)
	for i := 0; i < len(enc); i += step {
		for _, x := range []byte{0x55} {
			b := bytes.Clone(enc)
			b[i] ^= x
			func() {
				defer func() {
					if p := recover(); p != nil {
						t.Fatalf("byte %d of %d xor %#x: panic %v", i, len(enc), x, p)
					}
				}()
				checkDecodes(t, b)
			}()
		}
	}
}

// FuzzDecodeSnapshot: decoding arbitrary bytes never panics, and a state
// that decodes answers its reports and encodes again without panicking.
func FuzzDecodeSnapshot(f *testing.F) {
	enc := snapshot(f, richWorld(f).s)
	f.Add(enc)
	f.Add(enc[:len(enc)/2])
	f.Add(snapshot(f, vt.NewState()))
	f.Add(snapshot(f, smallWorld(f).s))
	f.Fuzz(checkDecodes)
}
