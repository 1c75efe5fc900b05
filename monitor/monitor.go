// Package monitor turns temperature readings into what the ledger needs to
// know. Readings arrive from remote temperature monitoring devices (over
// MQTT, see package mqtt) or from 30-day recorder files (package templog);
// the monitor refuses impossible ones with a reason, stores the rest in
// batches in the store's readings tables (never as events), evaluates each
// device's alarm rule as its readings arrive (vaxtrace.DeviceMachine), and
// journals only the outcomes through the engine: alarm.opened with an
// excursion that quarantines exactly the lots in that equipment,
// alarm.cleared, and silent-device alarms.
package monitor

import (
	"context"
	"errors"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"vaxtrace"
	"vaxtrace/engine"
)

// Options configure a monitor.
type Options struct {
	Now    func() time.Time
	Logger *slog.Logger
	// FlushEvery and FlushSize bound how long and how many readings wait
	// before a batch is stored and its alarms journaled.
	FlushEvery time.Duration
	FlushSize  int
	// SilentAfter is how long a device may stay quiet before its silent
	// alarm opens; devices quiet for longer than SilentWithin (retired or
	// historical ones) are not alerted.
	SilentAfter  time.Duration
	SilentWithin time.Duration
	// Rebuild is how much stored history Start re-evaluates to resume each
	// device's rule where it stood (at least the longest alarm delay).
	Rebuild time.Duration
	// Actor is who the journal says raised the alarms.
	Actor vaxtrace.Principal
	// Backdate records alarm outcomes at the time of the reading that
	// caused them instead of now (loading historical data, the demo).
	Backdate bool
}

func (o *Options) defaults() {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.FlushEvery <= 0 {
		o.FlushEvery = 250 * time.Millisecond
	}
	if o.FlushSize <= 0 {
		o.FlushSize = 4000
	}
	if o.SilentAfter <= 0 {
		o.SilentAfter = time.Hour
	}
	if o.SilentWithin <= 0 {
		o.SilentWithin = 30 * 24 * time.Hour
	}
	if o.Rebuild <= 0 {
		o.Rebuild = 24 * time.Hour
	}
	if o.Actor.Name == "" {
		o.Actor = vaxtrace.Principal{Name: "monitor", Role: vaxtrace.RoleAdmin}
	}
}

// Stats counts what the monitor did.
type Stats struct {
	Received  atomic.Int64 // readings offered
	Stored    atomic.Int64 // new readings written
	Repeated  atomic.Int64 // readings the store already had
	Opened    atomic.Int64 // alarms journaled
	Cleared   atomic.Int64
	Failed    atomic.Int64 // outcomes the engine refused
	Flushes   atomic.Int64
	Pending   atomic.Int64 // readings waiting for the next flush
	refused   [6]atomic.Int64
	lastFlush atomic.Int64 // Unix nanoseconds
}

// Refused returns the count of readings refused for each reason.
func (s *Stats) Refused() map[string]int64 {
	out := map[string]int64{}
	for i, r := range vaxtrace.RefuseReasons {
		out[r] = s.refused[i].Load()
	}
	return out
}

func (s *Stats) refuse(reason string) {
	for i, r := range vaxtrace.RefuseReasons {
		if r == reason {
			s.refused[i].Add(1)
		}
	}
}

// LastFlush is when readings were last stored.
func (s *Stats) LastFlush() time.Time {
	if n := s.lastFlush.Load(); n > 0 {
		return time.Unix(0, n).UTC()
	}
	return time.Time{}
}

// device is what the monitor keeps per device.
type device struct {
	name      string
	equipment string
	place     string
	machine   vaxtrace.DeviceMachine
	last      time.Time // last accepted reading
	silent    string    // open silent alarm
}

// change is an alarm outcome waiting to be journaled.
type change struct {
	device, equipment string
	c                 vaxtrace.AlarmChange
	source            string
	line              int // file line (imports)
}

// Monitor evaluates readings. Ingest may be called from any goroutine.
type Monitor struct {
	eng   *engine.Engine
	store vaxtrace.ReadingStore
	opts  Options
	Stats Stats

	mu      sync.Mutex // devices, pending, changes
	devs    map[string]*device
	unknown map[string]time.Time // devices fitted to no equipment, until when not to ask again
	pending []vaxtrace.Reading
	changes []change
	kick    chan struct{}
	flushMu sync.Mutex // one flush at a time
}

