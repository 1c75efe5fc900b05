// Package crashtest proves that an acknowledged write survives a crash. It
// runs the real vaxtrace binary, loads it with concurrent dose uploads over
// HTTP, kills the process with SIGKILL mid-load, and checks that every dose
// the server acknowledged is in the rebuilt state and that stock balances:
//
//   - TestKill9KeepsAcknowledgedDoses: the process dies, the kernel keeps
//     every write it was given (what kill -9 alone tests);
//   - TestPowerLossKeepsAcknowledgedDoses: the process dies and everything
//     not yet fsynced is lost, as in a power cut. An LD_PRELOAD library
//     (testdata/fsyncshim.c, built with gcc by the test) keeps, for each
//     SQLite file, its content as of its last fsync; after the kill the test
//     puts those contents back (files never fsynced vanish) and restarts.
package crashtest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"vaxtrace"
	"vaxtrace/engine"
	"vaxtrace/keyring"
	"vaxtrace/scenario"
	"vaxtrace/sqlite"
)

func build(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "vaxtrace")
	cmd := exec.Command("go", "build", "-o", bin, "../cmd/vaxtrace")
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("build: %v", err)
	}
	return bin
}

func TestKill9KeepsAcknowledgedDoses(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills a real process")
	}
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "crash.db")
	bin := build(t)
	token := seedStore(t, ctx, bin, db)
	srv, base := startServe(t, bin, db, nil)
	defer srv.Process.Kill()
	acked, stop := hammer(t, base, token, 0)
	time.Sleep(2 * time.Second)
	if err := srv.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	srv.Wait()
	stop()
	if len(acked) == 0 {
		t.Fatal("no dose was acknowledged before the kill")
	}

	verify(t, ctx, bin, db, acked, "kill -9")
}

// seedStore makes a store at db with its keys and plenty of stock at four
// points, and returns an admin token made with the CLI.
func seedStore(t *testing.T, ctx context.Context, bin, db string) string {
	t.Helper()
	j, err := sqlite.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := keyring.OpenPII(ctx, j, db+".keys", nil); err != nil { // the empty store gets its keys
		t.Fatal(err)
	}
	eng, err := engine.Open(ctx, j, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := scenario.Minimal(ctx, eng, 4, 1_000_000); err != nil {
		t.Fatal(err)
	}
	eng.Close()
	j.Close()
	out, err := exec.Command(bin, "token", "--db", db, "--name", "crash-admin", "--role", "admin").Output()
	if err != nil {
		t.Fatalf("token: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// startServe starts `vaxtrace serve` on db (env added to the environment)
// and returns it with its base URL.
func startServe(t *testing.T, bin, db string, env []string) (*exec.Cmd, string) {
	t.Helper()
	srv := exec.Command(bin, "serve", "--db", db, "--addr", "127.0.0.1:0")
	srv.Env = append(os.Environ(), env...)
	stdout, _ := srv.StdoutPipe()
	srv.Stderr = nil
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stdout)
	var base string
	for sc.Scan() {
		if after, ok := strings.CutPrefix(sc.Text(), "listening on "); ok {
			base = after
			break
		}
	}
	if base == "" {
		srv.Process.Kill()
		srv.Wait()
		t.Fatal("server did not start")
	}
	go func() {
		for sc.Scan() {
		}
	}()
	return srv, base
}

// hammer uploads batches of 50 new doses from 4 clients until stop is
// called (or the server dies) and returns the ids the server acknowledged.
// Dose ids and IINs are unique per round.
func hammer(t *testing.T, base, token string, round int) (map[string]bool, func()) {
	var mu sync.Mutex
	acked := map[string]bool{}
	var wg sync.WaitGroup
	done := make(chan struct{})
	at := time.Date(2021, 3, 1, 5, 0, 0, 0, time.UTC)
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			client := &http.Client{Timeout: 5 * time.Second}
			for b := 0; ; b++ {
				select {
				case <-done:
					return
				default:
				}
				var body bytes.Buffer
				for k := 0; k < 50; k++ {
					n := round*40_000_000 + w*10_000_000 + b*50 + k
					rec := map[string]any{"id": fmt.Sprintf("crash-%d", n), "iin": uniqueIIN(n), "family": "Test", "given": "Person", "birth_date": "1980-01-01", "sex": "F", "region": "KZ-AKM",
						"at": at.Format(time.RFC3339), "place": scenario.PointID(1 + w), "lot": "FIX-I", "vaccinator": "nurse"}
					json.NewEncoder(&body).Encode(rec)
				}
				req, _ := http.NewRequest("POST", base+"/api/v1/doses/batch", &body)
				req.Header.Set("Authorization", "Bearer "+token)
				req.Header.Set("Content-Type", "application/x-ndjson")
				resp, err := client.Do(req)
				if err != nil {
					return // the server was killed
				}
				var res struct {
					Results []struct {
						ID     string `json:"id"`
						Status string `json:"status"`
						Error  any    `json:"error"`
					} `json:"results"`
				}
				err = json.NewDecoder(resp.Body).Decode(&res)
				resp.Body.Close()
				if err != nil || resp.StatusCode != 200 {
					return
				}
				mu.Lock()
				for _, r := range res.Results {
					if r.Status == "accepted" || r.Status == "duplicate" {
						acked[r.ID] = true
					} else {
						t.Errorf("record %s rejected: %v", r.ID, r.Error)
					}
				}
				mu.Unlock()
			}
		}(w)
	}
	return acked, func() {
		close(done)
		wg.Wait()
	}
}

// verify rebuilds the store and checks that every acknowledged dose is in
// it and that the library and the CLI both find every lot balanced.
func verify(t *testing.T, ctx context.Context, bin, db string, acked map[string]bool, what string) {
	t.Helper()
	j2, err := sqlite.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	defer j2.Close()
	eng2, err := engine.Open(ctx, j2, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer eng2.Close()
	missing := 0
	var doses int
	eng2.Read(func(s *vaxtrace.State) {
		for id := range acked {
			if s.Dose(id) == nil {
				missing++
			}
		}
		_, doses = s.Counts()
	})
	t.Logf("%s: %d doses acknowledged; %d doses in the journal after restart", what, len(acked), doses)
	if missing > 0 {
		t.Fatalf("%d of %d acknowledged doses lost after %s", missing, len(acked), what)
	}
	rep, err := eng2.Check(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() {
		t.Fatalf("conservation breaches after %s: %v", what, rep.Breaches)
	}
	if out, err := exec.Command(bin, "check", "--db", db).CombinedOutput(); err != nil {
		t.Fatalf("vaxtrace check after %s: %v\n%s", what, err, out)
	}
}

// uniqueIIN returns a valid IIN for n: distinct n give distinct IINs
// (n picks the birth date and serial; the century/sex digit is varied only
// to find a prefix whose control digit exists).
func uniqueIIN(n int) string {
	d := time.Date(1950, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, n/10000)
	for _, c := range []int{3, 4, 1, 2, 5, 6} {
		prefix := fmt.Sprintf("%s%d%04d", d.Format("060102"), c, n%10000)
		if s, ok := vaxtrace.CompleteIIN(prefix); ok {
			return s
		}
	}
	panic("no valid IIN")
}
