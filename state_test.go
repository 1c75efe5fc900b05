package vaxtrace_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	vt "vaxtrace"
)

// world is a small ledger driven through Decide and Apply like the engine does.
type world struct {
	t   testing.TB
	s   *vt.State
	seq uint64
	log []vt.Event
}

var t0 = time.Date(2021, 3, 1, 4, 0, 0, 0, time.UTC)

func (w *world) do(p vt.Payload, at time.Time) error {
	d, err := w.s.Decide(p, at)
	if err != nil {
		return err
	}
	w.seq++
	ev := vt.Event{Seq: w.seq, Kind: p.Kind(), Key: p.Kind() + strconv.FormatUint(w.seq, 10), Recorded: at, Hash: vt.ContentHash(p), Data: d}
	w.s.Apply(ev)
	w.log = append(w.log, ev)
	return nil
}

func (w *world) must(p vt.Payload, at time.Time) {
	w.t.Helper()
	if err := w.do(p, at); err != nil {
		w.t.Fatalf("%s: %v", p.Kind(), err)
	}
}

func itoa(i int) string {
	return strings.TrimSpace(strings.Repeat(" ", 0)+string(rune('0'+i%10))) + string(rune('a'+i/10%26)) + string(rune('a'+i/260%26)) + string(rune('a'+i/6760%26))
}

var sputnik = vt.Product{Code: "sputnik-v", Name: "Sputnik V", Components: []vt.Component{{Code: "I"}, {Code: "II"}}, SeriesDoses: 2, IntervalDays: 21, BoosterIntervalDays: 180, Presentations: []vt.Presentation{{DosesPerVial: 5}}, StorageMinC: -25, StorageMaxC: -18}
var light = vt.Product{Code: "sputnik-light", Name: "Sputnik Light", Components: []vt.Component{{Code: "I"}}, SeriesDoses: 1, BoosterIntervalDays: 180, Presentations: []vt.Presentation{{DosesPerVial: 1}}}
var qazvac = vt.Product{Code: "qazvac", Name: "QazVac", Components: []vt.Component{{Code: "1"}}, SeriesDoses: 2, IntervalDays: 21, Presentations: []vt.Presentation{{DosesPerVial: 5}}}

func newWorld(t testing.TB) *world {
	w := &world{t: t, s: vt.NewState()}
	at := t0.AddDate(0, -2, 0)
	for _, p := range []vt.Product{sputnik, light, qazvac} {
		w.must(vt.ProductDefined{Product: p}, at)
	}
	w.must(vt.RegionDefined{Region: vt.Region{Code: "KZ-AKM", Names: map[string]string{"en": "Akmola"}, Population: 735566}}, at)
	w.must(vt.RegionDefined{Region: vt.Region{Code: "KZ-KAR", Names: map[string]string{"en": "Karaganda"}, Population: 1375938}}, at)
	w.must(vt.PlaceDefined{Place: vt.Place{ID: "NW", Kind: vt.PlaceNational, Name: "National"}}, at)
	w.must(vt.PlaceDefined{Place: vt.Place{ID: "RW-AKM", Kind: vt.PlaceRegional, Name: "Akmola WH", Region: "KZ-AKM", Parent: "NW"}}, at)
	w.must(vt.PlaceDefined{Place: vt.Place{ID: "VP-AKM-1", Kind: vt.PlacePoint, Name: "Kokshetau 1", Region: "KZ-AKM", Parent: "RW-AKM"}}, at)
	w.must(vt.PlaceDefined{Place: vt.Place{ID: "RW-KAR", Kind: vt.PlaceRegional, Name: "Karaganda WH", Region: "KZ-KAR", Parent: "NW"}}, at)
	w.must(vt.AgreementSigned{Agreement: vt.Agreement{ID: "AG1", Supplier: "RDIF", Product: "sputnik-v", Doses: 100000, Signed: vt.DateOf(at),
		Tranches: []vt.Tranche{{ID: "T1", Expected: vt.DateOf(at).AddDays(10), Doses: 40000}, {ID: "T2", Expected: vt.DateOf(t0).AddDays(30), Doses: 60000}}}}, at)
	for _, l := range []vt.Lot{
		{ID: "L-I-A", Product: "sputnik-v", Component: "I", Manufacturer: "KPC", Manufactured: vt.MkDate(2021, 1, 1), Expiry: vt.MkDate(2021, 7, 1), Origin: vt.OriginImport, Agreement: "AG1", Tranche: "T1"},
		{ID: "L-I-B", Product: "sputnik-v", Component: "I", Manufacturer: "KPC", Manufactured: vt.MkDate(2021, 1, 1), Expiry: vt.MkDate(2021, 6, 1), Origin: vt.OriginImport, Agreement: "AG1", Tranche: "T1"},
		{ID: "L-II-A", Product: "sputnik-v", Component: "II", Manufacturer: "KPC", Manufactured: vt.MkDate(2021, 1, 1), Expiry: vt.MkDate(2021, 7, 1), Origin: vt.OriginImport, Agreement: "AG1", Tranche: "T1"},
	} {
		w.must(vt.LotRegistered{Lot: l}, at)
		w.must(vt.StockReceived{Receipt: "R-" + l.ID, Place: "NW", Lot: l.ID, Doses: 1000, Agreement: "AG1", Tranche: "T1", Occurred: at}, at)
		w.must(vt.LotReleased{Lot: l.ID, Occurred: vt.DateOf(at)}, at)
	}
	w.must(vt.ShipmentDispatched{Shipment: "S1", From: "NW", To: "RW-AKM", Occurred: at, Lines: []vt.ShipmentLine{{Lot: "L-I-A", Doses: 500}, {Lot: "L-II-A", Doses: 500}}}, at)
	w.must(vt.ShipmentReceived{Shipment: "S1", Occurred: at.Add(time.Hour)}, at.Add(time.Hour))
	w.must(vt.ShipmentDispatched{Shipment: "S2", From: "RW-AKM", To: "VP-AKM-1", Occurred: at.Add(2 * time.Hour), Lines: []vt.ShipmentLine{{Lot: "L-I-A", Doses: 100}, {Lot: "L-II-A", Doses: 100}}}, at.Add(2*time.Hour))
	w.must(vt.ShipmentReceived{Shipment: "S2", Occurred: at.Add(3 * time.Hour)}, at.Add(3*time.Hour))
	return w
}

