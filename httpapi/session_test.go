package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"vaxtrace"
	"vaxtrace/password"
)

// browser is a cookie-keeping client of the fixture's server, as a page of
// the point app would be: from a loopback address over plain HTTP unless
// told otherwise.
type browser struct {
	f       *fixture
	cookies map[string]*http.Cookie
	csrf    string
	remote  string
	header  map[string]string
}

func (f *fixture) browser() *browser {
	return &browser{f: f, cookies: map[string]*http.Cookie{}, remote: "127.0.0.1:40000", header: map[string]string{}}
}

// do sends a request with the browser's cookies; withCSRF adds the
// session's CSRF token.
func (b *browser) do(method, path string, body any, withCSRF bool) resp {
	b.f.t.Helper()
	var rd *bytes.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			b.f.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	} else {
		rd = bytes.NewReader(nil)
	}
	req := httptest.NewRequest(method, path, rd)
	req.RemoteAddr = b.remote
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range b.header {
		req.Header.Set(k, v)
	}
	for _, c := range b.cookies {
		req.AddCookie(c)
	}
	if withCSRF && b.csrf != "" {
		req.Header.Set(csrfHeader, b.csrf)
	}
	rec := httptest.NewRecorder()
	b.f.srv.ServeHTTP(rec, req)
	for _, c := range rec.Result().Cookies() {
		if c.MaxAge < 0 {
			delete(b.cookies, c.Name)
		} else {
			b.cookies[c.Name] = c
		}
	}
	return resp{Status: rec.Code, Header: rec.Header(), Body: rec.Body.Bytes()}
}

func (b *browser) signIn(name, password string) resp {
	b.f.t.Helper()
	r := b.do("POST", "/api/v1/session", map[string]string{"name": name, "password": password}, false)
	if r.Status == http.StatusCreated {
		var v sessionView
		if err := json.Unmarshal(r.Body, &v); err != nil {
			b.f.t.Fatal(err)
		}
		b.csrf = v.CSRF
	}
	return r
}

// cheapPasswords makes argon2id cheap for the test (the stored hashes carry
// their own parameters, so verification is unaffected).
func cheapPasswords(t *testing.T) {
	old := password.Cost
	password.Cost = password.Params{Memory: 64, Time: 1, Threads: 1}
	t.Cleanup(func() { password.Cost = old })
}

// addUser creates a user through the API as the admin token.
func (f *fixture) addUser(name, role, region, place, password string) {
	f.t.Helper()
	r := f.do("POST", "/api/v1/users", "admin", map[string]any{"name": name, "full_name": "Nurse " + name, "role": role, "region": region, "place": place, "password": password})
	if r.Status != http.StatusCreated {
		f.t.Fatalf("create user %s: %d %s", name, r.Status, r.Body)
	}
}

func lastEvent(t *testing.T, f *fixture) vaxtrace.Event {
	t.Helper()
	var ev vaxtrace.Event
	if err := f.j.Replay(context.Background(), f.last()-1, func(e vaxtrace.Event) error { ev = e; return nil }); err != nil {
		t.Fatal(err)
	}
	return ev
}

