package reminders

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"vaxtrace"
	"vaxtrace/engine"
	"vaxtrace/pii"
	"vaxtrace/sms"
	"vaxtrace/sqlite"
)

var admin = vaxtrace.Principal{Name: "admin", Role: vaxtrace.RoleAdmin}

// gateway is a local HTTP endpoint standing in for the SMS gateway: it
// plays a script of answers, then accepts; it keeps each message id once
// (an Idempotency-Key seen before gets the first answer and sends nothing).
type gateway struct {
	mu       sync.Mutex
	script   []func(w http.ResponseWriter, r *http.Request) bool // true: handled (a failure)
	requests int
	sent     map[string]sms.Message // by idempotency key: what reached phones
	order    []string
	block    chan struct{} // when set, the next request is recorded and then hangs until closed
	got      chan struct{}
	srv      *httptest.Server
}

func newGateway(t *testing.T) *gateway {
	g := &gateway{sent: map[string]sms.Message{}}
	g.srv = httptest.NewServer(http.HandlerFunc(g.serve))
	t.Cleanup(g.srv.Close)
	return g
}

func (g *gateway) serve(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	g.requests++
	var step func(http.ResponseWriter, *http.Request) bool
	if len(g.script) > 0 {
		step, g.script = g.script[0], g.script[1:]
	}
	g.mu.Unlock()
	if r.Header.Get("Authorization") != "Bearer gw-token" {
		http.Error(w, "no token", http.StatusUnauthorized)
		return
	}
	if step != nil && step(w, r) {
		return
	}
	var m sms.Message
	body, _ := io.ReadAll(r.Body)
	if err := json.Unmarshal(body, &m); err != nil || m.To == "" || m.Text == "" {
		http.Error(w, "bad message", http.StatusBadRequest)
		return
	}
	key := r.Header.Get("Idempotency-Key")
	g.mu.Lock()
	if _, seen := g.sent[key]; !seen {
		g.sent[key] = m
		g.order = append(g.order, key)
	}
	block := g.block
	g.block = nil
	g.mu.Unlock()
	if block != nil {
		g.got <- struct{}{}
		<-block // the server crashes while the gateway is still answering
	}
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"id":"gw-%s","status":"accepted"}`, key)
}

func (g *gateway) delivered() []sms.Message {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []sms.Message
	for _, k := range g.order {
		out = append(out, g.sent[k])
	}
	return out
}

func (g *gateway) client() *sms.Client {
	return &sms.Client{URL: g.srv.URL, Token: "gw-token", HTTP: &http.Client{Timeout: 200 * time.Millisecond},
		MaxAttempts: 5, Backoff: 5 * time.Millisecond, MaxBackoff: 20 * time.Millisecond, PerSecond: 1000}
}

type world struct {
	t    *testing.T
	path string
	j    *sqlite.DB
	eng  *engine.Engine
	keys *pii.Keys
	now  time.Time
	n    int
}

func newWorld(t *testing.T) *world {
	keys, err := pii.New([]byte(strings.Repeat("k", 64)))
	if err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, path: filepath.Join(t.TempDir(), "j.db"), keys: keys}
	w.open()
	t.Cleanup(w.close)
	day := func(s string) vaxtrace.Date { d, _ := vaxtrace.ParseDate(s); return d }
	at := func(s string) time.Time { x, _ := time.Parse(time.RFC3339, s); return x }
	w.must(
		vaxtrace.ProductDefined{Product: vaxtrace.Product{Code: "sputnik-v", Name: "Sputnik V", Names: map[string]string{"ru": "Спутник V", "kk": "Спутник V"}, Components: []vaxtrace.Component{{Code: "I"}, {Code: "II"}},
			SeriesDoses: 2, IntervalDays: 21, Presentations: []vaxtrace.Presentation{{DosesPerVial: 5}}, StorageMinC: -20, StorageMaxC: -18}},
		vaxtrace.RegionDefined{Region: vaxtrace.Region{Code: "KZ-AKM", Type: "region", Names: map[string]string{"en": "Akmola"}, Population: 700000}},
		vaxtrace.PlaceDefined{Place: vaxtrace.Place{ID: "NAT", Kind: vaxtrace.PlaceNational, Name: "SK-Pharmacy"}},
		vaxtrace.PlaceDefined{Place: vaxtrace.Place{ID: "AKM-W", Kind: vaxtrace.PlaceRegional, Name: "Akmola warehouse", Region: "KZ-AKM", Parent: "NAT"}},
		vaxtrace.PlaceDefined{Place: vaxtrace.Place{ID: "AKM-P1", Kind: vaxtrace.PlacePoint, Name: "Kokshetau polyclinic 1", Region: "KZ-AKM", Parent: "AKM-W"}},
		vaxtrace.AgreementSigned{Agreement: vaxtrace.Agreement{ID: "A1", Supplier: "RDIF", Product: "sputnik-v", Doses: 100000, Signed: day("2021-01-05")}},
		vaxtrace.LotRegistered{Lot: vaxtrace.Lot{ID: "L1", Product: "sputnik-v", Component: "I", Manufacturer: "G", Manufactured: day("2020-12-01"), Expiry: day("2021-12-01"), Origin: vaxtrace.OriginImport, Agreement: "A1"}},
		vaxtrace.LotRegistered{Lot: vaxtrace.Lot{ID: "L2", Product: "sputnik-v", Component: "II", Manufacturer: "G", Manufactured: day("2020-12-01"), Expiry: day("2021-12-01"), Origin: vaxtrace.OriginImport, Agreement: "A1"}},
		vaxtrace.LotReleased{Lot: "L1", Occurred: day("2021-01-20")},
		vaxtrace.LotReleased{Lot: "L2", Occurred: day("2021-01-20")},
		vaxtrace.StockReceived{Receipt: "R1", Place: "NAT", Lot: "L1", Doses: 1000, Agreement: "A1", Occurred: at("2021-01-25T09:00:00Z")},
		vaxtrace.StockReceived{Receipt: "R1", Place: "NAT", Lot: "L2", Doses: 1000, Agreement: "A1", Occurred: at("2021-01-25T09:00:00Z")},
		vaxtrace.ShipmentDispatched{Shipment: "S1", From: "NAT", To: "AKM-P1", Occurred: at("2021-01-26T09:00:00Z"), Lines: []vaxtrace.ShipmentLine{{Lot: "L1", Doses: 100}, {Lot: "L2", Doses: 100}}},
		vaxtrace.ShipmentReceived{Shipment: "S1", Occurred: at("2021-01-27T09:00:00Z")},
	)
	return w
}

func (w *world) open() {
	j, err := sqlite.Open(w.path)
	if err != nil {
		w.t.Fatal(err)
	}
	eng, err := engine.Open(context.Background(), j, engine.Options{})
	if err != nil {
		w.t.Fatal(err)
	}
	w.j, w.eng = j, eng
}

func (w *world) close() {
	if w.eng != nil {
		w.eng.Close()
		w.j.Close()
		w.eng = nil
	}
}

// restart closes the store and opens it again: only the journal survives.
func (w *world) restart() { w.close(); w.open() }

func (w *world) must(ps ...vaxtrace.Payload) {
	w.t.Helper()
	for _, p := range ps {
		w.n++
		if res := w.eng.Submit(context.Background(), engine.Command{Key: fmt.Sprintf("seed:%d", w.n), Actor: admin, Data: p}); res.Err != nil {
			w.t.Fatalf("%s: %v", p.Kind(), res.Err)
		}
	}
}

// person registers someone with a phone and a language and gives them a
// first dose on day.
func (w *world) person(n int, phone, lang, day string) vaxtrace.PersonID {
	w.t.Helper()
	var id vaxtrace.PersonID
	id[0], id[15] = byte(n), 7
	p := vaxtrace.Person{ID: id, IINSealed: "x", Family: "Ivanova", Given: fmt.Sprintf("Aigul%d", n), BirthDate: vaxtrace.MkDate(1980, 1, 1), Sex: "F", Region: "KZ-AKM", Lang: lang}
	if phone != "" {
		p.PhoneSealed = w.keys.Seal(phone)
	}
	at, _ := time.Parse(time.RFC3339, day+"T10:00:00Z")
	w.must(vaxtrace.PersonRegistered{Person: p},
		vaxtrace.DoseAdministered{ID: fmt.Sprintf("d1-%d", n), Person: id, At: at, Place: "AKM-P1", Lot: "L1", Vaccinator: "nurse"})
	return id
}

func (w *world) runner(g *gateway, day string) *Runner {
	now, _ := time.Parse(time.RFC3339, day+"T08:00:00Z")
	return New(w.eng, Options{Gateway: g.client(), Keys: w.keys, Now: func() time.Time { return now }})
}

func (w *world) reminder(id string) vaxtrace.ReminderState {
	var r vaxtrace.ReminderState
	w.eng.Read(func(st *vaxtrace.State) {
		if x := st.Reminder(id); x != nil {
			r = *x
		}
	})
	return r
}

func run(t *testing.T, r *Runner) Report {
	t.Helper()
	rep, err := r.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// TestBeforeAndOverdue: a reminder 7 days before the due day and one 3 days
// after it, each once, in the person's language; nothing for someone
// without a phone; nothing more once the dose is recorded.
func TestBeforeAndOverdue(t *testing.T) {
	w := newWorld(t)
	g := newGateway(t)
	ru := w.person(1, "+77011234567", "ru", "2021-03-01") // due 22 Mar
	kk := w.person(2, "+77017654321", "kk", "2021-03-01")
	w.person(3, "", "ru", "2021-03-01") // no phone: never reminded
	if rep := run(t, w.runner(g, "2021-03-14")); rep.Queued != 0 || len(g.delivered()) != 0 {
		t.Fatalf("8 days before the due day: %+v, %d sent", rep, len(g.delivered()))
	}
	rep := run(t, w.runner(g, "2021-03-15"))
	if rep.Queued != 2 || rep.Sent != 2 {
		t.Fatalf("7 days before: %+v", rep)
	}
	msgs := g.delivered()
	if len(msgs) != 2 || msgs[0].To == msgs[1].To {
		t.Fatalf("sent %+v", msgs)
	}
	for _, m := range msgs {
		switch m.To {
		case "+77011234567":
			if m.Lang != "ru" || !strings.Contains(m.Text, "Aigul1, напоминаем: 2-я доза вакцины Спутник V положена с 22.03.2021") || !strings.Contains(m.Text, "STOP") {
				t.Errorf("Russian reminder: %+v", m)
			}
		case "+77017654321":
			if m.Lang != "kk" || !strings.Contains(m.Text, "Құрметті Aigul2! Спутник V екпесінің 2-дозасын 22.03.2021 бастап") {
				t.Errorf("Kazakh reminder: %+v", m)
			}
		default:
			t.Errorf("unexpected recipient %s", m.To)
		}
	}
	if r := w.reminder(vaxtrace.ReminderID(ru, "sputnik-v", 2, vaxtrace.ReminderBefore)); r.Status != vaxtrace.ReminderAccepted || r.GatewayID == "" || r.Attempts != 1 {
		t.Errorf("journaled reminder: %+v", r)
	}
	// the next days, and after a restart: nothing is sent again
	for _, d := range []string{"2021-03-16", "2021-03-21", "2021-03-24"} {
		if d == "2021-03-21" {
			w.restart()
		}
		if rep := run(t, w.runner(g, d)); rep != (Report{}) || len(g.delivered()) != 2 {
			t.Fatalf("%s: %+v, %d messages in all", d, rep, len(g.delivered()))
		}
	}
	// kk gets the second dose; ru is 3 days overdue and gets one reminder
	at, _ := time.Parse(time.RFC3339, "2021-03-23T10:00:00Z")
	w.must(vaxtrace.DoseAdministered{ID: "d2-2", Person: kk, At: at, Place: "AKM-P1", Lot: "L2", Vaccinator: "nurse"})
	rep = run(t, w.runner(g, "2021-03-25"))
	if rep.Queued != 1 || rep.Sent != 1 || len(g.delivered()) != 3 {
		t.Fatalf("3 days overdue: %+v, %d messages", rep, len(g.delivered()))
	}
	last := g.delivered()[2]
	if last.To != "+77011234567" || !strings.Contains(last.Text, "срок 2-й дозы вакцины Спутник V наступил 22.03.2021") {
		t.Errorf("overdue reminder: %+v", last)
	}
	if rep := run(t, w.runner(g, "2021-03-26")); rep != (Report{}) {
		t.Errorf("the day after: %+v", rep)
	}
}

// TestRetries: 500, 429 with Retry-After and a time-out are retried with
// backoff until the gateway accepts; the phone gets one message.
func TestRetries(t *testing.T) {
	w := newWorld(t)
	g := newGateway(t)
	g.script = []func(http.ResponseWriter, *http.Request) bool{
		func(w http.ResponseWriter, _ *http.Request) bool { http.Error(w, "boom", 500); return true },
		func(w http.ResponseWriter, _ *http.Request) bool {
			w.Header().Set("Retry-After", "1")
			http.Error(w, "slow down", 429)
			return true
		},
		func(w http.ResponseWriter, _ *http.Request) bool { time.Sleep(400 * time.Millisecond); return true }, // longer than the client's time-out
	}
	id := w.person(1, "+77011234567", "ru", "2021-03-01")
	rep := run(t, w.runner(g, "2021-03-15"))
	if rep.Sent != 1 || g.requests != 4 || len(g.delivered()) != 1 {
		t.Fatalf("%+v after %d requests, %d delivered", rep, g.requests, len(g.delivered()))
	}
	if r := w.reminder(vaxtrace.ReminderID(id, "sputnik-v", 2, vaxtrace.ReminderBefore)); r.Status != vaxtrace.ReminderAccepted {
		t.Errorf("status %+v", r)
	}
}

// TestGatewayDown: when every attempt fails the reminder stays open and the
// next run sends it; a permanent refusal (400) is not retried.
func TestGatewayDown(t *testing.T) {
	w := newWorld(t)
	g := newGateway(t)
	fail := func(w http.ResponseWriter, _ *http.Request) bool { http.Error(w, "down", 503); return true }
	for range 5 {
		g.script = append(g.script, fail)
	}
	id := w.person(1, "+77011234567", "ru", "2021-03-01")
	rep := run(t, w.runner(g, "2021-03-15"))
	if rep.Pending != 1 || len(g.delivered()) != 0 || g.requests != 5 {
		t.Fatalf("gateway down: %+v, %d requests", rep, g.requests)
	}
	if rep = run(t, w.runner(g, "2021-03-15")); rep.Sent != 1 || len(g.delivered()) != 1 {
		t.Fatalf("gateway back: %+v", rep)
	}
	r := w.reminder(vaxtrace.ReminderID(id, "sputnik-v", 2, vaxtrace.ReminderBefore))
	if r.Attempts != 2 || r.Status != vaxtrace.ReminderAccepted {
		t.Errorf("%+v", r)
	}

	g.script = []func(http.ResponseWriter, *http.Request) bool{func(w http.ResponseWriter, _ *http.Request) bool { http.Error(w, "bad number", 400); return true }}
	w.person(2, "+77010000000", "kk", "2021-03-02")
	before := g.requests
	rep = run(t, w.runner(g, "2021-03-16"))
	if rep.Failed != 1 || g.requests != before+1 {
		t.Fatalf("permanent refusal: %+v, %d requests", rep, g.requests-before)
	}
	if rep = run(t, w.runner(g, "2021-03-16")); rep != (Report{}) {
		t.Errorf("a failed reminder is not sent again: %+v", rep)
	}
}

// TestCancelledOnceDoseRecordedOrOptedOut: a queued reminder whose dose is
// recorded before it is sent is cancelled, not sent; an opted-out person
// gets nothing.
func TestCancelledOnceDoseRecordedOrOptedOut(t *testing.T) {
	w := newWorld(t)
	g := newGateway(t)
	a := w.person(1, "+77011234567", "ru", "2021-03-01")
	b := w.person(2, "+77017654321", "kk", "2021-03-01")
	c := w.person(3, "+77015555555", "kk", "2021-03-01")
	r := w.runner(g, "2021-03-15")
	if n, err := r.Plan(context.Background()); err != nil || n != 3 {
		t.Fatalf("planned %d: %v", n, err)
	}
	at, _ := time.Parse(time.RFC3339, "2021-03-15T07:00:00Z")
	w.must(vaxtrace.DoseAdministered{ID: "d2-1", Person: a, At: at.AddDate(0, 0, 7), Place: "AKM-P1", Lot: "L2", Vaccinator: "nurse"},
		vaxtrace.RemindersOptedOut{Person: b, Source: "api", At: at})
	var rep Report
	if err := r.Send(context.Background(), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Sent != 1 || rep.Cancelled != 2 || len(g.delivered()) != 1 || g.delivered()[0].To != "+77015555555" {
		t.Fatalf("%+v; delivered %+v", rep, g.delivered())
	}
	for _, p := range []vaxtrace.PersonID{a, b} {
		if st := w.reminder(vaxtrace.ReminderID(p, "sputnik-v", 2, vaxtrace.ReminderBefore)).Status; st != vaxtrace.ReminderCancelled {
			t.Errorf("%s: %s", p, st)
		}
	}
	// opted out before the overdue reminder: none is queued
	if rep := run(t, w.runner(g, "2021-03-26")); rep.Queued != 1 || rep.Sent != 1 {
		t.Errorf("overdue: only c is reminded: %+v", rep)
	}
	if d := g.delivered(); len(d) != 2 || d[1].To != "+77015555555" {
		t.Errorf("overdue: delivered %+v, want the second message to c's phone", d)
	}
	if st := w.reminder(vaxtrace.ReminderID(c, "sputnik-v", 2, vaxtrace.ReminderOverdue)).Status; st != vaxtrace.ReminderAccepted && st != vaxtrace.ReminderDelivered {
		t.Errorf("c's overdue reminder: %q", st)
	}
}

// TestRestartInTheMiddleOfASend: the server stops while the gateway is
// still answering a send; after a restart the reminder is sent again under
// the same idempotency key, so the phone gets the message once.
func TestRestartInTheMiddleOfASend(t *testing.T) {
	w := newWorld(t)
	g := newGateway(t)
	id := w.person(1, "+77011234567", "ru", "2021-03-01")
	block := make(chan struct{})
	g.block, g.got = block, make(chan struct{}, 1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { _, err := w.runner(g, "2021-03-15").Run(ctx); done <- err }()
	<-g.got  // the gateway has the message...
	cancel() // ...and the server dies before the answer is journaled
	if err := <-done; err == nil {
		t.Fatal("the interrupted run reported success")
	}
	close(block)
	rid := vaxtrace.ReminderID(id, "sputnik-v", 2, vaxtrace.ReminderBefore)
	if st := w.reminder(rid).Status; st != vaxtrace.ReminderSending {
		t.Fatalf("after the crash the journal says %q, want sending", st)
	}
	w.restart()
	rep := run(t, w.runner(g, "2021-03-15"))
	if rep.Sent != 1 || rep.Queued != 0 {
		t.Fatalf("after the restart: %+v", rep)
	}
	if n := len(g.delivered()); n != 1 || g.requests != 2 {
		t.Fatalf("%d messages reached the phone over %d requests, want 1 over 2", n, g.requests)
	}
	if r := w.reminder(rid); r.Status != vaxtrace.ReminderAccepted || r.Attempts != 2 {
		t.Errorf("%+v", r)
	}
}
