package vaxtrace_test

import (
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	vt "vaxtrace"
)

// fastPathWorld is seriesWorld with a routine (non-campaign) three-dose
// vaccine beside the campaign's, stocked at VP-AKM-1.
func fastPathWorld(t testing.TB, n int) *world {
	w := seriesWorld(t, n)
	at := t0.AddDate(0, -1, 0)
	w.must(vt.ProductDefined{Product: vt.Product{Code: "hepb", Name: "Hep B", Disease: "Hepatitis B", Components: []vt.Component{{Code: "1"}}, SeriesDoses: 3, IntervalDays: 28, Presentations: []vt.Presentation{{DosesPerVial: 1}}}}, at)
	w.must(vt.LotRegistered{Lot: vt.Lot{ID: "L-HB", Product: "hepb", Component: "1", Manufacturer: "X", Manufactured: vt.MkDate(2021, 1, 1), Expiry: vt.MkDate(2022, 1, 1), Origin: vt.OriginDomestic}}, at)
	w.must(vt.StockReceived{Receipt: "R-HB", Place: "NW", Lot: "L-HB", Doses: 100000, Occurred: at}, at)
	w.must(vt.LotReleased{Lot: "L-HB", Occurred: vt.DateOf(at)}, at)
	w.must(vt.ShipmentDispatched{Shipment: "SHBa", From: "NW", To: "RW-AKM", Occurred: at, Lines: []vt.ShipmentLine{{Lot: "L-HB", Doses: 100000}}}, at)
	w.must(vt.ShipmentReceived{Shipment: "SHBa", Occurred: at.Add(time.Hour)}, at.Add(time.Hour))
	w.must(vt.ShipmentDispatched{Shipment: "SHBb", From: "RW-AKM", To: "VP-AKM-1", Occurred: at.Add(2 * time.Hour), Lines: []vt.ShipmentLine{{Lot: "L-HB", Doses: 100000}}}, at.Add(2*time.Hour))
	w.must(vt.ShipmentReceived{Shipment: "SHBb", Occurred: at.Add(3 * time.Hour)}, at.Add(3*time.Hour))
	return w
}

// TestDoseAppendFastPathMatchesGeneral applies the same random histories
// (doses in and out of time order, of three series and a routine vaccine,
// overrides, voids, corrections of time, lot and person, merges) to a state
// using personAppend's fast path and to one using only the general
// personChange, and requires the same counters, due lists and dose numbers.
func TestDoseAppendFastPathMatchesGeneral(t *testing.T) {
	const people = 40
	for seed := uint64(1); seed <= 6; seed++ {
		fast, slow := fastPathWorld(t, people), fastPathWorld(t, people)
		r := rand.New(rand.NewPCG(seed, 99))
		lots := []string{"L-SV-I", "L-SV-II", "L-BIG", "L-HB"}
		var doses []string
		applied, appended, late := 0, 0, 0
		for step := 0; step < 1500; step++ {
			rec := t0.AddDate(0, 0, 250+step/20)
			var p vt.Payload
			switch k := r.IntN(20); {
			case k < 14 || len(doses) == 0:
				v := vt.DoseAdministered{ID: "x" + strconv.Itoa(step), Person: benchPerson(r.IntN(people)), At: t0.AddDate(0, 0, r.IntN(240)-20).Add(time.Duration(r.IntN(3)) * time.Hour),
					Place: "VP-AKM-1", Lot: lots[r.IntN(len(lots))], Vaccinator: "nurse"}
				if r.IntN(2) == 0 {
					v.Override = "clinician"
				}
				p = v
			case k < 16:
				p = vt.DoseVoided{Dose: doses[r.IntN(len(doses))], Reason: "entered in error"}
			case k < 19:
				c := vt.DoseCorrected{Dose: doses[r.IntN(len(doses))], Reason: "fix", Override: "clinician"}
				switch r.IntN(3) {
				case 0:
					at := t0.AddDate(0, 0, r.IntN(240)-20)
					c.At = &at
				case 1:
					c.Lot = lots[r.IntN(len(lots))]
				default:
					id := benchPerson(r.IntN(people))
					c.Person = &id
				}
				p = c
			default:
				p = vt.PersonsMerged{Into: benchPerson(r.IntN(people)), From: benchPerson(r.IntN(people)), Reason: "same person"}
			}
			d, err := fast.s.Decide(p, rec)
			if err != nil {
				continue
			}
			if v, ok := p.(vt.DoseAdministered); ok {
				doses = append(doses, v.ID)
				if last := fast.s.LastDose(fast.s.Person(v.Person)); last == nil || last.At().Before(v.At) {
					appended++
				} else {
					late++
				}
			}
			applied++
			ev := vt.Event{Seq: uint64(10000 + step), Kind: p.Kind(), Key: p.Kind() + strconv.Itoa(step), Recorded: rec, Hash: 1, Data: d}
			restore := vt.SetCoverageAppendFast(true)
			fast.s.Apply(ev)
			vt.SetCoverageAppendFast(false)
			slow.s.Apply(ev)
			restore()
			if diff := vt.CoverageDiff(fast.s, slow.s); diff != "" {
				t.Fatalf("seed %d step %d (%s %+v): fast path and general path differ: %s", seed, step, p.Kind(), p, diff)
			}
		}
		if applied < 300 || appended < 50 || late < 20 {
			t.Fatalf("seed %d: only %d events applied, %d doses in time order and %d late: the history tests too little", seed, applied, appended, late)
		}
	}
}