// ErrNoReadingStore is returned when the journal keeps no readings.
var ErrNoReadingStore = errors.New("this store keeps no temperature readings")

// New returns a monitor over the engine's journal (which must store
// readings). It evaluates nothing until readings arrive; Start resumes the
// devices' rules from stored history and runs the flush and silent checks.
func New(eng *engine.Engine, o Options) (*Monitor, error) {
	store, ok := eng.Journal().(vaxtrace.ReadingStore)
	if !ok {
		return nil, ErrNoReadingStore
	}
	o.defaults()
	return &Monitor{eng: eng, store: store, opts: o, devs: map[string]*device{}, unknown: map[string]time.Time{}, kick: make(chan struct{}, 1)}, nil
}

// Store returns the readings store.
func (m *Monitor) Store() vaxtrace.ReadingStore { return m.store }

// lookup finds or creates a device's state; nil if no equipment carries it.
// Call with m.mu held.
func (m *Monitor) lookup(name string) *device {
	if d := m.devs[name]; d != nil {
		return d
	}
	now := time.Now()
	if until, ok := m.unknown[name]; ok && now.Before(until) {
		return nil // asked recently: a flood from a stray device costs no state lookups
	}
	var d *device
	m.eng.Read(func(s *vaxtrace.State) {
		eq := s.EquipmentByDevice(name)
		if eq == nil {
			return
		}
		d = &device{name: name, equipment: eq.ID, place: eq.Place, machine: vaxtrace.DeviceMachine{Rule: vaxtrace.AlarmRuleFor(&eq.Equipment)}}
		for _, a := range s.OpenAlarms(eq.ID) {
			if a.Device != name {
				continue
			}
			if a.AlarmKind == vaxtrace.AlarmSilent {
				d.silent = a.Alarm
			} else {
				d.machine.Restore(a.AlarmKind, a.Started, a.MinC, a.MaxC)
			}
		}
	})
	if d != nil {
		m.devs[name] = d
		delete(m.unknown, name)
	} else {
		if len(m.unknown) > 100_000 {
			clear(m.unknown)
		}
		m.unknown[name] = now.Add(unknownFor)
	}
	return d
}

// unknownFor is how long a device found on no equipment is not looked up
// again (fitting a device to equipment takes effect after at most this).
const unknownFor = 10 * time.Second

// refresh follows equipment changes: a device moved to other equipment, a
// new range (the rule follows it; an excursion in progress keeps its
// start), or a device removed.
func (m *Monitor) refresh() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.eng.Read(func(s *vaxtrace.State) {
		for name, d := range m.devs {
			eq := s.EquipmentByDevice(name)
			if eq == nil {
				delete(m.devs, name)
				continue
			}
			d.equipment, d.place = eq.ID, eq.Place
			d.machine.Rule = vaxtrace.AlarmRuleFor(&eq.Equipment)
		}
	})
}

// Ingest validates and evaluates readings of one device, in order. It
// returns the reason each was refused ("" = accepted). Accepted readings
// are stored at the next flush.
func (m *Monitor) Ingest(name string, rs []vaxtrace.Reading, source string) []string {
	now := m.opts.Now()
	out := make([]string, len(rs))
	m.Stats.Received.Add(int64(len(rs)))
	m.mu.Lock()
	d := m.lookup(name)
	for i, r := range rs {
		if d == nil {
			out[i] = vaxtrace.RefuseUnknownDevice
			m.Stats.refuse(out[i])
			continue
		}
		if reason, _ := vaxtrace.CheckReading(r.At, r.C, d.last, now); reason != "" {
			out[i] = reason
			m.Stats.refuse(reason)
			continue
		}
		r.Device = name
		m.pending = append(m.pending, r)
		m.accept(d, r.At, r.C, source)
	}
	n := len(m.pending)
	m.mu.Unlock()
	m.Stats.Pending.Store(int64(n))
	if n >= m.opts.FlushSize {
		select {
		case m.kick <- struct{}{}:
		default:
		}
	}
	return out
}

