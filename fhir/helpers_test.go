package fhir

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"vaxtrace"
	"vaxtrace/engine"
	"vaxtrace/pii"
	"vaxtrace/sqlite"
)

var admin = vaxtrace.Principal{Name: "admin", Role: vaxtrace.RoleAdmin}

// migration may keep the recording times of what it imports.
var migration = vaxtrace.Principal{Name: "migration", Role: vaxtrace.RoleMigration}

func testKeys(t testing.TB) *pii.Keys {
	secret := bytes.Repeat([]byte{7}, 64)
	k, err := pii.New(secret)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// newEngine opens an engine on a fresh temporary SQLite journal.
func newEngine(t testing.TB) *engine.Engine {
	t.Helper()
	j, err := sqlite.Open(filepath.Join(t.TempDir(), "journal.db"))
	if err != nil {
		t.Fatal(err)
	}
	eng, err := engine.Open(context.Background(), j, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close(); j.Close() })
	return eng
}

func submit(t testing.TB, eng *engine.Engine, cmds []engine.Command) {
	t.Helper()
	for start := 0; start < len(cmds); start += 5000 {
		end := min(start+5000, len(cmds))
		for i, r := range eng.SubmitBatch(context.Background(), cmds[start:end]) {
			if r.Err != nil {
				t.Fatalf("%s: %v", cmds[start+i].Key, r.Err)
			}
		}
	}
}

func cmd(key string, p vaxtrace.Payload) engine.Command {
	return engine.Command{Key: key, Actor: admin, Data: p}
}

var covidProducts = []vaxtrace.Product{
	{Code: "sputnik-v", Name: "Sputnik V", Holder: "Gamaleya", Components: []vaxtrace.Component{{Code: "I", Name: "rAd26"}, {Code: "II", Name: "rAd5"}}, SeriesDoses: 2, IntervalDays: 21, BoosterIntervalDays: 180,
		Presentations: []vaxtrace.Presentation{{DosesPerVial: 1}, {DosesPerVial: 5}}, StorageMinC: -20, StorageMaxC: -18,
		Codes: vaxtrace.ProductCodes{DCCProduct: "Sputnik-V", DCCManufacturer: "Gamaleya-Research-Institute", DCCProphylaxis: "29061000087103", ICD11: "XM5ZJ4", CVX: "505"}, Disease: "COVID-19"},
	{Code: "qazvac", Name: "QazVac", Components: []vaxtrace.Component{{Code: "1", Name: "QazVac"}}, SeriesDoses: 2, IntervalDays: 21,
		Presentations: []vaxtrace.Presentation{{DosesPerVial: 1}}, StorageMinC: 2, StorageMaxC: 8, Codes: vaxtrace.ProductCodes{ICD11: "XM97N6"}, Disease: "COVID-19"},
	{Code: "comirnaty", Name: "Comirnaty", Components: []vaxtrace.Component{{Code: "1", Name: "Comirnaty"}}, SeriesDoses: 2, IntervalDays: 21,
		Presentations: []vaxtrace.Presentation{{DosesPerVial: 6}}, StorageMinC: -80, StorageMaxC: -60, Codes: vaxtrace.ProductCodes{DCCProduct: "EU/1/20/1528", DCCProphylaxis: "1119349007", ICD11: "XM8NQ0", CVX: "208"}, Disease: "COVID-19"},
}