func pid(b byte) vt.PersonID { var p vt.PersonID; p[0] = b; p[15] = 1; return p }

func (w *world) person(b byte) vt.PersonID {
	id := pid(b)
	w.must(vt.PersonRegistered{Person: vt.Person{ID: id, IINSealed: "x", Family: "Test", Given: "P", BirthDate: vt.MkDate(1970, 5, 5), Sex: vt.SexFemale, Region: "KZ-AKM"}}, t0)
	return id
}

func dose(id string, p vt.PersonID, at time.Time, lot string) vt.DoseAdministered {
	return vt.DoseAdministered{ID: id, Person: p, At: at, Place: "VP-AKM-1", Lot: lot, Vaccinator: "nurse"}
}

func wantErr(t *testing.T, err error, code, field, contains string) {
	t.Helper()
	if err == nil {
		t.Fatalf("want %s error on %q, got nil", code, field)
	}
	if got := vt.ErrorCode(err); got != code {
		t.Fatalf("code = %s, want %s (%v)", got, code, err)
	}
	if field != "" && vt.ErrorField(err) != field {
		t.Fatalf("field = %q, want %q (%v)", vt.ErrorField(err), field, err)
	}
	if contains != "" && !strings.Contains(err.Error(), contains) {
		t.Fatalf("error %q does not mention %q", err, contains)
	}
}