// accept feeds an accepted reading to the device's rule (m.mu held).
func (m *Monitor) accept(d *device, at time.Time, c float64, source string) {
	d.last = at
	if d.silent != "" {
		m.changes = append(m.changes, change{device: d.name, equipment: d.equipment, source: source,
			c: vaxtrace.AlarmChange{Kind: vaxtrace.AlarmSilent, Opened: false, At: at, MinC: c, MaxC: c}})
		d.silent = ""
	}
	var buf [2]vaxtrace.AlarmChange
	for _, ch := range d.machine.Feed(at, c, buf[:0]) {
		m.changes = append(m.changes, change{device: d.name, equipment: d.equipment, c: ch, source: source})
	}
}

// Start resumes every known device's rule from the stored readings of the
// last Options.Rebuild (journaling any outcome a crash kept from the
// journal), then flushes and checks for silent devices until ctx ends,
// with a last flush on the way out.
func (m *Monitor) Start(ctx context.Context) error {
	if err := m.resume(ctx); err != nil {
		return err
	}
	go m.loop(ctx)
	return nil
}

func (m *Monitor) resume(ctx context.Context) error {
	last, err := m.store.LastReadings(ctx)
	if err != nil {
		return err
	}
	names := make([]string, 0, len(last))
	for n := range last {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		lp := last[name]
		from := lp.Time().Add(-m.opts.Rebuild)
		// a fresh rule, replayed from before any alarm the journal holds
		// open, reproduces those alarms' starts (hence their ids)
		var d *device
		m.eng.Read(func(s *vaxtrace.State) {
			eq := s.EquipmentByDevice(name)
			if eq == nil {
				return
			}
			d = &device{name: name, equipment: eq.ID, place: eq.Place, machine: vaxtrace.DeviceMachine{Rule: vaxtrace.AlarmRuleFor(&eq.Equipment)}}
			for _, a := range s.OpenAlarms(eq.ID) {
				switch {
				case a.Device != name:
				case a.AlarmKind == vaxtrace.AlarmSilent:
					d.silent = a.Alarm
				case a.Started.Before(from):
					from = a.Started
				}
			}
		})
		if d == nil {
			continue
		}
		var pts []vaxtrace.Point
		if err := m.store.Readings(ctx, name, from, lp.Time().Add(time.Second), func(p vaxtrace.Point) error { pts = append(pts, p); return nil }); err != nil {
			return err
		}
		m.mu.Lock()
		silent := d.silent
		d.silent = "" // replayed readings do not clear a silence that followed them
		for _, p := range pts {
			m.accept(d, p.Time(), p.C(), "resume")
		}
		d.silent = silent
		m.devs[name] = d
		m.mu.Unlock()
	}
	// outcomes the journal already holds are skipped (alarm ids are
	// deterministic); the others were lost in a crash and are journaled now
	return m.Flush(ctx)
}

func (m *Monitor) loop(ctx context.Context) {
	flush := time.NewTicker(m.opts.FlushEvery)
	defer flush.Stop()
	silent := time.NewTicker(min(time.Minute, m.opts.SilentAfter/4))
	defer silent.Stop()
	refresh := time.NewTicker(5 * time.Second)
	defer refresh.Stop()
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			if err := m.Flush(fctx); err != nil {
				m.opts.Logger.Error("monitor: last flush", "err", err)
			}
			cancel()
			return
		case <-flush.C:
		case <-m.kick:
		case <-silent.C:
			m.CheckSilent()
		case <-refresh.C:
			m.refresh()
		}
		if err := m.Flush(ctx); err != nil {
			m.opts.Logger.Error("monitor: flush", "err", err)
		}
	}
}

