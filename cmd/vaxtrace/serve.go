package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"vaxtrace"
	"vaxtrace/engine"
	"vaxtrace/httpapi"
	"vaxtrace/pii"
	"vaxtrace/scenario"
)

func init() {
	register("serve", "run the HTTP API and dashboard", runServe)
	register("demo", "load Kazakhstan as of 22 March 2021 (first run) and serve it", runDemo)
	register("token", "issue an API token for a role and scope", runToken)
}

func runServe(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	var sf storeFlags
	sf.add(fs)
	sf.addCerts(fs)
	addr := fs.String("addr", env("VAXTRACE_ADDR", "127.0.0.1:8080"), "listen address")
	poll := fs.Duration("poll", 0, "catch up with other API nodes sharing the store this often, and re-check cached tokens as often (default 200ms on PostgreSQL, 1s on SQLite)")
	day := fs.String("default-day", "", "day the dashboard opens on (YYYY-MM-DD); default the latest day with data")
	fs.BoolVar(&sf.readOnly, "read-only", false, "serve reads only: open the store without migrating, refuse writes with 503 and catch up with the writers by polling (automatic on a PostgreSQL hot standby)")
	fs.StringVar(&owidSource, "owid-source-url", env("VAXTRACE_OWID_SOURCE_URL", vaxtrace.OWIDDefaultSource), "source_url column of the OWID export (env VAXTRACE_OWID_SOURCE_URL)")
	memLimit := fs.String("memory-limit", env("VAXTRACE_MEMORY_LIMIT", ""), "soft memory limit of the Go runtime, e.g. 3GiB (env VAXTRACE_MEMORY_LIMIT; default none): the collector works harder near it instead of letting the heap grow to twice the live state")
	addServeReminderFlags(fs) // reminders.go
	var snap snapshotFlags
	snap.add(fs) // snapshot.go
	if err := fs.Parse(args); err != nil {
		return err
	}
	if snap.keep < 1 {
		return vaxtrace.FieldError("snapshot-keep", "must be at least 1")
	}
	sf.snapDir = snapshotDir(sf, snap.dir)
	limit, err := parseMemoryLimit("memory-limit", *memLimit)
	if err != nil {
		return err
	}
	applyMemoryLimit(limit) // before the state is loaded: the replay's peak counts
	slog.Info("open files limit", "soft", raiseOpenFiles())
	if err := vaxtrace.CheckSourceURL("owid-source-url", owidSource); err != nil {
		return err
	}
	if *day != "" {
		if _, err := vaxtrace.ParseDate(*day); err != nil {
			return vaxtrace.WithField(err, "default-day")
		}
		uiDefaultDay = *day
	}
	if *poll == 0 {
		// other writers (API nodes on PostgreSQL, a CLI import on SQLite)
		*poll = time.Second
		if isPostgres(sf.db) {
			*poll = 200 * time.Millisecond
		}
	}
	eng, keys, err := sf.open(ctx, *poll)
	if err != nil {
		return err
	}
	defer closeAll(eng)
	if sf.snapDir != "" && !eng.ReadOnly() && (snap.every > 0 || snap.interval > 0) {
		sctx, stop := context.WithCancel(ctx)
		wait := (&snapshotter{eng: eng, sf: sf, dir: sf.snapDir, f: snap}).start(sctx)
		defer wait()
		defer stop()
	}
	return serve(ctx, eng, keys, sf, *addr, "", *poll)
}

// mounts add the handlers that live outside httpapi (certificates,
// planning, FHIR); each file that has one registers itself here.
var mounts []func(api *httpapi.Server, eng *engine.Engine, keys *pii.Keys, sf storeFlags) error

// owidSource is the OWID export's source_url (serve --owid-source-url).
var owidSource = env("VAXTRACE_OWID_SOURCE_URL", vaxtrace.OWIDDefaultSource)

// serve runs the API. poll is also how long a resolved token is cached: a
// token revoked on another node or with the CLI stops working here within it.
func serve(ctx context.Context, eng *engine.Engine, keys *pii.Keys, sf storeFlags, addr, banner string, poll time.Duration) error {
	h := httpapi.New(eng, keys, httpapi.Options{Logger: slog.Default(), UI: uiHandler(), TokenTTL: poll, SourceURL: owidSource,
		SMSCallbackToken: os.Getenv("VAXTRACE_SMS_CALLBACK_TOKEN")})
	for _, m := range mounts {
		if err := m(h, eng, keys, sf); err != nil {
			return err
		}
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := h.HTTPServer() // header, body, write and idle timeouts; upload slots
	fmt.Printf("listening on http://%s\n", ln.Addr())
	if banner != "" {
		fmt.Print(banner)
	}
	os.Stdout.Sync()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		return srv.Shutdown(sctx)
	case err := <-errc:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return err
	}
}