// seedBase defines the catalog, two regions, places, lots and stock. It is
// the same in every engine so that exports can be imported elsewhere.
func seedBase(t testing.TB, eng *engine.Engine, stock int64) {
	t.Helper()
	at := func(m time.Month, d int) time.Time { return time.Date(2021, m, d, 9, 0, 0, 0, time.UTC) }
	var cmds []engine.Command
	for _, p := range covidProducts {
		cmds = append(cmds, cmd("product:"+p.Code, vaxtrace.ProductDefined{Product: p}))
	}
	for _, r := range []string{"KZ-ALA", "KZ-AST"} {
		cmds = append(cmds, cmd("region:"+r, vaxtrace.RegionDefined{Region: vaxtrace.Region{Code: r, Type: "city", Names: map[string]string{"en": r}, Population: 1000000}}))
	}
	cmds = append(cmds,
		cmd("place:nat", vaxtrace.PlaceDefined{Place: vaxtrace.Place{ID: "nat", Kind: vaxtrace.PlaceNational, Name: "SK-Pharmacy hub"}}),
		cmd("place:p-ala", vaxtrace.PlaceDefined{Place: vaxtrace.Place{ID: "p-ala", Kind: vaxtrace.PlacePoint, Name: "Almaty polyclinic No. 1", Region: "KZ-ALA", Parent: "nat"}}),
		cmd("place:p-ast", vaxtrace.PlaceDefined{Place: vaxtrace.Place{ID: "p-ast", Kind: vaxtrace.PlacePoint, Name: "Nur-Sultan polyclinic No. 7", Region: "KZ-AST", Parent: "nat"}}),
	)
	lots := []vaxtrace.Lot{
		{ID: "SV1-0121", Product: "sputnik-v", Component: "I", Manufacturer: "Karaganda Pharmaceutical Complex"},
		{ID: "SV2-0121", Product: "sputnik-v", Component: "II", Manufacturer: "Karaganda Pharmaceutical Complex"},
		{ID: "QV-0321", Product: "qazvac", Component: "1", Manufacturer: "Research Institute for Biological Safety Problems"},
	}
	for _, l := range lots {
		l.Manufactured, l.Expiry, l.Origin = vaxtrace.MkDate(2021, 1, 1), vaxtrace.MkDate(2022, 6, 30), vaxtrace.OriginDomestic
		cmds = append(cmds,
			cmd("lot:"+l.ID, vaxtrace.LotRegistered{Lot: l}),
			cmd("release:"+l.ID, vaxtrace.LotReleased{Lot: l.ID, Occurred: vaxtrace.MkDate(2021, 1, 10)}),
			cmd("receipt:"+l.ID, vaxtrace.StockReceived{Receipt: "r-" + l.ID, Place: "nat", Lot: l.ID, Doses: 2 * stock, Occurred: at(1, 11)}))
		for _, pt := range []string{"p-ala", "p-ast"} {
			sh := "sh-" + l.ID + "-" + pt
			cmds = append(cmds,
				cmd("ship:"+sh, vaxtrace.ShipmentDispatched{Shipment: sh, From: "nat", To: pt, Occurred: at(1, 12), Lines: []vaxtrace.ShipmentLine{{Lot: l.ID, Doses: stock}}}),
				cmd("arrive:"+sh, vaxtrace.ShipmentReceived{Shipment: sh, Occurred: at(1, 13)}))
		}
	}
	submit(t, eng, cmds)
}

func iinFor(i int) string {
	for k := 0; ; k++ {
		prefix := fmt.Sprintf("85%02d%02d%01d%04d", 1+(i/28)%12, 1+i%28, 3+(i/336)%2, (i*7+k)%10000)
		if iin, ok := vaxtrace.CompleteIIN(prefix); ok {
			return iin
		}
	}
}

