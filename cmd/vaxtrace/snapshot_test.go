package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	bin "encoding/binary"
	"fmt"
	"hash/crc32"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"vaxtrace"
	"vaxtrace/engine"
	"vaxtrace/postgres"
	"vaxtrace/scenario"
	"vaxtrace/snapshot"
	"vaxtrace/sqlite"
)

// openSnapshotEngine opens the golden store starting from its snapshots.
func openSnapshotEngine(t testing.TB, path, dir string) *engine.Engine {
	t.Helper()
	j, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	eng, err := engine.Open(context.Background(), j, engine.Options{Now: func() time.Time { return goldenClock }, Logger: quiet, Snapshots: dir})
	if err != nil {
		t.Fatal(err)
	}
	return eng
}

// encodedState is the sequence number and SHA-256 of an engine's state.
func encodedState(t testing.TB, eng *engine.Engine) string {
	t.Helper()
	var out string
	eng.Read(func(s *vaxtrace.State) {
		h := sha256.New()
		if err := s.EncodeSnapshot(h); err != nil {
			t.Fatal(err)
		}
		out = fmt.Sprintf("seq %d sha256 %x", s.Seq, h.Sum(nil))
	})
	return out
}

// snapshotCase loads a store, writes a snapshot at that mid point, adds the
// golden extras (certificates, voids, corrections), then reopens the store
// from the snapshot and the tail: every report and the state's encoding
// must equal a full replay's.
func snapshotCase(t *testing.T, name string, load func(context.Context, *engine.Engine) error) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), name+".db")
	dir := path + ".snapshots"
	eng := openGoldenEngine(t, path)
	if err := load(ctx, eng); err != nil {
		t.Fatal(err)
	}
	got, err := snapshot.Take(ctx, eng.Journal(), dir, 3, goldenClock, quiet)
	if err != nil {
		t.Fatal(err)
	}
	extras := goldenExtras(t, eng)
	eng.Close()

	full := openGoldenEngine(t, path)
	want := reportDigests(t, full, extras)
	wantState := encodedState(t, full)
	full.Close()
	if full.Seq() <= got.Seq {
		t.Fatalf("no events after the snapshot at seq %d", got.Seq)
	}

	fromSnap := openSnapshotEngine(t, path, dir)
	defer fromSnap.Close()
	if s := encodedState(t, fromSnap); s != wantState {
		t.Errorf("state from snapshot seq %d + tail: %s, full replay: %s", got.Seq, s, wantState)
	}
	have := reportDigests(t, fromSnap, extras)
	for k, v := range want {
		if have[k] != v {
			t.Errorf("%s: the state from snapshot seq %d + tail answers %s, a full replay %s", k, got.Seq, short(have[k]), short(v))
		}
	}
}

func TestSnapshotGoldenMarch2021(t *testing.T) {
	if testing.Short() {
		t.Skip("loads the March 2021 scenario")
	}
	snapshotCase(t, "march2021", func(ctx context.Context, eng *engine.Engine) error {
		return scenario.March2021(ctx, eng, goldenKeys(t), scenario.DefaultOptions())
	})
}

func TestSnapshotGoldenGenerated(t *testing.T) {
	if testing.Short() {
		t.Skip("generates a population")
	}
	snapshotCase(t, "generated", func(ctx context.Context, eng *engine.Engine) error {
		return generatePopulation(ctx, eng, goldenKeys(t), 30000, 5, 7, 5000, false)
	})
}

// TestCheckSnapshot runs `vaxtrace snapshot` and `check --snapshot` on a
// seeded store; then replaces the snapshot's payload with the encoding of
// another state at the same seq, fixes the checksum, and `check
// --snapshot` must fail (the container is valid, the state is not).
func TestCheckSnapshot(t *testing.T) {
	db := seedSQLite(t, t.TempDir())
	mustRun(t, nil, "snapshot", "--db", db)
	paths, err := snapshot.List(db + ".snapshots")
	if err != nil || len(paths) != 1 {
		t.Fatalf("snapshots %v, %v", paths, err)
	}
	if out := mustRun(t, nil, "check", "--db", db, "--snapshot"); !strings.Contains(out, "OK: the snapshot plus the tail equals a full replay") {
		t.Fatalf("check --snapshot:\n%s", out)
	}
	mustRun(t, nil, "check", "--db", db, "--snapshot", paths[0])
	// the existing check still works
	if out := mustRun(t, nil, "check", "--db", db); !strings.Contains(out, "OK: every lot balances") {
		t.Fatalf("check:\n%s", out)
	}

	// another state at the same seq: the journal's plus one more write-off
	j, err := sqlite.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	st := vaxtrace.NewState()
	if err := j.Replay(context.Background(), 0, st.ApplyJournaled); err != nil {
		t.Fatal(err)
	}
	j.Close()
	seq := st.Seq
	p := vaxtrace.StockAdjusted{Place: scenario.PointID(1), Lot: "FIX-I", Delta: -1, Reason: vaxtrace.ReasonDamaged, Occurred: time.Date(2021, 3, 2, 6, 0, 0, 0, time.UTC)}
	if err := st.ApplyJournaled(vaxtrace.Event{Seq: seq + 1, Kind: p.Kind(), Key: "tamper", Actor: "tamper", Recorded: time.Date(2021, 3, 2, 7, 0, 0, 0, time.UTC), Data: p}); err != nil {
		t.Fatal(err)
	}
	st.Seq = seq
	var payload bytes.Buffer
	if err := st.EncodeSnapshot(&payload); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(paths[0])
	if err != nil {
		t.Fatal(err)
	}
	h, err := snapshot.ReadHeader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	h.Length = uint64(payload.Len())
	out, _ := h.AppendTo(nil)
	out = append(out, payload.Bytes()...)
	out = bin.BigEndian.AppendUint32(out, crc32.Checksum(out, crc32.MakeTable(crc32.Castagnoli)))
	if err := os.WriteFile(paths[0], out, 0o600); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, err := run(t, nil, "check", "--db", db, "--snapshot")
	if err == nil || !strings.Contains(stderr, "differs from a full replay") {
		t.Fatalf("check --snapshot on a tampered snapshot: %v, want a failure\n%s%s", err, stdout, stderr)
	}
	// a refused snapshot fails too, naming the reason
	if err := os.Truncate(paths[0], int64(len(out)-3)); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, err = run(t, nil, "check", "--db", db, "--snapshot")
	if err == nil || !strings.Contains(stderr, "refused") || !strings.Contains(stderr, "truncated") {
		t.Fatalf("check --snapshot on a truncated snapshot: %v, want a refusal\n%s%s", err, stdout, stderr)
	}
}

