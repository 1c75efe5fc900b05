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
	"vaxtrace/snapshot"
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

	// encoded and checked by SubmitBatch in the caller's goroutine, off
	// the writer's path
	raw     []byte
	hash    uint64
	encErr  error
	keyErr  error // checkCommand's answer
	textErr error // vaxtrace.CheckPayloadText's answer
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
	closeOnce sync.Once
	broken    atomic.Bool // a damaged journal: writes refused until restarted

	pipeline pipeline // group commits (commit.go)
	health   health   // storage outages and recovery (health.go)
	readOnly bool
	// snapshots is Options.Snapshots: rebuilds start from a snapshot too.
	snapshots string
	// loadedFrom is the seq of the snapshot the state was loaded from at
	// open (0: the whole journal was replayed).
	loadedFrom uint64
}

// LoadedFrom returns the sequence number of the snapshot the state was
// loaded from when the engine opened, or 0 when no snapshot was usable and
// the whole journal was replayed.
func (e *Engine) LoadedFrom() uint64 { return e.loadedFrom }

// Options configure an engine.
type Options struct {
	Now      func() time.Time
	Logger   *slog.Logger
	MaxBatch int
	// Poll is how often the engine catches up with events written by other
	// nodes sharing the journal (0: never; a single node needs none).
	Poll time.Duration
	// Serial turns off pipelined group commits: each group is validated
	// inside its own write transaction, after catching up with other
	// writers. Nodes sharing a PostgreSQL journal with other writers use
	// it; without it a group decided while another node committed is
	// decided again after a rebuild (see commit.go).
	Serial bool
	// ReadOnly refuses every write (EUNAVAILABLE) and only catches up with
	// the journal; a journal that reports ReadOnly() (a PostgreSQL hot
	// standby) makes the engine read-only too.
	ReadOnly bool
	// RetryMin and RetryMax bound the exponential backoff between attempts
	// to reconnect and rebuild after a storage failure (default 100 ms, 10 s).
	RetryMin, RetryMax time.Duration
	// Snapshots is the directory of the state's snapshots (package
	// snapshot): the state starts from the newest usable one and replays
	// only the journal's tail, and so does a rebuild after a storage
	// failure. Empty: every start replays the whole journal.
	Snapshots string
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
	e := &Engine{j: j, reqs: make(chan *request, 1024), quit: make(chan struct{}), now: o.Now, log: o.Logger, MaxBatch: o.MaxBatch, snapshots: o.Snapshots}
	st, start, err := snapshot.Restore(ctx, j, o.Snapshots, !o.ReadOnly, o.Logger)
	if err != nil {
		return nil, fmt.Errorf("rebuild state: %w", err)
	}
	e.st, e.loadedFrom = st, start.From
	if o.Snapshots != "" {
		if start.Path != "" {
			e.log.Info("state loaded from a snapshot and the journal's tail", "snapshot", start.Path, "snapshot_seq", start.From, "tail_events", start.Tail, "seq", st.Seq, "took", start.Took.Round(time.Millisecond))
		} else {
			e.log.Info("no usable snapshot: state rebuilt from the whole journal", "dir", o.Snapshots, "events", st.Seq, "took", start.Took.Round(time.Millisecond))
		}
	}
	e.start(o)
	return e, nil
}

// start sets up the writer, the committer and the poller once the state is
// loaded.
func (e *Engine) start(o Options) {
	e.readOnly = o.ReadOnly
	if ro, ok := e.j.(interface{ ReadOnly() bool }); ok && ro.ReadOnly() {
		e.readOnly = true
	}
	e.health.init(o.RetryMin, o.RetryMax)
	e.pipeline.init(o.Serial)
	e.pipeline.durable.Store(e.st.Seq)
	if !e.readOnly {
		e.wg.Add(2)
		go e.writer()
		go e.committer()
	}
	if o.Poll > 0 {
		e.wg.Add(1)
		go e.poller(o.Poll)
	}
}

// Close stops the writer after pending requests. It is safe to call twice.
func (e *Engine) Close() error {
	e.closeOnce.Do(func() { close(e.quit) })
	e.wg.Wait()
	return nil
}

// Err reports why the engine refuses writes (nil when healthy): a storage
// outage it is recovering from (EUNAVAILABLE; RetryAfter says when to try
// again) or a read-only node.
func (e *Engine) Err() error {
	if e.broken.Load() {
		return vaxtrace.Errorf(vaxtrace.EUNAVAILABLE, "the engine stopped after a storage failure; restart it")
	}
	if err := e.health.err(); err != nil {
		return err
	}
	if e.readOnly {
		return ErrReadOnly
	}
	return nil
}

// ErrReadOnly refuses writes on a read-only node.
var ErrReadOnly = vaxtrace.Errorf(vaxtrace.EUNAVAILABLE, "this node is read-only; send writes to a writer node")

