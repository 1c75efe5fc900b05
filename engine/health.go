package engine

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"vaxtrace"
	"vaxtrace/snapshot"
)

// A storage outage (a failed journal write, a lost PostgreSQL connection, a
// full disk) puts the engine down: writes are refused with EUNAVAILABLE and
// RetryAfter, the state is left as it was (never replaced by an empty or
// partial one), and a recovery loop retries with capped exponential backoff.
// After a failed write the state may hold events that were never committed
// ("tainted"): the loop rebuilds it whole from the journal into a new State
// and swaps it in. After a failed catch-up (a reader, an idle writer) the
// state holds only committed events and the loop replays the tail it lacks.
// Only then does the engine accept writes again.
type health struct {
	mu         sync.Mutex
	isDown     bool
	tainted    bool
	since      time.Time
	cause      error
	delay      time.Duration // the current backoff
	recovering bool
	min, max   time.Duration
}

func (h *health) init(min, max time.Duration) {
	if min <= 0 {
		min = 100 * time.Millisecond
	}
	if max <= 0 {
		max = 10 * time.Second
	}
	h.min, h.max = min, max
}

func (h *health) down() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.isDown
}

func (h *health) err() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.isDown {
		return nil
	}
	return fmt.Errorf("%w: %w", vaxtrace.Errorf(vaxtrace.EUNAVAILABLE, "storage unavailable since %s; reconnecting", h.since.UTC().Format(time.RFC3339)), h.cause)
}

// RetryAfter is how long a refused writer should wait before trying again
// (at least a second; zero when the engine is up).
func (e *Engine) RetryAfter() time.Duration {
	h := &e.health
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.isDown {
		return 0
	}
	return max(time.Second, h.delay)
}

// Down reports whether the engine is recovering from a storage outage, and
// since when. Its state then reflects the journal as of the outage.
func (e *Engine) Down() (bool, time.Time) {
	h := &e.health
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.isDown, h.since
}

// ReadErr is non-nil while the state must not be read: after a failed write
// whose events (or groups validated on them) are still in memory, until the
// recovery loop has rebuilt it from the journal. During an outage that
// left the state as the journal has it (a lost connection before a write,
// a failed catch-up) reads are served from the last state: Down says since
// when it is stale.
func (e *Engine) ReadErr() error {
	h := &e.health
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.isDown && h.tainted {
		return vaxtrace.Errorf(vaxtrace.EUNAVAILABLE, "the state is being rebuilt from the journal after a failed write")
	}
	return nil
}

// unavailable answers a write refused because of a failed commit.
func (e *Engine) unavailable() error {
	return vaxtrace.Errorf(vaxtrace.EUNAVAILABLE, "storage failure: the write was not recorded; retry later")
}

// markDown puts the engine down and starts the recovery loop. tainted says
// the state may hold events that were not committed.
func (e *Engine) markDown(err error, tainted bool) {
	h := &e.health
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.isDown {
		h.isDown, h.since, h.cause, h.delay = true, e.now(), err, h.min
		e.log.Error("storage unavailable; refusing writes and reconnecting", "err", err, "rebuild", tainted)
	}
	h.tainted = h.tainted || tainted
	if !h.recovering {
		h.recovering = true
		e.wg.Add(1)
		go e.recoverLoop()
	}
}

// markDownLocked is markDown called with e.mu held (a failed commit): any
// group validated after it sees the engine down.
func (e *Engine) markDownLocked(err error, tainted bool) { e.markDown(err, tainted) }

func (e *Engine) recoverLoop() {
	defer e.wg.Done()
	h := &e.health
	for {
		err := e.recover(context.Background())
		h.mu.Lock()
		if err == nil {
			e.log.Info("storage reachable again; state rebuilt, accepting writes", "down_for", e.now().Sub(h.since).Round(time.Millisecond), "seq", e.pipeline.durable.Load())
			h.isDown, h.tainted, h.recovering, h.cause = false, false, false, nil
			h.mu.Unlock()
			return
		}
		delay := h.delay
		h.delay = min(2*h.delay, h.max)
		h.mu.Unlock()
		e.log.Warn("storage still unavailable", "err", err, "retry_in", delay)
		t := time.NewTimer(delay)
		select {
		case <-e.quit:
			t.Stop()
			h.mu.Lock()
			h.recovering = false
			h.mu.Unlock()
			return
		case <-t.C:
		}
	}
}

// recover brings the state back to exactly what the journal holds: a full
// rebuild into a new State when it may hold uncommitted events (the old one
// keeps serving reads meanwhile), else the missing tail.
func (e *Engine) recover(ctx context.Context) error {
	e.health.mu.Lock()
	tainted := e.health.tainted
	e.health.mu.Unlock()
	if !tainted {
		e.mu.Lock()
		defer e.mu.Unlock()
		if e.st.Seq != e.pipeline.durable.Load() {
			// a group validated before the outage is still being committed
			return errors.New("a group commit is still in flight")
		}
		if err := e.j.Replay(ctx, e.st.Seq, func(ev vaxtrace.Event) error { return e.st.ApplyJournaled(ev) }); err != nil {
			e.noteDamage(err)
			return err
		}
		e.pipeline.durable.Store(e.st.Seq)
		return nil
	}
	st, err := e.loadState(ctx)
	if err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	// events committed (by other writers) while the new state was loading
	if err := e.j.Replay(ctx, st.Seq, func(ev vaxtrace.Event) error { return st.ApplyJournaled(ev) }); err != nil {
		e.noteDamage(err)
		return err
	}
	e.st = st
	e.pipeline.durable.Store(st.Seq)
	return nil
}

// rebuildLocked replaces the state with one rebuilt from the journal; on
// failure the engine goes down (tainted). e.mu is held.
func (e *Engine) rebuildLocked(ctx context.Context) error {
	st, err := e.loadState(ctx)
	if err != nil {
		return err
	}
	e.st = st
	e.pipeline.durable.Store(st.Seq)
	return nil
}

// loadState builds a new State from the newest usable snapshot and the
// journal's tail, or from the whole journal. It is complete or an error: a
// partial state is never returned.
func (e *Engine) loadState(ctx context.Context) (*vaxtrace.State, error) {
	st, _, err := snapshot.Restore(ctx, e.j, e.snapshots, false, e.log)
	if err != nil {
		e.noteDamage(err)
		return nil, err
	}
	return st, nil
}