func TestDoseRules(t *testing.T) {
	day := func(n int) time.Time { return t0.AddDate(0, 0, n) }
	tests := []struct {
		name                  string
		setup                 func(w *world, p vt.PersonID)
		dose                  func(p vt.PersonID) vt.DoseAdministered
		code, field, contains string
	}{
		{"first dose with component I", nil, func(p vt.PersonID) vt.DoseAdministered { return dose("d1", p, day(0), "L-I-A") }, "", "", ""},
		{"first dose with component II", nil, func(p vt.PersonID) vt.DoseAdministered { return dose("d1", p, day(0), "L-II-A") }, vt.EINVALID, "component", "must be component I"},
		{"second dose with component I", func(w *world, p vt.PersonID) { w.must(dose("d1", p, day(0), "L-I-A"), day(0)) },
			func(p vt.PersonID) vt.DoseAdministered { return dose("d2", p, day(21), "L-I-A") }, vt.EINVALID, "component", "dose 2"},
		{"second dose at 21 days", func(w *world, p vt.PersonID) { w.must(dose("d1", p, day(0), "L-I-A"), day(0)) },
			func(p vt.PersonID) vt.DoseAdministered { return dose("d2", p, day(21), "L-II-A") }, "", "", ""},
		{"interval too short", func(w *world, p vt.PersonID) { w.must(dose("d1", p, day(0), "L-I-A"), day(0)) },
			func(p vt.PersonID) vt.DoseAdministered { return dose("d2", p, day(14), "L-II-A") }, vt.EINVALID, "at", "at least 21"},
		{"interval too short with override", func(w *world, p vt.PersonID) { w.must(dose("d1", p, day(0), "L-I-A"), day(0)) },
			func(p vt.PersonID) vt.DoseAdministered {
				d := dose("d2", p, day(14), "L-II-A")
				d.Override = "travel, clinician approved"
				return d
			}, "", "", ""},
		{"same day twice", func(w *world, p vt.PersonID) { w.must(dose("d1", p, day(0), "L-I-A"), day(0)) },
			func(p vt.PersonID) vt.DoseAdministered { return dose("d2", p, day(0).Add(time.Hour), "L-I-A") }, vt.ECONFLICT, "", "duplicate"},
		{"future", nil, func(p vt.PersonID) vt.DoseAdministered { return dose("d1", p, time.Now().Add(48*time.Hour), "L-I-A") }, vt.EINVALID, "at", "future"},
		{"before birth", nil, func(p vt.PersonID) vt.DoseAdministered {
			return dose("d1", p, time.Date(1969, 1, 1, 0, 0, 0, 0, time.UTC), "L-I-A")
		}, vt.EINVALID, "at", ""},
		{"unknown lot", nil, func(p vt.PersonID) vt.DoseAdministered { return dose("d1", p, day(0), "NOPE") }, vt.ENOTFOUND, "lot", ""},
		{"lot not at the point", nil, func(p vt.PersonID) vt.DoseAdministered { return dose("d1", p, day(0), "L-I-B") }, vt.EINVALID, "lot", "no stock"},
		{"unknown person", nil, func(p vt.PersonID) vt.DoseAdministered { return dose("d1", pid(99), day(0), "L-I-A") }, vt.ENOTFOUND, "person", ""},
		{"warehouse is not a point", nil, func(p vt.PersonID) vt.DoseAdministered {
			d := dose("d1", p, day(0), "L-I-A")
			d.Place = "RW-AKM"
			return d
		}, vt.EINVALID, "place", "not a vaccination point"},
		{"suspended lot", func(w *world, p vt.PersonID) { w.must(vt.LotSuspended{Lot: "L-I-A", Reason: "AEFI signal"}, day(0)) },
			func(p vt.PersonID) vt.DoseAdministered { return dose("d1", p, day(0), "L-I-A") }, vt.EINVALID, "lot", "suspended"},
		{"expired lot", nil, func(p vt.PersonID) vt.DoseAdministered {
			return dose("d1", p, time.Date(2021, 7, 5, 5, 0, 0, 0, time.UTC), "L-I-A")
		}, vt.EINVALID, "lot", "expired"},
		{"wrong claimed component", nil, func(p vt.PersonID) vt.DoseAdministered {
			d := dose("d1", p, day(0), "L-I-A")
			d.Component = "II"
			return d
		}, vt.EINVALID, "component", ""},
		{"booster too early", func(w *world, p vt.PersonID) {
			w.must(dose("d1", p, day(0), "L-I-A"), day(0))
			w.must(dose("d2", p, day(21), "L-II-A"), day(21))
		}, func(p vt.PersonID) vt.DoseAdministered { return dose("d3", p, day(60), "L-I-A") }, vt.EINVALID, "at", "booster"},
		{"late first dose arriving before a recorded second", func(w *world, p vt.PersonID) {
			w.must(dose("d1", p, day(21), "L-I-A"), day(21))
		}, func(p vt.PersonID) vt.DoseAdministered { return dose("d0", p, day(0), "L-I-A") }, vt.ECONFLICT, "", "invalid"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			p := w.person(1)
			if tc.setup != nil {
				tc.setup(w, p)
			}
			before := w.seq
			err := w.do(tc.dose(p), time.Now())
			if tc.code == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			wantErr(t, err, tc.code, tc.field, tc.contains)
			if w.seq != before {
				t.Fatal("a rejected dose was applied")
			}
		})
	}
}

