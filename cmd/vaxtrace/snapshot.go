package main

import (
	"context"
	"crypto/sha256"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"vaxtrace"
	"vaxtrace/engine"
	"vaxtrace/snapshot"
)

func init() {
	register("snapshot", "write a snapshot of the state (newest snapshot + the journal's tail) so that the next start replays only the tail; serve runs it in the background", runSnapshot)
}

// snapshotDirEnv names the snapshot directory of serve, snapshot and check.
const snapshotDirEnv = "VAXTRACE_SNAPSHOT_DIR"

// snapshotDir resolves a --snapshot-dir or --dir value: "off" is none,
// empty is the default (<db>.snapshots beside a SQLite file, none for
// PostgreSQL, whose nodes may not share a disk).
func snapshotDir(sf storeFlags, v string) string {
	switch v {
	case "off", "none":
		return ""
	case "":
		if isPostgres(sf.db) {
			return ""
		}
		return sf.db + ".snapshots"
	}
	return v
}

// snapshotFlags are serve's snapshot flags.
type snapshotFlags struct {
	dir      string
	every    uint64
	interval time.Duration
	keep     int
}

func (f *snapshotFlags) add(fs *flag.FlagSet) {
	fs.StringVar(&f.dir, "snapshot-dir", env(snapshotDirEnv, ""), "directory of the state's snapshots: start from the newest valid one and replay only the journal's tail (env "+snapshotDirEnv+"; default <db>.snapshots beside a SQLite file, none for PostgreSQL; off: none)")
	fs.Uint64Var(&f.every, "snapshot-every", 1_000_000, "write a snapshot in the background after this many new events (0: not by count)")
	fs.DurationVar(&f.interval, "snapshot-interval", time.Hour, "write a snapshot in the background this often when there are new events (0: not by time)")
	fs.IntVar(&f.keep, "snapshot-keep", 3, "snapshots kept (older ones are removed)")
}

func runSnapshot(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("snapshot", flag.ContinueOnError)
	var sf storeFlags
	sf.add(fs)
	dirFlag := fs.String("dir", env(snapshotDirEnv, ""), "snapshot directory (env "+snapshotDirEnv+"; default <db>.snapshots beside a SQLite file; required for PostgreSQL)")
	keep := fs.Int("keep", 3, "snapshots kept (older ones are removed)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *keep < 1 {
		return vaxtrace.FieldError("keep", "must be at least 1")
	}
	dir := snapshotDir(sf, *dirFlag)
	if dir == "" {
		return vaxtrace.FieldError("dir", "required")
	}
	if err := sf.mustExist(ctx); err != nil {
		return err
	}
	if err := ensureStoreID(ctx, sf); err != nil {
		return err
	}
	// read-only: the store's writers never wait for a snapshot
	j, err := openJournalReadOnly(ctx, sf.db)
	if err != nil {
		return err
	}
	defer j.Close()
	got, err := snapshot.Take(ctx, j, dir, *keep, time.Now(), slog.Default())
	if err != nil {
		return err
	}
	from := "a full replay"
	if got.Start.Path != "" {
		from = fmt.Sprintf("snapshot seq %d + %d tail events", got.Start.From, got.Start.Tail)
	}
	if got.Path == "" {
		fmt.Printf("up to date: %s covers seq %d\n", got.Start.Path, got.Seq)
		return nil
	}
	fmt.Printf("wrote %s: seq %d (%s) in %s\n", got.Path, got.Seq, from, got.Took.Round(time.Millisecond))
	return nil
}

// ensureStoreID gives the store its id (the first snapshot of a store that
// no writer opened since snapshots exist) through a short writable handle.
func ensureStoreID(ctx context.Context, sf storeFlags) error {
	j, err := openJournalReadOnly(ctx, sf.db)
	if err != nil {
		return err
	}
	id, err := snapshot.StoreID(ctx, j, false)
	j.Close()
	if err != nil || id != "" {
		return err
	}
	w, err := openJournal(ctx, sf.db)
	if err != nil {
		return err
	}
	defer w.Close()
	_, err = snapshot.StoreID(ctx, w, true)
	return err
}

// snapshotter runs `vaxtrace snapshot` as a child process for serve: Go
// cannot fork, so the child opens the store read-only, builds the state
// from the newest snapshot and the tail, writes the new snapshot and
// exits; the server's writes never wait for it. At most one runs at a time.
type snapshotter struct {
	eng      *engine.Engine
	sf       storeFlags
	dir      string
	f        snapshotFlags
	lastSeq  uint64    // what the last snapshot covers (at least)
	lastTime time.Time // when it was written (or serve started)
	retryAt  time.Time // after a failure
}

// start runs the loop until ctx ends; wait blocks until it has stopped.
func (s *snapshotter) start(ctx context.Context) (wait func()) {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		s.loop(ctx)
	}()
	return wg.Wait
}

