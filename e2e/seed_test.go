package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"vaxtrace"
	"vaxtrace/engine"
	"vaxtrace/httpapi"
	"vaxtrace/pii"
	"vaxtrace/sqlite"
	"vaxtrace/web"
)

// server is a running vaxtrace for the browser to talk to.
type server struct {
	URL         string
	AdminToken  string
	RegionToken string // role region, RegionCode
	RegionCode  string
	// Demo is true for the CLI demo (the March 2021 scenario, opening on
	// 19 March 2021): the browser then checks the seed's figures.
	Demo bool
	stop func()
}

// Seed layout: every region has a warehouse WH-<code> and two points
// PT-<code>-1, PT-<code>-2 with released Sputnik V component I and II stock;
// people get first doses from 2021-02-01 and second doses 21 days later, up
// to LastDay.
var (
	seedFirst = vaxtrace.MkDate(2021, 2, 1)
	seedLast  = vaxtrace.MkDate(2021, 3, 19)
)

type catalogFile struct {
	Regions  []vaxtrace.Region  `json:"regions"`
	Products []vaxtrace.Product `json:"products"`
}

func at(d vaxtrace.Date, hour int) time.Time { return d.Time().Add(time.Duration(hour) * time.Hour) }

// startInProcess builds the ledger and serves engine+httpapi+web on a
// loopback port.
func startInProcess(t *testing.T) *server {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	db, err := sqlite.Open(filepath.Join(dir, "e2e.db"))
	if err != nil {
		t.Fatalf("open sqlite: %v", err)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	eng, err := engine.Open(ctx, db, engine.Options{Logger: log})
	if err != nil {
		t.Fatalf("engine: %v", err)
	}
	secret := make([]byte, 64)
	for i := range secret {
		secret[i] = byte(i*7 + 1)
	}
	keys, err := pii.New(secret)
	if err != nil {
		t.Fatal(err)
	}
	seed(t, eng, keys)

	admin, adminHash := httpapi.NewToken()
	region, regionHash := httpapi.NewToken()
	now := time.Now().Unix()
	for _, tk := range []vaxtrace.Token{
		{Hash: adminHash, Principal: vaxtrace.Principal{Name: "e2e-admin", Role: vaxtrace.RoleAdmin}, Created: now},
		{Hash: regionHash, Principal: vaxtrace.Principal{Name: "e2e-akmola", Role: vaxtrace.RoleRegion, Region: "KZ-AKM"}, Created: now},
	} {
		if err := db.PutToken(ctx, tk); err != nil {
			t.Fatalf("put token: %v", err)
		}
	}
	h := httpapi.New(eng, keys, httpapi.Options{Logger: log, UI: web.Handler()})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	return &server{
		URL: "http://" + ln.Addr().String(), AdminToken: admin, RegionToken: region, RegionCode: "KZ-AKM",
		stop: func() {
			c, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			srv.Shutdown(c)
			eng.Close()
			db.Close()
		},
	}
}

// seed submits the small ledger through the engine, so every event is
// validated like a real write.
func seed(t *testing.T, eng *engine.Engine, keys *pii.Keys) {
	t.Helper()
	b, err := os.ReadFile("../scenario/data/kz2021.json")
	if err != nil {
		t.Fatalf("catalog: %v", err)
	}
	var cat catalogFile
	if err := json.Unmarshal(b, &cat); err != nil {
		t.Fatalf("catalog: %v", err)
	}
	admin := vaxtrace.Principal{Name: "seed", Role: vaxtrace.RoleAdmin}
	var cmds []engine.Command
	n := 0
	add := func(rec time.Time, p vaxtrace.Payload) {
		n++
		cmds = append(cmds, engine.Command{Key: fmt.Sprintf("seed:%d", n), Actor: admin, Data: p, Recorded: rec})
	}
	flush := func() {
		for i, r := range eng.SubmitBatch(context.Background(), cmds) {
			if r.Err != nil {
				t.Fatalf("seed %s: %v", cmds[i].Data.Kind(), r.Err)
			}
		}
		cmds = cmds[:0]
	}
	t0 := at(vaxtrace.MkDate(2020, 12, 1), 9)
	for _, p := range cat.Products {
		add(t0, vaxtrace.ProductDefined{Product: p})
	}
	for _, r := range cat.Regions {
		add(t0, vaxtrace.RegionDefined{Region: r})
	}
	add(t0, vaxtrace.PlaceDefined{Place: vaxtrace.Place{ID: "NAT-SKP", Kind: vaxtrace.PlaceNational, Name: "SK-Pharmacy national warehouse"}})
	for _, r := range cat.Regions {
		wh := "WH-" + r.Code[3:]
		add(t0, vaxtrace.PlaceDefined{Place: vaxtrace.Place{ID: wh, Kind: vaxtrace.PlaceRegional, Name: "Regional warehouse " + r.Names["en"], Region: r.Code, Parent: "NAT-SKP"}})
		for i := 1; i <= 2; i++ {
			add(t0, vaxtrace.PlaceDefined{Place: vaxtrace.Place{ID: fmt.Sprintf("PT-%s-%d", r.Code[3:], i), Kind: vaxtrace.PlacePoint, Name: fmt.Sprintf("Polyclinic No. %d, %s", i, r.Names["en"]), Region: r.Code, Parent: wh}})
		}
	}
	signed := vaxtrace.MkDate(2020, 12, 10)
	add(at(signed, 12), vaxtrace.AgreementSigned{Agreement: vaxtrace.Agreement{ID: "AG-RDIF-2020", Supplier: "RDIF", Product: "sputnik-v", Doses: 2_000_000, Signed: signed,
		Tranches: []vaxtrace.Tranche{
			{ID: "T1", Expected: vaxtrace.MkDate(2021, 1, 25), Doses: 400_000},
			{ID: "T2", Expected: vaxtrace.MkDate(2021, 2, 25), Doses: 600_000},
			{ID: "T3", Expected: vaxtrace.MkDate(2021, 3, 15), Doses: 500_000},
			{ID: "T4", Expected: vaxtrace.MkDate(2021, 4, 15), Doses: 500_000},
		}}})
	lots := []struct {
		id, comp, tranche string
		doses             int64
		recv              vaxtrace.Date
	}{
		{"I-1220-A", "I", "T1", 200_000, vaxtrace.MkDate(2021, 1, 26)},
		{"II-1220-A", "II", "T1", 200_000, vaxtrace.MkDate(2021, 1, 26)},
		{"I-0221-B", "I", "T2", 150_000, vaxtrace.MkDate(2021, 2, 27)},
		{"II-0221-B", "II", "T2", 150_000, vaxtrace.MkDate(2021, 2, 27)},
	}
	for _, l := range lots {
		add(at(signed, 13), vaxtrace.LotRegistered{Lot: vaxtrace.Lot{ID: l.id, Product: "sputnik-v", Component: l.comp, Manufacturer: "Gamaleya", Manufactured: signed - 20,
			Expiry: signed + 180, Origin: "import", Agreement: "AG-RDIF-2020", Tranche: l.tranche, DosesPerVial: 5}})
		add(at(l.recv, 9), vaxtrace.StockReceived{Receipt: "R-" + l.id, Place: "NAT-SKP", Lot: l.id, Doses: l.doses, Agreement: "AG-RDIF-2020", Tranche: l.tranche, Occurred: at(l.recv, 9)})
		add(at(l.recv+2, 9), vaxtrace.LotReleased{Lot: l.id, Occurred: l.recv + 2})
	}
	// a quarantined lot (registered, never released) for the lots screen
	add(at(signed, 13), vaxtrace.LotRegistered{Lot: vaxtrace.Lot{ID: "I-0321-Q", Product: "sputnik-v", Component: "I", Manufacturer: "Gamaleya", Manufactured: signed, Expiry: signed + 200, Origin: "import", Agreement: "AG-RDIF-2020", Tranche: "T3", DosesPerVial: 5}})
	add(at(vaxtrace.MkDate(2021, 3, 16), 9), vaxtrace.StockReceived{Receipt: "R-I-0321-Q", Place: "NAT-SKP", Lot: "I-0321-Q", Doses: 100_000, Agreement: "AG-RDIF-2020", Tranche: "T3", Occurred: at(vaxtrace.MkDate(2021, 3, 16), 9)})
	add(t0, vaxtrace.TargetSet{Target: vaxtrace.Target{ID: "first-march", From: seedFirst, To: vaxtrace.MkDate(2021, 3, 31), Measure: vaxtrace.MeasureFirst, Value: 3000, Note: "e2e"}})
	add(t0, vaxtrace.TargetSet{Target: vaxtrace.Target{ID: "full-april", From: seedFirst, To: vaxtrace.MkDate(2021, 4, 30), Measure: vaxtrace.MeasureFull, Value: 2000, Note: "e2e"}})
	flush()

	// stock to every region and its points; the second wave stays in transit for two regions
	ship := 0
	send := func(day vaxtrace.Date, from, to, lot string, doses int64, receive bool) {
		ship++
		id := fmt.Sprintf("SH-%04d", ship)
		add(at(day, 8), vaxtrace.ShipmentDispatched{Shipment: id, From: from, To: to, Occurred: at(day, 8), Lines: []vaxtrace.ShipmentLine{{Lot: lot, Doses: doses}}})
		if receive {
			add(at(day, 16), vaxtrace.ShipmentReceived{Shipment: id, Occurred: at(day, 16)})
		}
	}
	for i, r := range cat.Regions {
		code := r.Code[3:]
		d := vaxtrace.MkDate(2021, 1, 29)
		for _, lot := range []string{"I-1220-A", "II-1220-A"} {
			send(d, "NAT-SKP", "WH-"+code, lot, 4000+int64(i)*200, true)
			for p := 1; p <= 2; p++ {
				send(d+1, "WH-"+code, fmt.Sprintf("PT-%s-%d", code, p), lot, 600+int64(i)*40, true)
			}
		}
		d2 := vaxtrace.MkDate(2021, 3, 1)
		send(d2, "NAT-SKP", "WH-"+code, "I-0221-B", 3000, true)
		send(d2+1, "WH-"+code, fmt.Sprintf("PT-%s-1", code), "I-0221-B", 500, true)
		if i%6 == 0 {
			send(seedLast-1, "NAT-SKP", "WH-"+code, "II-0221-B", 2000, false)
		}
	}
	flush()

	// people and doses: region i vaccinates a few more people per day than region i-1
	person := 0
	for i, r := range cat.Regions {
		code := r.Code[3:]
		for d := seedFirst; d <= seedLast; d++ {
			perDay := 1 + (i*int(d-seedFirst))/60
			for k := 0; k < perDay; k++ {
				person++
				iin := makeIIN(person)
				id, sealed, err := keys.Person(iin)
				if err != nil {
					t.Fatal(err)
				}
				add(at(d, 9), vaxtrace.PersonRegistered{Person: vaxtrace.Person{ID: id, IINSealed: sealed, Family: fmt.Sprintf("Seed%d", person), Given: "E2E",
					BirthDate: vaxtrace.MkDate(1950+person%50, time.Month(1+person%12), 1+person%28), Sex: []string{"M", "F"}[person%2], Region: r.Code}})
				pt := fmt.Sprintf("PT-%s-%d", code, 1+person%2)
				lot := "I-1220-A"
				if d >= vaxtrace.MkDate(2021, 3, 3) && pt[len(pt)-1] == '1' {
					lot = "I-0221-B"
				}
				add(at(d, 10), vaxtrace.DoseAdministered{ID: fmt.Sprintf("D1-%d", person), Person: id, At: at(d, 10), Place: pt, Lot: lot, Vaccinator: "Nurse " + code})
				if d2 := d + 21; d2 <= seedLast && person%3 != 0 {
					add(at(d2, 11), vaxtrace.DoseAdministered{ID: fmt.Sprintf("D2-%d", person), Person: id, At: at(d2, 11), Place: pt, Lot: "II-1220-A", Vaccinator: "Nurse " + code})
				}
			}
		}
	}
	// second doses were added out of time order above; the engine needs them after the first dose only
	sortByRecorded(cmds)
	flush()
}

// makeIIN returns a valid IIN for seed person n (prefix 9001011 + 4 digits).
func makeIIN(n int) string {
	for k := 0; ; k++ {
		if s, ok := vaxtrace.CompleteIIN(fmt.Sprintf("900101%05d", (n*10+k)%100000)); ok {
			return s
		}
	}
}

func sortByRecorded(c []engine.Command) {
	// stable, so that a registration stays before the dose recorded at the same time
	sort.SliceStable(c, func(i, j int) bool { return c[i].Recorded.Before(c[j].Recorded) })
}