// TestServeWritesSnapshotsInTheBackground starts serve with a small
// --snapshot-every: it must start the `vaxtrace snapshot` child, which
// writes a snapshot that loads for the store, and log its outcome.
func TestServeWritesSnapshotsInTheBackground(t *testing.T) {
	db := seedSQLite(t, t.TempDir())
	dir := filepath.Join(t.TempDir(), "snaps")
	logs := serveUntilSnapshot(t, db, dir)
	paths, err := snapshot.List(dir)
	if err != nil || len(paths) != 1 {
		t.Fatalf("snapshots %v, %v\n%s", paths, err, logs.String())
	}
	if !strings.Contains(logs.String(), "wrote "+paths[0]) {
		t.Fatalf("the child's outcome is not in the log:\n%s", logs.String())
	}
	j, err := sqlite.OpenReadOnly(db)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	tg, err := snapshot.TargetOf(context.Background(), j, false)
	if err != nil {
		t.Fatal(err)
	}
	l, err := snapshot.LoadFile(context.Background(), paths[0], tg)
	if err != nil {
		t.Fatal(err)
	}
	if l.Header.Seq != tg.Last {
		t.Fatalf("the snapshot covers seq %d, the journal ends at %d", l.Header.Seq, tg.Last)
	}
	// the next start loads it
	out := mustRun(t, nil, "check", "--db", db, "--snapshot-dir", dir, "--snapshot")
	if !strings.Contains(out, "OK") {
		t.Fatalf("check --snapshot:\n%s", out)
	}
}

// serveUntilSnapshot runs serve on db with a snapshot due after every
// event until it logs a finished background snapshot, then stops it and
// returns its log.
func serveUntilSnapshot(t *testing.T, db, dir string) *tailBuffer {
	t.Helper()
	cmd := exec.Command(binary(t), "serve", "--db", db, "--addr", "127.0.0.1:0", "--snapshot-dir", dir, "--snapshot-every", "1", "--snapshot-interval", "0")
	logs := &tailBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	deadline := time.Now().Add(2 * time.Minute)
	for !strings.Contains(logs.String(), "background snapshot done") {
		if time.Now().After(deadline) {
			t.Fatalf("no background snapshot within 2 minutes:\n%s", logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	cmd.Wait()
	return logs
}

// TestServeSnapshotsAfterARefusedNewest: the newest file in the directory
// is refused at start (here it claims a seq far past the journal), so the
// server replayed the whole journal; its background snapshots must count
// from what it loaded, not from the refused file's name, and write one.
func TestServeSnapshotsAfterARefusedNewest(t *testing.T) {
	db := seedSQLite(t, t.TempDir())
	dir := filepath.Join(t.TempDir(), "snaps")
	if err := os.MkdirAll(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	bogus := filepath.Join(dir, snapshot.FileName(1<<40))
	if err := os.WriteFile(bogus, []byte("not a snapshot"), 0o640); err != nil {
		t.Fatal(err)
	}
	logs := serveUntilSnapshot(t, db, dir)
	paths, err := snapshot.List(dir)
	if err != nil || len(paths) != 2 || paths[0] != bogus {
		t.Fatalf("snapshots %v, %v\n%s", paths, err, logs.String())
	}
	if !strings.Contains(logs.String(), "wrote "+paths[1]) {
		t.Fatalf("the child's outcome is not in the log:\n%s", logs.String())
	}
}

// TestSnapshotPostgres runs `vaxtrace snapshot` and `check --snapshot` on a
// PostgreSQL store: the directory must be named, the child's read-only
// connection gives the store its id through a short writable one, and the
// snapshot proves equal to a full replay.
func TestSnapshotPostgres(t *testing.T) {
	db := freshPG(t)
	dir := t.TempDir()
	keys := filepath.Join(dir, "pii.keys")
	j, err := postgres.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	seed(t, j, keys)
	j.Close()
	if _, stderr, err := run(t, nil, "snapshot", "--db", db, "--keys", keys); err == nil || !strings.Contains(stderr, "dir") {
		t.Fatalf("snapshot without --dir on PostgreSQL: %v\n%s", err, stderr)
	}
	snaps := filepath.Join(dir, "snaps")
	if out := mustRun(t, nil, "snapshot", "--db", db, "--keys", keys, "--dir", snaps); !strings.Contains(out, "wrote ") {
		t.Fatalf("snapshot:\n%s", out)
	}
	if out := mustRun(t, nil, "check", "--db", db, "--keys", keys, "--snapshot-dir", snaps, "--snapshot"); !strings.Contains(out, "OK: the snapshot plus the tail") {
		t.Fatalf("check --snapshot:\n%s", out)
	}
}
