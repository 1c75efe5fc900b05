// Package httpapi serves the vaxtrace JSON API over HTTP.
//
// Every write is turned into an engine.Command and goes through
// engine.Submit (or SubmitBatch for uploads); every read runs under
// engine.Read and is filtered by the caller's scope (see vaxtrace.Principal).
// Domain errors are mapped to HTTP status codes in exactly one place
// (errors.go). Personal data is never logged, never accepted in URLs and an
// IIN is never returned in clear: authorised callers see it masked.
//
// Only the standard library is used: net/http method patterns, log/slog and
// encoding/json.
package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"vaxtrace"
	"vaxtrace/engine"
	"vaxtrace/monitor"
	"vaxtrace/pii"
)

// Options configure the API handler.
type Options struct {
	Logger *slog.Logger
	// MaxBody bounds JSON request bodies (default 1 MiB).
	MaxBody int64
	// MaxBatchBody bounds batch uploads (default 64 MiB).
	MaxBatchBody int64
	// Now is the clock used for default as-of dates (default time.Now).
	Now func() time.Time
	// UI, if set, is mounted at "/" (the dashboard).
	UI http.Handler
	// TokenTTL is how long a resolved token is cached (default 1 s). A token
	// revoked through this server stops working at once; one revoked
	// elsewhere (another node, the CLI) within TokenTTL. serve sets it to
	// the poll interval.
	TokenTTL time.Duration
	// Limits bound slow and large requests (see Limits; zero = defaults).
	Limits Limits
	// MaxMountedBody bounds the bodies of handlers added with Mount
	// (default 8 MiB; they apply their own, smaller limits too).
	MaxMountedBody int64
	// SourceURL is written in the source_url column of the OWID export.
	SourceURL string
	// SMSCallbackToken is the token the SMS gateway sends (header
	// X-Gateway-Token) with
	// delivery reports and replies (POST /api/v1/reminders/status and
	// /inbound); empty refuses them.
	SMSCallbackToken string
	// SessionTTL is how long a password sign-in lasts (default 12 h).
	SessionTTL time.Duration
	// Monitor, if set, is the running temperature monitor (its counters are
	// served; recorder files are imported through it).
	Monitor *monitor.Monitor
}

// Server is the API handler.
type Server struct {
	eng     *engine.Engine
	keys    *pii.Keys
	opts    Options
	log     *slog.Logger
	mux     *http.ServeMux
	routes  []route
	tokens  sync.Map // token hash -> cachedToken
	metrics *metrics
	uploads chan struct{} // one slot per large upload being read
	known   map[string]bool
	clock   func() time.Time // token cache and upload deadlines (tests move it)

	acct *accounts // password sign-in and sessions (session.go)

	openapiOnce sync.Once
	openapiDoc  []byte
}

// New returns the API handler.
func New(eng *engine.Engine, keys *pii.Keys, opts Options) *Server {
	return newServer(eng, keys, opts)
}

// Mount adds a handler written elsewhere (certificates, planning, FHIR) under
// pattern (e.g. "POST /api/v1/certificates"), behind the same request IDs,
// access log and metrics, and lists it in the OpenAPI document. The handler
// authenticates with Authenticate.
func (s *Server) Mount(pattern, tag, summary string, h http.Handler) {
	method, path, ok := strings.Cut(pattern, " ")
	if !ok {
		method, path = "GET", pattern
	}
	s.routes = append(s.routes, route{Method: method, Path: path, Tag: tag, Summary: summary, Access: anyone})
	limit := s.opts.MaxMountedBody
	s.mux.Handle(pattern, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, limit)
		}
		h.ServeHTTP(w, r)
	}))
}

// Authenticate resolves the bearer token of r (public without one).
func (s *Server) Authenticate(r *http.Request) (vaxtrace.Principal, error) {
	return s.authenticate(r)
}

func newServer(eng *engine.Engine, keys *pii.Keys, opts Options) *Server {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.MaxBody <= 0 {
		opts.MaxBody = 1 << 20
	}
	if opts.MaxBatchBody <= 0 {
		opts.MaxBatchBody = 64 << 20
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.TokenTTL <= 0 {
		opts.TokenTTL = time.Second
	}
	if opts.MaxMountedBody <= 0 {
		opts.MaxMountedBody = 8 << 20
	}
	opts.Limits.defaults()
	s := &Server{eng: eng, keys: keys, opts: opts, log: opts.Logger, mux: http.NewServeMux(), metrics: newMetrics(),
		uploads: make(chan struct{}, opts.Limits.MaxUploads), clock: time.Now}
	s.acct = newAccounts(s)
	s.routes = append(append(s.routeTable(), s.pointRoutes()...), s.dueRoutes()...)
	s.known = knownFields(s.routes)
	for _, rt := range s.routes {
		s.mux.HandleFunc(rt.Method+" "+rt.Path, s.wrap(rt))
	}
	s.mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, vaxtrace.Errorf(vaxtrace.ENOTFOUND, "no such API route"))
	})
	if opts.UI != nil {
		s.mux.Handle("/", opts.UI)
	}
	return s
}

// access is who may call a route (scope is checked by the handler).
type access int

const (
	anyone   access = iota // including the public (aggregates only)
	member                 // any authenticated, non-public role
	writer                 // admin, region, point, migration
	auditors               // admin, auditor
	admins                 // admin only
)