func TestDoseNumberDerivedAndCorrections(t *testing.T) {
	w := newWorld(t)
	p := w.person(1)
	w.must(dose("a", p, t0, "L-I-A"), t0)
	w.must(dose("b", p, t0.AddDate(0, 0, 21), "L-II-A"), t0.AddDate(0, 0, 21))
	if d := w.s.Dose("b"); d.Number() != 2 || !d.Complete() {
		t.Fatalf("dose b number %d complete %v", d.Number(), d.Complete())
	}
	onHand := w.s.Lot("L-I-A").OnHand
	full := w.s.Cumulative("", vt.MFull, vt.MkDate(2021, 12, 31))
	if full != 1 {
		t.Fatalf("full = %d", full)
	}
	// void the first dose: stock returns, dose b becomes dose 1 (an anomaly: component II)
	w.must(vt.DoseVoided{Dose: "a", Reason: "entered for the wrong person"}, t0.AddDate(0, 0, 22))
	if got := w.s.Lot("L-I-A").OnHand; got != onHand+1 {
		t.Fatalf("stock after void = %d, want %d", got, onHand+1)
	}
	if d := w.s.Dose("b"); d.Number() != 1 || d.Anomaly() == "" {
		t.Fatalf("after void dose b number %d anomaly %q", d.Number(), d.Anomaly())
	}
	if got := w.s.Cumulative("", vt.MFull, vt.MkDate(2021, 12, 31)); got != 0 {
		t.Fatalf("full after void = %d", got)
	}
	// correct dose b's date: history kept
	at := t0.AddDate(0, 0, 20)
	w.must(vt.DoseCorrected{Dose: "b", At: &at, Reason: "typo"}, t0.AddDate(0, 0, 23))
	if h := w.s.Dose("b").History(); len(h) != 1 || h[0].Reason != "typo" {
		t.Fatalf("history %+v", h)
	}
	wantErr(t, w.do(vt.DoseVoided{Dose: "a", Reason: "again"}, t0.AddDate(0, 0, 24)), vt.ECONFLICT, "", "already voided")
}

