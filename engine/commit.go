package engine

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"vaxtrace"
)

// Group commits are pipelined: the writer goroutine validates a group and
// applies it to the in-memory state (under the write lock, for as long as
// validation takes), then hands its events to the committer goroutine,
// which makes them durable in one journal transaction while the writer
// already validates the next group on top of them. Each group is
// acknowledged only after its own commit, so nothing that a caller was told
// is done can be lost.
//
// Readers may see a group for the few milliseconds its commit takes. If a
// commit fails, every group validated on top of it is refused as well (its
// duplicates and rejections too: they were decided against events that are
// not durable), the engine refuses writes and the recovery loop (health.go)
// rebuilds the state from the journal: the in-memory state returns to
// exactly what is durable before any new write is validated.
//
// Another writer sharing the journal (another API node, a command-line
// import) may commit between a group's validation and its commit. The
// committer then sees foreign events, writes nothing, rebuilds the state,
// validates the waiting groups again inside their own transactions and
// stays serial for serialAfterForeign. Options.Serial keeps it serial
// always (API nodes sharing PostgreSQL).

// serialAfterForeign is how long the engine validates inside the write
// transaction after meeting another writer's events.
const serialAfterForeign = time.Minute

// errForeign aborts a pipelined commit that met another writer's events.
var errForeign = errors.New("another writer committed first")

type pipeline struct {
	serial      bool
	jobs        chan *job      // validated groups waiting for their commit
	inflight    sync.WaitGroup // jobs sent and not yet finished
	durable     atomic.Uint64  // the highest sequence number known committed
	lastForeign atomic.Int64   // Unix nanoseconds when another writer was last met
	// epoch counts discarded speculative states; a job decided in an epoch
	// before failEpoch was decided on a failed commit. Both change under
	// Engine.mu, in the committer or in the writer while no job is in
	// flight (serial mode); the committer reads them without the lock, so
	// that a job's commit starts at once instead of waiting for the group
	// the writer is validating meanwhile.
	epoch, failEpoch atomic.Uint64
}

func (p *pipeline) init(serial bool) {
	p.serial = serial
	p.jobs = make(chan *job, 1)
}

// job is one validated group waiting for its commit.
type job struct {
	group []*request
	evs   []vaxtrace.Event
	base  uint64 // the state's sequence number before the group
	epoch uint64
}

func (e *Engine) pipelined() bool {
	if e.pipeline.serial {
		return false
	}
	last := e.pipeline.lastForeign.Load()
	return last == 0 || e.now().Sub(time.Unix(0, last)) > serialAfterForeign
}

// writer collects requests into groups and validates them.
func (e *Engine) writer() {
	defer e.wg.Done()
	defer close(e.pipeline.jobs)
	for {
		var first *request
		select {
		case first = <-e.reqs:
		case <-e.quit:
			// drain what was queued before quitting
			for {
				select {
				case r := <-e.reqs:
					e.process([]*request{r})
				default:
					return
				}
			}
		}
		group := []*request{first}
		n := len(first.cmds)
	fill:
		for n < e.MaxBatch {
			select {
			case r := <-e.reqs:
				group = append(group, r)
				n += len(r.cmds)
			default:
				break fill
			}
		}
		e.process(group)
	}
}

// process validates a group and queues it for its commit, or (serial)
// validates and commits it in one journal transaction.
func (e *Engine) process(group []*request) {
	if !e.pipelined() {
		e.pipeline.inflight.Wait()
		e.mu.Lock()
		defer e.mu.Unlock()
		e.commitSerialLocked(group)
		return
	}
	e.mu.Lock()
	if err := e.health.err(); err != nil {
		e.mu.Unlock()
		e.refuse(group, err)
		return
	}
	j := &job{group: group, base: e.st.Seq, epoch: e.pipeline.epoch.Load()}
	j.evs = e.decideGroup(group, e.st.Seq+1)
	e.mu.Unlock()
	e.pipeline.inflight.Add(1)
	e.pipeline.jobs <- j
}

// committer makes validated groups durable, in order.
func (e *Engine) committer() {
	defer e.wg.Done()
	for j := range e.pipeline.jobs {
		e.commitJob(j)
		e.pipeline.inflight.Done()
	}
}

func (e *Engine) commitJob(j *job) {
	ctx := context.Background()
	epoch, failEpoch := e.pipeline.epoch.Load(), e.pipeline.failEpoch.Load()
	switch {
	case j.epoch < failEpoch:
		// validated on top of a group whose commit failed
		e.refuse(j.group, e.unavailable())
		return
	case j.epoch < epoch:
		// validated before a rebuild caused by another writer: decide again
		e.mu.Lock()
		e.commitSerialLocked(j.group)
		e.mu.Unlock()
		return
	}
	// A group with no events (all duplicates or rejections) goes through
	// a transaction too: its answers are final only if no other writer
	// committed since they were decided.
	next := j.base + 1
	err := e.j.Write(ctx, j.base,
		func(vaxtrace.Event) error { return errForeign },
		func(first uint64) ([]vaxtrace.Event, error) {
			if first != next {
				return nil, errForeign
			}
			return j.evs, nil
		})
	switch {
	case err == nil:
		e.pipeline.durable.Store(j.base + uint64(len(j.evs)))
		e.finish(j.group)
	case errors.Is(err, errForeign):
		e.log.Info("another writer committed first; rebuilding the state and validating the group again")
		e.pipeline.lastForeign.Store(e.now().UnixNano())
		e.mu.Lock()
		defer e.mu.Unlock()
		e.pipeline.epoch.Add(1)
		if rerr := e.rebuildLocked(ctx); rerr != nil {
			e.failLocked(j.group, rerr, true)
			return
		}
		e.commitSerialLocked(j.group)
	default:
		e.mu.Lock()
		defer e.mu.Unlock()
		e.failLocked(j.group, err, len(j.evs) > 0)
	}
}

