// Package engine runs vaxtrace: it keeps the derived State in memory, takes
// commands from any number of goroutines, validates them against the state,
// appends the resulting events to the Journal in group commits (many events,
// one transaction, one fsync) and only then acknowledges them.
package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"vaxtrace"
)

// Command is one change requested by a caller.
type Command struct {
	Key   string             // idempotency key; required
	Actor vaxtrace.Principal // who asks
	Data  vaxtrace.Payload
	// Recorded overrides the recording time (imports of historical data and
	// tests); zero means now.
	Recorded time.Time
	// View, if set, runs under the write lock right after the command is
	// applied (or found to be a duplicate) and its result is returned in
	// Result.View: a caller gets derived fields (a dose's number) without a
	// second trip through the lock.
	View func(s *vaxtrace.State) any
	// Atomic binds this command to the one just before it in the same
	// SubmitBatch: if this one is refused, the one before is taken back
	// when it was applied in this commit and can be undone (a person's
	// registration, see State.Unapply), so that an upload's record that
	// registers a person and gives a dose is all or nothing.
	Atomic bool

	// encoded by SubmitBatch in the caller's goroutine, off the writer's path
	raw    []byte
	hash   uint64
	encErr error
}

// Result is the outcome of one command.
type Result struct {
	Seq       uint64           `json:"seq,omitempty"`
	Duplicate bool             `json:"duplicate,omitempty"` // the same key and content were applied before: nothing changed
	Err       error            `json:"-"`
	Data      vaxtrace.Payload `json:"-"` // the decided payload (derived fields filled)
	View      any              `json:"-"` // what Command.View returned
}

// Stats counts what the engine did.
type Stats struct {
	Applied    atomic.Int64
	Rejected   atomic.Int64
	Duplicates atomic.Int64
	Commits    atomic.Int64
	Rejections sync.Map // code -> *atomic.Int64
}

func (s *Stats) reject(code string) {
	s.Rejected.Add(1)
	v, _ := s.Rejections.LoadOrStore(code, new(atomic.Int64))
	v.(*atomic.Int64).Add(1)
}

type request struct {
	cmds  []Command
	res   []Result
	done  chan struct{}
	batch bool
}

// Engine owns the state and the single writer.
type Engine struct {
	j     vaxtrace.Journal
	mu    sync.RWMutex
	st    *vaxtrace.State
	reqs  chan *request
	quit  chan struct{}
	wg    sync.WaitGroup
	now   func() time.Time
	log   *slog.Logger
	Stats Stats
	// MaxBatch bounds the events in one group commit.
	MaxBatch  int
	broken    atomic.Bool
	closeOnce sync.Once
}

// Options configure an engine.
type Options struct {
	Now      func() time.Time
	Logger   *slog.Logger
	MaxBatch int
	// Poll is how often the engine catches up with events written by other
	// nodes sharing the journal (0: never; a single node needs none).
	Poll time.Duration
}

// Open rebuilds the state from the journal and starts the writer.
func Open(ctx context.Context, j vaxtrace.Journal, o Options) (*Engine, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.MaxBatch == 0 {
		o.MaxBatch = 20000
	}
	e := &Engine{j: j, st: vaxtrace.NewState(), reqs: make(chan *request, 1024), quit: make(chan struct{}), now: o.Now, log: o.Logger, MaxBatch: o.MaxBatch}
	if err := j.Replay(ctx, 0, func(ev vaxtrace.Event) error { return e.st.ApplyJournaled(ev) }); err != nil {
		return nil, fmt.Errorf("rebuild state: %w", err)
	}
	e.wg.Add(1)
	go e.writer()
	if o.Poll > 0 {
		e.wg.Add(1)
		go e.poller(o.Poll)
	}
	return e, nil
}

// Close stops the writer after pending requests. It is safe to call twice.
func (e *Engine) Close() error {
	e.closeOnce.Do(func() { close(e.quit) })
	e.wg.Wait()
	return nil
}

