package httpapi

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"mime"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"vaxtrace"
	"vaxtrace/password"
)

// Sign-in with a name and a password, for people; API tokens stay for
// machines.
//
// A successful sign-in sets the session cookie: HttpOnly (scripts cannot
// read it), SameSite=Strict (other sites' pages cannot make the browser send
// it), Path=/, Max-Age = the session's lifetime (it survives a browser
// restart, so a point app that was closed offline can still upload), and
// Secure when the request came over TLS (directly, or through a proxy that
// says X-Forwarded-Proto: https). Over plain HTTP sign-in is accepted only
// from a loopback address: a browser on the same machine in development
// and tests, or a TLS-terminating proxy on the same host that does not set
// the header. Anywhere else it is refused, so a password never crosses a
// network in clear.
//
// The store keeps only the SHA-256 of the cookie's secret. Writes made with
// the cookie (every method but GET, HEAD and OPTIONS) must carry the
// session's CSRF token in the X-CSRF-Token header (a synchronizer token: the
// HMAC of a fixed label keyed with the cookie's secret, handed to the page
// in the sign-in answer and by GET /api/v1/session). A request with an
// Authorization header is authenticated by its token alone and needs none.
//
// Wrong passwords are counted per account; from the fifth failure in a row
// the account is locked for 1 minute, doubling with every further failure up
// to an hour; a successful sign-in or an administrator's password reset
// clears the count. A locked account refuses even the right password until
// the lock ends.

const (
	sessionCookie = "vaxtrace_session"
	csrfHeader    = "X-CSRF-Token"
	// DefaultSessionTTL is how long a sign-in lasts (Options.SessionTTL).
	DefaultSessionTTL = 12 * time.Hour
	// lockAfter failures in a row lock an account; the lock lasts
	// lockBase, doubling per further failure, at most lockMax.
	lockAfter = 5
	lockBase  = time.Minute
	lockMax   = time.Hour
	// sessionCacheTTL bounds how long another node may still accept a
	// session ended or a user disabled elsewhere.
	sessionCacheTTL = 5 * time.Second
)

// accounts is the sign-in machinery of a Server.
type accounts struct {
	s       *Server
	store   vaxtrace.UserStore // nil when the journal keeps no users
	ttl     time.Duration
	cache   sync.Map      // session hash -> cachedSession
	hashing chan struct{} // bounds concurrent argon2 work (19 MiB each)
}

type cachedSession struct {
	user    vaxtrace.User
	expires int64 // the session's end, Unix nanoseconds
	until   time.Time
}

func newAccounts(s *Server) *accounts {
	a := &accounts{s: s, ttl: s.opts.SessionTTL, hashing: make(chan struct{}, max(1, runtime.NumCPU()))}
	if a.ttl <= 0 {
		a.ttl = DefaultSessionTTL
	}
	a.store, _ = s.eng.Journal().(vaxtrace.UserStore)
	return a
}

func (a *accounts) users() (vaxtrace.UserStore, error) {
	if a.store == nil {
		return nil, vaxtrace.Errorf(vaxtrace.EUNAVAILABLE, "this store keeps no user accounts")
	}
	return a.store, nil
}

// hash runs fn (argon2 work) once a hashing slot is free.
func (a *accounts) hash(ctx context.Context, fn func()) error {
	select {
	case a.hashing <- struct{}{}:
	case <-ctx.Done():
		return vaxtrace.Errorf(vaxtrace.EUNAVAILABLE, "too many sign-ins at once; try again")
	}
	defer func() { <-a.hashing }()
	fn()
	return nil
}

func csrfToken(secret string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("vaxtrace csrf v1"))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// isSignIn: the sign-in request ignores any session cookie it carries (an
// expired one must not stand in the way of signing in again).
func isSignIn(r *http.Request) bool {
	return r.Method == http.MethodPost && r.URL.Path == "/api/v1/session"
}