// ReadOnly reports whether the node refuses every write (serve --read-only
// or a PostgreSQL hot standby).
func (e *Engine) ReadOnly() bool { return e.readOnly }

// Seq is the journal sequence number the in-memory state reflects.
func (e *Engine) Seq() uint64 {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.st.Seq
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
		c.keyErr = checkCommand(c)
		if c.Data != nil {
			c.raw, c.hash, c.encErr = vaxtrace.EncodeAndHash(c.Data)
			c.textErr = vaxtrace.CheckPayloadText(c.Data)
		}
	}
	r := &request{cmds: cmds, res: make([]Result, len(cmds)), done: make(chan struct{})}
	if err := e.Err(); err != nil {
		for i := range r.res {
			r.res[i].Err = err
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
			if e.health.down() {
				continue // the recovery loop catches up
			}
			if err := e.CatchUp(context.Background()); err != nil {
				e.markDown(err, false)
			}
		}
	}
}

// CatchUp applies events committed by other writers. It does nothing while
// this node's own pipelined groups are waiting for their commit: their
// commit catches up (and meets any conflict) itself.
func (e *Engine) CatchUp(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.st.Seq != e.pipeline.durable.Load() {
		return nil
	}
	err := e.j.Replay(ctx, e.st.Seq, func(ev vaxtrace.Event) error { return e.st.ApplyJournaled(ev) })
	e.pipeline.durable.Store(e.st.Seq) // a failed replay still applied a prefix, in order
	e.noteDamage(err)
	return err
}

// noteDamage stops writes for good when err reports a damaged journal: the
// state may hold part of a bad event, and no retry can repair the journal.
func (e *Engine) noteDamage(err error) {
	var damage *vaxtrace.JournalDamage
	if errors.As(err, &damage) && !e.broken.Swap(true) {
		e.log.Error("damaged journal; refusing writes", "err", err)
	}
}

// decide validates one command into ev, which it fills; it reports a
// duplicate (nothing to apply) with dup. The event is the caller's: no
// allocation per command.
func (e *Engine) decide(c *Command, now time.Time, ev *vaxtrace.Event) (dup bool, err error) {
	if c.keyErr != nil { // checked by SubmitBatch
		return false, c.keyErr
	}
	raw, h, err := c.raw, c.hash, c.encErr // encoded by SubmitBatch
	if err != nil {
		return false, vaxtrace.Errorf(vaxtrace.EINVALID, "cannot encode %s: %v", c.Data.Kind(), err)
	}
	// scope first: a replay of another region's write is refused, not
	// answered "duplicate"
	if err := vaxtrace.Authorize(c.Actor, e.st, c.Data); err != nil {
		return false, err
	}
	if seen, same := e.st.KeySeen(c.Key, h); seen {
		if same {
			return true, nil
		}
		return false, vaxtrace.KeyConflict(c.Key)
	}
	rec := now
	if !c.Recorded.IsZero() {
		if c.Recorded.After(now.Add(time.Minute)) {
			return false, vaxtrace.FieldError("recorded", "lies in the future")
		}
		rec = c.Recorded.UTC()
	}
	d, err := e.st.DecideChecked(c.Data, rec, c.textErr)
	if err != nil {
		return false, err
	}
	*ev = vaxtrace.Event{Kind: c.Data.Kind(), Key: c.Key, Actor: c.Actor.Name, Recorded: rec, Hash: h, Data: d}
	if !vaxtrace.DerivesFields(ev.Kind) {
		ev.Raw = raw
	}
	return false, nil
}

// checkCommand checks what of a command needs no state: a payload and a
// usable idempotency key.
func checkCommand(c *Command) error {
	if c.Data == nil {
		return vaxtrace.Errorf(vaxtrace.EINVALID, "empty command")
	}
	if c.Key == "" {
		return vaxtrace.FieldError("idempotency_key", "required")
	}
	if len(c.Key) > 200 {
		return vaxtrace.FieldError("idempotency_key", "at most 200 characters")
	}
	if !utf8.ValidString(c.Key) || strings.ContainsRune(c.Key, 0) {
		return vaxtrace.FieldError("idempotency_key", "must be valid UTF-8 text without NUL characters")
	}
	return nil
}

// Check folds the whole journal independently and compares it with the state.
func (e *Engine) Check(ctx context.Context) (vaxtrace.CheckReport, error) {
	if err := e.CatchUp(ctx); err != nil {
		return vaxtrace.CheckReport{}, err
	}
	c := vaxtrace.NewChecker()
	// compare a state holding only committed events: wait out the group
	// commit in flight, if any
	e.mu.RLock()
	for e.st.Seq != e.pipeline.durable.Load() {
		e.mu.RUnlock()
		if err := e.ReadErr(); err != nil {
			return vaxtrace.CheckReport{}, err
		}
		select {
		case <-ctx.Done():
			return vaxtrace.CheckReport{}, ctx.Err()
		case <-time.After(time.Millisecond):
		}
		e.mu.RLock()
	}
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