// seedPeople registers n people with doses: everybody gets Sputnik V
// component I; two in three complete the series; every fifth is in
// Nur-Sultan; person 1 has a voided dose followed by a real one the same
// day; person 2 has a short interval with a clinician's override; person 3
// has QazVac; person 4 has a booster.
func seedPeople(t testing.TB, eng *engine.Engine, keys *pii.Keys, n int) {
	t.Helper()
	var cmds []engine.Command
	var voids []engine.Command
	groups := []string{"", "health_worker", "teacher"}
	for i := 0; i < n; i++ {
		iin := iinFor(i)
		id, sealed, err := keys.Person(iin)
		if err != nil {
			t.Fatal(err)
		}
		region, place := "KZ-ALA", "p-ala"
		if i%5 == 4 {
			region, place = "KZ-AST", "p-ast"
		}
		sex := []string{vaxtrace.SexMale, vaxtrace.SexFemale, vaxtrace.SexUnknown}[i%3]
		cmds = append(cmds, cmd("person:"+id.String(), vaxtrace.PersonRegistered{Person: vaxtrace.Person{ID: id, IINSealed: sealed, Family: fmt.Sprintf("Family%d", i), Given: []string{"Aigerim", "Nurlan", ""}[i%3], BirthDate: vaxtrace.MkDate(1950+i%50, time.Month(1+i%12), 1+i%28), Sex: sex, Region: region, Group: groups[i%3]}}))
		d1 := time.Date(2021, 3, 1+i%28, 8+i%10, i%60, 0, 0, time.UTC)
		dose := func(suffix string, at time.Time, lot, override string) {
			did := fmt.Sprintf("d%06d-%s", i, suffix)
			cmds = append(cmds, cmd("dose:"+did, vaxtrace.DoseAdministered{ID: did, Person: id, At: at, Place: place, Lot: lot, Vaccinator: fmt.Sprintf("nurse-%d", i%7), Override: override}))
		}
		switch i {
		case 1:
			dose("x", d1, "SV1-0121", "")
			voids = append(voids, cmd("void:x", vaxtrace.DoseVoided{Dose: fmt.Sprintf("d%06d-x", i), Reason: "wrong person selected"}))
			continue
		case 2:
			dose("1", d1, "SV1-0121", "")
			dose("2", d1.AddDate(0, 0, 14), "SV2-0121", "travel; approved by Dr. Sadykova")
			continue
		case 3:
			dose("1", d1, "QV-0321", "")
			dose("2", d1.AddDate(0, 0, 21), "QV-0321", "")
			continue
		case 4:
			dose("1", d1, "SV1-0121", "")
			dose("2", d1.AddDate(0, 0, 21), "SV2-0121", "")
			dose("3", d1.AddDate(0, 0, 21+190), "SV1-0121", "")
			continue
		}
		dose("1", d1, "SV1-0121", "")
		if i%3 != 0 {
			dose("2", d1.AddDate(0, 0, 21+i%5), "SV2-0121", "")
		}
	}
	submit(t, eng, cmds)
	submit(t, eng, voids)
	if n > 1 { // person 1's real dose, the same day as the voided one
		id := keys.ID(iinFor(1))
		submit(t, eng, []engine.Command{cmd("dose:d000001-1", vaxtrace.DoseAdministered{ID: "d000001-1", Person: id, At: time.Date(2021, 3, 2, 15, 0, 0, 0, time.UTC), Place: "p-ala", Lot: "SV1-0121", Vaccinator: "nurse-1"})})
	}
}

type bufs map[string]*bytes.Buffer

func (b bufs) w(rt string) io.Writer {
	if b[rt] == nil {
		b[rt] = &bytes.Buffer{}
	}
	return b[rt]
}

// memJournal is an in-memory vaxtrace.Journal for fuzzing and benchmarks
// (no fsync, so fuzzing is not throttled by the disk).
type memJournal struct {
	mu  sync.Mutex
	evs []vaxtrace.Event
}

func (m *memJournal) Write(ctx context.Context, after uint64, catchUp func(vaxtrace.Event) error, build func(next uint64) ([]vaxtrace.Event, error)) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, e := range m.evs[after:] {
		if err := catchUp(e); err != nil {
			return err
		}
	}
	evs, err := build(uint64(len(m.evs)) + 1)
	if err != nil {
		return err
	}
	m.evs = append(m.evs, evs...)
	return nil
}

func (m *memJournal) Replay(ctx context.Context, after uint64, fn func(vaxtrace.Event) error) error {
	m.mu.Lock()
	evs := m.evs[min(int(after), len(m.evs)):]
	m.mu.Unlock()
	for _, e := range evs {
		if err := fn(e); err != nil {
			return err
		}
	}
	return nil
}

func (m *memJournal) Last(context.Context) (uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return uint64(len(m.evs)), nil
}
func (m *memJournal) PutToken(context.Context, vaxtrace.Token) error { return nil }
func (m *memJournal) TokenByHash(context.Context, string) (vaxtrace.Token, error) {
	return vaxtrace.Token{}, vaxtrace.Errorf(vaxtrace.ENOTFOUND, "no tokens")
}
func (m *memJournal) Tokens(context.Context) ([]vaxtrace.Token, error) { return nil, nil }
func (m *memJournal) RevokeToken(context.Context, string) error        { return nil }
func (m *memJournal) Backup(context.Context, string) error             { return nil }
func (m *memJournal) Close() error                                     { return nil }

// newMemEngine opens an engine on an in-memory journal.
func newMemEngine(t testing.TB) *engine.Engine {
	t.Helper()
	eng, err := engine.Open(context.Background(), &memJournal{}, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	return eng
}
