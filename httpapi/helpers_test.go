package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"vaxtrace"
	"vaxtrace/engine"
	"vaxtrace/pii"
	"vaxtrace/sqlite"
)

// fixture is a real engine on a temporary SQLite journal, seeded with a
// small catalog, places and stock, and the API in front of it.
type fixture struct {
	t      *testing.T
	j      *sqlite.DB
	eng    *engine.Engine
	keys   *pii.Keys
	srv    *Server
	tokens map[string]string // name -> secret
	logs   *syncBuffer
	n      int
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var admin = vaxtrace.Principal{Name: "admin", Role: vaxtrace.RoleAdmin}

// principals issued as tokens in every fixture.
var testPrincipals = map[string]vaxtrace.Principal{
	"admin":   admin,
	"auditor": {Name: "auditor", Role: vaxtrace.RoleAuditor},
	"akm":     {Name: "akm", Role: vaxtrace.RoleRegion, Region: "KZ-AKM"},
	"ala":     {Name: "ala", Role: vaxtrace.RoleRegion, Region: "KZ-ALA"},
	"p1":      {Name: "p1", Role: vaxtrace.RolePoint, Place: "AKM-P1"},
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	j, err := sqlite.Open(filepath.Join(t.TempDir(), "j.db"))
	if err != nil {
		t.Fatal(err)
	}
	eng, err := engine.Open(ctx, j, engine.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		eng.Close()
		j.Close()
	})
	keys, err := pii.New(bytes.Repeat([]byte{7}, 64))
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, j: j, eng: eng, keys: keys, tokens: map[string]string{}, logs: &syncBuffer{}}
	f.srv = newServer(eng, keys, Options{Logger: slog.New(slog.NewJSONHandler(f.logs, nil)), SourceURL: "https://example.org/owid"})
	for name, p := range testPrincipals {
		secret, hash := NewToken()
		if err := j.PutToken(ctx, vaxtrace.Token{Hash: hash, Principal: p, Created: time.Now().Unix()}); err != nil {
			t.Fatal(err)
		}
		f.tokens[name] = secret
	}
	f.seed()
	return f
}