func (s *snapshotter) loop(ctx context.Context) {
	// count from the snapshot the server actually started from: a newest
	// file that was refused at start covers nothing, and a full replay
	// wants a snapshot at the first due check
	s.lastSeq, s.lastTime = s.eng.LoadedFrom(), time.Now()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		now := time.Now()
		seq := s.eng.Seq()
		if seq <= s.lastSeq || now.Before(s.retryAt) {
			continue
		}
		due := s.f.every > 0 && seq-s.lastSeq >= s.f.every ||
			s.f.interval > 0 && now.Sub(s.lastTime) >= s.f.interval
		if !due {
			continue
		}
		if err := s.run(ctx); err != nil {
			if ctx.Err() != nil {
				return
			}
			slog.Error("background snapshot failed; serving continues from the journal", "err", err, "retry_in", time.Minute)
			s.retryAt = time.Now().Add(time.Minute)
			continue
		}
		s.lastSeq, s.lastTime = seq, time.Now()
	}
}

// run starts the child and waits for it, logging its outcome.
func (s *snapshotter) run(ctx context.Context) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	start := time.Now()
	cmd := exec.CommandContext(ctx, exe, "snapshot", "--keep", strconv.Itoa(s.f.keep))
	// the store's address in the environment, not the command line (a
	// PostgreSQL URL may carry a password)
	cmd.Env = append(os.Environ(), "VAXTRACE_DB="+s.sf.db, snapshotDirEnv+"="+s.dir, vaxtrace.ZoneEnv+"="+vaxtrace.Zone().String())
	if s.sf.keys != "" {
		cmd.Env = append(cmd.Env, "VAXTRACE_KEYS="+s.sf.keys)
	}
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 30 * time.Second
	var out tailBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	slog.Info("background snapshot started", "dir", s.dir, "seq", s.eng.Seq())
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%w: %s", err, strings.TrimSpace(out.String()))
	}
	slog.Info("background snapshot done", "took", time.Since(start).Round(time.Millisecond), "child", strings.TrimSpace(out.String()))
	return nil
}

// tailBuffer keeps the last 4 KiB written to it.
type tailBuffer struct {
	mu sync.Mutex
	b  []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > 4096 {
		t.b = append(t.b[:0], t.b[len(t.b)-4096:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.b)
}

// optionalFile is a flag that may be given alone (--snapshot) or with a
// value (--snapshot=FILE, or the file as the only argument).
type optionalFile struct {
	set  bool
	path string
}

func (o *optionalFile) String() string   { return o.path }
func (o *optionalFile) IsBoolFlag() bool { return true }
func (o *optionalFile) Set(v string) error {
	switch v {
	case "true":
		o.set = true
	case "false":
		o.set, o.path = false, ""
	default:
		o.set, o.path = true, v
	}
	return nil
}

// checkSnapshot proves that a snapshot (the given file, else the newest in
// dir) plus the journal's tail equals a full replay to the same sequence
// number: both states encoded and their SHA-256 compared.
func checkSnapshot(ctx context.Context, sf storeFlags, file, dir string) error {
	if err := sf.mustExist(ctx); err != nil {
		return err
	}
	j, err := openJournalReadOnly(ctx, sf.db)
	if err != nil {
		return err
	}
	defer j.Close()
	t, err := snapshot.TargetOf(ctx, j, false)
	if err != nil {
		return err
	}
	if file == "" {
		paths, err := snapshot.List(dir)
		if err != nil {
			return err
		}
		if len(paths) == 0 {
			return fmt.Errorf("no snapshot in %s", dir)
		}
		file = paths[0]
	}
	begin := time.Now()
	l, err := snapshot.LoadFile(ctx, file, t)
	if err != nil {
		return fmt.Errorf("snapshot %s refused: %w", file, err)
	}
	from := l.Header.Seq
	st := l.State
	l = nil // one state in memory at a time
	if err := replayTo(ctx, j, st, t.Last); err != nil {
		return err
	}
	a, err := stateDigest(st)
	if err != nil {
		return err
	}
	loaded := time.Since(begin)
	begin = time.Now()
	st = vaxtrace.NewState()
	if err := replayTo(ctx, j, st, t.Last); err != nil {
		return err
	}
	b, err := stateDigest(st)
	if err != nil {
		return err
	}
	fmt.Printf("snapshot %s: seq %d + %d tail events in %s: %s\nfull replay of %d events in %s: %s\n",
		file, from, t.Last-from, loaded.Round(time.Millisecond), a, t.Last, time.Since(begin).Round(time.Millisecond), b)
	if a != b {
		return fmt.Errorf("the snapshot %s plus the journal's tail differs from a full replay at seq %d: the snapshot is wrong (remove it; the next start replays the journal)", file, t.Last)
	}
	fmt.Println("OK: the snapshot plus the tail equals a full replay")
	return nil
}

// replayTo applies the journal's events after st.Seq up to last.
func replayTo(ctx context.Context, j vaxtrace.Journal, st *vaxtrace.State, last uint64) error {
	err := j.Replay(ctx, st.Seq, func(ev vaxtrace.Event) error {
		if ev.Seq > last {
			return errStopReplay
		}
		return st.ApplyJournaled(ev)
	})
	if err != nil && !errors.Is(err, errStopReplay) {
		return err
	}
	if st.Seq != last {
		return fmt.Errorf("replay ended at seq %d, want %d", st.Seq, last)
	}
	return nil
}

var errStopReplay = errors.New("stop")

// stateDigest is the sequence number and SHA-256 of a state's encoding.
func stateDigest(st *vaxtrace.State) (string, error) {
	h := sha256.New()
	if err := st.EncodeSnapshot(h); err != nil {
		return "", err
	}
	return fmt.Sprintf("seq %d sha256 %x", st.Seq, h.Sum(nil)), nil
}
