package httpapi

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"vaxtrace"
	"vaxtrace/engine"
)

// failingJournal is a journal whose storage fails with the kind of error a
// PostgreSQL driver returns: it names the server, port, user and database.
type failingJournal struct {
	vaxtrace.Journal
}

var errStorage = errors.New(`failed to connect to user=vaxtrace_svc database=vaxtrace_prod: 10.20.30.40:5432 (db.internal.example): dial error: connection refused`)

func (failingJournal) Write(context.Context, uint64, func(vaxtrace.Event) error, func(uint64) ([]vaxtrace.Event, error)) error {
	return errStorage
}
func (failingJournal) Last(context.Context) (uint64, error) { return 0, errStorage }
func (failingJournal) TokenByHash(context.Context, string) (vaxtrace.Token, error) {
	return vaxtrace.Token{}, errStorage
}

var secrets = []string{"vaxtrace_svc", "10.20.30.40", "5432", "db.internal.example", "vaxtrace_prod"}

// TestStorageErrorsNeverReachClients: the client sees a fixed message and
// the request id; the server log has the detail under that request id.
func TestStorageErrorsNeverReachClients(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	// an engine over the same store whose journal then fails
	eng, err := engine.Open(ctx, failingJournal{f.j}, engine.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	f.srv = newServer(eng, f.keys, Options{Logger: slog.New(slog.NewJSONHandler(f.logs, nil))})

	check := func(name string, r resp, status int) {
		t.Helper()
		if r.Status != status {
			t.Errorf("%s: status %d, want %d: %s", name, r.Status, status, r.Body)
		}
		for _, s := range secrets {
			if strings.Contains(string(r.Body), s) {
				t.Errorf("%s: the answer reveals %q: %s", name, s, r.Body)
			}
		}
		id := r.Header.Get("X-Request-ID")
		if id == "" || !strings.Contains(f.logs.String(), id) {
			t.Errorf("%s: request id %q not in the log", name, id)
		}
	}
	// a write: the storage failure is logged, the client told to retry
	f.srv.tokens.Store(HashToken(f.tokens["admin"]), cachedToken{p: admin, expires: f.srv.clock().Add(1e12)})
	r := f.do("POST", "/api/v1/lots/L1/suspend", "admin", map[string]any{"reason": "qc"})
	check("write", r, http.StatusServiceUnavailable)
	if !strings.Contains(f.logs.String(), "db.internal.example") {
		t.Error("the storage error's detail is not in the server log")
	}
	// a token look-up and readiness
	check("token", f.do("GET", "/api/v1/whoami", "auditor", nil), http.StatusServiceUnavailable)
	check("readyz", f.do("GET", "/readyz", "", nil), http.StatusServiceUnavailable)
}

// TestAccessLogHoldsNoClientText: an unknown field's name goes back to the
// client but never into the log; paths are not logged, route patterns are.
func TestAccessLogHoldsNoClientText(t *testing.T) {
	f := newFixture(t)
	secret := "iin_871008401427_ask_me"
	r := f.do("POST", "/api/v1/lots/L1/suspend", "admin", map[string]any{"reason": "x", secret: 1})
	if code, field := r.errInfo(t); r.Status != 400 || code != "invalid" || field != secret {
		t.Fatalf("unknown field: %d %s", r.Status, r.Body)
	}
	f.do("GET", "/api/v1/places/871008401427-whoever", "admin", nil)
	// a field the API defines is logged as is
	r = f.do("POST", "/api/v1/shipments", "admin", map[string]any{"shipment": "S9", "from": "NAT", "to": "AKM-W", "occurred": "2021-03-01T10:00:00Z", "lines": []any{map[string]any{"lot": "L1", "doses": -3}}})
	if _, field := r.errInfo(t); field != "lines[0].doses" {
		t.Fatalf("field %q", field)
	}
	logs := f.logs.String()
	for _, s := range []string{secret, "871008401427", "whoever"} {
		if strings.Contains(logs, s) {
			t.Errorf("the log holds client text %q:\n%s", s, logs)
		}
	}
	for _, want := range []string{`"error_field":"(unknown)"`, `"error_field":"lines[0].doses"`, `"route":"GET /api/v1/places/{id}"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("the log lacks %s", want)
		}
	}
}

func TestLogField(t *testing.T) {
	f := newFixture(t)
	for in, want := range map[string]string{
		"doses": "doses", "lines[12].doses": "lines[12].doses", "tranches[0].expected": "tranches[0].expected",
		"reason": "reason", "iin": "iin", "line": "line", "as_of": "as_of",
		"ReAsOn": "(unknown)", "lines[x].doses": "(unknown)", "lines[0].secret": "(unknown)", "871008401427": "(unknown)", "": "(unknown)",
	} {
		if got := f.srv.logField(in); got != want {
			t.Errorf("logField(%q) = %q, want %q", in, got, want)
		}
	}
}