func TestSignInCookieAndActor(t *testing.T) {
	cheapPasswords(t)
	f := newFixture(t)
	f.addUser("amina", vaxtrace.RolePoint, "", "AKM-P1", "correct horse battery")
	b := f.browser()
	r := b.signIn("Amina ", "correct horse battery") // names are case- and space-insensitive
	if r.Status != http.StatusCreated {
		t.Fatalf("sign in: %d %s", r.Status, r.Body)
	}
	c := b.cookies[sessionCookie]
	if c == nil || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/" || c.Secure || c.MaxAge != int(DefaultSessionTTL/time.Second) {
		t.Fatalf("session cookie over loopback HTTP: %+v", c)
	}
	if b.csrf == "" || strings.Contains(string(r.Body), c.Value) {
		t.Fatalf("the answer must carry the CSRF token and never the cookie's secret: %s", r.Body)
	}
	who := b.do("GET", "/api/v1/whoami", nil, false).json(t)
	if who["name"] != "user:amina" || who["role"] != "point" || who["place"] != "AKM-P1" {
		t.Fatalf("whoami with the cookie: %v", who)
	}
	// a dose recorded with the cookie names the user in the journal
	pid := f.register("admin", iin(t, "60010150015"), "KZ-AKM")
	d := b.do("POST", "/api/v1/doses", map[string]any{"id": "d-amina", "person": pid, "at": "2021-03-01T10:00:00+06:00", "place": "AKM-P1", "lot": "L1", "vaccinator": "Amina"}, true)
	if d.Status != http.StatusCreated {
		t.Fatalf("dose with the cookie: %d %s", d.Status, d.Body)
	}
	if ev := lastEvent(t, f); ev.Actor != "user:amina" || ev.Kind != vaxtrace.KindDoseAdministered {
		t.Fatalf("journal entry %s by %q, want the dose by user:amina", ev.Kind, ev.Actor)
	}
	// behind a TLS proxy the cookie is Secure
	tls := f.browser()
	tls.remote = "10.0.0.5:5555"
	tls.header["X-Forwarded-Proto"] = "https"
	if r := tls.signIn("amina", "correct horse battery"); r.Status != http.StatusCreated || !tls.cookies[sessionCookie].Secure {
		t.Fatalf("sign-in over TLS: %d %s, cookie %+v", r.Status, r.Body, tls.cookies[sessionCookie])
	}
	// signing out ends the session
	if r := b.do("POST", "/api/v1/session/logout", nil, true); r.Status != http.StatusOK || b.cookies[sessionCookie] != nil {
		t.Fatalf("sign out: %d %s", r.Status, r.Body)
	}
	b.cookies[sessionCookie] = c // a copy of the old cookie no longer works
	if r := b.do("GET", "/api/v1/session", nil, false); r.Status != http.StatusUnauthorized {
		t.Fatalf("session after sign-out: %d %s", r.Status, r.Body)
	}
}

func TestSignInRefusals(t *testing.T) {
	cheapPasswords(t)
	f := newFixture(t)
	f.addUser("amina", vaxtrace.RolePoint, "", "AKM-P1", "correct horse battery")
	cases := []struct {
		name       string
		setup      func(b *browser)
		user, pass string
		status     int
		msg        string
	}{
		{"wrong password", nil, "amina", "wrong horse battery", 401, "wrong name or password"},
		{"unknown user (same answer)", nil, "nobody", "correct horse battery", 401, "wrong name or password"},
		{"malformed name (same answer)", nil, "Ami na!", "correct horse battery", 401, "wrong name or password"},
		{"no password", nil, "amina", "", 400, "password"},
		{"plain HTTP from the network", func(b *browser) { b.remote = "10.0.0.7:1234" }, "amina", "correct horse battery", 403, "needs HTTPS"},
		{"from another site", func(b *browser) { b.header["Sec-Fetch-Site"] = "cross-site" }, "amina", "correct horse battery", 403, "another site"},
	}
	for _, c := range cases {
		b := f.browser()
		if c.setup != nil {
			c.setup(b)
		}
		r := b.signIn(c.user, c.pass)
		if r.Status != c.status || !strings.Contains(string(r.Body), c.msg) || b.cookies[sessionCookie] != nil {
			t.Errorf("%s: %d %s, want %d containing %q and no cookie", c.name, r.Status, r.Body, c.status, c.msg)
		}
	}
	// a form post (not JSON) is refused: a cross-site form cannot send JSON
	req := httptest.NewRequest("POST", "/api/v1/session", strings.NewReader("name=amina&password=correct+horse+battery"))
	req.RemoteAddr = "127.0.0.1:1"
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	f.srv.ServeHTTP(rec, req)
	if rec.Code != http.StatusBadRequest || len(rec.Result().Cookies()) != 0 {
		t.Errorf("form-encoded sign-in: %d %s", rec.Code, rec.Body)
	}
}

