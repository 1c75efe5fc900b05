package engine_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"vaxtrace"
	"vaxtrace/engine"
	"vaxtrace/scenario"
	"vaxtrace/sqlite"
)

// faultyJournal wraps a real journal. While failWrites is set, Write lets
// the engine build its events and then fails (a full disk: the transaction
// rolls back); while failReads is set, Replay and Last fail too (the store
// is unreachable). gate, if set, holds the next Write until it is closed and
// then fails it.
type faultyJournal struct {
	vaxtrace.Journal
	failWrites, failReads atomic.Bool
	// cutAfterWrite makes the next failed write cut reads too (the store
	// goes away right after the write was sent)
	cutAfterWrite atomic.Bool
	mu            sync.Mutex
	gate          chan struct{}
	entered       chan struct{}
}

var errDiskFull = errors.New("disk full (simulated)")

func (f *faultyJournal) Write(ctx context.Context, after uint64, catchUp func(vaxtrace.Event) error, build func(uint64) ([]vaxtrace.Event, error)) error {
	f.mu.Lock()
	gate, entered := f.gate, f.entered
	f.gate = nil
	f.mu.Unlock()
	if gate != nil {
		close(entered)
		<-gate
		return errDiskFull
	}
	if !f.failWrites.Load() {
		return f.Journal.Write(ctx, after, catchUp, build)
	}
	err := f.Journal.Write(ctx, after, catchUp, func(next uint64) ([]vaxtrace.Event, error) {
		if _, err := build(next); err != nil {
			return nil, err
		}
		return nil, errDiskFull // nothing is written
	})
	if err == nil {
		err = errDiskFull
	}
	if f.cutAfterWrite.Load() {
		f.failReads.Store(true)
	}
	return err
}

func (f *faultyJournal) Replay(ctx context.Context, after uint64, fn func(vaxtrace.Event) error) error {
	if f.failReads.Load() {
		return errDiskFull
	}
	return f.Journal.Replay(ctx, after, fn)
}

func (f *faultyJournal) Last(ctx context.Context) (uint64, error) {
	if f.failReads.Load() {
		return 0, errDiskFull
	}
	return f.Journal.Last(ctx)
}

func openFaulty(t *testing.T, o engine.Options) (*engine.Engine, *faultyJournal) {
	t.Helper()
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "e.db"))
	if err != nil {
		t.Fatal(err)
	}
	f := &faultyJournal{Journal: db}
	o.RetryMin, o.RetryMax = time.Millisecond, 10*time.Millisecond
	eng, err := engine.Open(context.Background(), f, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close(); db.Close() })
	if err := scenario.Minimal(context.Background(), eng, 2, 1000); err != nil {
		t.Fatal(err)
	}
	return eng, f
}

// waitUp waits until the engine accepts writes again (the recovery loop
// retries every few milliseconds here); it fails the test after a minute.
func waitUp(t *testing.T, eng *engine.Engine) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); eng.Err() != nil; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the engine did not recover: %v", eng.Err())
		}
	}
}

func personCmd(n int) engine.Command {
	return engine.Command{Key: fmt.Sprint("person:", n), Actor: scenario.Admin, Recorded: at, Data: vaxtrace.PersonRegistered{Person: vaxtrace.Person{ID: pidOf(n), Family: "F", BirthDate: vaxtrace.MkDate(1980, 1, 1), Sex: "F", Region: "KZ-AKM"}}}
}

func doseCmd(n int) engine.Command {
	id := fmt.Sprint("d", n)
	return engine.Command{Key: "dose:" + id, Actor: scenario.Admin, Data: vaxtrace.DoseAdministered{ID: id, Person: pidOf(n), At: at, Place: scenario.PointID(1), Lot: "FIX-I", Vaccinator: "n"}}
}

var modes = []struct {
	name string
	opts engine.Options
}{
	{"pipelined", engine.Options{}},
	{"serial", engine.Options{Serial: true}},
}