func day(s string) vaxtrace.Date {
	d, err := vaxtrace.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// must submits root events directly as admin.
func (f *fixture) must(ps ...vaxtrace.Payload) {
	f.t.Helper()
	for _, p := range ps {
		f.n++
		res := f.eng.Submit(context.Background(), engine.Command{Key: "seed:" + strconv.Itoa(f.n), Actor: admin, Data: p})
		if res.Err != nil {
			f.t.Fatalf("seed %s: %v", p.Kind(), res.Err)
		}
	}
}

func (f *fixture) seed() {
	f.must(
		vaxtrace.ProductDefined{Product: vaxtrace.Product{Code: "sputnik-v", Name: "Sputnik V", Components: []vaxtrace.Component{{Code: "I"}, {Code: "II"}},
			SeriesDoses: 2, IntervalDays: 21, BoosterIntervalDays: 180, Presentations: []vaxtrace.Presentation{{DosesPerVial: 5}}, StorageMinC: -20, StorageMaxC: -18}},
		vaxtrace.ProductDefined{Product: vaxtrace.Product{Code: "qazvac", Name: "QazVac", Components: []vaxtrace.Component{{Code: "1"}},
			SeriesDoses: 2, IntervalDays: 21, Presentations: []vaxtrace.Presentation{{DosesPerVial: 10}}, StorageMinC: 2, StorageMaxC: 8}},
		vaxtrace.RegionDefined{Region: vaxtrace.Region{Code: "KZ-AKM", Type: "region", Names: map[string]string{"en": "Akmola"}, Population: 700000}},
		vaxtrace.RegionDefined{Region: vaxtrace.Region{Code: "KZ-ALA", Type: "city", Names: map[string]string{"en": "Almaty"}, Population: 2000000}},
		vaxtrace.PlaceDefined{Place: vaxtrace.Place{ID: "NAT", Kind: vaxtrace.PlaceNational, Name: "SK-Pharmacy"}},
		vaxtrace.PlaceDefined{Place: vaxtrace.Place{ID: "AKM-W", Kind: vaxtrace.PlaceRegional, Name: "Akmola warehouse", Region: "KZ-AKM", Parent: "NAT"}},
		vaxtrace.PlaceDefined{Place: vaxtrace.Place{ID: "AKM-P1", Kind: vaxtrace.PlacePoint, Name: "Kokshetau polyclinic 1", Region: "KZ-AKM", Parent: "AKM-W"}},
		vaxtrace.PlaceDefined{Place: vaxtrace.Place{ID: "AKM-P2", Kind: vaxtrace.PlacePoint, Name: "Kokshetau polyclinic 2", Region: "KZ-AKM", Parent: "AKM-W"}},
		vaxtrace.PlaceDefined{Place: vaxtrace.Place{ID: "ALA-W", Kind: vaxtrace.PlaceRegional, Name: "Almaty warehouse", Region: "KZ-ALA", Parent: "NAT"}},
		vaxtrace.PlaceDefined{Place: vaxtrace.Place{ID: "ALA-P1", Kind: vaxtrace.PlacePoint, Name: "Almaty polyclinic 1", Region: "KZ-ALA", Parent: "ALA-W"}},
		vaxtrace.AgreementSigned{Agreement: vaxtrace.Agreement{ID: "A1", Supplier: "RDIF", Product: "sputnik-v", Doses: 100000, Signed: day("2021-01-05"),
			Tranches: []vaxtrace.Tranche{{ID: "T1", Expected: day("2021-02-01"), Doses: 50000}}}},
		vaxtrace.LotRegistered{Lot: vaxtrace.Lot{ID: "L1", Product: "sputnik-v", Component: "I", Manufacturer: "Generium", Manufactured: day("2020-12-01"), Expiry: day("2021-12-01"), Origin: vaxtrace.OriginImport, Agreement: "A1"}},
		vaxtrace.LotRegistered{Lot: vaxtrace.Lot{ID: "L2", Product: "sputnik-v", Component: "II", Manufacturer: "Generium", Manufactured: day("2020-12-01"), Expiry: day("2021-12-01"), Origin: vaxtrace.OriginImport, Agreement: "A1"}},
		vaxtrace.LotReleased{Lot: "L1", Occurred: day("2021-01-20")},
		vaxtrace.LotReleased{Lot: "L2", Occurred: day("2021-01-20")},
		vaxtrace.StockReceived{Receipt: "R1", Place: "NAT", Lot: "L1", Doses: 10000, Agreement: "A1", Tranche: "T1", Occurred: at("2021-01-25T09:00:00Z")},
		vaxtrace.StockReceived{Receipt: "R1", Place: "NAT", Lot: "L2", Doses: 10000, Agreement: "A1", Tranche: "T1", Occurred: at("2021-01-25T09:00:00Z")},
		vaxtrace.ShipmentDispatched{Shipment: "S1", From: "NAT", To: "AKM-W", Occurred: at("2021-01-26T09:00:00Z"), Lines: []vaxtrace.ShipmentLine{{Lot: "L1", Doses: 2000}, {Lot: "L2", Doses: 2000}}},
		vaxtrace.ShipmentReceived{Shipment: "S1", Occurred: at("2021-01-27T09:00:00Z")},
		vaxtrace.ShipmentDispatched{Shipment: "S2", From: "AKM-W", To: "AKM-P1", Occurred: at("2021-01-28T09:00:00Z"), Lines: []vaxtrace.ShipmentLine{{Lot: "L1", Doses: 500}, {Lot: "L2", Doses: 500}}},
		vaxtrace.ShipmentReceived{Shipment: "S2", Occurred: at("2021-01-28T15:00:00Z")},
		vaxtrace.ShipmentDispatched{Shipment: "S3", From: "AKM-W", To: "AKM-P2", Occurred: at("2021-01-28T09:00:00Z"), Lines: []vaxtrace.ShipmentLine{{Lot: "L1", Doses: 100}}},
		vaxtrace.ShipmentReceived{Shipment: "S3", Occurred: at("2021-01-28T15:00:00Z")},
		vaxtrace.ShipmentDispatched{Shipment: "S4", From: "NAT", To: "ALA-W", Occurred: at("2021-01-26T09:00:00Z"), Lines: []vaxtrace.ShipmentLine{{Lot: "L1", Doses: 1000}}},
		vaxtrace.ShipmentReceived{Shipment: "S4", Occurred: at("2021-01-27T09:00:00Z")},
	)
}

// iin returns a valid test IIN built from an 11-digit prefix.
func iin(t *testing.T, prefix string) string {
	t.Helper()
	v, ok := vaxtrace.CompleteIIN(prefix)
	if !ok {
		t.Fatalf("prefix %s is never issued", prefix)
	}
	return v
}

type resp struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r resp) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("response is not a JSON object: %v\n%s", err, r.Body)
	}
	return m
}

// errField returns error.code and error.field of an error response.
func (r resp) errInfo(t *testing.T) (code, field string) {
	t.Helper()
	e, _ := r.json(t)["error"].(map[string]any)
	if e == nil {
		t.Fatalf("no error object in %s", r.Body)
	}
	code, _ = e["code"].(string)
	field, _ = e["field"].(string)
	return code, field
}

// do sends a request as the named token holder ("" = public). body may be
// a string (sent as is) or a value marshalled to JSON.
func (f *fixture) do(method, path, who string, body any, hdr ...string) resp {
	f.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			f.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req := httptest.NewRequest(method, path, rd)
	if who != "" {
		secret, ok := f.tokens[who]
		if !ok {
			secret = who
		}
		req.Header.Set("Authorization", "Bearer "+secret)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	f.srv.ServeHTTP(rec, req)
	return resp{Status: rec.Code, Header: rec.Header(), Body: rec.Body.Bytes()}
}

func (f *fixture) last() uint64 {
	f.t.Helper()
	n, err := f.j.Last(context.Background())
	if err != nil {
		f.t.Fatal(err)
	}
	return n
}

// register registers a person through the API and returns the person id.
func (f *fixture) register(who, iin, region string) string {
	f.t.Helper()
	r := f.do("POST", "/api/v1/people", who, map[string]any{"iin": iin, "family": "Ivanov", "given": "Ivan", "birth_date": "1980-05-01", "sex": "M", "region": region})
	if r.Status != http.StatusCreated {
		f.t.Fatalf("register: %d %s", r.Status, r.Body)
	}
	p, _ := r.json(f.t)["person"].(map[string]any)
	return p["id"].(string)
}