// failLocked handles a failed journal write: the group and every group
// validated on top of it are refused, the engine refuses writes and the
// recovery loop rebuilds the state from the journal. e.mu is held.
// tainted says the state holds events of the failed write (or of groups
// validated on them).
//
// The first rebuild is tried at once, before the group is answered: when the
// journal can still be read (a full disk) the state is back to what is
// durable before anyone hears of the failure. Only if that fails does the
// engine go down and leave the rebuild to the recovery loop.
func (e *Engine) failLocked(group []*request, err error, tainted bool) {
	tainted = tainted || e.st.Seq != e.pipeline.durable.Load()
	e.log.Error("journal write failed; rebuilding the state from the journal", "err", err, "rebuild", tainted)
	e.pipeline.failEpoch.Store(e.pipeline.epoch.Add(1))
	switch {
	case !tainted:
		e.markDownLocked(err, false) // the recovery loop checks the store and replays the tail
	default:
		if rerr := e.rebuildLocked(context.Background()); rerr != nil {
			e.markDownLocked(fmt.Errorf("%w (and the rebuild failed: %w)", err, rerr), true)
		}
	}
	e.refuse(group, fmt.Errorf("%w: %w", e.unavailable(), err)) // the cause is logged, never shown
}

// commitSerialLocked validates group inside one journal transaction, after
// catching up with other writers. e.mu is held.
func (e *Engine) commitSerialLocked(group []*request) {
	if err := e.health.err(); err != nil {
		e.refuse(group, err)
		return
	}
	for _, r := range group {
		clear(r.res)
	}
	ctx := context.Background()
	built := false
	err := e.j.Write(ctx, e.st.Seq,
		func(ev vaxtrace.Event) error {
			if err := e.st.ApplyJournaled(ev); err != nil {
				return err
			}
			e.pipeline.durable.Store(ev.Seq)
			return nil
		},
		func(next uint64) ([]vaxtrace.Event, error) {
			built = true
			return e.decideGroup(group, next), nil
		})
	if err != nil {
		// a write that failed before the group was validated (no
		// connection) left the state as the journal has it
		e.failLocked(group, err, built)
		return
	}
	e.pipeline.durable.Store(e.st.Seq)
	e.finish(group)
}

// decideGroup validates every command of group against the state, applies
// the accepted ones (sequence numbers from next) and returns their events.
// e.mu is held.
func (e *Engine) decideGroup(group []*request, next uint64) []vaxtrace.Event {
	n := 0
	for _, r := range group {
		n += len(r.cmds)
	}
	evs := make([]vaxtrace.Event, 0, n) // one allocation for the group's events
	now := e.now().UTC()
	var ev vaxtrace.Event
	for _, r := range group {
		for i := range r.cmds {
			c := &r.cmds[i]
			res := &r.res[i]
			dup, err := e.decide(c, now, &ev)
			if err != nil {
				res.Err = err
				// an atomic command takes back the one before it when that
				// was applied just now and can be undone (Command.Atomic)
				if c.Atomic && i > 0 && len(evs) > 0 && r.res[i-1].Err == nil && r.res[i-1].Seq == evs[len(evs)-1].Seq && e.st.Unapply(evs[len(evs)-1]) {
					evs, next = evs[:len(evs)-1], next-1
					r.res[i-1] = Result{Err: err}
				}
				continue
			}
			if dup {
				res.Duplicate = true
				if c.View != nil {
					res.View = c.View(e.st)
				}
				continue
			}
			ev.Seq = next
			next++
			e.st.Apply(ev)
			evs = append(evs, ev)
			res.Seq, res.Data = ev.Seq, ev.Data
			if c.View != nil {
				res.View = c.View(e.st)
			}
		}
	}
	return evs
}

// refuse answers every command of group with err.
func (e *Engine) refuse(group []*request, err error) {
	for _, r := range group {
		for i := range r.res {
			r.res[i] = Result{Err: err}
		}
		close(r.done)
	}
}

// finish acknowledges a committed group.
func (e *Engine) finish(group []*request) {
	e.Stats.Commits.Add(1)
	for _, r := range group {
		for i := range r.res {
			switch {
			case r.res[i].Err != nil:
				e.Stats.reject(vaxtrace.ErrorCode(r.res[i].Err))
			case r.res[i].Duplicate:
				e.Stats.Duplicates.Add(1)
			default:
				e.Stats.Applied.Add(1)
			}
		}
		close(r.done)
	}
}
