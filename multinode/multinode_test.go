// Package multinode runs two real `vaxtrace serve` processes against one
// PostgreSQL database and hammers both with concurrent dose uploads that
// compete for the same stock and the same people. Afterwards no lot is below
// zero, nobody has two first doses, no event was applied twice, and
// `vaxtrace check` passes.
package multinode

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"vaxtrace"
	"vaxtrace/engine"
	"vaxtrace/keyring"
	"vaxtrace/postgres"
	"vaxtrace/scenario"
)

func baseURL() string {
	if u := os.Getenv("VAXTRACE_PG_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

func freshDB(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	c, err := pgx.Connect(ctx, baseURL())
	if err != nil {
		msg := fmt.Sprintf("PostgreSQL unreachable at %s: %v (run scripts/pg-test-setup.sh)", baseURL(), err)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	defer c.Close(ctx)
	var b [6]byte
	rand.Read(b[:])
	name := "vaxtrace_mn_" + hex.EncodeToString(b[:])
	if _, err := c.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), baseURL())
		if err == nil {
			c.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			c.Close(context.Background())
		}
	})
	u, _ := url.Parse(baseURL())
	u.Path = "/" + name
	return u.String()
}

func build(t *testing.T) string {
	bin := filepath.Join(t.TempDir(), "vaxtrace")
	cmd := exec.Command("go", "build", "-o", bin, "../cmd/vaxtrace")
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("build: %v", err)
	}
	return bin
}

func start(t *testing.T, bin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if after, ok := strings.CutPrefix(sc.Text(), "listening on "); ok {
			go func() {
				for sc.Scan() {
				}
			}()
			return after
		}
	}
	t.Fatal("node did not start")
	return ""
}

func TestTwoNodesOneDatabase(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two server processes")
	}
	ctx := context.Background()
	dsn := freshDB(t)
	const stock = 300 // doses of component I at the one point: fewer than people
	dir := t.TempDir()
	keys := filepath.Join(dir, "vaxtrace.keys") // both nodes share the personal-data keys
	j, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := keyring.OpenPII(ctx, j, keys, nil); err != nil { // the empty store gets its keys
		t.Fatal(err)
	}
	eng, err := engine.Open(ctx, j, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := scenario.Minimal(ctx, eng, 1, stock); err != nil {
		t.Fatal(err)
	}
	eng.Close()
	j.Close()

	bin := build(t)
	tok, err := exec.Command(bin, "token", "--db", dsn, "--keys", keys, "--name", "mn-admin", "--role", "admin").Output()
	if err != nil {
		t.Fatalf("token: %v", err)
	}
	token := strings.TrimSpace(string(tok))
	nodes := []string{
		start(t, bin, "serve", "--db", dsn, "--keys", keys, "--addr", "127.0.0.1:0"),
		start(t, bin, "serve", "--db", dsn, "--keys", keys, "--addr", "127.0.0.1:0"),
	}

	const people = 400
	iins := make([]string, people)
	for i := range iins {
		iins[i] = iin(i)
	}
	at := time.Date(2021, 3, 1, 6, 0, 0, 0, time.UTC).Format(time.RFC3339)
	var mu sync.Mutex
	accepted := map[string]int{} // person -> accepted first doses
	total := 0
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 30 * time.Second}
	// each person is sent to BOTH nodes at once, with different dose ids:
	// a double capture of the same first dose from two clinics' devices
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < people; i += 8 {
				for n, node := range nodes {
					rec := map[string]any{"id": fmt.Sprintf("mn-%d-node%d", i, n), "iin": iins[i], "family": "Test", "given": "Person", "birth_date": "1980-01-01", "sex": "M", "region": "KZ-AKM",
						"at": at, "place": scenario.PointID(1), "lot": "FIX-I", "vaccinator": "nurse"}
					var body bytes.Buffer
					json.NewEncoder(&body).Encode(rec)
					req, _ := http.NewRequest("POST", node+"/api/v1/doses/batch", &body)
					req.Header.Set("Authorization", "Bearer "+token)
					req.Header.Set("Content-Type", "application/x-ndjson")
					resp, err := client.Do(req)
					if err != nil {
						t.Error(err)
						return
					}
					var res struct {
						Results []struct {
							Status string `json:"status"`
							Error  *struct {
								Code, Field, Message string
							} `json:"error"`
						} `json:"results"`
					}
					json.NewDecoder(resp.Body).Decode(&res)
					resp.Body.Close()
					if len(res.Results) != 1 {
						t.Errorf("node %d: %d results", n, len(res.Results))
						continue
					}
					r := res.Results[0]
					mu.Lock()
					if r.Status == "accepted" {
						accepted[iins[i]]++
						total++
					} else if r.Error == nil || (r.Error.Code != "conflict" && r.Error.Field != "lot") {
						t.Errorf("unexpected rejection: %+v", r.Error)
					}
					mu.Unlock()
				}
			}
		}(w)
	}
	wg.Wait()
	for p, n := range accepted {
		if n > 1 {
			t.Errorf("person %s got %d first doses", p[len(p)-4:], n)
		}
	}
	if total != stock {
		t.Errorf("accepted %d doses; the point held %d and %d people asked", total, stock, people)
	}
	// a fresh engine over the same database agrees, and no key was applied twice
	j2, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer j2.Close()
	keysSeen := map[string]bool{}
	var last uint64
	err = j2.Replay(ctx, 0, func(e vaxtrace.Event) error {
		if e.Seq != last+1 {
			return fmt.Errorf("gap in the journal at %d", e.Seq)
		}
		last = e.Seq
		if keysSeen[e.Key] {
			return fmt.Errorf("key %q applied twice", e.Key)
		}
		keysSeen[e.Key] = true
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bin, "check", "--db", dsn, "--keys", keys).CombinedOutput(); err != nil {
		t.Fatalf("vaxtrace check: %v\n%s", err, out)
	}
	t.Logf("two nodes: %d people asked twice each, %d first doses accepted (stock %d), %d events", people, total, stock, last)

	revokeAcrossNodes(t, bin, dsn, keys, token, nodes)
}

