package crashtest

import (
	"context"
	"errors"

	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// buildShim compiles testdata/fsyncshim.c into a shared library.
func buildShim(t *testing.T) string {
	t.Helper()
	gcc, err := exec.LookPath("gcc")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("gcc is required for the power-loss test")
		}
		t.Skip("gcc not installed")
	}
	so := filepath.Join(t.TempDir(), "fsyncshim.so")
	out, err := exec.Command(gcc, "-shared", "-fPIC", "-O2", "-Wall", "-Werror", "-o", so, "testdata/fsyncshim.c", "-ldl", "-lpthread").CombinedOutput()
	if err != nil {
		t.Fatalf("gcc: %v\n%s", err, out)
	}
	return so
}

// powerLoss puts back, for each tracked file in dir, its content as of its
// last fsync (the shadow kept by the shim); a file never fsynced vanishes.
func powerLoss(t *testing.T, dir, shadow string, names []string) (kept, dropped []string) {
	t.Helper()
	for _, name := range names {
		live, saved := filepath.Join(dir, name), filepath.Join(shadow, name)
		b, err := os.ReadFile(saved)
		switch {
		case err == nil:
			if err := os.WriteFile(live, b, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Truncate(live, int64(len(b))); err != nil {
				t.Fatal(err)
			}
			kept = append(kept, name)
		case errors.Is(err, os.ErrNotExist):
			if err := os.Remove(live); err == nil {
				dropped = append(dropped, name)
			} else if !errors.Is(err, os.ErrNotExist) {
				t.Fatal(err)
			}
		default:
			t.Fatal(err)
		}
	}
	return kept, dropped
}

// TestPowerLossKeepsAcknowledgedDoses runs the real server under load with
// the fsync shim, kills it at a random moment, throws away everything that
// was not fsynced, restarts, and finds every acknowledged dose. Three
// rounds on one store: each round's server starts from the previous round's
// power-cut files.
func TestPowerLossKeepsAcknowledgedDoses(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills a real process")
	}
	shim := buildShim(t)
	ctx := context.Background()
	dir, err := filepath.EvalSymlinks(t.TempDir()) // SQLite opens the resolved path
	if err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "power.db")
	bin := build(t)
	token := seedStore(t, ctx, bin, db)
	names := []string{"power.db", "power.db-wal", "power.db-shm", "power.db-journal"}
	seed := time.Now().UnixNano()
	rng := rand.New(rand.NewPCG(uint64(seed), 0))
	t.Logf("random seed %d", seed)

	all := map[string]bool{}
	for round := 0; round < 3; round++ {
		shadow := t.TempDir()
		logf := filepath.Join(t.TempDir(), "shim.log")
		env := []string{"LD_PRELOAD=" + shim, "VT_SHIM_DIR=" + dir, "VT_SHIM_SHADOW=" + shadow,
			"VT_SHIM_FILES=" + strings.Join(names, ","), "VT_SHIM_LOG=" + logf}
		srv, base := startServe(t, bin, db, env)
		acked, stop := hammer(t, base, token, round)
		wait := time.Duration(500+rng.IntN(2000)) * time.Millisecond
		time.Sleep(wait)
		if err := srv.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		srv.Wait()
		stop()
		if len(acked) == 0 {
			t.Fatalf("round %d: no dose was acknowledged before the power cut", round)
		}
		if b, err := os.ReadFile(logf); err == nil && len(b) > 0 {
			t.Fatalf("round %d: the store used calls the power-loss model does not cover:\n%s", round, b)
		}
		if _, err := os.Stat(filepath.Join(shadow, "power.db")); err != nil {
			t.Fatalf("round %d: the shim kept no shadow of the database (was it loaded?): %v", round, err)
		}
		kept, dropped := powerLoss(t, dir, shadow, names)
		t.Logf("round %d: power cut after %s; files as of their last fsync: %v; never fsynced, gone: %v", round, wait, kept, dropped)
		for id := range acked {
			all[id] = true
		}
		verify(t, ctx, bin, db, all, "a power cut")
	}
}
