package engine_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"vaxtrace"
	"vaxtrace/engine"
	"vaxtrace/postgres"
	"vaxtrace/scenario"
)

func pgBaseURL() string {
	if u := os.Getenv("VAXTRACE_PG_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

// freshPG creates a database for the test (dropped afterwards) and returns
// its URL; it skips without a server, except in CI.
func freshPG(t *testing.T) *url.URL {
	t.Helper()
	ctx := context.Background()
	c, err := pgx.Connect(ctx, pgBaseURL())
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("PostgreSQL unreachable: %v", err)
		}
		t.Skipf("PostgreSQL unreachable: %v (run scripts/pg-test-setup.sh)", err)
	}
	defer c.Close(ctx)
	var b [6]byte
	rand.Read(b[:])
	name := "vaxtrace_outage_" + hex.EncodeToString(b[:])
	if _, err := c.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), pgBaseURL())
		if err == nil {
			c.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			c.Close(context.Background())
		}
	})
	u, _ := url.Parse(pgBaseURL())
	u.Path = "/" + name
	return u
}

// proxy forwards TCP connections to a PostgreSQL server. Cut closes the
// listener and every open connection (the server is gone for the node);
// Restore listens again on the same address.
type proxy struct {
	addr, target string
	mu           sync.Mutex
	ln           net.Listener
	conns        map[net.Conn]bool
	wg           sync.WaitGroup
}

func newProxy(t *testing.T, target string) *proxy {
	p := &proxy{addr: "127.0.0.1:0", target: target, conns: map[net.Conn]bool{}}
	p.Restore(t)
	t.Cleanup(func() { p.Cut(); p.wg.Wait() })
	return p
}

func (p *proxy) Restore(t *testing.T) {
	t.Helper()
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		t.Fatal(err)
	}
	p.mu.Lock()
	p.ln, p.addr = ln, ln.Addr().String()
	p.mu.Unlock()
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", p.target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns[c], p.conns[s] = true, true
			p.mu.Unlock()
			p.wg.Add(2)
			go func() { defer p.wg.Done(); io.Copy(s, c); s.Close() }()
			go func() { defer p.wg.Done(); io.Copy(c, s); c.Close() }()
		}
	}()
}

func (p *proxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
}

// A real PostgreSQL outage, made by cutting every connection of the node:
// the engine notices, refuses writes while down, keeps serving the last
// state (never an empty one), reconnects with backoff once the server is
// reachable, replays what another node committed during the outage, and
// accepts writes again.
func TestPostgresOutageRecovers(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			ctx := context.Background()
			direct := freshPG(t)
			px := newProxy(t, direct.Host)
			viaProxy := *direct
			viaProxy.Host = px.addr
			j, err := postgres.Open(ctx, viaProxy.String())
			if err != nil {
				t.Fatal(err)
			}
			defer j.Close()
			o := m.opts
			o.Poll, o.RetryMin, o.RetryMax = 5*time.Millisecond, 5*time.Millisecond, 50*time.Millisecond
			eng, err := engine.Open(ctx, j, o)
			if err != nil {
				t.Fatal(err)
			}
			defer eng.Close()
			if err := scenario.Minimal(ctx, eng, 2, 1000); err != nil {
				t.Fatal(err)
			}
			if r := eng.Submit(ctx, personCmd(1)); r.Err != nil {
				t.Fatal(r.Err)
			}
			before := eng.Seq()

			px.Cut()
			waitDown(t, eng)
			if r := eng.Submit(ctx, doseCmd(1)); vaxtrace.ErrorCode(r.Err) != vaxtrace.EUNAVAILABLE {
				t.Fatalf("write during the outage: %+v", r)
			}
			var known bool
			eng.Read(func(s *vaxtrace.State) { known = s.Person(pidOf(1)) != nil })
			if !known || eng.Seq() != before || eng.ReadErr() != nil {
				t.Fatalf("state during the outage: person known %v, seq %d (was %d), read error %v", known, eng.Seq(), before, eng.ReadErr())
			}
			// another node, still connected, writes during the outage
			other, err := postgres.Open(ctx, direct.String())
			if err != nil {
				t.Fatal(err)
			}
			defer other.Close()
			e2, err := engine.Open(ctx, other, engine.Options{Serial: true})
			if err != nil {
				t.Fatal(err)
			}
			if r := e2.Submit(ctx, personCmd(2)); r.Err != nil {
				t.Fatal(r.Err)
			}
			e2.Close()

			px.Restore(t)
			waitUp(t, eng)
			eng.Read(func(s *vaxtrace.State) { known = s.Person(pidOf(2)) != nil })
			if !known {
				t.Fatal("after reconnecting, the other node's registration is missing")
			}
			for _, n := range []int{1, 2} {
				if r := eng.Submit(ctx, doseCmd(n)); r.Err != nil || r.Duplicate {
					t.Fatalf("dose %d after the outage: %+v", n, r)
				}
			}
			rep, err := eng.Check(ctx)
			if err != nil || !rep.OK() {
				t.Fatalf("check: %v %v", err, rep.Breaches)
			}
			last := mustLast(t, j)
			if eng.Seq() != last {
				t.Fatal(fmt.Sprintf("engine at %d, journal at %d", eng.Seq(), last))
			}
		})
	}
}

// A read-only node on the writer's PostgreSQL database: it migrates
// nothing (an empty database is refused), refuses writes before the
// journal, and sees the writer's doses by polling.
func TestPostgresReadOnlyNode(t *testing.T) {
	ctx := context.Background()
	u := freshPG(t).String()
	if _, err := postgres.OpenReadOnly(ctx, u); err == nil {
		t.Fatal("a read-only node opened (and so migrated?) an empty database")
	}
	wj, err := postgres.Open(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer wj.Close()
	w, err := engine.Open(ctx, wj, engine.Options{Serial: true})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if err := scenario.Minimal(ctx, w, 2, 1000); err != nil {
		t.Fatal(err)
	}
	rj, err := postgres.OpenReadOnly(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer rj.Close()
	r, err := engine.Open(ctx, rj, engine.Options{Poll: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if !r.ReadOnly() {
		t.Fatal("an engine on a read-only journal is not read-only")
	}
	last := mustLast(t, wj)
	if res := r.Submit(ctx, personCmd(3)); vaxtrace.ErrorCode(res.Err) != vaxtrace.EUNAVAILABLE {
		t.Fatalf("write on the read-only node: %+v", res)
	}
	if l := mustLast(t, wj); l != last {
		t.Fatal("the read-only node wrote")
	}
	for _, c := range []engine.Command{personCmd(3), doseCmd(3)} {
		if res := w.Submit(ctx, c); res.Err != nil {
			t.Fatal(res.Err)
		}
	}
	for deadline := time.Now().Add(time.Minute); r.Seq() != w.Seq(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("reader at %d, writer at %d", r.Seq(), w.Seq())
		}
	}
	var doses int64
	r.Read(func(s *vaxtrace.State) { doses = s.Cumulative("", vaxtrace.MDose1, vaxtrace.DateOf(at)) })
	if doses != 1 {
		t.Fatalf("the reader counts %d first doses, want the writer's 1", doses)
	}
}