// A write that the journal fails is refused, never acknowledged; the state
// goes back to what is durable (the same command is then new, not a
// duplicate of something the journal never held), and the engine accepts
// writes again once the store works.
func TestFailedJournalWriteIsRefusedAndStateRebuilt(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			eng, f := openFaulty(t, m.opts)
			ctx := context.Background()
			if r := eng.Submit(ctx, personCmd(1)); r.Err != nil {
				t.Fatal(r.Err)
			}
			last := mustLast(t, f)
			f.failWrites.Store(true)
			res := eng.SubmitBatch(ctx, []engine.Command{doseCmd(1), personCmd(2), personCmd(1)})
			for i, r := range res {
				if vaxtrace.ErrorCode(r.Err) != vaxtrace.EUNAVAILABLE || r.Duplicate || r.Seq != 0 {
					t.Fatalf("command %d of a failed write: %+v, want refused with %s", i, r, vaxtrace.EUNAVAILABLE)
				}
			}
			if l := mustLast(t, f); l != last {
				t.Fatalf("journal moved from %d to %d", last, l)
			}
			waitUp(t, eng) // reads work: the rebuild succeeds
			if seq := eng.Seq(); seq != last {
				t.Fatalf("state at seq %d after the rebuild, journal at %d", seq, last)
			}
			// still failing: refused again
			if r := eng.Submit(ctx, doseCmd(1)); vaxtrace.ErrorCode(r.Err) != vaxtrace.EUNAVAILABLE {
				t.Fatalf("second failed write: %+v", r)
			}
			f.failWrites.Store(false)
			waitUp(t, eng)
			r := eng.Submit(ctx, doseCmd(1))
			if r.Err != nil || r.Duplicate {
				t.Fatalf("after recovery the dose must be new (the failed one never happened): %+v", r)
			}
			if l := mustLast(t, f); l != last+1 {
				t.Fatalf("journal at %d, want %d", l, last+1)
			}
			rep, err := eng.Check(ctx)
			if err != nil || !rep.OK() {
				t.Fatalf("check: %v %v", err, rep.Breaches)
			}
		})
	}
}

// With pipelined commits a group is validated while the previous group's
// commit is in flight. When that commit fails, the group validated on top of
// it is refused as well (here: a dose for a person whose registration
// failed), and the state loses both.
func TestGroupValidatedOnAFailedCommitIsRefused(t *testing.T) {
	eng, f := openFaulty(t, engine.Options{})
	ctx := context.Background()
	last := mustLast(t, f)
	gate, entered := make(chan struct{}), make(chan struct{})
	f.mu.Lock()
	f.gate, f.entered = gate, entered
	f.mu.Unlock()

	var a, b engine.Result
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); a = eng.Submit(ctx, personCmd(5)) }()
	<-entered // the registration's commit is in flight
	decided := make(chan struct{})
	d := doseCmd(5)
	d.View = func(*vaxtrace.State) any { close(decided); return nil }
	go func() { defer wg.Done(); b = eng.Submit(ctx, d) }()
	select {
	case <-decided: // validated on top of the registration
	case <-time.After(time.Minute):
		t.Fatal("the next group was not validated while the previous commit was in flight")
	}
	close(gate) // the registration's commit fails
	wg.Wait()
	for name, r := range map[string]engine.Result{"registration": a, "dose validated on it": b} {
		if vaxtrace.ErrorCode(r.Err) != vaxtrace.EUNAVAILABLE {
			t.Errorf("%s: %+v, want refused with %s", name, r, vaxtrace.EUNAVAILABLE)
		}
	}
	if l := mustLast(t, f); l != last {
		t.Fatalf("journal moved from %d to %d", last, l)
	}
	waitUp(t, eng)
	var known bool
	eng.Read(func(s *vaxtrace.State) { known = s.Person(pidOf(5)) != nil })
	if known {
		t.Fatal("the state still holds the person whose registration failed")
	}
	if r := eng.Submit(ctx, personCmd(5)); r.Err != nil || r.Duplicate {
		t.Fatalf("registration after recovery: %+v", r)
	}
	if r := eng.Submit(ctx, doseCmd(5)); r.Err != nil || r.Duplicate {
		t.Fatalf("dose after recovery: %+v", r)
	}
}