// Err reports why the engine refuses writes (nil when healthy).
func (e *Engine) Err() error {
	if e.broken.Load() {
		return vaxtrace.Errorf(vaxtrace.EUNAVAILABLE, "the engine stopped after a storage failure; restart it")
	}
	return nil
}

// Journal returns the underlying journal.
func (e *Engine) Journal() vaxtrace.Journal { return e.j }

// Read runs fn with the state under a read lock. fn must not keep references
// past its return.
func (e *Engine) Read(fn func(s *vaxtrace.State)) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	fn(e.st)
}

// Submit applies one command and returns its result.
func (e *Engine) Submit(ctx context.Context, c Command) Result {
	return e.SubmitBatch(ctx, []Command{c})[0]
}

// SubmitBatch applies each command independently (each is all-or-nothing on
// its own) in one group commit, and returns one result per command.
func (e *Engine) SubmitBatch(ctx context.Context, cmds []Command) []Result {
	// encode and hash in the caller's goroutine: the single writer then
	// only decides, applies and appends
	for i := range cmds {
		c := &cmds[i]
		if c.Data != nil {
			c.raw, c.hash, c.encErr = vaxtrace.EncodeAndHash(c.Data)
		}
	}
	r := &request{cmds: cmds, res: make([]Result, len(cmds)), done: make(chan struct{})}
	if e.broken.Load() {
		for i := range r.res {
			r.res[i].Err = vaxtrace.Errorf(vaxtrace.EUNAVAILABLE, "the engine stopped after a storage failure; restart it")
		}
		return r.res
	}
	select {
	case e.reqs <- r:
	case <-ctx.Done():
		for i := range r.res {
			r.res[i].Err = ctx.Err()
		}
		return r.res
	case <-e.quit:
		for i := range r.res {
			r.res[i].Err = vaxtrace.Errorf(vaxtrace.EUNAVAILABLE, "shutting down")
		}
		return r.res
	}
	<-r.done // once queued, the writer always answers: an acknowledged write is durable
	return r.res
}

func (e *Engine) poller(every time.Duration) {
	defer e.wg.Done()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-e.quit:
			return
		case <-t.C:
			_ = e.CatchUp(context.Background())
		}
	}
}

// CatchUp applies events committed by other writers.
func (e *Engine) CatchUp(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	err := e.j.Replay(ctx, e.st.Seq, func(ev vaxtrace.Event) error { return e.st.ApplyJournaled(ev) })
	var damage *vaxtrace.JournalDamage
	if errors.As(err, &damage) {
		// the state may hold part of a bad event: refuse writes
		e.log.Error("damaged journal; refusing writes", "err", err)
		e.broken.Store(true)
	}
	return err
}