func TestStockRules(t *testing.T) {
	w := newWorld(t)
	at := t0
	cases := []struct {
		name  string
		p     vt.Payload
		code  string
		field string
	}{
		{"more than on hand", vt.ShipmentDispatched{Shipment: "X1", From: "NW", To: "RW-KAR", Occurred: at, Lines: []vt.ShipmentLine{{Lot: "L-I-A", Doses: 999999}}}, vt.EINVALID, "lines[0].doses"},
		{"zero quantity", vt.ShipmentDispatched{Shipment: "X1", From: "NW", To: "RW-KAR", Occurred: at, Lines: []vt.ShipmentLine{{Lot: "L-I-A", Doses: 0}}}, vt.EINVALID, "lines[0].doses"},
		{"negative quantity", vt.ShipmentDispatched{Shipment: "X1", From: "NW", To: "RW-KAR", Occurred: at, Lines: []vt.ShipmentLine{{Lot: "L-I-A", Doses: -5}}}, vt.EINVALID, "lines[0].doses"},
		{"unknown place", vt.ShipmentDispatched{Shipment: "X1", From: "NW", To: "NOWHERE", Occurred: at, Lines: []vt.ShipmentLine{{Lot: "L-I-A", Doses: 5}}}, vt.ENOTFOUND, "to"},
		{"unknown lot", vt.ShipmentDispatched{Shipment: "X1", From: "NW", To: "RW-KAR", Occurred: at, Lines: []vt.ShipmentLine{{Lot: "ZZ", Doses: 5}}}, vt.ENOTFOUND, "lines[0].lot"},
		{"future date", vt.ShipmentDispatched{Shipment: "X1", From: "NW", To: "RW-KAR", Occurred: time.Now().Add(time.Hour * 100), Lines: []vt.ShipmentLine{{Lot: "L-I-A", Doses: 5}}}, vt.EINVALID, "occurred"},
		{"duplicate shipment id", vt.ShipmentDispatched{Shipment: "S1", From: "NW", To: "RW-KAR", Occurred: at, Lines: []vt.ShipmentLine{{Lot: "L-I-A", Doses: 5}}}, vt.ECONFLICT, ""},
		{"second receipt", vt.ShipmentReceived{Shipment: "S1", Occurred: at}, vt.ECONFLICT, ""},
		{"expiry before manufacture", vt.LotRegistered{Lot: vt.Lot{ID: "BAD", Product: "sputnik-v", Component: "I", Manufacturer: "KPC", Manufactured: vt.MkDate(2021, 2, 1), Expiry: vt.MkDate(2021, 1, 1), Origin: vt.OriginDomestic}}, vt.EINVALID, "expiry"},
		{"component not of product", vt.LotRegistered{Lot: vt.Lot{ID: "BAD", Product: "qazvac", Component: "II", Manufacturer: "RIBSP", Manufactured: vt.MkDate(2021, 2, 1), Expiry: vt.MkDate(2021, 9, 1), Origin: vt.OriginDomestic}}, vt.EINVALID, "component"},
		{"unknown product", vt.LotRegistered{Lot: vt.Lot{ID: "BAD", Product: "nope", Component: "1", Manufacturer: "X", Manufactured: vt.MkDate(2021, 2, 1), Expiry: vt.MkDate(2021, 9, 1), Origin: vt.OriginDomestic}}, vt.ENOTFOUND, "product"},
		{"write-off more than on hand", vt.StockAdjusted{Place: "VP-AKM-1", Lot: "L-I-A", Delta: -101, Reason: vt.ReasonWastage, Occurred: at}, vt.EINVALID, "delta"},
		{"positive wastage", vt.StockAdjusted{Place: "VP-AKM-1", Lot: "L-I-A", Delta: 3, Reason: vt.ReasonWastage, Occurred: at}, vt.EINVALID, "delta"},
		{"over-delivery of an agreement", vt.StockReceived{Receipt: "R9", Place: "NW", Lot: "L-I-A", Doses: 200000, Agreement: "AG1", Occurred: at}, vt.EINVALID, "doses"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := w.seq
			wantErr(t, w.do(c.p, time.Now()), c.code, c.field, "")
			if w.seq != before {
				t.Fatal("applied")
			}
		})
	}
	// unreleased lot cannot be dispatched
	w.must(vt.LotRegistered{Lot: vt.Lot{ID: "Q1", Product: "sputnik-v", Component: "I", Manufacturer: "KPC", Manufactured: vt.MkDate(2021, 2, 1), Expiry: vt.MkDate(2021, 8, 1), Origin: vt.OriginDomestic}}, at)
	w.must(vt.StockReceived{Receipt: "RQ", Place: "NW", Lot: "Q1", Doses: 100, Occurred: at}, at)
	wantErr(t, w.do(vt.ShipmentDispatched{Shipment: "X2", From: "NW", To: "RW-KAR", Occurred: at, Lines: []vt.ShipmentLine{{Lot: "Q1", Doses: 5}}}, at), vt.EINVALID, "lines[0].lot", "quality control")
}

func TestFEFOAndReceiptDiscrepancies(t *testing.T) {
	w := newWorld(t)
	// NW has L-I-B (expires June) 1000 and L-I-A (July) 500: FEFO takes B first
	w.must(vt.ShipmentDispatched{Shipment: "F1", From: "NW", To: "RW-KAR", Occurred: t0, Product: "sputnik-v", Component: "I", Doses: 1200}, t0)
	sh := w.s.Shipment("F1")
	if len(sh.Lines) != 2 || sh.Lines[0].Lot != "L-I-B" || sh.Lines[0].Doses != 1000 || sh.Lines[1].Lot != "L-I-A" || sh.Lines[1].Doses != 200 {
		t.Fatalf("FEFO lines = %+v", sh.Lines)
	}
	// receipt must account for every dose
	wantErr(t, w.do(vt.ShipmentReceived{Shipment: "F1", Occurred: t0.Add(time.Hour), Lines: []vt.ReceiptLine{{Lot: "L-I-B", Received: 990}}}, t0.Add(time.Hour)), vt.EINVALID, "lines[0]", "dispatched")
	w.must(vt.ShipmentReceived{Shipment: "F1", Occurred: t0.Add(time.Hour), Lines: []vt.ReceiptLine{{Lot: "L-I-B", Received: 990, Short: 5, Damaged: 5}, {Lot: "L-I-A", Received: 199, VVMFailed: 1}}}, t0.Add(time.Hour))
	b := w.s.Lot("L-I-B")
	if b.WrittenOff[vt.ReasonLost] != 5 || b.WrittenOff[vt.ReasonDamaged] != 5 || !b.Balanced() {
		t.Fatalf("lot B %+v", b)
	}
}

