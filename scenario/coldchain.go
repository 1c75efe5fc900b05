package scenario

import (
	"fmt"
	"math"
	"sort"
	"time"

	"vaxtrace"
	"vaxtrace/engine"
	"vaxtrace/monitor"
)

// The cold chain of the March 2021 scenario. Sources are silent on the
// equipment of Kazakhstan's stores, so all of it is assumed, and says so:
//
//   - each national warehouse has a freezer room (−25…−18 °C), each
//     regional warehouse a freezer room and a cold room (+2…+8 °C), each
//     vaccination point a chest freezer and a refrigerator; Almaty's
//     regional warehouse has two freezer rooms, component I kept in one
//     and component II in the other (explicit placements). Volumes are
//     round figures; the PQS codes have the catalogue's shape but are
//     illustrative, not a claim about the models in service;
//   - remote temperature monitoring devices report every 10 minutes from
//     18 to 22 March 2021 from the national and regional freezer rooms and
//     from the freezers of the points of Karaganda and Akmola (a few door
//     openings, none long enough to alarm);
//   - on 22 March a power cut warms the freezer of VP-KAR-02 above −18 °C
//     from 13:00 to 15:20 UTC: the heat alarm at 14:00 opens an excursion
//     that quarantines the point's Sputnik V, acknowledged by the point
//     at 14:40 and cleared at 15:20 (the lots stay quarantined until
//     someone releases or writes them off);
//   - VVM stage 1 is recorded at the regional receipts of 20 March in
//     Akmola and Karaganda, and one vial at stage 3 is written off at
//     VP-KAR-05 on 22 March;
//   - requisitions on 22 March: VP-AKM-01's, approved by the region,
//     shipped first-expiry-first-out and received the same evening;
//     VP-AKM-02's, waiting for approval; Karaganda's regional warehouse's,
//     rejected nationally with a reason.

// Demo readings.
var (
	readingsFrom = time.Date(2021, 3, 18, 0, 0, 0, 0, time.UTC)
	readingsTo   = time.Date(2021, 3, 22, 21, 0, 0, 0, time.UTC)
	powerCut     = [2]time.Time{time.Date(2021, 3, 22, 13, 0, 0, 0, time.UTC), time.Date(2021, 3, 22, 15, 20, 0, 0, time.UTC)}
)

// ExcursionPoint is the point whose freezer warms up in the demo.
const ExcursionPoint = "VP-KAR-02"

type demoEquipment struct {
	eq      vaxtrace.Equipment
	monitor bool
}

func (b *builder) equipment() []demoEquipment {
	var out []demoEquipment
	add := func(place, id, typ, pqs string, minC, maxC, litres float64, monitored bool) {
		e := vaxtrace.Equipment{ID: id, Place: place, Type: typ, PQS: pqs, MinC: minC, MaxC: maxC, NetLitres: litres, Status: vaxtrace.StatusWorking}
		if monitored {
			e.Device = "RTM-" + id
		}
		out = append(out, demoEquipment{eq: e, monitor: monitored})
	}
	for _, nw := range []string{"NW-SKP", "NW-KPC"} {
		add(nw, nw+"-FR1", vaxtrace.EquipFreezerRoom, "", -25, -18, 20000, true)
	}
	for i, r := range b.regions {
		rw := "RW-" + regionSuffix(r.Code)
		add(rw, rw+"-FR1", vaxtrace.EquipFreezerRoom, "", -25, -18, 3000, true)
		if r.Code == "KZ-ALA" {
			add(rw, rw+"-FR2", vaxtrace.EquipFreezerRoom, "", -25, -18, 3000, true)
		}
		add(rw, rw+"-CR1", vaxtrace.EquipColdRoom, "", 2, 8, 6000, false)
		watched := r.Code == "KZ-KAR" || r.Code == "KZ-AKM"
		for _, pt := range b.points[i] {
			add(pt, pt+"-FZ", vaxtrace.EquipFreezer, "E003/078", -25, -18, 60, watched)
			add(pt, pt+"-RF", vaxtrace.EquipRefrigerator, "E003/044", 2, 8, 50, false)
		}
	}
	return out
}

// temperature is the demo's reading of a device at t.
func temperature(e vaxtrace.Equipment, t time.Time, seed int) float64 {
	base := -21.0
	if !e.Frozen() {
		base = 4.8
	}
	// a slow daily swing, a little noise, and the door opened for ten minutes
	// around 09:00 local most days
	min := float64(t.Hour()*60 + t.Minute())
	c := base + 0.6*math.Sin(2*math.Pi*(min/1440+float64(seed%7)/7)) + 0.15*math.Sin(float64(seed)+min/37)
	if t.Hour() == 3 && t.Minute() == 10 && (t.Day()+seed)%3 != 0 {
		c += 3.5
	}
	if e.Place == ExcursionPoint && e.Frozen() && !t.Before(powerCut[0]) && t.Before(powerCut[1]) {
		c = -16 + 4*float64(t.Sub(powerCut[0]))/float64(powerCut[1].Sub(powerCut[0]))
	}
	return math.Round(c*10) / 10
}