// revokeAcrossNodes revokes a token through node 0: node 0 refuses it at
// once, node 1 (which resolved and cached it too) once its cache time, the
// poll interval (200 ms on PostgreSQL), has passed.
func revokeAcrossNodes(t *testing.T, bin, dsn, keys, admin string, nodes []string) {
	out, err := exec.Command(bin, "token", "--db", dsn, "--keys", keys, "--name", "mn-region", "--role", "region", "--region", "KZ-AKM").Output()
	if err != nil {
		t.Fatalf("token: %v", err)
	}
	region := strings.TrimSpace(string(out))
	call := func(node, method, path, token string) int {
		req, _ := http.NewRequest(method, node+path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, n := range nodes {
		if got := call(n, "GET", "/api/v1/whoami", region); got != 200 {
			t.Fatalf("region token before revocation: %d", got)
		}
	}
	if got := call(nodes[0], "POST", "/api/v1/tokens/mn-region/revoke", admin); got != 200 {
		t.Fatalf("revoke: %d", got)
	}
	revoked := time.Now()
	if got := call(nodes[0], "GET", "/api/v1/whoami", region); got != http.StatusUnauthorized {
		t.Fatalf("the revoking node still accepts the token: %d", got)
	}
	// node 1 refuses it within its cache time; the loop only bounds the
	// wait (50 poll intervals) and reports how long it took
	for call(nodes[1], "GET", "/api/v1/whoami", region) != http.StatusUnauthorized {
		if time.Since(revoked) > 10*time.Second {
			t.Fatal("the other node still accepts the revoked token after 10 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("revoked token refused by the other node %s after revocation (poll interval 200ms)", time.Since(revoked).Round(time.Millisecond))
}

// iin returns a distinct valid IIN for each n.
func iin(n int) string {
	d := time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, n/1000)
	for _, c := range []int{3, 4, 1, 2, 5, 6} {
		if s, ok := vaxtrace.CompleteIIN(fmt.Sprintf("%s%d%04d", d.Format("060102"), c, n%1000)); ok {
			return s
		}
	}
	panic("no IIN")
}
