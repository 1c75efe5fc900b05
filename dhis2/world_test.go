package dhis2

import (
	"context"
	"fmt"
	"testing"
	"time"

	"vaxtrace"
	"vaxtrace/engine"
)

// world is a small registry driven through Decide and Apply, as the engine
// does: two regions, three points, Sputnik V (two components) and QazVac.
type world struct {
	t   *testing.T
	s   *vaxtrace.State
	seq uint64
	n   int
	log []vaxtrace.Event
}

var t0 = time.Date(2021, 3, 1, 6, 0, 0, 0, time.UTC) // a Monday

func (w *world) must(p vaxtrace.Payload, at time.Time) {
	w.t.Helper()
	d, err := w.s.Decide(p, at)
	if err != nil {
		w.t.Fatalf("%s: %v", p.Kind(), err)
	}
	w.seq++
	ev := vaxtrace.Event{Seq: w.seq, Kind: p.Kind(), Key: fmt.Sprint(p.Kind(), w.seq), Recorded: at, Data: d}
	w.s.Apply(ev)
	w.log = append(w.log, ev)
}

// memJournal replays a world's events to an engine.
type memJournal struct{ evs []vaxtrace.Event }

func (m *memJournal) Write(context.Context, uint64, func(vaxtrace.Event) error, func(uint64) ([]vaxtrace.Event, error)) error {
	return vaxtrace.Errorf(vaxtrace.EUNAVAILABLE, "read-only")
}
func (m *memJournal) Replay(_ context.Context, after uint64, fn func(vaxtrace.Event) error) error {
	for _, e := range m.evs[min(int(after), len(m.evs)):] {
		if err := fn(e); err != nil {
			return err
		}
	}
	return nil
}
func (m *memJournal) Last(context.Context) (uint64, error)           { return uint64(len(m.evs)), nil }
func (m *memJournal) PutToken(context.Context, vaxtrace.Token) error { return nil }
func (m *memJournal) TokenByHash(context.Context, string) (vaxtrace.Token, error) {
	return vaxtrace.Token{}, vaxtrace.Errorf(vaxtrace.EUNAUTHORIZED, "no tokens")
}
func (m *memJournal) Tokens(context.Context) ([]vaxtrace.Token, error) { return nil, nil }
func (m *memJournal) RevokeToken(context.Context, string) error        { return nil }
func (m *memJournal) Backup(context.Context, string) error             { return nil }
func (m *memJournal) Close() error                                     { return nil }

// newEngineFor opens an engine whose state is the world's.
func newEngineFor(t *testing.T, w *world) *engine.Engine {
	eng, err := engine.Open(context.Background(), &memJournal{evs: w.log}, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	return eng
}

func newWorld(t *testing.T) *world {
	w := &world{t: t, s: vaxtrace.NewState()}
	at := t0.AddDate(0, -1, 0)
	for _, p := range []vaxtrace.Product{
		{Code: "sputnik-v", Name: "Sputnik V", Components: []vaxtrace.Component{{Code: "I"}, {Code: "II"}}, SeriesDoses: 2, IntervalDays: 21, BoosterIntervalDays: 180, Presentations: []vaxtrace.Presentation{{DosesPerVial: 1}}, Disease: "COVID-19"},
		{Code: "qazvac", Name: "QazVac", Components: []vaxtrace.Component{{Code: "1"}}, SeriesDoses: 2, IntervalDays: 21, Presentations: []vaxtrace.Presentation{{DosesPerVial: 1}}, Disease: "COVID-19"},
	} {
		w.must(vaxtrace.ProductDefined{Product: p}, at)
	}
	for _, r := range []string{"KZ-AKM", "KZ-KAR"} {
		w.must(vaxtrace.RegionDefined{Region: vaxtrace.Region{Code: r, Names: map[string]string{"en": r}, Population: 100000}}, at)
	}
	w.must(vaxtrace.PlaceDefined{Place: vaxtrace.Place{ID: "NW", Kind: vaxtrace.PlaceNational, Name: "National"}}, at)
	for _, p := range []struct{ id, region string }{{"VP-AKM-1", "KZ-AKM"}, {"VP-AKM-2", "KZ-AKM"}, {"VP-KAR-1", "KZ-KAR"}} {
		w.must(vaxtrace.PlaceDefined{Place: vaxtrace.Place{ID: p.id, Kind: vaxtrace.PlacePoint, Name: p.id, Region: p.region, Parent: "NW"}}, at)
	}
	for _, l := range []vaxtrace.Lot{
		{ID: "SV-I", Product: "sputnik-v", Component: "I"},
		{ID: "SV-II", Product: "sputnik-v", Component: "II"},
		{ID: "QV", Product: "qazvac", Component: "1"},
	} {
		l.Manufacturer, l.Manufactured, l.Expiry, l.Origin = "KPC", vaxtrace.MkDate(2021, 1, 1), vaxtrace.MkDate(2022, 12, 31), vaxtrace.OriginDomestic
		w.must(vaxtrace.LotRegistered{Lot: l}, at)
		w.must(vaxtrace.LotReleased{Lot: l.ID, Occurred: vaxtrace.DateOf(at)}, at)
		w.must(vaxtrace.StockReceived{Receipt: "R-" + l.ID, Place: "NW", Lot: l.ID, Doses: 3000, Occurred: at}, at)
		for _, pt := range []string{"VP-AKM-1", "VP-AKM-2", "VP-KAR-1"} {
			sh := "S-" + l.ID + "-" + pt
			w.must(vaxtrace.ShipmentDispatched{Shipment: sh, From: "NW", To: pt, Occurred: at, Lines: []vaxtrace.ShipmentLine{{Lot: l.ID, Doses: 500}}}, at)
			w.must(vaxtrace.ShipmentReceived{Shipment: sh, Occurred: at}, at)
		}
	}
	return w
}

// person registers someone born in birthYear of sex.
func (w *world) person(sex string, birthYear int) vaxtrace.PersonID {
	w.n++
	var id vaxtrace.PersonID
	id[0], id[1], id[15] = byte(w.n), byte(w.n>>8), 9
	w.must(vaxtrace.PersonRegistered{Person: vaxtrace.Person{ID: id, IINSealed: "x", Family: "F", BirthDate: vaxtrace.MkDate(birthYear, 6, 1), Sex: sex, Region: "KZ-AKM"}}, t0.AddDate(0, -1, 0))
	return id
}

func (w *world) dose(id string, p vaxtrace.PersonID, place, lot string, day int) {
	at := t0.AddDate(0, 0, day)
	w.must(vaxtrace.DoseAdministered{ID: id, Person: p, At: at, Place: place, Lot: lot, Vaccinator: "n"}, at)
}

type fuzzState struct {
	s    *vaxtrace.State
	from vaxtrace.Date
}

var fuzzOnce struct {
	w *world
}

// fuzzWorld is the test scenario, built once per process (fuzzing runs the
// target many times).
func fuzzWorld(t *testing.T) fuzzState {
	if fuzzOnce.w == nil {
		fuzzOnce.w = scenario(t)
	}
	return fuzzState{s: fuzzOnce.w.s, from: vaxtrace.DateOf(t0)}
}
