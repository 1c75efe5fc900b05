package httpapi

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// TestRevokedTokenStopsWorking: revoked through a node, a token is refused
// by that node at once; another node sharing the store refuses it when its
// cached resolution expires (TokenTTL, the poll interval under serve).
func TestRevokedTokenStopsWorking(t *testing.T) {
	f := newFixture(t)
	const ttl = 200 * time.Millisecond
	other := newServer(f.eng, f.keys, Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), TokenTTL: ttl})
	now := time.Now()
	other.clock = func() time.Time { return now }
	whoami := func(s *Server, who string) int {
		req := httptest.NewRequest("GET", "/api/v1/whoami", nil)
		req.Header.Set("Authorization", "Bearer "+f.tokens[who])
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		return rec.Code
	}
	// both nodes have resolved (and cached) the token
	if whoami(f.srv, "akm") != 200 || whoami(other, "akm") != 200 {
		t.Fatal("token not accepted before revocation")
	}
	// only an admin revokes
	for _, who := range []string{"akm", "auditor", "p1", ""} {
		if r := f.do("POST", "/api/v1/tokens/ala/revoke", who, nil); r.Status != http.StatusForbidden && r.Status != http.StatusUnauthorized {
			t.Errorf("%q revoked a token: %d %s", who, r.Status, r.Body)
		}
	}
	if r := f.do("POST", "/api/v1/tokens/nobody/revoke", "admin", nil); r.Status != http.StatusNotFound {
		t.Errorf("unknown token: %d %s", r.Status, r.Body)
	}
	if r := f.do("POST", "/api/v1/tokens/akm/revoke", "admin", nil); r.Status != 200 {
		t.Fatalf("revoke: %d %s", r.Status, r.Body)
	}
	// the revoking node refuses it at once
	if got := whoami(f.srv, "akm"); got != http.StatusUnauthorized {
		t.Fatalf("revoking node after revocation: %d", got)
	}
	// the other node serves it from its cache until the cache time passes...
	if got := whoami(other, "akm"); got != 200 {
		t.Fatalf("other node before its cache time: %d", got)
	}
	now = now.Add(ttl)
	if got := whoami(other, "akm"); got != http.StatusUnauthorized {
		t.Fatalf("other node after one cache time: %d", got)
	}
	// a revocation made outside any node (the CLI) also reaches the first
	// node within one cache time
	if whoami(f.srv, "ala") != 200 {
		t.Fatal("ala")
	}
	if err := f.j.RevokeToken(context.Background(), "ala"); err != nil {
		t.Fatal(err)
	}
	f.srv.clock = func() time.Time { return time.Now().Add(f.srv.opts.TokenTTL) }
	if got := whoami(f.srv, "ala"); got != http.StatusUnauthorized {
		t.Fatalf("CLI revocation after one cache time: %d", got)
	}
	if f.srv.opts.TokenTTL > time.Second {
		t.Fatalf("default token cache time %s: a revoked token would keep working that long", f.srv.opts.TokenTTL)
	}
}