// waitDown waits until the engine has noticed an outage.
func waitDown(t *testing.T, eng *engine.Engine) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(time.Millisecond) {
		if down, _ := eng.Down(); down {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the engine did not notice the outage")
		}
	}
}

// During an outage noticed by the poller (the store unreachable) writes are
// refused with a retry delay before they reach the journal, reads keep the
// last state (never an empty one), and once the store answers again the
// engine catches up and accepts writes. After a failed write whose events
// were applied in memory, reads are refused until the state is rebuilt.
func TestOutageKeepsLastStateAndRecovers(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			o := m.opts
			o.Poll = time.Millisecond
			eng, f := openFaulty(t, o)
			ctx := context.Background()
			if r := eng.Submit(ctx, personCmd(1)); r.Err != nil {
				t.Fatal(r.Err)
			}
			before := eng.Seq()
			f.failReads.Store(true)
			f.failWrites.Store(true)
			waitDown(t, eng)
			r := eng.Submit(ctx, doseCmd(1))
			if vaxtrace.ErrorCode(r.Err) != vaxtrace.EUNAVAILABLE {
				t.Fatalf("write during the outage: %+v", r)
			}
			if eng.Err() == nil || eng.RetryAfter() < time.Second {
				t.Fatalf("down engine: err %v, retry after %v", eng.Err(), eng.RetryAfter())
			}
			var known bool
			eng.Read(func(s *vaxtrace.State) { known = s.Person(pidOf(1)) != nil })
			if !known || eng.Seq() != before || eng.ReadErr() != nil {
				t.Fatalf("reads during the outage: person known %v, state at seq %d (was %d), read error %v", known, eng.Seq(), before, eng.ReadErr())
			}
			f.failReads.Store(false)
			f.failWrites.Store(false)
			waitUp(t, eng)
			if r := eng.Submit(ctx, doseCmd(1)); r.Err != nil || r.Duplicate {
				t.Fatalf("after the outage: %+v", r)
			}

			// a write fails after its events were applied, and the store
			// stays unreadable: the state is not served until rebuilt
			f.failWrites.Store(true)
			f.cutAfterWrite.Store(true)
			if r := eng.Submit(ctx, personCmd(2)); vaxtrace.ErrorCode(r.Err) != vaxtrace.EUNAVAILABLE {
				t.Fatalf("failed write: %+v", r)
			}
			if eng.ReadErr() == nil {
				t.Fatal("reads allowed while the state holds a failed write")
			}
			f.cutAfterWrite.Store(false)
			f.failReads.Store(false)
			f.failWrites.Store(false)
			waitUp(t, eng)
			if eng.ReadErr() != nil {
				t.Fatal(eng.ReadErr())
			}
			eng.Read(func(s *vaxtrace.State) { known = s.Person(pidOf(2)) != nil })
			if known {
				t.Fatal("the rebuilt state holds the failed registration")
			}
		})
	}
}