// CheckSilent opens a silent alarm for every device that has not reported
// for Options.SilentAfter (but reported within Options.SilentWithin).
func (m *Monitor) CheckSilent() {
	now := m.opts.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, d := range m.devs {
		if d.silent != "" || d.last.IsZero() {
			continue
		}
		quiet := now.Sub(d.last)
		if quiet < m.opts.SilentAfter || quiet > m.opts.SilentWithin {
			continue
		}
		ch := vaxtrace.AlarmChange{Kind: vaxtrace.AlarmSilent, Opened: true, Started: d.last, At: now, MinC: d.machine.LastC, MaxC: d.machine.LastC, Minutes: int(quiet / time.Minute)}
		m.changes = append(m.changes, change{device: d.name, equipment: d.equipment, c: ch, source: "check"})
		d.silent = vaxtrace.AlarmID(d.name, vaxtrace.AlarmSilent, d.last)
	}
}

// maxPending bounds the readings kept when the store refuses writes.
const maxPending = 2_000_000

// Flush stores the pending readings, then journals the alarm outcomes they
// produced. Readings are stored before their alarms are journaled, so an
// alarm never refers to readings that are not there.
func (m *Monitor) Flush(ctx context.Context) error {
	m.flushMu.Lock()
	defer m.flushMu.Unlock()
	m.mu.Lock()
	batch, changes := m.pending, m.changes
	m.pending, m.changes = nil, nil
	m.mu.Unlock()
	if len(batch) > 0 {
		n, err := m.store.AppendReadings(ctx, batch)
		if err != nil {
			// keep them (and their outcomes) for the next flush
			m.mu.Lock()
			if len(batch)+len(m.pending) <= maxPending {
				m.pending = append(batch, m.pending...)
			}
			m.changes = append(changes, m.changes...)
			m.mu.Unlock()
			return err
		}
		m.Stats.Stored.Add(int64(n))
		m.Stats.Repeated.Add(int64(len(batch) - n))
	}
	m.Stats.Pending.Store(0)
	m.Stats.Flushes.Add(1)
	m.Stats.lastFlush.Store(m.opts.Now().UnixNano())
	if len(changes) > 0 {
		m.submit(ctx, changes)
	}
	return nil
}

// Outcome is what happened to one alarm change.
type Outcome struct {
	Alarm     string `json:"alarm"`
	Kind      string `json:"kind"`
	Opened    bool   `json:"opened"` // false: cleared
	Excursion string `json:"excursion,omitempty"`
	Lots      int    `json:"lots,omitempty"` // quarantined
	Existing  bool   `json:"existing,omitempty"`
	Error     string `json:"error,omitempty"`
}

func (m *Monitor) submit(ctx context.Context, changes []change) []Outcome {
	var cmds []engine.Command
	var outs []Outcome
	var idx [][]int // commands of each outcome
	m.eng.Read(func(s *vaxtrace.State) {
		batch := map[string]string{} // alarms opened earlier in this batch -> device
		for _, ch := range changes {
			o, cs := m.commands(s, ch, batch)
			first := len(cmds)
			cmds = append(cmds, cs...)
			var ix []int
			for i := first; i < len(cmds); i++ {
				ix = append(ix, i)
			}
			outs, idx = append(outs, o), append(idx, ix)
		}
	})
	if len(cmds) == 0 {
		return outs
	}
	res := m.eng.SubmitBatch(ctx, cmds)
	var retry []engine.Command
	var retryOf []int
	for k := range outs {
		var lotsErr error
		for _, i := range idx[k] {
			err := res[i].Err
			if err == nil {
				continue
			}
			if _, ok := cmds[i].Data.(vaxtrace.ExcursionReported); ok {
				lotsErr = err
				continue
			}
			if a, ok := cmds[i].Data.(vaxtrace.AlarmOpened); ok && a.Excursion != "" && lotsErr != nil {
				// the lots could not be quarantined (they moved since the
				// rule fired): open the alarm all the same and say why
				a.Note = "no lots quarantined: " + vaxtrace.ErrorMessage(lotsErr)
				a.Excursion = ""
				retry = append(retry, engine.Command{Key: cmds[i].Key, Actor: cmds[i].Actor, Data: a, Recorded: cmds[i].Recorded})
				retryOf = append(retryOf, k)
				continue
			}
			outs[k].Error = vaxtrace.ErrorMessage(err)
		}
	}
	if len(retry) > 0 {
		for j, r := range m.eng.SubmitBatch(ctx, retry) {
			k := retryOf[j]
			outs[k].Excursion, outs[k].Lots = "", 0
			if r.Err != nil {
				outs[k].Error = vaxtrace.ErrorMessage(r.Err)
			}
		}
	}
	for _, o := range outs {
		switch {
		case o.Error != "":
			m.Stats.Failed.Add(1)
			m.opts.Logger.Warn("monitor: alarm outcome refused", "alarm", o.Alarm, "err", o.Error)
		case o.Existing:
		case o.Opened:
			m.Stats.Opened.Add(1)
			m.opts.Logger.Info("monitor: alarm", "alarm", o.Alarm, "excursion", o.Excursion, "lots", o.Lots)
		default:
			m.Stats.Cleared.Add(1)
		}
	}
	return outs
}