func TestExcursionQuarantinesAndWriteOff(t *testing.T) {
	w := newWorld(t)
	p := w.person(1)
	w.must(vt.ExcursionReported{Excursion: "X1", Place: "VP-AKM-1", MinC: 9, MaxC: 14, Minutes: 180, Occurred: t0}, t0)
	wantErr(t, w.do(dose("d1", p, t0.Add(time.Hour), "L-I-A"), t0.Add(time.Hour)), vt.EINVALID, "lot", "excursion")
	w.must(vt.ExcursionResolved{Excursion: "X1", Lot: "L-I-A", Decision: "write_off", Occurred: t0.Add(2 * time.Hour)}, t0.Add(2*time.Hour))
	if n := w.s.Place("VP-AKM-1").Stock[w.s.Lot("L-I-A")]; n != 0 {
		t.Fatalf("stock after write-off %d", n)
	}
	if w.s.Lot("L-I-A").WrittenOff[vt.ReasonColdChain] != 100 {
		t.Fatal("cold-chain write-off not recorded")
	}
	w.must(vt.ExcursionResolved{Excursion: "X1", Lot: "L-II-A", Decision: "release", Occurred: t0.Add(2 * time.Hour)}, t0.Add(2*time.Hour))
}

func TestOpenVialWastageOnSessionClose(t *testing.T) {
	w := newWorld(t)
	for i := byte(1); i <= 3; i++ {
		p := w.person(i)
		w.must(dose("d"+string(rune('0'+i)), p, t0.Add(time.Duration(i)*time.Minute), "L-I-A"), t0.Add(time.Hour))
	}
	w.must(vt.SessionClosed{Session: "s1", Place: "VP-AKM-1", Date: vt.DateOf(t0), Lot: "L-I-A", VialsOpened: 1}, t0.Add(5*time.Hour))
	if got := w.s.Lot("L-I-A").WrittenOff[vt.ReasonOpenVial]; got != 2 {
		t.Fatalf("open-vial wastage = %d, want 2 (5-dose vial, 3 given)", got)
	}
	wantErr(t, w.do(vt.SessionClosed{Session: "s2", Place: "VP-AKM-1", Date: vt.DateOf(t0), Lot: "L-I-A", VialsOpened: 0}, t0.Add(6*time.Hour)), vt.EINVALID, "vials_opened", "")
}

func TestRebuildGivesSameStateAndCheckPasses(t *testing.T) {
	w := newWorld(t)
	p := w.person(1)
	w.must(dose("d1", p, t0, "L-I-A"), t0)
	w.must(vt.StockCounted{Place: "VP-AKM-1", Lot: "L-II-A", Counted: 97, Occurred: t0}, t0)
	s2 := vt.NewState()
	c := vt.NewChecker()
	for _, ev := range w.log {
		s2.Apply(ev)
		c.Add(ev)
	}
	r := c.Compare(s2)
	if !r.OK() {
		t.Fatalf("breaches: %v", r.Breaches)
	}
	for _, id := range []string{"L-I-A", "L-II-A", "L-I-B"} {
		a, b := w.s.Lot(id), s2.Lot(id)
		if a.OnHand != b.OnHand || a.Administered != b.Administered || a.WrittenOffTotal() != b.WrittenOffTotal() || a.Received != b.Received {
			t.Fatalf("lot %s differs after rebuild", id)
		}
	}
	// a tampered journal is caught: drop the dose event from the fold only
	c2 := vt.NewChecker()
	for _, ev := range w.log {
		if ev.Kind != vt.KindDoseAdministered {
			c2.Add(ev)
		}
	}
	if r := c2.Compare(s2); r.OK() {
		t.Fatal("check did not notice a missing event")
	}
}

func TestScopeAuthorization(t *testing.T) {
	w := newWorld(t)
	reg := vt.Principal{Name: "akm", Role: vt.RoleRegion, Region: "KZ-AKM"}
	pt := vt.Principal{Name: "vp", Role: vt.RolePoint, Place: "VP-AKM-1"}
	in := vt.ShipmentDispatched{Shipment: "A", From: "RW-AKM", To: "VP-AKM-1"}
	out := vt.ShipmentDispatched{Shipment: "B", From: "NW", To: "RW-KAR"}
	if err := vt.Authorize(reg, w.s, in); err != nil {
		t.Fatal(err)
	}
	wantErr(t, vt.Authorize(reg, w.s, out), vt.EFORBIDDEN, "", "")
	wantErr(t, vt.Authorize(pt, w.s, in), vt.EFORBIDDEN, "", "")
	if err := vt.Authorize(pt, w.s, vt.DoseAdministered{Place: "VP-AKM-1"}); err != nil {
		t.Fatal(err)
	}
	wantErr(t, vt.Authorize(vt.Principal{Role: vt.RoleAuditor}, w.s, in), vt.EFORBIDDEN, "", "read-only")
	wantErr(t, vt.Authorize(vt.Principal{Role: vt.RolePublic}, w.s, in), vt.EFORBIDDEN, "", "")
	wantErr(t, vt.Authorize(reg, w.s, vt.LotReleased{Lot: "L-I-A"}), vt.EFORBIDDEN, "", "national")
}

