package journaltest

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"vaxtrace"
	"vaxtrace/engine"
)

// Now is the engine clock RunEngine uses: every command is recorded then.
var Now = time.Date(2021, 6, 1, 12, 0, 0, 0, time.UTC)

var admin = vaxtrace.Principal{Name: "admin", Role: vaxtrace.RoleAdmin}

// tlog sends engine logs to the test log.
type tlog struct{ t testing.TB }

func (w tlog) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// openEngine starts an engine on a new handle of t's store; it is closed
// before the handle.
func openEngine(t *testing.T, open func(t *testing.T) vaxtrace.Journal) *engine.Engine {
	t.Helper()
	j := handle(t, open)
	var out io.Writer = tlog{t}
	e, err := engine.Open(context.Background(), j, engine.Options{
		Now:    func() time.Time { return Now },
		Logger: slog.New(slog.NewTextHandler(out, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		t.Fatalf("engine: %v", err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

func ts(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, time.UTC)
}

func day(y int, m time.Month, d int) vaxtrace.Date { return vaxtrace.MkDate(y, m, d) }

// cmd is a command as an admin.
func cmd(key string, p vaxtrace.Payload) engine.Command {
	return engine.Command{Key: key, Actor: admin, Data: p}
}

func apply(t testing.TB, e *engine.Engine, cs ...engine.Command) {
	t.Helper()
	for i, r := range e.SubmitBatch(context.Background(), cs) {
		if r.Err != nil || r.Duplicate {
			t.Fatalf("command %s (%s): err %v, duplicate %v", cs[i].Key, cs[i].Data.Kind(), r.Err, r.Duplicate)
		}
	}
}

func person(label, region string, birth vaxtrace.Date, sex, group string) vaxtrace.Person {
	return vaxtrace.Person{ID: personID(label), IINSealed: "sealed:" + label, Family: "Family " + label, Given: "Given", BirthDate: birth, Sex: sex, Region: region, Group: group}
}

// ledger is the small ledger RunEngine loads; see the expected figures in
// checkReports.
func ledger() [][]engine.Command {
	sputnik := vaxtrace.Product{Code: "sputnik-v", Name: "Sputnik V", Components: []vaxtrace.Component{{Code: "I", Name: "rAd26"}, {Code: "II", Name: "rAd5"}},
		SeriesDoses: 2, IntervalDays: 21, Presentations: []vaxtrace.Presentation{{DosesPerVial: 5}}, StorageMinC: -20, StorageMaxC: -18}
	qazvac := vaxtrace.Product{Code: "qazvac", Name: "QazVac", Components: []vaxtrace.Component{{Code: "1", Name: "inactivated"}},
		SeriesDoses: 2, IntervalDays: 21, Presentations: []vaxtrace.Presentation{{DosesPerVial: 10}}, StorageMinC: 2, StorageMaxC: 8}
	lot := func(id, product, comp, origin, agreement string) vaxtrace.LotRegistered {
		return vaxtrace.LotRegistered{Lot: vaxtrace.Lot{ID: id, Product: product, Component: comp, Manufacturer: "M", Manufactured: day(2021, 1, 5),
			Expiry: day(2021, 12, 31), Origin: origin, Agreement: agreement, DosesPerVial: 5}}
	}
	steps := [][]engine.Command{{
		cmd("product:sputnik-v", vaxtrace.ProductDefined{Product: sputnik}),
		cmd("product:qazvac", vaxtrace.ProductDefined{Product: qazvac}),
		cmd("region:KZ-AKM", vaxtrace.RegionDefined{Region: vaxtrace.Region{Code: "KZ-AKM", Type: "region", Names: map[string]string{"en": "Akmola"}, Population: 736735}}),
		cmd("region:KZ-ALA", vaxtrace.RegionDefined{Region: vaxtrace.Region{Code: "KZ-ALA", Type: "city", Names: map[string]string{"en": "Almaty"}, Population: 1916822}}),
		cmd("place:nat", vaxtrace.PlaceDefined{Place: vaxtrace.Place{ID: "nat", Kind: vaxtrace.PlaceNational, Name: "SK-Pharmacy hub"}}),
		cmd("place:reg-akm", vaxtrace.PlaceDefined{Place: vaxtrace.Place{ID: "reg-akm", Kind: vaxtrace.PlaceRegional, Name: "Akmola store", Region: "KZ-AKM", Parent: "nat"}}),
		cmd("place:pt-1", vaxtrace.PlaceDefined{Place: vaxtrace.Place{ID: "pt-1", Kind: vaxtrace.PlacePoint, Name: "Polyclinic 1", Region: "KZ-AKM", Parent: "reg-akm"}}),
		cmd("agreement:ag-1", vaxtrace.AgreementSigned{Agreement: vaxtrace.Agreement{ID: "ag-1", Supplier: "Gamaleya", Product: "sputnik-v", Doses: 10000, Signed: day(2021, 1, 10),
			Tranches: []vaxtrace.Tranche{{ID: "t1", Expected: day(2021, 2, 1), Doses: 6000}, {ID: "t2", Expected: day(2021, 7, 1), Doses: 4000}}}}),
		cmd("lot:L-I-1", lot("L-I-1", "sputnik-v", "I", vaxtrace.OriginImport, "ag-1")),
		cmd("lot:L-II-1", lot("L-II-1", "sputnik-v", "II", vaxtrace.OriginImport, "ag-1")),
		cmd("lot:QV-1", lot("QV-1", "qazvac", "1", vaxtrace.OriginDomestic, "")),
		cmd("release:L-I-1", vaxtrace.LotReleased{Lot: "L-I-1", Occurred: day(2021, 2, 3)}),
		cmd("release:L-II-1", vaxtrace.LotReleased{Lot: "L-II-1", Occurred: day(2021, 2, 3)}),
		cmd("release:QV-1", vaxtrace.LotReleased{Lot: "QV-1", Occurred: day(2021, 3, 10)}),
		cmd("receipt:R-1", vaxtrace.StockReceived{Receipt: "R-1", Place: "nat", Lot: "L-I-1", Doses: 3000, Agreement: "ag-1", Tranche: "t1", Occurred: ts(2021, 2, 5, 8, 0)}),
		cmd("receipt:R-2", vaxtrace.StockReceived{Receipt: "R-2", Place: "nat", Lot: "L-II-1", Doses: 3000, Agreement: "ag-1", Tranche: "t1", Occurred: ts(2021, 2, 5, 9, 0)}),
		cmd("receipt:R-3", vaxtrace.StockReceived{Receipt: "R-3", Place: "nat", Lot: "QV-1", Doses: 500, Occurred: ts(2021, 3, 12, 9, 0)}),
		cmd("shipment:S-1", vaxtrace.ShipmentDispatched{Shipment: "S-1", From: "nat", To: "reg-akm", Occurred: ts(2021, 2, 10, 6, 0),
			Lines: []vaxtrace.ShipmentLine{{Lot: "L-I-1", Doses: 1000}, {Lot: "L-II-1", Doses: 1000}}}),
		cmd("received:S-1", vaxtrace.ShipmentReceived{Shipment: "S-1", Occurred: ts(2021, 2, 12, 10, 0)}),
		cmd("shipment:S-2", vaxtrace.ShipmentDispatched{Shipment: "S-2", From: "reg-akm", To: "pt-1", Occurred: ts(2021, 2, 15, 6, 0), Product: "sputnik-v", Component: "I", Doses: 100}),
		cmd("received:S-2", vaxtrace.ShipmentReceived{Shipment: "S-2", Occurred: ts(2021, 2, 16, 10, 0), Lines: []vaxtrace.ReceiptLine{{Lot: "L-I-1", Received: 98, Damaged: 2}}}),
		cmd("shipment:S-3", vaxtrace.ShipmentDispatched{Shipment: "S-3", From: "reg-akm", To: "pt-1", Occurred: ts(2021, 3, 15, 6, 0), Lines: []vaxtrace.ShipmentLine{{Lot: "L-II-1", Doses: 50}}}),
		cmd("received:S-3", vaxtrace.ShipmentReceived{Shipment: "S-3", Occurred: ts(2021, 3, 16, 10, 0)}),
	}}
	// 30 people, one submission each (separate group commits are exercised
	// by the one-command batches above being submitted as one batch).
	var people, first, second []engine.Command
	for i := 0; i < 30; i++ {
		sex, group := vaxtrace.SexMale, ""
		if i%2 == 1 {
			sex, group = vaxtrace.SexFemale, "teacher"
		}
		p := person("p"+strconv.Itoa(i), "KZ-AKM", day(1950+i, 5, 5), sex, group)
		people = append(people, cmd("person:p"+strconv.Itoa(i), vaxtrace.PersonRegistered{Person: p}))
		first = append(first, cmd("dose:p"+strconv.Itoa(i)+"-1", vaxtrace.DoseAdministered{ID: "p" + strconv.Itoa(i) + "-1", Person: p.ID,
			At: ts(2021, 3, 1, 9, i), Place: "pt-1", Lot: "L-I-1", Product: "sputnik-v", Vaccinator: "nurse-1"}))
		if i < 20 {
			second = append(second, cmd("dose:p"+strconv.Itoa(i)+"-2", vaxtrace.DoseAdministered{ID: "p" + strconv.Itoa(i) + "-2", Person: p.ID,
				At: ts(2021, 3, 25, 9, i), Place: "pt-1", Lot: "L-II-1", Vaccinator: "nurse-2"}))
		}
	}
	return append(steps, people, first, second)
}

// RunEngine runs the engine-level conformance checks on a store; see the
// package comment for open.
func RunEngine(t *testing.T, open func(t *testing.T) vaxtrace.Journal) {
	ctx := context.Background()
	// Every engine works on a handle of this test's store (subtests would
	// get stores of their own), and is closed when RunEngine ends.
	newEngine := func() *engine.Engine { return openEngine(t, open) }
	e := newEngine()
	// A second engine on a second handle, opened before anything is written:
	// it learns everything through catch-up inside its writes.
	late := newEngine()
	for _, step := range ledger() {
		apply(t, e, step...)
	}
	loaded, err := e.Journal().Last(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("Reports", func(t *testing.T) { checkReports(t, e) })
	t.Run("Rejections", func(t *testing.T) { checkRejections(t, e) })
	t.Run("Check", func(t *testing.T) { checkConservation(t, e, 50) })
	t.Run("Race", func(t *testing.T) { checkRace(t, newEngine, e, late) })
	t.Run("Rebuild", func(t *testing.T) {
		// A fresh engine replaying the journal derives the same reports as
		// the two engines that wrote it.
		fresh := newEngine()
		if err := late.CatchUp(ctx); err != nil {
			t.Fatal(err)
		}
		if err := e.CatchUp(ctx); err != nil {
			t.Fatal(err)
		}
		want := snapshot(fresh)
		if want.seq <= loaded {
			t.Fatalf("fresh engine is at seq %d, before the race (%d)", want.seq, loaded)
		}
		for name, other := range map[string]*engine.Engine{"first": e, "second": late} {
			if got := snapshot(other); !reflect.DeepEqual(got, want) {
				t.Errorf("%s engine differs from a fresh rebuild:\n got %+v\nwant %+v", name, got, want)
			}
		}
		checkReports(t, fresh)
		checkConservation(t, fresh, -1)
	})
}

type snap struct {
	seq           uint64
	people, doses int
	stock         []vaxtrace.StockLine
	supply        []vaxtrace.AgreementLine
	cum           [vaxtrace.NumMeasures]int64
	pt2           []vaxtrace.LotStock
}

func snapshot(e *engine.Engine) snap {
	var s snap
	e.Read(func(st *vaxtrace.State) {
		s.seq = st.Seq
		s.people, s.doses = st.Counts()
		s.stock = st.StockPosition("", day(2021, 6, 1))
		s.supply = st.SupplyPosition(day(2021, 6, 1))
		for m := range s.cum {
			s.cum[m] = st.Cumulative("", m, day(2021, 6, 1))
		}
		s.pt2, _ = st.PlaceStock("pt-2")
	})
	return s
}

// checkReports compares the derived reports with figures computed by hand
// from the ledger.
func checkReports(t *testing.T, e *engine.Engine) {
	e.Read(func(st *vaxtrace.State) {
		// At the end: national stock is receipts less S-1; Akmola got 1000
		// of each component, sent 100 of I (98 arrived, 2 damaged) and 50 of
		// II to the point, which gave 30 first and 20 second doses.
		want := []vaxtrace.StockLine{
			{Region: "", Product: "qazvac", Component: "1", OnHand: 500, Received: 500},
			{Region: "", Product: "sputnik-v", Component: "I", OnHand: 2000, Received: 3000},
			{Region: "", Product: "sputnik-v", Component: "II", OnHand: 2000, Received: 3000},
			{Region: "KZ-AKM", Product: "sputnik-v", Component: "I", OnHand: 1000 - 100 + 98 - 30, AtPoints: 98 - 30, Delivered: 1000, Administered: 30, WrittenOff: 2},
			{Region: "KZ-AKM", Product: "sputnik-v", Component: "II", OnHand: 1000 - 20, AtPoints: 50 - 20, Delivered: 1000, Administered: 20},
		}
		got := st.StockPosition("", day(2021, 6, 1))
		if extra := raceLines(got); extra != nil {
			// after the race, pt-2's doses are part of the position
			got = extra
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("StockPosition at the end:\n got %+v\nwant %+v", got, want)
		}
		// On 11 February S-1 was on the road.
		want = []vaxtrace.StockLine{
			{Region: "KZ-AKM", Product: "sputnik-v", Component: "I", InTransit: 1000},
			{Region: "KZ-AKM", Product: "sputnik-v", Component: "II", InTransit: 1000},
		}
		if got := st.StockPosition("KZ-AKM", day(2021, 2, 11)); !reflect.DeepEqual(got, want) {
			t.Errorf("StockPosition(KZ-AKM, 2021-02-11):\n got %+v\nwant %+v", got, want)
		}
		if got := st.StockPosition("KZ-ALA", day(2021, 6, 1)); len(got) != 0 {
			t.Errorf("StockPosition(KZ-ALA) = %+v, want nothing", got)
		}

		t1 := vaxtrace.Tranche{ID: "t1", Expected: day(2021, 2, 1), Doses: 6000}
		t2 := vaxtrace.Tranche{ID: "t2", Expected: day(2021, 7, 1), Doses: 4000}
		line := func(delivered, late int64, tl ...vaxtrace.TrancheLine) []vaxtrace.AgreementLine {
			return []vaxtrace.AgreementLine{{ID: "ag-1", Supplier: "Gamaleya", Product: "sputnik-v", Signed: day(2021, 1, 10), Contracted: 10000,
				Delivered: delivered, Owed: 10000 - delivered, Late: late, Tranches: tl}}
		}
		for _, c := range []struct {
			asOf vaxtrace.Date
			want []vaxtrace.AgreementLine
		}{
			{day(2021, 1, 9), nil},
			{day(2021, 2, 4), line(0, 6000, vaxtrace.TrancheLine{Tranche: t1, Status: vaxtrace.TrancheLate}, vaxtrace.TrancheLine{Tranche: t2, Status: vaxtrace.TrancheOutstanding})},
			{day(2021, 6, 1), line(6000, 0, vaxtrace.TrancheLine{Tranche: t1, Delivered: 6000, Status: vaxtrace.TrancheDelivered}, vaxtrace.TrancheLine{Tranche: t2, Status: vaxtrace.TrancheOutstanding})},
			{day(2021, 7, 2), line(6000, 4000, vaxtrace.TrancheLine{Tranche: t1, Delivered: 6000, Status: vaxtrace.TrancheDelivered}, vaxtrace.TrancheLine{Tranche: t2, Status: vaxtrace.TrancheLate})},
		} {
			if got := st.SupplyPosition(c.asOf); !reflect.DeepEqual(got, c.want) {
				t.Errorf("SupplyPosition(%s):\n got %+v\nwant %+v", c.asOf, got, c.want)
			}
		}

		race := int64(0)
		if st.Place("pt-2") != nil {
			race = 10 // the race gave 10 first doses on 1 April
		}
		for _, c := range []struct {
			region string
			m      int
			to     vaxtrace.Date
			want   int64
		}{
			{"", vaxtrace.MDose1, day(2021, 2, 28), 0},
			{"", vaxtrace.MDose1, day(2021, 3, 1), 30},
			{"KZ-AKM", vaxtrace.MDose1, day(2021, 3, 24), 30},
			{"KZ-AKM", vaxtrace.MDose2, day(2021, 3, 24), 0},
			{"KZ-AKM", vaxtrace.MDose2, day(2021, 3, 25), 20},
			{"", vaxtrace.MFull, day(2021, 6, 1), 20},
			{"", vaxtrace.MBooster, day(2021, 6, 1), 0},
			{"KZ-ALA", vaxtrace.MDose1, day(2021, 6, 1), 0},
			{"", vaxtrace.MDose1, day(2021, 6, 1), 30 + race},
		} {
			if got := st.Cumulative(c.region, c.m, c.to); got != c.want {
				t.Errorf("Cumulative(%q, %s, %s) = %d, want %d", c.region, vaxtrace.MeasureNames[c.m], c.to, got, c.want)
			}
		}
		if got, want := st.CumulativeGroup("", vaxtrace.MDose1, "teacher", day(2021, 3, 31)), int64(15); got != want {
			t.Errorf("teachers with a first dose = %d, want %d", got, want)
		}
	})
}

// raceLines returns the stock position without the race's effect (10 doses
// of L-I-1 moved from reg-akm to pt-2 and given), or nil before the race.
func raceLines(got []vaxtrace.StockLine) []vaxtrace.StockLine {
	for _, ln := range got {
		if ln.Region == "KZ-AKM" && ln.Component == "I" && ln.Administered == 40 {
			out := append([]vaxtrace.StockLine(nil), got...)
			for i := range out {
				if out[i].Region == "KZ-AKM" && out[i].Component == "I" {
					out[i].Administered -= 10
					out[i].OnHand += 10
				}
			}
			return out
		}
	}
	return nil
}

func checkRejections(t *testing.T, e *engine.Engine) {
	ctx := context.Background()
	// one more person, registered before we start counting
	p31 := person("p31", "KZ-AKM", day(1980, 1, 1), vaxtrace.SexMale, "")
	apply(t, e, cmd("person:p31", vaxtrace.PersonRegistered{Person: p31}))
	before, err := e.Journal().Last(ctx)
	if err != nil {
		t.Fatal(err)
	}
	pointUser := vaxtrace.Principal{Name: "pt-1", Role: vaxtrace.RolePoint, Place: "pt-1"}
	dose := func(id string, p vaxtrace.PersonID, at time.Time, lot string) vaxtrace.DoseAdministered {
		return vaxtrace.DoseAdministered{ID: id, Person: p, At: at, Place: "pt-1", Lot: lot, Vaccinator: "nurse-1"}
	}
	cases := []struct {
		name  string
		c     engine.Command
		code  string
		field string
	}{
		{"lot not stocked at the point", cmd("bad-1", dose("b1", p31.ID, ts(2021, 4, 1, 9, 0), "QV-1")), vaxtrace.EINVALID, "lot"},
		{"unknown person", cmd("bad-2", dose("b2", personID("nobody"), ts(2021, 4, 1, 9, 0), "L-I-1")), vaxtrace.ENOTFOUND, "person"},
		{"unknown lot", cmd("bad-3", dose("b3", p31.ID, ts(2021, 4, 1, 9, 0), "NOPE")), vaxtrace.ENOTFOUND, "lot"},
		{"dose in the future", cmd("bad-4", dose("b4", p31.ID, Now.Add(24*time.Hour), "L-I-1")), vaxtrace.EINVALID, "at"},
		{"second dose too early", cmd("bad-5", dose("b5", personID("p25"), ts(2021, 3, 17, 9, 0), "L-II-1")), vaxtrace.EINVALID, "at"},
		{"second first dose the same day", cmd("bad-6", dose("b6", personID("p25"), ts(2021, 3, 1, 15, 0), "L-I-1")), vaxtrace.ECONFLICT, ""},
		{"wrong component for dose 2", cmd("bad-7", dose("b7", personID("p26"), ts(2021, 4, 1, 9, 0), "L-I-1")), vaxtrace.EINVALID, "component"},
		{"write-off beyond stock", cmd("bad-8", vaxtrace.StockAdjusted{Place: "pt-1", Lot: "L-I-1", Delta: -1000, Reason: vaxtrace.ReasonWastage, Occurred: ts(2021, 4, 1, 9, 0)}), vaxtrace.EINVALID, "delta"},
		{"dispatch beyond stock", cmd("bad-9", vaxtrace.ShipmentDispatched{Shipment: "S-9", From: "reg-akm", To: "pt-1", Occurred: ts(2021, 4, 1, 9, 0), Product: "sputnik-v", Component: "I", Doses: 5000}), vaxtrace.EINVALID, "doses"},
		{"receipt over the agreement", cmd("bad-10", vaxtrace.StockReceived{Receipt: "R-9", Place: "nat", Lot: "L-I-1", Doses: 4001, Agreement: "ag-1", Occurred: ts(2021, 4, 1, 9, 0)}), vaxtrace.EINVALID, "doses"},
		{"lot of an unknown product", cmd("bad-11", vaxtrace.LotRegistered{Lot: vaxtrace.Lot{ID: "X", Product: "nope", Component: "1", Manufacturer: "M", Manufactured: 1, Expiry: 2, Origin: vaxtrace.OriginDomestic}}), vaxtrace.ENOTFOUND, "product"},
		{"no idempotency key", cmd("", dose("b12", p31.ID, ts(2021, 4, 1, 9, 0), "L-I-1")), vaxtrace.EINVALID, "idempotency_key"},
		{"key reused with other content", cmd("dose:p0-1", dose("b13", p31.ID, ts(2021, 4, 1, 9, 0), "L-I-1")), vaxtrace.ECONFLICT, "id"},
		{"point acting nationally", engine.Command{Key: "bad-14", Actor: pointUser, Data: vaxtrace.StockReceived{Receipt: "R-10", Place: "nat", Lot: "QV-1", Doses: 1, Occurred: ts(2021, 4, 1, 9, 0)}}, vaxtrace.EFORBIDDEN, ""},
		{"recorded in the future", engine.Command{Key: "bad-15", Actor: admin, Recorded: Now.Add(time.Hour), Data: dose("b15", p31.ID, ts(2021, 4, 1, 9, 0), "L-I-1")}, vaxtrace.EINVALID, "recorded"},
		{"auditor writing", engine.Command{Key: "bad-16", Actor: vaxtrace.Principal{Name: "audit", Role: vaxtrace.RoleAuditor}, Data: dose("b16", p31.ID, ts(2021, 4, 1, 9, 0), "L-I-1")}, vaxtrace.EFORBIDDEN, ""},
	}
	for _, c := range cases {
		r := e.Submit(ctx, c.c)
		if got := vaxtrace.ErrorCode(r.Err); got != c.code || vaxtrace.ErrorField(r.Err) != c.field {
			t.Errorf("%s: got %v (code %q, field %q), want code %q field %q", c.name, r.Err, got, vaxtrace.ErrorField(r.Err), c.code, c.field)
		}
	}
	// a batch of only bad commands writes nothing either
	batch := make([]engine.Command, len(cases))
	for i, c := range cases {
		batch[i] = c.c
	}
	for i, r := range e.SubmitBatch(ctx, batch) {
		if r.Err == nil {
			t.Errorf("batched %s accepted", cases[i].name)
		}
	}
	// resubmitting an applied command is a duplicate, not a new event
	var again engine.Command
	for _, step := range ledger() {
		for _, c := range step {
			if c.Key == "dose:p0-1" {
				again = c
			}
		}
	}
	if r := e.Submit(ctx, again); r.Err != nil || !r.Duplicate {
		t.Errorf("replayed command: err %v, duplicate %v; want a duplicate", r.Err, r.Duplicate)
	}
	after, err := e.Journal().Last(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if after != before {
		t.Fatalf("rejected commands wrote %d events", after-before)
	}
	var seq uint64
	e.Read(func(st *vaxtrace.State) { seq = st.Seq })
	if seq != before {
		t.Fatalf("engine state at seq %d, journal at %d", seq, before)
	}
}

// checkConservation runs engine.Check; given < 0 skips the dose count.
func checkConservation(t *testing.T, e *engine.Engine, given int64) {
	rep, err := e.Check(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() {
		t.Fatalf("check found breaches: %v", rep.Breaches)
	}
	lastSeq, err := e.Journal().Last(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if uint64(rep.Events) != lastSeq {
		t.Errorf("check folded %d events, journal has %d", rep.Events, lastSeq)
	}
	if given >= 0 && rep.Given != given {
		t.Errorf("check counts %d doses given, want %d", rep.Given, given)
	}
	if rep.Released != rep.OnHand+rep.Transit+rep.Given+rep.Written {
		t.Errorf("check totals do not balance: %+v", rep)
	}
}

// checkRace stocks a new point with 10 doses and lets two engines on two
// handles record first doses for 25 people at once, each person submitted
// to both engines. Exactly 10 doses may succeed, at most one per person.
func checkRace(t *testing.T, newEngine func() *engine.Engine, a, b *engine.Engine) {
	ctx := context.Background()
	const people, stock = 25, 10
	setup := []engine.Command{
		cmd("place:pt-2", vaxtrace.PlaceDefined{Place: vaxtrace.Place{ID: "pt-2", Kind: vaxtrace.PlacePoint, Name: "Polyclinic 2", Region: "KZ-AKM", Parent: "reg-akm"}}),
		cmd("shipment:S-4", vaxtrace.ShipmentDispatched{Shipment: "S-4", From: "reg-akm", To: "pt-2", Occurred: ts(2021, 3, 30, 6, 0), Lines: []vaxtrace.ShipmentLine{{Lot: "L-I-1", Doses: stock}}}),
		cmd("received:S-4", vaxtrace.ShipmentReceived{Shipment: "S-4", Occurred: ts(2021, 3, 30, 10, 0)}),
	}
	for i := 0; i < people; i++ {
		p := person("race"+strconv.Itoa(i), "KZ-AKM", day(1960, 1, 1+i), vaxtrace.SexFemale, "")
		setup = append(setup, cmd("person:race"+strconv.Itoa(i), vaxtrace.PersonRegistered{Person: p}))
	}
	apply(t, a, setup...) // b has not seen any of it yet

	type outcome struct {
		engine, person int
		r              engine.Result
	}
	results := make(chan outcome, 2*people)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := 0; i < people; i++ {
		for k, e := range []*engine.Engine{a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				id := fmt.Sprintf("race%d-%c", i, 'a'+k)
				r := e.Submit(ctx, cmd("dose:"+id, vaxtrace.DoseAdministered{ID: id, Person: personID("race" + strconv.Itoa(i)),
					At: ts(2021, 4, 1, 9, i), Place: "pt-2", Lot: "L-I-1", Vaccinator: "nurse-" + string(rune('a'+k))}))
				results <- outcome{k, i, r}
			}()
		}
	}
	close(start)
	wg.Wait()
	close(results)
	ok := 0
	perPerson := map[int]int{}
	seqs := map[uint64]bool{}
	for o := range results {
		switch code := vaxtrace.ErrorCode(o.r.Err); {
		case o.r.Err == nil:
			ok++
			perPerson[o.person]++
			if seqs[o.r.Seq] {
				t.Errorf("seq %d acknowledged twice", o.r.Seq)
			}
			seqs[o.r.Seq] = true
		case code == vaxtrace.ECONFLICT, code == vaxtrace.EINVALID && vaxtrace.ErrorField(o.r.Err) == "lot":
			// the person already had the dose, or the point ran out
		default:
			t.Errorf("engine %d, person %d: unexpected error %v", o.engine, o.person, o.r.Err)
		}
	}
	if ok != stock {
		t.Errorf("%d doses acknowledged from a stock of %d", ok, stock)
	}
	for p, n := range perPerson {
		if n > 1 {
			t.Errorf("person race%d got %d first doses", p, n)
		}
	}
	// A fresh engine sees the same: no stock left at pt-2, one dose per person.
	fresh := newEngine()
	fresh.Read(func(st *vaxtrace.State) {
		pl := st.Place("pt-2")
		if pl == nil {
			t.Fatal("pt-2 missing after rebuild")
		}
		for l, n := range pl.Stock {
			if n != 0 {
				t.Errorf("pt-2 still holds %d of %s (or went negative)", n, l.ID)
			}
		}
		if pl.Doses != stock {
			t.Errorf("pt-2 gave %d doses, want %d", pl.Doses, stock)
		}
		given := map[vaxtrace.PersonID]int{}
		st.EachDose(func(d *vaxtrace.DoseState) bool {
			if d.Place(st) == "pt-2" && !d.Voided() {
				given[d.Person(st)]++
			}
			return true
		})
		if len(given) != stock {
			t.Errorf("%d people vaccinated at pt-2, want %d", len(given), stock)
		}
		for p, n := range given {
			if n != 1 {
				t.Errorf("person %s has %d doses at pt-2", p, n)
			}
		}
		if got := st.Cumulative("KZ-AKM", vaxtrace.MDose1, day(2021, 4, 1)); got != 30+stock {
			t.Errorf("first doses after the race = %d, want %d", got, 30+stock)
		}
	})
	checkConservation(t, fresh, 50+stock)
}