func (e *Engine) writer() {
	defer e.wg.Done()
	for {
		var first *request
		select {
		case first = <-e.reqs:
		case <-e.quit:
			// drain what was queued before quitting
			for {
				select {
				case r := <-e.reqs:
					e.commit([]*request{r})
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
		e.commit(group)
	}
}

func (e *Engine) commit(group []*request) {
	ctx := context.Background()
	e.mu.Lock()
	defer e.mu.Unlock()
	defer func() {
		for _, r := range group {
			close(r.done)
		}
	}()
	var applied []*Result
	err := e.j.Write(ctx, e.st.Seq,
		func(ev vaxtrace.Event) error { return e.st.ApplyJournaled(ev) },
		func(next uint64) ([]vaxtrace.Event, error) {
			var evs []vaxtrace.Event
			now := e.now().UTC()
			for _, r := range group {
				for i, c := range r.cmds {
					res := &r.res[i]
					ev, err := e.decide(c, now)
					if err != nil {
						res.Err = err
						if c.Atomic && i > 0 && len(evs) > 0 && r.res[i-1].Err == nil && r.res[i-1].Seq == evs[len(evs)-1].Seq && e.st.Unapply(evs[len(evs)-1]) {
							evs, applied, next = evs[:len(evs)-1], applied[:len(applied)-1], next-1
							r.res[i-1] = Result{Err: err}
						}
						continue
					}
					if ev == nil {
						res.Duplicate = true
						if c.View != nil {
							res.View = c.View(e.st)
						}
						continue
					}
					ev.Seq = next
					next++
					e.st.Apply(*ev)
					evs = append(evs, *ev)
					res.Seq, res.Data = ev.Seq, ev.Data
					if c.View != nil {
						res.View = c.View(e.st)
					}
					applied = append(applied, res)
				}
			}
			return evs, nil
		})
	if err != nil {
		// The state may hold events that were not committed: rebuild it
		// from the journal, and fail every command of the group.
		e.log.Error("journal write failed; rebuilding state", "err", err)
		for _, r := range group {
			for i := range r.res {
				if r.res[i].Err == nil && !r.res[i].Duplicate {
					r.res[i] = Result{Err: vaxtrace.Errorf(vaxtrace.EUNAVAILABLE, "storage failure: %v", err)}
				}
			}
		}
		st := vaxtrace.NewState()
		if rerr := e.j.Replay(ctx, 0, func(ev vaxtrace.Event) error { return st.ApplyJournaled(ev) }); rerr != nil {
			e.log.Error("rebuild failed; refusing writes", "err", rerr)
			e.broken.Store(true)
		}
		e.st = st
		return
	}
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
	}
}

// decide validates one command; it returns nil, nil for a duplicate.
func (e *Engine) decide(c Command, now time.Time) (*vaxtrace.Event, error) {
	if c.Data == nil {
		return nil, vaxtrace.Errorf(vaxtrace.EINVALID, "empty command")
	}
	if c.Key == "" {
		return nil, vaxtrace.FieldError("idempotency_key", "required")
	}
	if len(c.Key) > 200 {
		return nil, vaxtrace.FieldError("idempotency_key", "at most 200 characters")
	}
	if !utf8.ValidString(c.Key) || strings.ContainsRune(c.Key, 0) {
		return nil, vaxtrace.FieldError("idempotency_key", "must be valid UTF-8 text without NUL characters")
	}
	raw, h, err := c.raw, c.hash, c.encErr // encoded by SubmitBatch
	if err != nil {
		return nil, vaxtrace.Errorf(vaxtrace.EINVALID, "cannot encode %s: %v", c.Data.Kind(), err)
	}
	// scope first: a replay of another region's write is refused, not
	// answered "duplicate"
	if err := vaxtrace.Authorize(c.Actor, e.st, c.Data); err != nil {
		return nil, err
	}
	if seen, same := e.st.KeySeen(c.Key, h); seen {
		if same {
			return nil, nil
		}
		return nil, vaxtrace.KeyConflict(c.Key)
	}
	rec := now
	if !c.Recorded.IsZero() {
		if c.Recorded.After(now.Add(time.Minute)) {
			return nil, vaxtrace.FieldError("recorded", "lies in the future")
		}
		rec = c.Recorded.UTC()
	}
	d, err := e.st.Decide(c.Data, rec)
	if err != nil {
		return nil, err
	}
	ev := &vaxtrace.Event{Kind: c.Data.Kind(), Key: c.Key, Actor: c.Actor.Name, Recorded: rec, Hash: h, Data: d}
	if !vaxtrace.DerivesFields(ev.Kind) {
		ev.Raw = raw
	}
	return ev, nil
}

// Check folds the whole journal independently and compares it with the state.
func (e *Engine) Check(ctx context.Context) (vaxtrace.CheckReport, error) {
	if err := e.CatchUp(ctx); err != nil {
		return vaxtrace.CheckReport{}, err
	}
	c := vaxtrace.NewChecker()
	e.mu.RLock()
	defer e.mu.RUnlock()
	last := e.st.Seq
	err := e.j.Replay(ctx, 0, func(ev vaxtrace.Event) error {
		if ev.Seq > last {
			return errStop
		}
		c.Add(ev)
		return nil
	})
	if err != nil && !errors.Is(err, errStop) {
		return vaxtrace.CheckReport{}, err
	}
	return c.Compare(e.st), nil
}

var errStop = errors.New("stop")