func TestLockout(t *testing.T) {
	cheapPasswords(t)
	f := newFixture(t)
	f.addUser("amina", vaxtrace.RolePoint, "", "AKM-P1", "correct horse battery")
	b := f.browser()
	for i := 1; i < lockAfter; i++ {
		if r := b.signIn("amina", "guess"+strings.Repeat("x", i)); r.Status != 401 || !strings.Contains(string(r.Body), "wrong name or password") {
			t.Fatalf("failure %d: %d %s", i, r.Status, r.Body)
		}
	}
	r := b.signIn("amina", "one guess too many")
	if r.Status != 401 || !strings.Contains(string(r.Body), "locked for 1 more minute") || r.Header.Get("Retry-After") == "" {
		t.Fatalf("failure %d: %d %s (Retry-After %q)", lockAfter, r.Status, r.Body, r.Header.Get("Retry-After"))
	}
	// locked: even the right password is refused, and nothing is signed in
	if r := b.signIn("amina", "correct horse battery"); r.Status != 401 || !strings.Contains(string(r.Body), "locked") || b.cookies[sessionCookie] != nil {
		t.Fatalf("the right password during the lock: %d %s", r.Status, r.Body)
	}
	u, _ := f.j.User(context.Background(), "amina")
	if u.Failures != lockAfter || u.LockedUntil <= time.Now().UnixNano() {
		t.Fatalf("stored %d failures, locked until %d", u.Failures, u.LockedUntil)
	}
	// the lock doubles with each further failure, up to an hour
	for n, want := range map[int]time.Duration{5: time.Minute, 6: 2 * time.Minute, 8: 8 * time.Minute, 11: time.Hour, 40: time.Hour} {
		if got := lockFor(n); got != want {
			t.Errorf("lockFor(%d) = %v, want %v", n, got, want)
		}
	}
	// an administrator's reset lifts the lock
	if r := f.do("POST", "/api/v1/users/amina/password", "admin", map[string]any{"password": "a brand new secret"}); r.Status != 200 {
		t.Fatalf("reset: %d %s", r.Status, r.Body)
	}
	if r := b.signIn("amina", "correct horse battery"); r.Status != 401 {
		t.Fatalf("the old password after a reset: %d", r.Status)
	}
	if r := b.signIn("amina", "a brand new secret"); r.Status != 201 {
		t.Fatalf("the new password: %d %s", r.Status, r.Body)
	}
	if u, _ := f.j.User(context.Background(), "amina"); u.Failures != 0 || u.LockedUntil != 0 {
		t.Fatalf("a successful sign-in keeps %d failures", u.Failures)
	}
}

func TestCSRFAndExpiredSession(t *testing.T) {
	cheapPasswords(t)
	f := newFixture(t)
	f.addUser("amina", vaxtrace.RolePoint, "", "AKM-P1", "correct horse battery")
	b := f.browser()
	if r := b.signIn("amina", "correct horse battery"); r.Status != 201 {
		t.Fatal(r.Status)
	}
	pid := f.register("admin", iin(t, "60010150015"), "KZ-AKM")
	dose := map[string]any{"id": "d-csrf", "person": pid, "at": "2021-03-01T10:00:00+06:00", "place": "AKM-P1", "lot": "L1", "vaccinator": "Amina"}
	before := f.last()
	if r := b.do("POST", "/api/v1/doses", dose, false); r.Status != 403 || !strings.Contains(string(r.Body), "CSRF") {
		t.Fatalf("cookie write without a CSRF token: %d %s", r.Status, r.Body)
	}
	good := b.csrf
	b.csrf = csrfToken("another session's secret")
	if r := b.do("POST", "/api/v1/doses", dose, true); r.Status != 403 || !strings.Contains(string(r.Body), "does not belong") {
		t.Fatalf("cookie write with another session's CSRF token: %d %s", r.Status, r.Body)
	}
	// batch uploads and mounted handlers go through the same check
	if r := b.do("POST", "/api/v1/doses/batch", []any{dose}, false); r.Status != 403 {
		t.Fatalf("batch without a CSRF token: %d %s", r.Status, r.Body)
	}
	if f.last() != before {
		t.Fatal("a refused write was journaled")
	}
	// reads need no token; GET /api/v1/session hands it out again
	b.csrf = ""
	s := b.do("GET", "/api/v1/session", nil, false)
	if s.Status != 200 || s.json(t)["csrf"] != good {
		t.Fatalf("GET session: %d %s", s.Status, s.Body)
	}
	b.csrf = good
	if r := b.do("POST", "/api/v1/doses", dose, true); r.Status != 201 {
		t.Fatalf("cookie write with the CSRF token: %d %s", r.Status, r.Body)
	}
	// a token-authenticated write needs no CSRF token even with a cookie
	if r := f.do("POST", "/api/v1/targets", "admin", map[string]any{"id": "t1", "from": "2021-02-01", "to": "2021-12-31", "measure": "first", "value": 10}); r.Status != 201 {
		t.Fatalf("token write: %d %s", r.Status, r.Body)
	}

	// an expired session: refused with a clear message, nothing written
	secret, hash := NewToken()
	now := time.Now()
	if err := f.j.CreateSession(context.Background(), vaxtrace.Session{Hash: hash, User: "amina", Created: now.Add(-13 * time.Hour).UnixNano(), Expires: now.Add(-time.Hour).UnixNano()}); err != nil {
		t.Fatal(err)
	}
	old := f.browser()
	old.cookies[sessionCookie] = &http.Cookie{Name: sessionCookie, Value: secret}
	old.csrf = csrfToken(secret)
	before = f.last()
	dose["id"] = "d-expired"
	if r := old.do("POST", "/api/v1/doses", dose, true); r.Status != 401 || !strings.Contains(string(r.Body), "expired") {
		t.Fatalf("expired session: %d %s", r.Status, r.Body)
	}
	if f.last() != before {
		t.Fatal("a write with an expired session was journaled")
	}
	// ... but it does not stop signing in again
	if r := old.signIn("amina", "correct horse battery"); r.Status != 201 {
		t.Fatalf("sign in with an expired cookie present: %d %s", r.Status, r.Body)
	}
}

