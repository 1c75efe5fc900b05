// Package crashtest proves that an acknowledged write survives kill -9: it
// runs the real vaxtrace binary, loads it with concurrent dose uploads over
// HTTP, kills the process with SIGKILL mid-load, and checks that every dose
// the server acknowledged is in the rebuilt state and that stock balances.
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
	dir := t.TempDir()
	db := filepath.Join(dir, "crash.db")
	// seed a point with plenty of stock
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

	bin := build(t)
	out, err := exec.Command(bin, "token", "--db", db, "--name", "crash-admin", "--role", "admin").Output()
	if err != nil {
		t.Fatalf("token: %v", err)
	}
	token := strings.TrimSpace(string(out))

	srv := exec.Command(bin, "serve", "--db", db, "--addr", "127.0.0.1:0")
	stdout, _ := srv.StdoutPipe()
	srv.Stderr = nil
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Process.Kill()
	sc := bufio.NewScanner(stdout)
	var base string
	for sc.Scan() {
		if after, ok := strings.CutPrefix(sc.Text(), "listening on "); ok {
			base = after
			break
		}
	}
	if base == "" {
		t.Fatal("server did not start")
	}
	go func() {
		for sc.Scan() {
		}
	}()

	var mu sync.Mutex
	acked := map[string]bool{}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	at := time.Date(2021, 3, 1, 5, 0, 0, 0, time.UTC)
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			client := &http.Client{Timeout: 5 * time.Second}
			for b := 0; ; b++ {
				select {
				case <-stop:
					return
				default:
				}
				var body bytes.Buffer
				var ids []string
				for k := 0; k < 50; k++ {
					n := w*10_000_000 + b*50 + k
					iin := uniqueIIN(n)
					id := fmt.Sprintf("crash-%d", n)
					rec := map[string]any{"id": id, "iin": iin, "family": "Test", "given": "Person", "birth_date": "1980-01-01", "sex": "F", "region": "KZ-AKM",
						"at": at.Format(time.RFC3339), "place": scenario.PointID(1 + w), "lot": "FIX-I", "vaccinator": "nurse"}
					json.NewEncoder(&body).Encode(rec)
					ids = append(ids, id)
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
	time.Sleep(2 * time.Second)
	if err := srv.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	srv.Wait()
	close(stop)
	wg.Wait()
	if len(acked) == 0 {
		t.Fatal("no dose was acknowledged before the kill")
	}

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
	t.Logf("acknowledged %d doses before kill -9; %d doses in the journal after restart", len(acked), doses)
	if missing > 0 {
		t.Fatalf("%d acknowledged doses lost after kill -9", missing)
	}
	rep, err := eng2.Check(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() {
		t.Fatalf("conservation breaches after kill -9: %v", rep.Breaches)
	}
	// the CLI check agrees
	if out, err := exec.Command(bin, "check", "--db", db).CombinedOutput(); err != nil {
		t.Fatalf("vaxtrace check: %v\n%s", err, out)
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