func runDemo(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	var sf storeFlags
	sf.add(fs)
	sf.addCerts(fs)
	fs.Lookup("db").DefValue = "vaxtrace-demo.db"
	if os.Getenv("VAXTRACE_DB") == "" {
		sf.db = "vaxtrace-demo.db"
	}
	addr := fs.String("addr", env("VAXTRACE_ADDR", "127.0.0.1:8080"), "listen address")
	noServe := fs.Bool("no-serve", false, "load the scenario and exit")
	if err := fs.Parse(args); err != nil {
		return err
	}
	eng, keys, err := sf.openOrCreate(ctx, 0)
	if err != nil {
		return err
	}
	defer closeAll(eng)
	var empty bool
	eng.Read(func(s *vaxtrace.State) { empty = s.Seq == 0 })
	if empty {
		fmt.Println("loading the March 2021 scenario (Kazakhstan as of 22 March 2021)...")
		start := time.Now()
		if err := scenario.March2021(ctx, eng, keys, scenario.DefaultOptions()); err != nil {
			return err
		}
		fmt.Printf("loaded in %s\n", time.Since(start).Round(time.Millisecond))
	}
	if err := printReport(os.Stdout, eng, "", scenario.ReportDay, "table"); err != nil {
		return err
	}
	if *noServe {
		return nil
	}
	secret, hash := httpapi.NewToken()
	name := fmt.Sprintf("demo-admin-%d", time.Now().Unix())
	if err := eng.Journal().PutToken(ctx, vaxtrace.Token{Hash: hash, Principal: vaxtrace.Principal{Name: name, Role: vaxtrace.RoleAdmin}, Created: time.Now().Unix()}); err != nil {
		return err
	}
	users, err := demoUsers(ctx, eng)
	if err != nil {
		return err
	}
	// The dashboard opens on the day the console report above is for.
	uiDefaultDay = scenario.ReportDay.String()
	return serve(ctx, eng, keys, sf, *addr, fmt.Sprintf("admin token: %s\nopen the dashboard and sign in with that token (or browse the public view without one); it opens on %s, the day of the report above\n", secret, uiDefaultDay)+users, time.Second)
}

func runToken(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("token", flag.ContinueOnError)
	var sf storeFlags
	sf.add(fs)
	name := fs.String("name", "", "token name (unique; shown in the journal as the actor)")
	role := fs.String("role", "", "admin | region | point | auditor | public | migration (loads another registry's history with its recording times; national write scope, no certificates)")
	region := fs.String("region", "", "region code for a regional coordinator (e.g. KZ-AKM)")
	place := fs.String("place", "", "place id for a vaccination point (e.g. VP-AKM-01)")
	revoke := fs.Bool("revoke", false, "revoke the named token instead (running servers refuse it within one poll interval)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *name == "" {
		return vaxtrace.FieldError("name", "required")
	}
	if !*revoke {
		if err := tokenShape(*role, *region, *place); err != nil {
			return err
		}
	}
	// The scope is checked against the store's places and regions, so the
	// state is rebuilt: a token for a place that does not exist is refused.
	eng, _, err := sf.open(ctx, 0)
	if err != nil {
		return err
	}
	defer closeAll(eng)
	j := eng.Journal()
	if *revoke {
		return j.RevokeToken(ctx, *name)
	}
	p := vaxtrace.Principal{Name: *name, Role: *role, Region: *region, Place: *place}
	eng.Read(func(s *vaxtrace.State) { err = tokenScope(s, p) })
	if err != nil {
		return err
	}
	secret, hash := httpapi.NewToken()
	if err := j.PutToken(ctx, vaxtrace.Token{Hash: hash, Principal: p, Created: time.Now().Unix()}); err != nil {
		return err
	}
	fmt.Println(secret)
	return nil
}

// tokenShape checks that the flags fit the role: a region for a regional
// coordinator, a place for a vaccination point, neither for the others.
func tokenShape(role, region, place string) error {
	if !vaxtrace.ValidRole(role) {
		return vaxtrace.FieldError("role", "must be one of %s", strings.Join(vaxtrace.Roles, ", "))
	}
	switch role {
	case vaxtrace.RoleRegion:
		if region == "" {
			return vaxtrace.FieldError("region", "required for role region")
		}
		if place != "" {
			return vaxtrace.FieldError("place", "a regional coordinator's token has a region, not a place")
		}
	case vaxtrace.RolePoint:
		if place == "" {
			return vaxtrace.FieldError("place", "required for role point")
		}
		if region != "" {
			return vaxtrace.FieldError("region", "a vaccination point's token has a place (its region follows from it), not a region")
		}
	default:
		if region != "" || place != "" {
			return vaxtrace.FieldError("role", "role %s is not limited to a region or place: drop --region and --place", role)
		}
	}
	return nil
}

// tokenScope refuses a token whose region or place does not exist in the
// store, or whose place is not a vaccination point.
func tokenScope(s *vaxtrace.State, p vaxtrace.Principal) error {
	switch p.Role {
	case vaxtrace.RoleRegion:
		if s.Region(p.Region) == nil {
			return vaxtrace.NotFound("region", "no region %q in this store (see GET /api/v1/regions)", p.Region)
		}
	case vaxtrace.RolePoint:
		pl := s.Place(p.Place)
		if pl == nil {
			return vaxtrace.NotFound("place", "no place %q in this store", p.Place)
		}
		if pl.Kind != vaxtrace.PlacePoint {
			return vaxtrace.FieldError("place", "%s is a %s warehouse, not a vaccination point", p.Place, pl.Kind)
		}
	}
	return nil
}
