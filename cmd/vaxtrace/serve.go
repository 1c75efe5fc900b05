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
	addr := fs.String("addr", env("VAXTRACE_ADDR", "127.0.0.1:8080"), "listen address")
	poll := fs.Duration("poll", 0, "catch up with other API nodes sharing the store this often (PostgreSQL deployments, e.g. 200ms)")
	if err := fs.Parse(args); err != nil {
		return err
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
	return serve(ctx, eng, keys, sf, *addr, "")
}

// mounts add the handlers that live outside httpapi (certificates,
// planning, FHIR); each file that has one registers itself here.
var mounts []func(api *httpapi.Server, eng *engine.Engine, keys *pii.Keys, sf storeFlags) error

func serve(ctx context.Context, eng *engine.Engine, keys *pii.Keys, sf storeFlags, addr, banner string) error {
	h := httpapi.New(eng, keys, httpapi.Options{Logger: slog.Default(), UI: uiHandler()})
	for _, m := range mounts {
		if err := m(h, eng, keys, sf); err != nil {
			return err
		}
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
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
	fs.Lookup("db").DefValue = "vaxtrace-demo.db"
	if os.Getenv("VAXTRACE_DB") == "" {
		sf.db = "vaxtrace-demo.db"
	}
	addr := fs.String("addr", env("VAXTRACE_ADDR", "127.0.0.1:8080"), "listen address")
	noServe := fs.Bool("no-serve", false, "load the scenario and exit")
	if err := fs.Parse(args); err != nil {
		return err
	}
	eng, keys, err := sf.open(ctx, 0)
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
	return serve(ctx, eng, keys, sf, *addr, fmt.Sprintf("admin token: %s\nopen the dashboard and sign in with that token (or browse the public view without one); the overview date defaults to 2021-03-19\n", secret)+users)
}

func runToken(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("token", flag.ContinueOnError)
	var sf storeFlags
	sf.add(fs)
	name := fs.String("name", "", "token name (unique; shown in the journal as the actor)")
	role := fs.String("role", "", "admin | region | point | auditor | public")
	region := fs.String("region", "", "region code for a regional coordinator (e.g. KZ-AKM)")
	place := fs.String("place", "", "place id for a vaccination point (e.g. VP-AKM-01)")
	revoke := fs.Bool("revoke", false, "revoke the named token instead")
	if err := fs.Parse(args); err != nil {
		return err
	}
	j, err := openJournal(ctx, sf.db)
	if err != nil {
		return err
	}
	defer j.Close()
	if *name == "" {
		return vaxtrace.FieldError("name", "required")
	}
	if *revoke {
		return j.RevokeToken(ctx, *name)
	}
	if !vaxtrace.ValidRole(*role) {
		return vaxtrace.FieldError("role", "must be admin, region, point, auditor or public")
	}
	if *role == vaxtrace.RoleRegion && *region == "" {
		return vaxtrace.FieldError("region", "required for role region")
	}
	if *role == vaxtrace.RolePoint && *place == "" {
		return vaxtrace.FieldError("place", "required for role point")
	}
	secret, hash := httpapi.NewToken()
	p := vaxtrace.Principal{Name: *name, Role: *role, Region: *region, Place: *place}
	if err := j.PutToken(ctx, vaxtrace.Token{Hash: hash, Principal: p, Created: time.Now().Unix()}); err != nil {
		return err
	}
	fmt.Println(secret)
	return nil
}