// TestPointUserScope: a point user sees and writes its own point only.
func TestPointUserScope(t *testing.T) {
	cheapPasswords(t)
	f := newFixture(t)
	f.addUser("amina", vaxtrace.RolePoint, "", "AKM-P1", "correct horse battery")
	b := f.browser()
	b.signIn("amina", "correct horse battery")
	var places struct{ Places []placeView }
	json.Unmarshal(b.do("GET", "/api/v1/places?kind=point", nil, false).Body, &places)
	if len(places.Places) != 1 || places.Places[0].ID != "AKM-P1" {
		t.Fatalf("a point user is offered %d places: %+v", len(places.Places), places.Places)
	}
	for _, p := range []string{"/api/v1/places/AKM-P2", "/api/v1/places/AKM-P2/stock", "/api/v1/places/AKM-W/stock"} {
		if r := b.do("GET", p, nil, false); r.Status != 403 {
			t.Errorf("GET %s: %d", p, r.Status)
		}
	}
	if r := b.do("GET", "/api/v1/places/AKM-P1/stock", nil, false); r.Status != 200 {
		t.Errorf("own stock: %d %s", r.Status, r.Body)
	}
	pid := f.register("admin", iin(t, "60010150015"), "KZ-AKM")
	before := f.last()
	r := b.do("POST", "/api/v1/doses", map[string]any{"id": "d-p2", "person": pid, "at": "2021-03-01T10:00:00+06:00", "place": "AKM-P2", "lot": "L1", "vaccinator": "Amina"}, true)
	if r.Status != 403 || f.last() != before {
		t.Fatalf("a dose at another point: %d %s", r.Status, r.Body)
	}
	// the same applies to the point token
	json.Unmarshal(f.do("GET", "/api/v1/places", "p1", nil).Body, &places)
	if len(places.Places) != 1 {
		t.Fatalf("a point token is offered %d places", len(places.Places))
	}
}