func (a access) allow(p vaxtrace.Principal) error {
	switch a {
	case anyone:
		return nil
	case member:
		if p.Role == vaxtrace.RolePublic {
			return vaxtrace.Errorf(vaxtrace.EFORBIDDEN, "this resource needs an API token")
		}
	case writer:
		switch p.Role {
		case vaxtrace.RoleAdmin, vaxtrace.RoleRegion, vaxtrace.RolePoint, vaxtrace.RoleMigration:
		default:
			return vaxtrace.Errorf(vaxtrace.EFORBIDDEN, "role %s may not write", p.Role)
		}
	case auditors:
		if p.Role != vaxtrace.RoleAdmin && p.Role != vaxtrace.RoleAuditor {
			return vaxtrace.Errorf(vaxtrace.EFORBIDDEN, "only admin and auditor may read this")
		}
	case admins:
		if p.Role != vaxtrace.RoleAdmin {
			return vaxtrace.Errorf(vaxtrace.EFORBIDDEN, "only admin may do this")
		}
	}
	return nil
}

// apiFunc is a route handler; a returned error is written by fail.
type apiFunc func(w http.ResponseWriter, r *http.Request) error

type route struct {
	Method  string
	Path    string
	Access  access
	Tag     string
	Summary string
	Query   []param // query parameters
	Body    any     // request body example type (for OpenAPI), nil if none
	Resp    any     // response type (for OpenAPI), nil for a generic object
	Status  int     // success status (default 200)
	Upload  bool    // a large upload: MaxBatchBody, progress deadline, one of MaxUploads slots
	Long    bool    // reads the whole journal: the answer may take Limits.LongWrite
	Fn      apiFunc
}

type param struct {
	Name, Desc string
}

func (s *Server) wrap(rt route) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, err := s.authenticate(r)
		if err == nil {
			err = rt.Access.allow(p)
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if ri := info(r.Context()); ri != nil {
			ri.actor = p.Name
		}
		if rt.Upload {
			release, err := s.upload(w, r)
			if err != nil {
				s.fail(w, r, err)
				return
			}
			defer release()
		} else if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, s.opts.MaxBody)
		}
		if rt.Long {
			_ = http.NewResponseController(w).SetWriteDeadline(s.clock().Add(s.opts.Limits.LongWrite))
		}
		r = r.WithContext(context.WithValue(r.Context(), principalKey{}, p))
		if err := rt.Fn(w, r); err != nil {
			s.fail(w, r, err)
		}
	}
}

// reqInfo is per-request data shared between the middleware and handlers.
type reqInfo struct {
	id    string
	actor string
	code  string // domain error code of a failed request
	field string
}

type reqInfoKey struct{}

func info(ctx context.Context) *reqInfo {
	ri, _ := ctx.Value(reqInfoKey{}).(*reqInfo)
	return ri
}

var validRequestID = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,128}$`)

func newRequestID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// ServeHTTP runs the middleware: request id, panic recovery, metrics and the
// access log. The access log holds the method, the route pattern (never the
// path: ids in it are the client's), the status, sizes, the actor and, for a
// failed request, the error code and the field only when the API defines a
// field of that name: never bodies, user-supplied names or personal data.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	ri := &reqInfo{id: r.Header.Get("X-Request-ID")}
	if !validRequestID.MatchString(ri.id) {
		ri.id = newRequestID()
	}
	w.Header().Set("X-Request-ID", ri.id)
	rw := &statusWriter{ResponseWriter: w}
	r = r.WithContext(context.WithValue(r.Context(), reqInfoKey{}, ri))
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.Error("panic", "request_id", ri.id, "panic", v)
			if !rw.wrote {
				s.fail(rw, r, vaxtrace.Errorf(vaxtrace.EINTERNAL, "panic: %v", v))
			}
		}
		dur := time.Since(start)
		routeName := r.Pattern
		if routeName == "" {
			routeName = "unmatched"
		}
		status := rw.status
		if status == 0 {
			status = http.StatusOK
		}
		s.metrics.observe(routeName, status, dur)
		attrs := []slog.Attr{
			slog.String("request_id", ri.id),
			slog.String("method", r.Method),
			slog.String("route", routeName),
			slog.Int("status", status),
			slog.Int64("bytes", rw.bytes),
			slog.Duration("duration", dur),
		}
		if ri.actor != "" {
			attrs = append(attrs, slog.String("actor", ri.actor))
		}
		if ri.code != "" {
			attrs = append(attrs, slog.String("error_code", ri.code))
			if ri.field != "" {
				attrs = append(attrs, slog.String("error_field", s.logField(ri.field)))
			}
		}
		s.log.LogAttrs(r.Context(), slog.LevelInfo, "http", attrs...)
	}()
	if err := s.availability(rw, r); err != nil {
		if _, pattern := s.mux.Handler(r); pattern != "" {
			r.Pattern = pattern // the access log and metrics name the route refused
		}
		s.fail(rw, r, err)
		return
	}
	s.mux.ServeHTTP(rw, r)
}

type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
	wrote  bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.status, w.wrote = http.StatusOK, true
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach Flush.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// today is the current civil date.
func (s *Server) today() vaxtrace.Date { return vaxtrace.DateOf(s.opts.Now().UTC()) }

// dateParam parses an optional YYYY-MM-DD query parameter.
func dateParam(r *http.Request, name string, def vaxtrace.Date) (vaxtrace.Date, error) {
	v := strings.TrimSpace(r.URL.Query().Get(name))
	if v == "" {
		return def, nil
	}
	d, err := vaxtrace.ParseDate(v)
	if err != nil {
		return 0, vaxtrace.FieldError(name, "%s", vaxtrace.ErrorMessage(err))
	}
	return d, nil
}