// commands turns one alarm change into the commands that journal it.
func (m *Monitor) commands(s *vaxtrace.State, ch change, batch map[string]string) (Outcome, []engine.Command) {
	c := ch.c
	id := vaxtrace.AlarmID(ch.device, c.Kind, c.Started)
	if c.Kind == vaxtrace.AlarmSilent && !c.Opened {
		// a silent alarm is cleared by the next reading: find the open one
		id = ""
		for _, a := range s.OpenAlarms(ch.equipment) {
			if a.Device == ch.device && a.AlarmKind == vaxtrace.AlarmSilent {
				id = a.Alarm
			}
		}
		for a, dev := range batch {
			if dev == ch.device && strings.Contains(a, "-"+vaxtrace.AlarmSilent+"-") {
				id = a
			}
		}
		if id == "" {
			return Outcome{Kind: c.Kind, Existing: true}, nil
		}
	}
	out := Outcome{Alarm: id, Kind: c.Kind, Opened: c.Opened}
	var rec time.Time
	if m.opts.Backdate {
		rec = c.At
	}
	cmd := func(key string, p vaxtrace.Payload) engine.Command {
		return engine.Command{Key: key, Actor: m.opts.Actor, Data: p, Recorded: rec}
	}
	a := s.Alarm(id)
	_, justOpened := batch[id]
	if !c.Opened {
		if (a == nil || a.Cleared) && !justOpened {
			out.Existing = true
			return out, nil
		}
		delete(batch, id)
		return out, []engine.Command{cmd("alarm.clear:"+id, vaxtrace.AlarmCleared{Alarm: id, Ended: c.At, MinC: c.MinC, MaxC: c.MaxC, Minutes: c.Minutes})}
	}
	if a != nil || justOpened {
		out.Existing = true
		return out, nil
	}
	batch[id] = ch.device
	eq := s.Equipment(ch.equipment)
	if eq == nil {
		out.Error = "equipment " + ch.equipment + " no longer exists"
		return out, nil
	}
	open := vaxtrace.AlarmOpened{Alarm: id, Equipment: eq.ID, Device: ch.device, AlarmKind: c.Kind, Started: c.Started, Detected: c.At,
		MinC: c.MinC, MaxC: c.MaxC, Minutes: c.Minutes, Source: ch.source}
	rule := vaxtrace.AlarmRuleFor(&eq.Equipment)
	switch c.Kind {
	case vaxtrace.AlarmHeat:
		open.ThresholdC = rule.HeatAboveC
	case vaxtrace.AlarmCold:
		open.ThresholdC = rule.ColdAtOrBelowC
	}
	var cmds []engine.Command
	if c.Kind != vaxtrace.AlarmSilent {
		var lots []string
		for _, l := range s.LotsInEquipment(eq.ID) {
			if l.Held == "" { // already quarantined by another excursion
				lots = append(lots, l.Lot)
			}
		}
		if len(lots) > 0 {
			x := vaxtrace.ExcursionID(id)
			cmds = append(cmds, cmd("excursion:"+x, vaxtrace.ExcursionReported{Excursion: x, Place: eq.Place, MinC: c.MinC, MaxC: c.MaxC, Minutes: max(1, c.Minutes), Occurred: c.Started, Lots: lots}))
			open.Excursion = x
			out.Excursion, out.Lots = x, len(lots)
		}
	}
	cmds = append(cmds, cmd("alarm:"+id, open))
	return out, cmds
}