// cookiePrincipal resolves the session cookie of a request without an
// Authorization header. ok is false when there is no cookie to consider.
func (a *accounts) cookiePrincipal(r *http.Request) (p vaxtrace.Principal, ok bool, err error) {
	c, cerr := r.Cookie(sessionCookie)
	if cerr != nil || c.Value == "" || isSignIn(r) || a.store == nil {
		return p, false, nil
	}
	u, _, err := a.session(r.Context(), c.Value)
	if err != nil {
		return p, true, err
	}
	if !safeMethod(r.Method) {
		got := r.Header.Get(csrfHeader)
		if got == "" {
			return p, true, vaxtrace.Errorf(vaxtrace.EFORBIDDEN, "this write is signed in with a session cookie but carries no CSRF token: send the X-CSRF-Token header given at sign-in (GET /api/v1/session)")
		}
		if subtle.ConstantTimeCompare([]byte(got), []byte(csrfToken(c.Value))) != 1 {
			return p, true, vaxtrace.Errorf(vaxtrace.EFORBIDDEN, "the X-CSRF-Token header does not belong to this session: reload the app or sign in again")
		}
	}
	return u.Principal(), true, nil
}

// session finds the user and the end of the session a cookie secret opens.
func (a *accounts) session(ctx context.Context, secret string) (vaxtrace.User, int64, error) {
	hash := HashToken(secret)
	now := time.Now()
	if v, ok := a.cache.Load(hash); ok {
		c := v.(cachedSession)
		if now.Before(c.until) && now.UnixNano() < c.expires {
			return c.user, c.expires, nil
		}
		a.cache.Delete(hash)
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	sess, err := a.store.Session(ctx, hash, now.UnixNano())
	if err != nil {
		return vaxtrace.User{}, 0, a.storeError(err)
	}
	u, err := a.store.User(ctx, sess.User)
	if err != nil {
		if vaxtrace.ErrorCode(err) == vaxtrace.ENOTFOUND {
			return vaxtrace.User{}, 0, vaxtrace.Errorf(vaxtrace.EUNAUTHORIZED, "unknown session: sign in again")
		}
		return vaxtrace.User{}, 0, a.storeError(err)
	}
	if u.Disabled {
		return vaxtrace.User{}, 0, vaxtrace.Errorf(vaxtrace.EUNAUTHORIZED, "this account is disabled: ask your administrator")
	}
	a.cache.Store(hash, cachedSession{user: u, expires: sess.Expires, until: now.Add(sessionCacheTTL)})
	return u, sess.Expires, nil
}

// storeError keeps domain errors and hides infrastructure ones.
func (a *accounts) storeError(err error) error {
	switch vaxtrace.ErrorCode(err) {
	case vaxtrace.EINTERNAL:
		a.s.log.Error("user store failed", "err", err)
		return vaxtrace.Errorf(vaxtrace.EUNAVAILABLE, "cannot check the sign-in right now")
	}
	return err
}

// forget drops cached sessions of a user on this node (disabled, reset,
// signed out everywhere); other nodes drop them within sessionCacheTTL.
func (a *accounts) forget(user string) {
	a.cache.Range(func(k, v any) bool {
		if v.(cachedSession).user.Name == user {
			a.cache.Delete(k)
		}
		return true
	})
}

// secureRequest reports whether the client reached us over TLS.
func secureRequest(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(strings.TrimSpace(r.Header.Get("X-Forwarded-Proto")), "https")
}

func loopback(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (a *accounts) setCookie(w http.ResponseWriter, r *http.Request, secret string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: secret, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: secureRequest(r), SameSite: http.SameSiteStrictMode})
}

// userView is an account as the API shows it (never the password hash).
type userView struct {
	Name        string     `json:"name"`
	FullName    string     `json:"full_name,omitempty"`
	Role        string     `json:"role"`
	Region      string     `json:"region,omitempty"`
	Place       string     `json:"place,omitempty"`
	Actor       string     `json:"actor"` // how the journal names this user
	Disabled    bool       `json:"disabled"`
	Failures    int        `json:"failures"`
	LockedUntil *time.Time `json:"locked_until,omitempty"`
	Created     time.Time  `json:"created,omitzero"`
	Updated     time.Time  `json:"updated,omitzero"`
	UpdatedBy   string     `json:"updated_by,omitempty"`
}

func viewUser(u vaxtrace.User) userView {
	v := userView{Name: u.Name, FullName: u.FullName, Role: u.Role, Region: u.Region, Place: u.Place, Actor: u.Principal().Name,
		Disabled: u.Disabled, Failures: u.Failures, Created: time.Unix(u.Created, 0).UTC(), Updated: time.Unix(u.Updated, 0).UTC(), UpdatedBy: u.UpdatedBy}
	if u.LockedUntil > time.Now().UnixNano() {
		t := time.Unix(0, u.LockedUntil).UTC()
		v.LockedUntil = &t
	}
	return v
}