func TestUserAdministration(t *testing.T) {
	cheapPasswords(t)
	f := newFixture(t)
	bad := []struct {
		body  map[string]any
		code  int
		field string
	}{
		{map[string]any{"name": "x", "role": "point", "place": "AKM-P1", "password": "long enough pw"}, 400, "name"},
		{map[string]any{"name": "nurse", "role": "point", "place": "AKM-W", "password": "long enough pw"}, 400, "place"},
		{map[string]any{"name": "nurse", "role": "point", "place": "NOPE", "password": "long enough pw"}, 404, "place"},
		{map[string]any{"name": "nurse", "role": "point", "region": "KZ-AKM", "password": "long enough pw"}, 400, "place"},
		{map[string]any{"name": "coord", "role": "region", "region": "KZ-XXX", "password": "long enough pw"}, 404, "region"},
		{map[string]any{"name": "nurse", "role": "public", "password": "long enough pw"}, 400, "role"},
		{map[string]any{"name": "nurse", "role": "point", "place": "AKM-P1", "password": "short"}, 400, "password"},
		{map[string]any{"name": "nurse", "role": "point", "place": "AKM-P1", "password": "Nurse"}, 400, "password"},
	}
	for _, c := range bad {
		r := f.do("POST", "/api/v1/users", "admin", c.body)
		if code, field := r.errInfo(t); r.Status != c.code || field != c.field {
			t.Errorf("%v: %d %s %s, want %d on %s", c.body, r.Status, code, field, c.code, c.field)
		}
	}
	// only an administrator manages accounts
	if r := f.do("POST", "/api/v1/users", "akm", map[string]any{"name": "nurse", "role": "point", "place": "AKM-P1"}); r.Status != 403 {
		t.Fatalf("region token creates a user: %d", r.Status)
	}
	if r := f.do("GET", "/api/v1/users", "auditor", nil); r.Status != 403 {
		t.Fatalf("auditor lists users: %d", r.Status)
	}
	// without a password a temporary one is made and shown once
	r := f.do("POST", "/api/v1/users", "admin", map[string]any{"name": "coord", "role": "region", "region": "KZ-AKM"})
	var res userResult
	json.Unmarshal(r.Body, &res)
	if r.Status != 201 || len(res.Password) != 20 || res.User.UpdatedBy != "admin" || res.User.Actor != "user:coord" || strings.Contains(string(r.Body), "argon2") {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	if r := f.do("POST", "/api/v1/users", "admin", map[string]any{"name": "coord", "role": "region", "region": "KZ-AKM"}); r.Status != 409 {
		t.Fatalf("duplicate name: %d", r.Status)
	}
	b := f.browser()
	if r := b.signIn("coord", res.Password); r.Status != 201 {
		t.Fatalf("sign in with the temporary password: %d %s", r.Status, r.Body)
	}
	// disabling ends the session at once and refuses sign-in
	if r := f.do("POST", "/api/v1/users/coord/disable", "admin", nil); r.Status != 200 {
		t.Fatalf("disable: %d %s", r.Status, r.Body)
	}
	if r := b.do("GET", "/api/v1/whoami", nil, false); r.Status != 401 {
		t.Fatalf("a disabled user's session: %d %s", r.Status, r.Body)
	}
	if r := b.signIn("coord", res.Password); r.Status != 401 || !strings.Contains(string(r.Body), "disabled") {
		t.Fatalf("a disabled user signs in: %d %s", r.Status, r.Body)
	}
	if r := f.do("POST", "/api/v1/users/coord/enable", "admin", nil); r.Status != 200 {
		t.Fatal(r.Status)
	}
	if r := b.signIn("coord", res.Password); r.Status != 201 {
		t.Fatalf("after enabling: %d %s", r.Status, r.Body)
	}
	// a user changes their own password; the old one stops working
	if r := b.do("POST", "/api/v1/session/password", map[string]any{"current": "wrong", "new": "my own passphrase"}, true); r.Status != 400 {
		t.Fatalf("change with a wrong current password: %d %s", r.Status, r.Body)
	}
	if r := b.do("POST", "/api/v1/session/password", map[string]any{"current": res.Password, "new": "my own passphrase"}, true); r.Status != 200 {
		t.Fatalf("change: %d %s", r.Status, r.Body)
	}
	if r := b.do("GET", "/api/v1/whoami", nil, false); r.Status != 200 || r.json(t)["name"] != "user:coord" {
		t.Fatalf("the session after changing the password: %d %s", r.Status, r.Body)
	}
	if r := f.browser().signIn("coord", res.Password); r.Status != 401 {
		t.Fatal("the old password still works")
	}
	// an administrator signed in with a password cannot disable themselves
	f.addUser("boss", vaxtrace.RoleAdmin, "", "", "the boss passphrase")
	a := f.browser()
	a.signIn("boss", "the boss passphrase")
	if r := a.do("POST", "/api/v1/users/boss/disable", nil, true); r.Status != 400 {
		t.Fatalf("self-disable: %d %s", r.Status, r.Body)
	}
	var list struct{ Users []userView }
	json.Unmarshal(a.do("GET", "/api/v1/users", nil, false).Body, &list)
	if len(list.Users) != 2 || list.Users[0].Name != "boss" || list.Users[1].Name != "coord" {
		t.Fatalf("users: %+v", list.Users)
	}
}
