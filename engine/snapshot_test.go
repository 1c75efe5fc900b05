package engine_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"vaxtrace"
	"vaxtrace/engine"
	"vaxtrace/scenario"
	"vaxtrace/snapshot"
	"vaxtrace/sqlite"
)

// failOnceDB is failOnce on the SQLite journal itself, so that the engine
// still finds its chain links and meta table (snapshots).
type failOnceDB struct {
	*sqlite.DB
	fail atomic.Bool
}

func (f *failOnceDB) Write(ctx context.Context, after uint64, catchUp func(vaxtrace.Event) error, build func(uint64) ([]vaxtrace.Event, error)) error {
	if !f.fail.Swap(false) {
		return f.DB.Write(ctx, after, catchUp, build)
	}
	if _, err := build(after + 1); err != nil {
		return err
	}
	return errors.New("disk I/O error")
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestRebuildStartsFromSnapshot opens an engine with a snapshot directory
// holding a good snapshot and a newer, bad one: the start refuses the bad
// one with a warning and loads the good one; after a failed write the
// rebuild goes through the snapshots again (the warning again) and ends
// with the state the journal holds.
func TestRebuildStartsFromSnapshot(t *testing.T) {
	ctx := context.Background()
	j, err := sqlite.Open(filepath.Join(t.TempDir(), "e.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	// the good snapshot is of the empty store: what follows does not
	// depend on the state's encoding
	dir := filepath.Join(t.TempDir(), "snaps")
	good, err := snapshot.Take(ctx, j, dir, 3, time.Now(), slog.Default())
	if err != nil {
		t.Fatal(err)
	}
	eng, err := engine.Open(ctx, j, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := scenario.Minimal(ctx, eng, 2, 1000); err != nil {
		t.Fatal(err)
	}
	register(t, eng, 1)
	eng.Close()
	bad := filepath.Join(dir, snapshot.FileName(good.Seq+1))
	if err := os.WriteFile(bad, []byte("VXSNAP\r\n\x00\x01 cut short"), 0o600); err != nil {
		t.Fatal(err)
	}
	var logs syncBuffer
	fj := &failOnceDB{DB: j}
	eng, err = engine.Open(ctx, fj, engine.Options{Logger: slog.New(slog.NewTextHandler(&logs, nil)), Snapshots: dir, Serial: true})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	if l := logs.String(); strings.Count(l, "snapshot refused") != 1 || !strings.Contains(l, "snapshot_seq=") {
		t.Fatalf("start log:\n%s\nwant one refusal and the start from the good snapshot", l)
	}
	before := logs.String()
	fj.fail.Store(true)
	c := engine.Command{Key: "dose:s1", Actor: scenario.Admin, Data: vaxtrace.DoseAdministered{ID: "s1", Person: pidOf(1), At: at, Place: scenario.PointID(1), Lot: "FIX-I", Vaccinator: "n"}}
	if r := eng.Submit(ctx, c); r.Err == nil {
		t.Fatal("a write the journal failed was accepted")
	}
	deadline := time.Now().Add(30 * time.Second)
	for eng.Err() != nil {
		if time.Now().After(deadline) {
			t.Fatalf("not recovered: %v\n%s", eng.Err(), logs.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if rebuild := strings.TrimPrefix(logs.String(), before); strings.Count(rebuild, "snapshot refused") != 1 {
		t.Fatalf("rebuild log:\n%s\nwant the snapshots read again (one refusal)", rebuild)
	}
	var known bool
	eng.Read(func(s *vaxtrace.State) { known = s.Dose("s1") != nil })
	if known {
		t.Fatal("the rebuilt state has the dose whose write failed")
	}
	if r := eng.Submit(ctx, c); r.Err != nil || r.Duplicate {
		t.Fatalf("the dose sent again: %+v", r)
	}
}