func (b *builder) coldChain() error {
	at := time.Date(2021, 1, 20, 6, 0, 0, 0, time.UTC)
	eqs := b.equipment()
	var cmds []engine.Command
	for _, d := range eqs {
		cmds = append(cmds, cmd("equipment:"+d.eq.ID, at, vaxtrace.EquipmentDefined{Equipment: d.eq, Occurred: at}))
	}
	if err := b.submit(cmds...); err != nil {
		return err
	}
	// Almaty's warehouse: component I in one freezer room, II in the other
	cmds = cmds[:0]
	b.eng.Read(func(s *vaxtrace.State) {
		st, _ := s.PlaceStock("RW-ALA")
		for _, l := range st {
			fr := "RW-ALA-FR1"
			if l.Component == "II" {
				fr = "RW-ALA-FR2"
			}
			t := time.Date(2021, 3, 22, 18, 0, 0, 0, time.UTC)
			cmds = append(cmds, cmd("placed:RW-ALA:"+l.Lot, t, vaxtrace.StockPlaced{Place: "RW-ALA", Lot: l.Lot, Equipment: fr, Occurred: t}))
		}
	})
	if err := b.submit(cmds...); err != nil {
		return err
	}
	if err := b.vvm(); err != nil {
		return err
	}
	if err := b.temperatures(eqs); err != nil {
		return err
	}
	return b.requisitions()
}

// temperatures feeds the demo's readings through the monitor, as devices
// would, with the alarm outcomes dated when they happened.
func (b *builder) temperatures(eqs []demoEquipment) error {
	now := readingsTo.Add(time.Hour)
	m, err := monitor.New(b.eng, monitor.Options{Now: func() time.Time { return now }, Backdate: true, Actor: vaxtrace.Principal{Name: "monitor", Role: vaxtrace.RoleAdmin}})
	if err != nil {
		return err
	}
	for i, d := range eqs {
		if !d.monitor {
			continue
		}
		var rs []vaxtrace.Reading
		for t := readingsFrom; t.Before(readingsTo); t = t.Add(10 * time.Minute) {
			rs = append(rs, vaxtrace.Reading{At: t, C: temperature(d.eq, t, i)})
		}
		for _, why := range m.Ingest(d.eq.Device, rs, "mqtt") {
			if why != "" {
				return fmt.Errorf("scenario: reading of %s refused: %s", d.eq.Device, why)
			}
		}
	}
	if err := m.Flush(b.ctx); err != nil {
		return err
	}
	var alarm string
	b.eng.Read(func(s *vaxtrace.State) {
		for _, a := range s.Alarms(ExcursionPoint+"-FZ", false) {
			alarm = a.Alarm
		}
	})
	if alarm == "" {
		return fmt.Errorf("scenario: the power cut at %s raised no alarm", ExcursionPoint)
	}
	t := time.Date(2021, 3, 22, 14, 40, 0, 0, time.UTC)
	ack := engine.Command{Key: "ack:" + alarm, Actor: vaxtrace.Principal{Name: "vp-kar-02", Role: vaxtrace.RolePoint, Place: ExcursionPoint}, Recorded: t,
		Data: vaxtrace.AlarmAcknowledged{Alarm: alarm, Comment: "Power cut in the building since 13:00; freezer kept closed, generator started 14:35. Lots quarantined pending the regional decision.", At: t}}
	return submitAll(b.ctx, b.eng, []engine.Command{ack})
}

func (b *builder) vvm() error {
	var cmds []engine.Command
	b.eng.Read(func(s *vaxtrace.State) {
		for _, sh := range s.Shipments(false) {
			if !sh.Received || vaxtrace.DateOf(sh.ReceivedAt) != vaxtrace.MkDate(2021, 3, 20) || (sh.To != "RW-AKM" && sh.To != "RW-KAR") {
				continue
			}
			for _, ln := range sh.Lines {
				cmds = append(cmds, cmd("vvm:"+sh.Shipment+":"+ln.Lot, sh.ReceivedAt, vaxtrace.VVMRecorded{Place: sh.To, Lot: ln.Lot, Stage: 1, Context: vaxtrace.VVMAtReceipt, Shipment: sh.Shipment, Occurred: sh.ReceivedAt}))
			}
		}
		st, _ := s.PlaceStock("VP-KAR-05")
		for _, l := range st {
			if l.Component == "I" && l.Doses >= 5 {
				t := time.Date(2021, 3, 22, 16, 0, 0, 0, vaxtrace.Zone())
				cmds = append(cmds, cmd("vvm:VP-KAR-05:"+l.Lot, t, vaxtrace.VVMRecorded{Place: "VP-KAR-05", Lot: l.Lot, Stage: 3, Doses: 5, Context: vaxtrace.VVMAtCount, Occurred: t, Note: "one vial's monitor past the discard point at the weekly count"}))
				break
			}
		}
	})
	return b.submit(cmds...)
}