type signInRequest struct {
	Name     string `json:"name"`
	Password string `json:"password"`
}

// sessionView answers a sign-in and GET /api/v1/session.
type sessionView struct {
	User    userView  `json:"user"`
	CSRF    string    `json:"csrf,omitempty"`
	Expires time.Time `json:"expires,omitzero"`
	// Token: the caller is an API token, not a session (no CSRF needed);
	// User then holds only its name, role and scope.
	Token bool `json:"token,omitempty"`
}

var errWrongPassword = vaxtrace.Errorf(vaxtrace.EUNAUTHORIZED, "wrong name or password")

// signIn checks a name and password and starts a session.
func (s *Server) signIn(w http.ResponseWriter, r *http.Request) error {
	a := s.acct
	store, err := a.users()
	if err != nil {
		return err
	}
	if !secureRequest(r) && !loopback(r) {
		return vaxtrace.Errorf(vaxtrace.EFORBIDDEN, "signing in with a password needs HTTPS: open the app at its https:// address")
	}
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		return vaxtrace.Errorf(vaxtrace.EFORBIDDEN, "sign-in from another site (%s) is refused", site)
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		return vaxtrace.FieldError("body", "send the name and password as application/json")
	}
	var q signInRequest
	if err := s.decode(w, r, &q); err != nil {
		return err
	}
	name := strings.ToLower(strings.TrimSpace(q.Name))
	if q.Password == "" {
		return vaxtrace.FieldError("password", "required")
	}
	if vaxtrace.ValidUserName(name) != nil || len(q.Password) > vaxtrace.MaxPasswordLen {
		_ = a.hash(r.Context(), func() { password.Check(q.Password, password.Dummy()) })
		return errWrongPassword
	}
	ctx := r.Context()
	u, err := store.User(ctx, name)
	if err != nil {
		if vaxtrace.ErrorCode(err) != vaxtrace.ENOTFOUND {
			return a.storeError(err)
		}
		_ = a.hash(ctx, func() { password.Check(q.Password, password.Dummy()) })
		return errWrongPassword
	}
	now := time.Now()
	if u.LockedUntil > now.UnixNano() {
		return lockedError(w, u.LockedUntil, now)
	}
	var ok bool
	if err := a.hash(ctx, func() { ok = password.Check(q.Password, u.PasswordHash) }); err != nil {
		return err
	}
	if !ok {
		u, err = store.UpdateUser(ctx, name, func(u *vaxtrace.User) error {
			u.Failures++
			if u.Failures >= lockAfter {
				u.LockedUntil = now.Add(lockFor(u.Failures)).UnixNano()
			}
			return nil
		})
		if err != nil {
			return a.storeError(err)
		}
		if u.LockedUntil > now.UnixNano() {
			return lockedError(w, u.LockedUntil, now)
		}
		return errWrongPassword
	}
	if u.Disabled {
		return vaxtrace.Errorf(vaxtrace.EUNAUTHORIZED, "this account is disabled: ask your administrator")
	}
	if u.Failures != 0 || u.LockedUntil != 0 {
		if u, err = store.UpdateUser(ctx, name, func(u *vaxtrace.User) error { u.Failures, u.LockedUntil = 0, 0; return nil }); err != nil {
			return a.storeError(err)
		}
	}
	view, err := a.start(w, r, u, now)
	if err != nil {
		return err
	}
	s.log.Info("signed in", "actor", u.Principal().Name)
	writeJSON(w, http.StatusCreated, view)
	return nil
}

// start creates a session for u and sets its cookie.
func (a *accounts) start(w http.ResponseWriter, r *http.Request, u vaxtrace.User, now time.Time) (sessionView, error) {
	secret, hash := NewToken()
	exp := now.Add(a.ttl)
	if err := a.store.CreateSession(r.Context(), vaxtrace.Session{Hash: hash, User: u.Name, Created: now.UnixNano(), Expires: exp.UnixNano()}); err != nil {
		return sessionView{}, a.storeError(err)
	}
	a.setCookie(w, r, secret, int(a.ttl/time.Second))
	w.Header().Set("Cache-Control", "no-store")
	return sessionView{User: viewUser(u), CSRF: csrfToken(secret), Expires: exp.UTC()}, nil
}

// lockFor is the lock after n failures in a row (n >= lockAfter).
func lockFor(n int) time.Duration {
	d := lockBase
	for i := lockAfter; i < n && d < lockMax; i++ {
		d *= 2
	}
	return min(d, lockMax)
}