// Another writer committing between a group's validation and its commit is
// met in the commit: the group is validated again, never written on a stale
// state.
func TestAnotherWriterBetweenValidationAndCommit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shared.db")
	open := func() (*engine.Engine, *sqlite.DB) {
		db, err := sqlite.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		eng, err := engine.Open(context.Background(), db, engine.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { eng.Close(); db.Close() })
		return eng, db
	}
	ctx := context.Background()
	e1, db := open()
	if err := scenario.Minimal(ctx, e1, 2, 1000); err != nil {
		t.Fatal(err)
	}
	e2, _ := open()
	if r := e2.Submit(ctx, personCmd(1)); r.Err != nil {
		t.Fatal(r.Err)
	}
	// e1 has not seen the registration: its pipelined group is validated on
	// a stale state, meets the other writer's event in the commit and is
	// validated again
	r := e1.Submit(ctx, doseCmd(1))
	if r.Err != nil || r.Duplicate {
		t.Fatalf("dose on the first engine: %+v", r)
	}
	if r := e1.Submit(ctx, personCmd(1)); r.Err != nil || !r.Duplicate {
		t.Fatalf("the other writer's registration, replayed on the first engine: %+v", r)
	}
	last := mustLast(t, db)
	if e1.Seq() != last {
		t.Fatalf("engine at %d, journal at %d", e1.Seq(), last)
	}
	rep, err := e1.Check(ctx)
	if err != nil || !rep.OK() {
		t.Fatalf("check: %v %v", err, rep.Breaches)
	}
}

// A read-only engine refuses writes before they reach the journal and
// catches up with a writer by polling.
func TestReadOnlyEngineRefusesWritesAndCatchesUp(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ro.db")
	ctx := context.Background()
	wdb, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer wdb.Close()
	w, err := engine.Open(ctx, wdb, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if err := scenario.Minimal(ctx, w, 2, 1000); err != nil {
		t.Fatal(err)
	}
	rdb, err := sqlite.OpenReadOnly(path)
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	r, err := engine.Open(ctx, rdb, engine.Options{ReadOnly: true, Poll: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	last := mustLast(t, wdb)
	if res := r.Submit(ctx, personCmd(9)); !errors.Is(res.Err, engine.ErrReadOnly) {
		t.Fatalf("write on a read-only node: %+v", res)
	}
	if l := mustLast(t, wdb); l != last || !r.ReadOnly() {
		t.Fatalf("read-only node wrote (journal %d -> %d) or is not read-only", last, l)
	}
	if res := w.Submit(ctx, personCmd(9)); res.Err != nil {
		t.Fatal(res.Err)
	}
	for deadline := time.Now().Add(time.Minute); r.Seq() != w.Seq(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("reader at %d, writer at %d", r.Seq(), w.Seq())
		}
	}
	var known bool
	r.Read(func(s *vaxtrace.State) { known = s.Person(pidOf(9)) != nil })
	if !known {
		t.Fatal("the reader does not know the writer's person")
	}
}

// Check compares only committed events: run while groups are being
// validated and committed, it never reports a breach.
func TestCheckDuringPipelinedCommits(t *testing.T) {
	eng, _ := openFaulty(t, engine.Options{})
	ctx := context.Background()
	const people = 900 // the point holds 1000 doses
	reg := make([]engine.Command, people)
	for k := range reg {
		reg[k] = personCmd(1000 + k)
	}
	for _, r := range eng.SubmitBatch(ctx, reg) {
		if r.Err != nil {
			t.Fatal(r.Err)
		}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < people/10; i++ {
			cmds := make([]engine.Command, 0, 10)
			for k := i * 10; k < (i+1)*10; k++ {
				cmds = append(cmds, doseCmd(1000+k))
			}
			for _, r := range eng.SubmitBatch(ctx, cmds) {
				if r.Err != nil {
					t.Error(r.Err)
				}
			}
		}
	}()
	for checks := 0; ; checks++ {
		rep, err := eng.Check(ctx)
		if err != nil || !rep.OK() {
			t.Fatalf("check %d during commits: %v %v", checks, err, rep.Breaches)
		}
		select {
		case <-done:
			return
		default:
		}
	}
}

// mustLast is the journal's last sequence; a failure to read it fails the
// test (a zero from an ignored error would make "the journal did not move"
// hold vacuously).
func mustLast(t *testing.T, j interface {
	Last(context.Context) (uint64, error)
}) uint64 {
	t.Helper()
	n, err := j.Last(context.Background())
	if err != nil {
		t.Fatalf("journal's last sequence: %v", err)
	}
	return n
}
