package snapshot_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"vaxtrace"
	"vaxtrace/engine"
	"vaxtrace/scenario"
	"vaxtrace/snapshot"
	"vaxtrace/sqlite"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// store is a SQLite journal with the minimal fixture and n write-offs.
type store struct {
	path string
	j    *sqlite.DB
	dir  string
	adds int
}

// newStore makes an empty store.
func newStore(t testing.TB) *store {
	t.Helper()
	d := t.TempDir()
	s := &store{path: filepath.Join(d, "store.db"), dir: filepath.Join(d, "store.db.snapshots")}
	j, err := sqlite.Open(s.path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	s.j = j
	return s
}

// fixture loads the minimal fixture.
func (s *store) fixture(t testing.TB) {
	t.Helper()
	eng, err := engine.Open(context.Background(), s.j, engine.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	if err := scenario.Minimal(context.Background(), eng, 2, 100); err != nil {
		t.Fatal(err)
	}
}

// loaded makes a store with the minimal fixture.
func loaded(t testing.TB) *store {
	s := newStore(t)
	s.fixture(t)
	return s
}

// add journals n more events (write-offs of one dose each).
func (s *store) add(t testing.TB, n int) {
	t.Helper()
	eng, err := engine.Open(context.Background(), s.j, engine.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	admin := vaxtrace.Principal{Name: "test", Role: vaxtrace.RoleAdmin}
	var cmds []engine.Command
	for i := 0; i < n; i++ {
		s.adds++
		cmds = append(cmds, engine.Command{Key: fmt.Sprintf("writeoff:%d", s.adds), Actor: admin, Data: vaxtrace.StockAdjusted{
			Place: scenario.PointID(1 + s.adds%2), Lot: "FIX-I", Delta: -1, Reason: vaxtrace.ReasonDamaged, Occurred: time.Date(2021, 2, 1, 6, 0, 0, 0, time.UTC)}})
	}
	for _, r := range eng.SubmitBatch(context.Background(), cmds) {
		if r.Err != nil {
			t.Fatal(r.Err)
		}
	}
}

// take writes a snapshot of the whole journal.
func (s *store) take(t testing.TB) string {
	t.Helper()
	got, err := snapshot.Take(context.Background(), s.j, s.dir, 0, time.Now(), quiet)
	if err != nil {
		t.Fatal(err)
	}
	if got.Path == "" {
		t.Fatal("no snapshot written")
	}
	return got.Path
}

func (s *store) target(t testing.TB) snapshot.Target {
	t.Helper()
	tg, err := snapshot.TargetOf(context.Background(), s.j, false)
	if err != nil {
		t.Fatal(err)
	}
	return tg
}

// digest is the SHA-256 of a state's encoding.
func digest(t testing.TB, st *vaxtrace.State) string {
	t.Helper()
	h := sha256.New()
	if err := st.EncodeSnapshot(h); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%d/%x", st.Seq, h.Sum(nil))
}

// full is the state of a replay of the whole journal.
func (s *store) full(t testing.TB) *vaxtrace.State {
	t.Helper()
	st, _, err := snapshot.Restore(context.Background(), s.j, "", false, quiet)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// logLines captures a logger's lines.
type logLines struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logLines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logLines) lines() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := strings.TrimSpace(l.b.String())
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// TestSnapshotPlusTailEqualsReplay writes a snapshot of a loaded store,
// adds events and restores: the state must encode as a full replay's.
func TestSnapshotPlusTailEqualsReplay(t *testing.T) {
	s := loaded(t)
	path := s.take(t)
	if filepath.Base(path) != snapshot.FileName(s.target(t).Last) {
		t.Fatalf("snapshot named %s, want %s", filepath.Base(path), snapshot.FileName(s.target(t).Last))
	}
	l, err := snapshot.LoadFile(context.Background(), path, s.target(t))
	if err != nil {
		t.Fatal(err)
	}
	if l.Header.Seq != s.target(t).Last || l.Header.Store == "" || l.Header.Zone != vaxtrace.Zone().String() || l.Header.Length == 0 {
		t.Fatalf("header %+v", l.Header)
	}
	if got, want := digest(t, l.State), digest(t, s.full(t)); got != want {
		t.Fatalf("loaded state %s, full replay %s", got, want)
	}
	// the tail after it
	s.add(t, 7)
	st, start, err := snapshot.Restore(context.Background(), s.j, s.dir, false, quiet)
	if err != nil {
		t.Fatal(err)
	}
	if start.Path != path || start.Tail != 7 {
		t.Fatalf("restored from %q with a tail of %d, want %s and 7", start.Path, start.Tail, path)
	}
	if got, want := digest(t, st), digest(t, s.full(t)); got != want {
		t.Fatalf("snapshot + tail %s, full replay %s", got, want)
	}
}

// rewrite changes a snapshot's header and fixes up both checksums, so that
// only the changed field can be the reason for a refusal.
func rewrite(t *testing.T, path string, change func(h *snapshot.Header)) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	h, err := snapshot.ReadHeader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	payload := b[h.Size() : len(b)-4]
	change(&h)
	out, err := h.AppendTo(nil)
	if err != nil {
		t.Fatal(err)
	}
	out = append(out, payload...)
	out = binary.BigEndian.AppendUint32(out, crc32.Checksum(out, crc32.MakeTable(crc32.Castagnoli)))
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestRefusals damages the newest of two snapshots in each way the issue
// names: Load must refuse it with one log line naming the file and the
// reason, take the older one, and the state must equal a full replay.
func TestRefusals(t *testing.T) {
	cases := []struct {
		name   string
		reason error
		damage func(t *testing.T, s *store, path string)
	}{
		{"truncated", snapshot.ErrTruncated, func(t *testing.T, s *store, path string) {
			st, _ := os.Stat(path)
			if err := os.Truncate(path, st.Size()-9); err != nil {
				t.Fatal(err)
			}
		}},
		{"truncated header", snapshot.ErrTruncated, func(t *testing.T, s *store, path string) {
			if err := os.Truncate(path, 20); err != nil {
				t.Fatal(err)
			}
		}},
		{"flipped payload byte", snapshot.ErrChecksum, func(t *testing.T, s *store, path string) {
			b, _ := os.ReadFile(path)
			h, _ := snapshot.ReadHeader(bytes.NewReader(b))
			b[h.Size()+int64(h.Length)/2] ^= 0x40
			os.WriteFile(path, b, 0o644)
		}},
		{"flipped header byte", snapshot.ErrChecksum, func(t *testing.T, s *store, path string) {
			b, _ := os.ReadFile(path)
			h, _ := snapshot.ReadHeader(bytes.NewReader(b))
			b[h.Size()-20] ^= 0x01 // in the payload length
			os.WriteFile(path, b, 0o644)
		}},
		{"flipped checksum", snapshot.ErrChecksum, func(t *testing.T, s *store, path string) {
			b, _ := os.ReadFile(path)
			b[len(b)-1] ^= 0x01
			os.WriteFile(path, b, 0o644)
		}},
		{"unknown version", snapshot.ErrVersion, func(t *testing.T, s *store, path string) {
			rewrite(t, path, func(h *snapshot.Header) { h.Version = snapshot.Version + 1 })
		}},
		{"not a snapshot", snapshot.ErrFormat, func(t *testing.T, s *store, path string) {
			os.WriteFile(path, []byte("SQLite format 3\x00 and more bytes than a header needs..........................."), 0o644)
		}},
		{"another store", snapshot.ErrStore, func(t *testing.T, s *store, path string) {
			rewrite(t, path, func(h *snapshot.Header) { h.Store = "0123456789abcdef0123456789abcdef" })
		}},
		{"another time zone", snapshot.ErrZone, func(t *testing.T, s *store, path string) {
			rewrite(t, path, func(h *snapshot.Header) { h.Zone = "Europe/Paris" })
		}},
		{"newer than the journal", snapshot.ErrNewer, func(t *testing.T, s *store, path string) {
			rewrite(t, path, func(h *snapshot.Header) { h.Seq += 100 })
		}},
		{"chain link mismatch", snapshot.ErrLink, func(t *testing.T, s *store, path string) {
			rewrite(t, path, func(h *snapshot.Header) { h.Link[7] ^= 0x80 })
		}},
		{"state of another seq", snapshot.ErrPayload, func(t *testing.T, s *store, path string) {
			// a consistent container around the older snapshot's payload
			// (its state is at an earlier seq) under the newer header
			older, _ := snapshot.List(s.dir)
			b, _ := os.ReadFile(older[1])
			h, _ := snapshot.ReadHeader(bytes.NewReader(b))
			nh, _ := snapshot.ReadHeader(bytes.NewReader(must(os.ReadFile(path))))
			h.Seq, h.Link = nh.Seq, nh.Link
			hdr, _ := h.AppendTo(nil)
			out := append(hdr, b[h.Size():len(b)-4]...)
			out = binary.BigEndian.AppendUint32(out, crc32.Checksum(out, crc32.MakeTable(crc32.Castagnoli)))
			os.WriteFile(path, out, 0o644)
		}},
		{"trailing bytes", snapshot.ErrFormat, func(t *testing.T, s *store, path string) {
			f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
			f.Write([]byte("xx"))
			f.Close()
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// the older snapshot is of the empty store: loading it and
			// replaying the rest does not depend on the state's encoding
			s := newStore(t)
			older := s.take(t)
			s.fixture(t)
			s.add(t, 5)
			newer := s.take(t)
			s.add(t, 3)
			total := s.target(t).Last
			c.damage(t, s, newer)
			var logs logLines
			log := slog.New(slog.NewTextHandler(&logs, nil))
			st, start, err := snapshot.Restore(context.Background(), s.j, s.dir, false, log)
			if err != nil {
				t.Fatal(err)
			}
			lines := logs.lines()
			if len(lines) != 1 || !strings.Contains(lines[0], "level=WARN") || !strings.Contains(lines[0], filepath.Base(newer)) || !strings.Contains(lines[0], c.reason.Error()) {
				t.Fatalf("log:\n%s\nwant one warning naming %s and %q", strings.Join(lines, "\n"), filepath.Base(newer), c.reason)
			}
			if start.Path != older || start.Tail != total {
				t.Fatalf("restored from %q with a tail of %d, want the older %s and %d", start.Path, start.Tail, older, total)
			}
			if got, want := digest(t, st), digest(t, s.full(t)); got != want {
				t.Fatalf("state %s, full replay %s", got, want)
			}
			_, err = snapshot.LoadFile(context.Background(), newer, s.target(t))
			if !errors.Is(err, c.reason) || !snapshot.Refused(err) {
				t.Fatalf("LoadFile: %v, want %v", err, c.reason)
			}
			// with the older one damaged too, the whole journal is replayed
			if err := os.WriteFile(older, []byte("VXSNAP\r\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			logs.b.Reset()
			st, start, err = snapshot.Restore(context.Background(), s.j, s.dir, false, log)
			if err != nil {
				t.Fatal(err)
			}
			if start.Path != "" || len(logs.lines()) != 2 {
				t.Fatalf("restored from %q, log:\n%s\nwant a full replay and two warnings", start.Path, strings.Join(logs.lines(), "\n"))
			}
			if got, want := digest(t, st), digest(t, s.full(t)); got != want {
				t.Fatalf("state %s, full replay %s", got, want)
			}
		})
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestCrashLeavesPreviousUsable leaves what a writer that died mid-write
// leaves (a temporary file): it is ignored, the previous snapshot loads,
// and the next writer removes it.
func TestCrashLeavesPreviousUsable(t *testing.T) {
	s := newStore(t)
	prev := s.take(t)
	s.fixture(t)
	s.add(t, 4)
	tmp := filepath.Join(s.dir, ".snapshot-123456.tmp")
	if err := os.WriteFile(tmp, []byte("VXSNAP\r\n\x00\x01half a snapshot"), 0o600); err != nil {
		t.Fatal(err)
	}
	var logs logLines
	st, start, err := snapshot.Restore(context.Background(), s.j, s.dir, false, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if start.Path != prev || len(logs.lines()) != 0 {
		t.Fatalf("restored from %q, log %q; want %s and no warning", start.Path, logs.lines(), prev)
	}
	if got, want := digest(t, st), digest(t, s.full(t)); got != want {
		t.Fatalf("state %s, full replay %s", got, want)
	}
	if _, err := os.Stat(tmp); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the temporary file is still there: %v", err)
	}
	// a temporary file that appears later is removed by the next writer
	os.WriteFile(tmp, []byte("x"), 0o600)
	s.add(t, 1)
	s.take(t)
	if _, err := os.Stat(tmp); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the writer left the temporary file: %v", err)
	}
}

func TestPruneKeepsNewest(t *testing.T) {
	s := loaded(t)
	id, err := snapshot.StoreID(context.Background(), s.j, true)
	if err != nil {
		t.Fatal(err)
	}
	var all []string
	for i := 0; i < 5; i++ {
		s.add(t, 1)
		st := s.full(t)
		h := snapshot.Header{Store: id, Zone: vaxtrace.Zone().String(), Seq: st.Seq, Created: time.Now()}
		copy(h.Link[:], must(s.j.ChainLink(context.Background(), st.Seq)))
		path, err := snapshot.Write(s.dir, h, st, 3)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, path)
	}
	left, err := snapshot.List(s.dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{all[4], all[3], all[2]}
	if fmt.Sprint(left) != fmt.Sprint(want) {
		t.Fatalf("kept %v, want the newest three %v", left, want)
	}
	if err := snapshot.Prune(s.dir, 1); err != nil {
		t.Fatal(err)
	}
	if left, _ = snapshot.List(s.dir); len(left) != 1 || left[0] != all[4] {
		t.Fatalf("kept %v, want %s", left, all[4])
	}
	if err := snapshot.Prune(s.dir, 0); err == nil {
		t.Fatal("keeping no snapshot was accepted")
	}
}

// TestTakeUpToDate writes nothing when the newest snapshot covers the
// journal.
func TestTakeUpToDate(t *testing.T) {
	s := loaded(t)
	first := s.take(t)
	got, err := snapshot.Take(context.Background(), s.j, s.dir, 3, time.Now(), quiet)
	if err != nil || got.Path != "" || got.Start.Path != first {
		t.Fatalf("second take: %+v, %v; want nothing written", got, err)
	}
}

func TestStoreIDOncePerStore(t *testing.T) {
	s := loaded(t)
	ctx := context.Background()
	a, err := snapshot.StoreID(ctx, s.j, true)
	if err != nil || len(a) != 32 {
		t.Fatalf("store id %q, %v", a, err)
	}
	ro, err := sqlite.OpenReadOnly(s.path)
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if b, err := snapshot.StoreID(ctx, ro, true); err != nil || b != a {
		t.Fatalf("read-only handle: %q, %v; want %s", b, err, a)
	}
	o := newStore(t)
	if b, _ := snapshot.StoreID(ctx, o.j, false); b != "" {
		t.Fatalf("a store nobody asked for an id has %q", b)
	}
	if b, _ := snapshot.StoreID(ctx, o.j, true); b == a || b == "" {
		t.Fatalf("two stores have ids %q and %q", a, b)
	}
}

// TestEngineStartsFromSnapshot opens the engine with a snapshot directory.
func TestEngineStartsFromSnapshot(t *testing.T) {
	s := newStore(t)
	path := s.take(t) // of the empty store: independent of the state's encoding
	s.fixture(t)
	s.add(t, 6)
	var logs logLines
	eng, err := engine.Open(context.Background(), s.j, engine.Options{Logger: slog.New(slog.NewTextHandler(&logs, nil)), Snapshots: s.dir})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	lines := logs.lines()
	tail := fmt.Sprintf("tail_events=%d", s.target(t).Last)
	if len(lines) != 1 || !strings.Contains(lines[0], filepath.Base(path)) || !strings.Contains(lines[0], tail) {
		t.Fatalf("log %q, want one line naming the snapshot and %s", lines, tail)
	}
	var got string
	eng.Read(func(st *vaxtrace.State) { got = digest(t, st) })
	if want := digest(t, s.full(t)); got != want {
		t.Fatalf("engine state %s, full replay %s", got, want)
	}
}

// TestOneWriterAtATime refuses a writer while another holds the directory.
func TestOneWriterAtATime(t *testing.T) {
	s := newStore(t)
	s.take(t)
	f, err := os.OpenFile(filepath.Join(s.dir, "lock"), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	s.fixture(t)
	if _, err := snapshot.Take(context.Background(), s.j, s.dir, 3, time.Now(), quiet); !errors.Is(err, snapshot.ErrBusy) {
		t.Fatalf("a second writer: %v, want %v", err, snapshot.ErrBusy)
	}
	if err := snapshot.Prune(s.dir, 1); !errors.Is(err, snapshot.ErrBusy) {
		t.Fatalf("prune beside a writer: %v, want %v", err, snapshot.ErrBusy)
	}
}