func (b *builder) requisitions() error {
	region := vaxtrace.Principal{Name: "akmola-coordinator", Role: vaxtrace.RoleRegion, Region: "KZ-AKM"}
	national := vaxtrace.Principal{Name: "moh-epi", Role: vaxtrace.RoleAdmin}
	as := func(p vaxtrace.Principal, key string, t time.Time, d vaxtrace.Payload) engine.Command {
		return engine.Command{Key: key, Actor: p, Data: d, Recorded: t}
	}
	// wall-clock times in the deployment zone (Almaty): a working day
	t := func(h, m int) time.Time { return time.Date(2021, 3, 22, h, m, 0, 0, vaxtrace.Zone()) }
	lines := func(i, ii int64) []vaxtrace.RequisitionLine {
		return []vaxtrace.RequisitionLine{{Product: "sputnik-v", Component: "I", Doses: i}, {Product: "sputnik-v", Component: "II", Doses: ii}}
	}
	if err := submitAll(b.ctx, b.eng, []engine.Command{
		as(vaxtrace.Principal{Name: "vp-akm-01", Role: vaxtrace.RolePoint, Place: "VP-AKM-01"}, "requisition:RQ-VP-AKM-01-0322", t(15, 0), vaxtrace.RequisitionCreated{Requisition: "RQ-VP-AKM-01-0322", Place: "VP-AKM-01", Lines: lines(200, 100), Note: "second doses due next week", Occurred: t(15, 0)}),
		as(region, "requisition.approve:RQ-VP-AKM-01-0322", t(15, 30), vaxtrace.RequisitionApproved{Requisition: "RQ-VP-AKM-01-0322", Note: "approved"}),
		as(vaxtrace.Principal{Name: "vp-akm-02", Role: vaxtrace.RolePoint, Place: "VP-AKM-02"}, "requisition:RQ-VP-AKM-02-0322", t(17, 0), vaxtrace.RequisitionCreated{Requisition: "RQ-VP-AKM-02-0322", Place: "VP-AKM-02", Lines: lines(150, 150), Occurred: t(17, 0)}),
		as(vaxtrace.Principal{Name: "karaganda-coordinator", Role: vaxtrace.RoleRegion, Region: "KZ-KAR"}, "requisition:RQ-RW-KAR-0322", t(9, 0), vaxtrace.RequisitionCreated{Requisition: "RQ-RW-KAR-0322", Place: "RW-KAR", Lines: lines(20000, 10000), Occurred: t(9, 0)}),
		as(national, "requisition.reject:RQ-RW-KAR-0322", t(11, 0), vaxtrace.RequisitionRejected{Requisition: "RQ-RW-KAR-0322", Reason: "the 22 March national shipment already covers Karaganda; ask again after the KPC release of 25 March"}),
	}); err != nil {
		return err
	}
	var ship vaxtrace.ShipmentDispatched
	b.eng.Read(func(s *vaxtrace.State) {
		rq := s.Requisition("RQ-VP-AKM-01-0322")
		ls, _ := s.FulfilmentLines(rq, AsOf)
		sort.Slice(ls, func(i, j int) bool { return ls[i].Lot < ls[j].Lot })
		ship = vaxtrace.ShipmentDispatched{Shipment: "RQ-VP-AKM-01-0322-1", From: rq.Supplier, To: rq.Place, Occurred: t(16, 0), Lines: ls}
	})
	return submitAll(b.ctx, b.eng, []engine.Command{
		as(region, "shipment:"+ship.Shipment, t(16, 0), ship),
		as(region, "requisition.fulfil:"+ship.Shipment, t(16, 0), vaxtrace.RequisitionFulfilled{Requisition: "RQ-VP-AKM-01-0322", Shipment: ship.Shipment}),
		as(vaxtrace.Principal{Name: "vp-akm-01", Role: vaxtrace.RolePoint, Place: "VP-AKM-01"}, "receive:"+ship.Shipment, t(18, 0), vaxtrace.ShipmentReceived{Shipment: ship.Shipment, Occurred: t(18, 0)}),
	})
}
