package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"vaxtrace"
	"vaxtrace/engine"
)

// cutJournal is a real journal that can be cut off: while cut, writes and
// replays fail as with a lost database connection. Last still answers, so
// that /readyz has to rely on the engine knowing it is down.
type cutJournal struct {
	vaxtrace.Journal
	cut atomic.Bool
}

var errCut = errors.New("connection refused (simulated)")

func (c *cutJournal) Write(ctx context.Context, after uint64, catchUp func(vaxtrace.Event) error, build func(uint64) ([]vaxtrace.Event, error)) error {
	if c.cut.Load() {
		return errCut
	}
	return c.Journal.Write(ctx, after, catchUp, build)
}

func (c *cutJournal) Replay(ctx context.Context, after uint64, fn func(vaxtrace.Event) error) error {
	if c.cut.Load() {
		return errCut
	}
	return c.Journal.Replay(ctx, after, fn)
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// A read-only node refuses every write with 503 before the engine or the
// journal sees it, answers reads with the sequence they reflect, and says
// in /readyz that it is read-only.
func TestReadOnlyNodeRefusesWrites(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	eng, err := engine.Open(ctx, f.j, engine.Options{ReadOnly: true, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	f.srv = newServer(eng, f.keys, Options{Logger: quiet()})
	last, _ := f.j.Last(ctx)
	for _, body := range []any{map[string]any{"reason": "qc"}, "{not json"} {
		// refused before any handler: even a malformed body gets the 503
		r := f.do("POST", "/api/v1/lots/L1/suspend", "admin", body)
		if code, _ := r.errInfo(t); r.Status != http.StatusServiceUnavailable || code != vaxtrace.EUNAVAILABLE {
			t.Fatalf("write on a read-only node: %d %s", r.Status, r.Body)
		}
		if !strings.Contains(string(r.Body), "read-only") {
			t.Fatalf("the refusal does not say the node is read-only: %s", r.Body)
		}
	}
	if l, _ := f.j.Last(ctx); l != last {
		t.Fatal("the write reached the journal")
	}
	r := f.do("GET", "/api/v1/overview", "admin", nil)
	var ov struct {
		JournalSeq uint64 `json:"journal_seq"`
	}
	if err := json.Unmarshal(r.Body, &ov); err != nil || r.Status != 200 {
		t.Fatalf("overview: %d %s", r.Status, r.Body)
	}
	if h := r.Header.Get(headerSeq); h != strconv.FormatUint(last, 10) || ov.JournalSeq != last || last == 0 {
		t.Fatalf("overview reflects seq header %q, journal_seq %d; journal at %d", h, ov.JournalSeq, last)
	}
	r = f.do("GET", "/readyz", "", nil)
	var ready struct {
		ReadOnly bool `json:"read_only"`
	}
	if json.Unmarshal(r.Body, &ready); r.Status != 200 || !ready.ReadOnly {
		t.Fatalf("readyz: %d %s", r.Status, r.Body)
	}
}

// While the store is unreachable: /readyz answers 503, writes 503 with
// Retry-After, reads the last state (not an empty one) marked stale; after
// the store is back everything is served as before.
func TestOutageAnswers(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	cj := &cutJournal{Journal: f.j}
	eng, err := engine.Open(ctx, cj, engine.Options{Poll: time.Millisecond, RetryMin: time.Millisecond, RetryMax: 5 * time.Millisecond, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	f.srv = newServer(eng, f.keys, Options{Logger: quiet()})
	f.srv.tokens.Store(HashToken(f.tokens["admin"]), cachedToken{p: admin, expires: f.srv.clock().Add(1e12)})
	good := f.do("GET", "/api/v1/overview", "admin", nil)
	if good.Status != 200 || good.Header.Get(headerStale) != "" {
		t.Fatalf("overview before the outage: %d %v", good.Status, good.Header)
	}
	cj.cut.Store(true)
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(time.Millisecond) {
		if down, _ := eng.Down(); down {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the engine did not notice the outage")
		}
	}
	if r := f.do("GET", "/readyz", "", nil); r.Status != http.StatusServiceUnavailable {
		t.Fatalf("readyz during the outage: %d %s", r.Status, r.Body)
	}
	r := f.do("POST", "/api/v1/lots/L1/suspend", "admin", map[string]any{"reason": "qc"})
	if r.Status != http.StatusServiceUnavailable || r.Header.Get("Retry-After") == "" {
		t.Fatalf("write during the outage: %d %v %s", r.Status, r.Header, r.Body)
	}
	stale := f.do("GET", "/api/v1/overview", "admin", nil)
	if stale.Status != 200 || stale.Header.Get(headerStale) == "" || string(stale.Body) != string(good.Body) {
		t.Fatalf("overview during the outage: %d stale=%q\n%s\nbefore:\n%s", stale.Status, stale.Header.Get(headerStale), stale.Body, good.Body)
	}
	cj.cut.Store(false)
	for deadline := time.Now().Add(time.Minute); eng.Err() != nil; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the engine did not recover")
		}
	}
	if r := f.do("GET", "/readyz", "", nil); r.Status != 200 {
		t.Fatalf("readyz after the outage: %d %s", r.Status, r.Body)
	}
	if r := f.do("POST", "/api/v1/lots/L1/suspend", "admin", map[string]any{"reason": "qc"}); r.Status != 200 && r.Status != 201 {
		t.Fatalf("write after the outage: %d %s", r.Status, r.Body)
	}
}