func lockedError(w http.ResponseWriter, until int64, now time.Time) error {
	wait := time.Unix(0, until).Sub(now)
	w.Header().Set("Retry-After", strconv.Itoa(int((wait+time.Second-1)/time.Second)))
	mins := int((wait + time.Minute - 1) / time.Minute)
	return vaxtrace.Errorf(vaxtrace.EUNAUTHORIZED, "too many wrong passwords: this account is locked for %d more minute(s); try again later or ask your administrator to reset the password", mins)
}

// currentSession answers who is signed in with the cookie, with the CSRF
// token for writes (what the app asks after a restart).
func (s *Server) currentSession(w http.ResponseWriter, r *http.Request) error {
	a := s.acct
	w.Header().Set("Cache-Control", "no-store")
	if p := principal(r); r.Header.Get("Authorization") != "" && p.Role != vaxtrace.RolePublic {
		writeJSON(w, http.StatusOK, sessionView{User: userView{Name: p.Name, Role: p.Role, Region: p.Region, Place: p.Place, Actor: p.Name}, Token: true})
		return nil
	}
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" || a.store == nil {
		return vaxtrace.Errorf(vaxtrace.EUNAUTHORIZED, "not signed in")
	}
	u, exp, err := a.session(r.Context(), c.Value)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, sessionView{User: viewUser(u), CSRF: csrfToken(c.Value), Expires: time.Unix(0, exp).UTC()})
	return nil
}

// signOut ends the cookie's session (the CSRF token was checked by
// authenticate) and clears the cookie.
func (s *Server) signOut(w http.ResponseWriter, r *http.Request) error {
	a := s.acct
	if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" && a.store != nil {
		hash := HashToken(c.Value)
		if err := a.store.DeleteSession(r.Context(), hash); err != nil {
			return a.storeError(err)
		}
		a.cache.Delete(hash)
	}
	a.setCookie(w, r, "", -1)
	writeJSON(w, http.StatusOK, map[string]bool{"signed_out": true})
	return nil
}

type passwordChange struct {
	Current string `json:"current"`
	New     string `json:"new"`
}

// changePassword lets a signed-in user set a new password: the current one
// is checked (and counted like a sign-in), every other session ends.
func (s *Server) changePassword(w http.ResponseWriter, r *http.Request) error {
	a := s.acct
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" || a.store == nil {
		return vaxtrace.Errorf(vaxtrace.EFORBIDDEN, "only a person signed in with a password can change it")
	}
	u, _, err := a.session(r.Context(), c.Value)
	if err != nil {
		return err
	}
	var q passwordChange
	if err := s.decode(w, r, &q); err != nil {
		return err
	}
	if err := vaxtrace.ValidPassword(u.Name, q.New); err != nil {
		return vaxtrace.WithField(err, "new")
	}
	now := time.Now()
	if u, err = a.store.User(r.Context(), u.Name); err != nil {
		return a.storeError(err)
	}
	if u.LockedUntil > now.UnixNano() {
		return lockedError(w, u.LockedUntil, now)
	}
	var ok bool
	var hash string
	if err := a.hash(r.Context(), func() {
		if ok = len(q.Current) <= vaxtrace.MaxPasswordLen && password.Check(q.Current, u.PasswordHash); ok {
			hash = password.Hash(q.New)
		}
	}); err != nil {
		return err
	}
	u, err = a.store.UpdateUser(r.Context(), u.Name, func(u *vaxtrace.User) error {
		if !ok {
			u.Failures++
			if u.Failures >= lockAfter {
				u.LockedUntil = now.Add(lockFor(u.Failures)).UnixNano()
			}
			return nil
		}
		u.PasswordHash, u.Failures, u.LockedUntil, u.Updated, u.UpdatedBy = hash, 0, 0, now.Unix(), u.Principal().Name
		return nil
	})
	if err != nil {
		return a.storeError(err)
	}
	if !ok {
		return vaxtrace.FieldError("current", "the current password is wrong")
	}
	if err := a.store.DeleteUserSessions(r.Context(), u.Name); err != nil {
		return a.storeError(err)
	}
	a.forget(u.Name)
	view, err := a.start(w, r, u, now)
	if err != nil {
		return err
	}
	s.log.Info("password changed", "actor", u.Principal().Name)
	writeJSON(w, http.StatusOK, view)
	return nil
}