func TestTranchesAndOwed(t *testing.T) {
	w := newWorld(t)
	pos := w.s.SupplyPosition(vt.DateOf(t0))
	if len(pos) != 1 {
		t.Fatal(len(pos))
	}
	a := pos[0]
	if a.Delivered != 3000 || a.Owed != 97000 {
		t.Fatalf("delivered %d owed %d", a.Delivered, a.Owed)
	}
	if a.Tranches[0].Status != vt.TrancheLate || a.Tranches[1].Status != vt.TrancheOutstanding {
		t.Fatalf("statuses %s %s", a.Tranches[0].Status, a.Tranches[1].Status)
	}
}

func TestSeriesArePerDisease(t *testing.T) {
	w := newWorld(t)
	at := t0.AddDate(0, -1, 0)
	for _, p := range []vt.Product{
		{Code: "hepb", Name: "Hep B", Disease: "hepatitis B", Components: []vt.Component{{Code: "1"}}, SeriesDoses: 3, IntervalDays: 28, Presentations: []vt.Presentation{{DosesPerVial: 1}}},
		{Code: "hib", Name: "Hib", Disease: "Hib", Components: []vt.Component{{Code: "1"}}, SeriesDoses: 3, IntervalDays: 28, Presentations: []vt.Presentation{{DosesPerVial: 1}}},
	} {
		w.must(vt.ProductDefined{Product: p}, at)
		lot := "L-" + p.Code
		w.must(vt.LotRegistered{Lot: vt.Lot{ID: lot, Product: p.Code, Component: "1", Manufacturer: "M", Manufactured: vt.MkDate(2021, 1, 1), Expiry: vt.MkDate(2022, 1, 1), Origin: vt.OriginDomestic}}, at)
		w.must(vt.StockReceived{Receipt: "R" + lot, Place: "NW", Lot: lot, Doses: 10, Occurred: at}, at)
		w.must(vt.LotReleased{Lot: lot, Occurred: vt.DateOf(at)}, at)
		w.must(vt.ShipmentDispatched{Shipment: "S" + lot, From: "NW", To: "VP-AKM-1", Occurred: at, Lines: []vt.ShipmentLine{{Lot: lot, Doses: 10}}}, at)
		w.must(vt.ShipmentReceived{Shipment: "S" + lot, Occurred: at}, at)
	}
	p := w.person(7)
	w.must(dose("h1", p, t0, "L-hepb"), t0)
	w.must(dose("b1", p, t0.Add(time.Minute), "L-hib"), t0) // same day, other disease: fine
	if d := w.s.Dose("b1"); d.Number() != 1 {
		t.Fatalf("Hib dose numbered %d, want 1 in its own series", d.Number())
	}
	w.must(dose("c1", p, t0.Add(2*time.Minute), "L-I-A"), t0) // COVID-19 the same day
	wantErr(t, w.do(dose("h2", p, t0.Add(3*time.Minute), "L-hepb"), t0), vt.ECONFLICT, "", "duplicate")
	// routine doses do not count in campaign coverage
	if got := w.s.Cumulative("", vt.MDose1, vt.DateOf(t0)); got != 1 {
		t.Fatalf("campaign first doses = %d, want 1 (routine doses excluded)", got)
	}
}

// The 2022 split: a place moved to a new region keeps its history, and
// doses are counted in the region the place belonged to when they were given.
func TestRegionHistoryAfterSplit(t *testing.T) {
	w := newWorld(t)
	w.must(vt.RegionDefined{Region: vt.Region{Code: "KZ-10", Names: map[string]string{"en": "Abai Region"}, Population: 611888}}, t0)
	p1, p2 := w.person(1), w.person(2)
	w.must(dose("before", p1, t0, "L-I-A"), t0)
	split := t0.AddDate(0, 0, 10)
	w.must(vt.PlaceMoved{Place: "VP-AKM-1", Region: "KZ-10", From: vt.DateOf(split)}, split)
	w.must(dose("after", p2, split.Add(time.Hour), "L-I-A"), split.Add(time.Hour))
	pl := w.s.Place("VP-AKM-1")
	if pl.RegionAt(vt.DateOf(t0)) != "KZ-AKM" || pl.RegionAt(vt.DateOf(split)) != "KZ-10" {
		t.Fatalf("history: %+v", pl.History)
	}
	end := vt.DateOf(split).AddDays(1)
	if got := w.s.Cumulative("KZ-AKM", vt.MDose1, end); got != 1 {
		t.Fatalf("Akmola first doses = %d, want 1 (the dose before the move)", got)
	}
	if got := w.s.Cumulative("KZ-10", vt.MDose1, end); got != 1 {
		t.Fatalf("Abai first doses = %d, want 1 (the dose after the move)", got)
	}
	if w.s.Dose("before").Region() != "KZ-AKM" {
		t.Fatal("an earlier dose changed region")
	}
}

func TestAEFISuspendsLotEverywhere(t *testing.T) {
	w := newWorld(t)
	p1, p2 := w.person(1), w.person(2)
	w.must(dose("d1", p1, t0, "L-I-A"), t0)
	w.must(vt.AEFIReported{ID: "A1", Dose: "d1", Serious: true, Description: "anaphylaxis", Onset: t0.Add(20 * time.Minute), SuspendLot: true}, t0.Add(time.Hour))
	l := w.s.Lot("L-I-A")
	if !l.Suspended || l.AEFI != 1 || l.AEFISerious != 1 {
		t.Fatalf("lot after AEFI: %+v", l)
	}
	wantErr(t, w.do(dose("d2", p2, t0.Add(2*time.Hour), "L-I-A"), t0.Add(2*time.Hour)), vt.EINVALID, "lot", "suspended")
	// the suspension also stops shipments of that lot from every place
	wantErr(t, w.do(vt.ShipmentDispatched{Shipment: "X", From: "NW", To: "RW-KAR", Occurred: t0.Add(3 * time.Hour), Lines: []vt.ShipmentLine{{Lot: "L-I-A", Doses: 1}}}, t0.Add(3*time.Hour)), vt.EINVALID, "lines[0].lot", "suspended")
	w.must(vt.LotReinstated{Lot: "L-I-A", Reason: "investigation closed: not lot-related"}, t0.Add(4*time.Hour))
	w.must(dose("d2", p2, t0.Add(5*time.Hour), "L-I-A"), t0.Add(5*time.Hour))
	// an AEFI onset before the dose is refused
	wantErr(t, w.do(vt.AEFIReported{ID: "A2", Dose: "d2", Description: "x", Onset: t0}, t0.Add(6*time.Hour)), vt.EINVALID, "onset", "")
}

func TestMergeKeepsAuditTrail(t *testing.T) {
	w := newWorld(t)
	a, b := w.person(1), w.person(2)
	w.must(dose("a1", a, t0, "L-I-A"), t0)
	// a second clinic did not find the person and registered them again:
	// their "first" dose was really the second, given with component I
	w.must(dose("b2", b, t0.AddDate(0, 0, 21), "L-I-A"), t0.AddDate(0, 0, 21))
	w.must(vt.PersonsMerged{Into: a, From: b, Reason: "same person registered twice"}, t0.AddDate(0, 0, 22))
	pa := w.s.Person(a)
	if w.s.NumDoses(pa) != 2 || w.s.Dose("b2").Number() != 2 {
		t.Fatalf("merged doses: %d, b2 number %d", w.s.NumDoses(pa), w.s.Dose("b2").Number())
	}
	if w.s.Dose("b2").Anomaly() == "" {
		t.Fatal("a second dose with component I after the merge must be flagged")
	}
	if into, ok := w.s.MergedInto(w.s.Person(b)); !ok || into != a {
		t.Fatal("the merged record does not point to the survivor")
	}
	wantErr(t, w.do(dose("b3", b, t0.AddDate(0, 0, 30), "L-I-A"), t0.AddDate(0, 0, 30)), vt.EINVALID, "person", "merged")
	if got := w.s.Cumulative("", vt.MDose1, vt.DateOf(t0).AddDays(40)); got != 1 {
		t.Fatalf("people with a first dose after merge = %d, want 1 (not 2)", got)
	}
}
