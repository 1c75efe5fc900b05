// Package journaltest is the conformance suite every vaxtrace.Journal must
// pass (SQLite in package sqlite, PostgreSQL in package postgres).
//
// Run checks the storage contract: ordering and replay, atomic and
// all-or-nothing writes, dense sequence numbers, catch-up of events written
// through another handle, serialisation of concurrent writers on several
// handles, exact round trips of every event field, large payloads, tokens
// and backups. RunEngine checks the same store under the engine: a small
// ledger with its reports, rejected input, the conservation check, and two
// engines on two handles racing for the same stock and the same people.
// BenchWrite and BenchReplay measure any journal the same way.
//
// A store is reached through an open function: open(t) returns a new handle
// on the store that belongs to test t. Calling it again with the same t
// opens another handle on the same store (as a second API node would); each
// test and subtest gets its own empty store. The suite closes the handles it
// opens; the open function removes the store in a t.Cleanup of its own.
// Opener builds such a function from "create a store" and "connect".
//
// Keys and actors the suite writes are valid UTF-8 without NUL bytes (what
// a text column accepts); several events may have an empty key, non-empty
// keys are never repeated (a store may enforce their uniqueness).
package journaltest

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"reflect"
	"strconv"
	"sync"
	"testing"
	"time"

	"vaxtrace"
)

// Opener returns an open function for Run and RunEngine. create makes a
// fresh, empty store for a test and returns its address (registering its
// removal with t.Cleanup); connect opens one handle on an address. The first
// open(t) creates the store of t, later calls with the same t connect again.
func Opener(create func(t testing.TB) string, connect func(addr string) (vaxtrace.Journal, error)) func(t *testing.T) vaxtrace.Journal {
	var mu sync.Mutex
	stores := map[testing.TB]string{}
	// addr returns t's store, creating it on first use. create may skip or
	// fail the test (runtime.Goexit): the deferred unlock matters.
	addr := func(t *testing.T) string {
		mu.Lock()
		defer mu.Unlock()
		a, ok := stores[t]
		if !ok {
			a = create(t)
			stores[t] = a
			t.Cleanup(func() {
				mu.Lock()
				delete(stores, t)
				mu.Unlock()
			})
		}
		return a
	}
	return func(t *testing.T) vaxtrace.Journal {
		t.Helper()
		a := addr(t)
		j, err := connect(a)
		if err != nil {
			t.Fatalf("open journal %s: %v", a, err)
		}
		return j
	}
}

// handle opens a journal through open and closes it when t ends.
func handle(t *testing.T, open func(t *testing.T) vaxtrace.Journal) vaxtrace.Journal {
	t.Helper()
	j := open(t)
	t.Cleanup(func() {
		if err := j.Close(); err != nil {
			t.Errorf("close journal: %v", err)
		}
	})
	return j
}

// Run runs the storage conformance suite; see the package comment for open.
func Run(t *testing.T, open func(t *testing.T) vaxtrace.Journal) {
	cases := []struct {
		name string
		fn   func(t *testing.T, open func(t *testing.T) vaxtrace.Journal)
	}{
		{"Empty", testEmpty},
		{"AppendReplay", testAppendReplay},
		{"RoundTrip", testRoundTrip},
		{"BuildError", testBuildError},
		{"BadSeq", testBadSeq},
		{"SeqContinuity", testSeqContinuity},
		{"BatchSizes", testBatchSizes},
		{"LargePayload", testLargePayload},
		{"CatchUp", testCatchUp},
		{"CatchUpError", testCatchUpError},
		{"ConcurrentHandles", testConcurrentHandles},
		{"ReplayStop", testReplayStop},
		{"Cancelled", testCancelled},
		{"Tokens", testTokens},
		{"Backup", testBackup},
		{"ChainLink", testChainLink},
		{"StoreID", testStoreID},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel() // every case has its own store
			c.fn(t, open)
		})
	}
}

// ---- helpers

var (
	baseTime = time.Date(2021, 3, 19, 10, 0, 0, 0, time.UTC)
	places   = []string{"pt-akm-001", "pt-akm-002", "pt-ala-017", "pt-ast-003"}
)

// personID derives a stable person id from a label.
func personID(label string) vaxtrace.PersonID {
	var p vaxtrace.PersonID
	h := sha256.Sum256([]byte(label))
	copy(p[:], h[:])
	return p
}

// DoseEvent returns a small dose-like event (the bulk of a real journal),
// without Seq. Benchmarks and tests use it.
func DoseEvent(i int, key string) vaxtrace.Event {
	at := baseTime.Add(time.Duration(i) * time.Second)
	return vaxtrace.Event{
		Kind:     vaxtrace.KindDoseAdministered,
		Key:      key,
		Actor:    "point-" + places[i%len(places)],
		Recorded: at.Add(90*time.Second + time.Duration(i%1000)),
		Hash:     uint64(i)*0x9E3779B97F4A7C15 + 1,
		Data: vaxtrace.DoseAdministered{
			ID:         "d-" + strconv.Itoa(i),
			Person:     personID("p" + strconv.Itoa(i)),
			At:         at,
			Place:      places[i%len(places)],
			Lot:        "EF" + strconv.Itoa(1000+i%50),
			Product:    "sputnik-v",
			Component:  "I",
			Vaccinator: "nurse-" + strconv.Itoa(i%40),
		},
	}
}

// writer appends through one handle and tracks what it has seen, as the
// engine does: catch-up must deliver exactly the events after its cursor,
// and build must then be asked for the very next sequence number.
type writer struct {
	j    vaxtrace.Journal
	seen uint64
	got  []vaxtrace.Event // events delivered by catch-up, if keep
	keep bool
}

// write appends evs (Seq is filled in) and returns them as written.
func (w *writer) write(ctx context.Context, evs ...vaxtrace.Event) ([]vaxtrace.Event, error) {
	var out []vaxtrace.Event
	seen := w.seen
	var caught []vaxtrace.Event
	err := w.j.Write(ctx, w.seen, func(ev vaxtrace.Event) error {
		if ev.Seq != seen+1 {
			return fmt.Errorf("catch-up delivered seq %d after %d", ev.Seq, seen)
		}
		seen = ev.Seq
		if w.keep {
			caught = append(caught, ev)
		}
		return nil
	}, func(next uint64) ([]vaxtrace.Event, error) {
		if next != seen+1 {
			return nil, fmt.Errorf("build called with next=%d, but catch-up ended at %d", next, seen)
		}
		out = make([]vaxtrace.Event, len(evs))
		for i, ev := range evs {
			ev.Seq = next + uint64(i)
			out[i] = ev
		}
		return out, nil
	})
	if err != nil {
		return nil, err
	}
	w.seen = seen + uint64(len(out))
	w.got = append(w.got, caught...)
	return out, nil
}

func mustWrite(t testing.TB, w *writer, evs ...vaxtrace.Event) []vaxtrace.Event {
	t.Helper()
	out, err := w.write(context.Background(), evs...)
	if err != nil {
		t.Fatalf("write: %v", err)
	}
	return out
}

func doses(from, n int, prefix string) []vaxtrace.Event {
	out := make([]vaxtrace.Event, n)
	for i := range out {
		out[i] = DoseEvent(from+i, prefix+strconv.Itoa(from+i))
	}
	return out
}

func replayAll(t testing.TB, j vaxtrace.Journal, after uint64) []vaxtrace.Event {
	t.Helper()
	var out []vaxtrace.Event
	if err := j.Replay(context.Background(), after, func(ev vaxtrace.Event) error {
		out = append(out, ev)
		return nil
	}); err != nil {
		t.Fatalf("replay after %d: %v", after, err)
	}
	return out
}

func last(t testing.TB, j vaxtrace.Journal) uint64 {
	t.Helper()
	n, err := j.Last(context.Background())
	if err != nil {
		t.Fatalf("last: %v", err)
	}
	return n
}

// diffEvent describes how got differs from want ("" if identical).
func diffEvent(got, want vaxtrace.Event) string {
	switch {
	case got.Seq != want.Seq:
		return fmt.Sprintf("seq %d, want %d", got.Seq, want.Seq)
	case got.Kind != want.Kind:
		return fmt.Sprintf("seq %d: kind %q, want %q", want.Seq, got.Kind, want.Kind)
	case got.Key != want.Key:
		return fmt.Sprintf("seq %d: key %q, want %q", want.Seq, got.Key, want.Key)
	case got.Actor != want.Actor:
		return fmt.Sprintf("seq %d: actor %q, want %q", want.Seq, got.Actor, want.Actor)
	case got.Recorded.UnixNano() != want.Recorded.UnixNano() || !got.Recorded.Equal(want.Recorded):
		return fmt.Sprintf("seq %d: recorded %s, want %s", want.Seq, got.Recorded.Format(time.RFC3339Nano), want.Recorded.Format(time.RFC3339Nano))
	case got.Hash != want.Hash:
		return fmt.Sprintf("seq %d: hash %#x, want %#x", want.Seq, got.Hash, want.Hash)
	case reflect.TypeOf(got.Data) != reflect.TypeOf(want.Data):
		return fmt.Sprintf("seq %d: data is %T, want %T", want.Seq, got.Data, want.Data)
	}
	gb, err1 := vaxtrace.EncodePayload(got.Data)
	wb, err2 := vaxtrace.EncodePayload(want.Data)
	if err1 != nil || err2 != nil {
		return fmt.Sprintf("seq %d: encode: %v %v", want.Seq, err1, err2)
	}
	if string(gb) != string(wb) {
		return fmt.Sprintf("seq %d: data differs:\n got %.300s\nwant %.300s", want.Seq, gb, wb)
	}
	if !reflect.DeepEqual(got.Data, want.Data) {
		return fmt.Sprintf("seq %d: data not deeply equal: %#v, want %#v", want.Seq, got.Data, want.Data)
	}
	return ""
}

func sameEvents(t testing.TB, got, want []vaxtrace.Event) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d events, want %d", len(got), len(want))
	}
	for i := range want {
		if d := diffEvent(got[i], want[i]); d != "" {
			t.Fatalf("event %d: %s", i, d)
		}
	}
}

// ---- cases

func testEmpty(t *testing.T, open func(t *testing.T) vaxtrace.Journal) {
	j := handle(t, open)
	if n := last(t, j); n != 0 {
		t.Fatalf("new store: Last = %d, want 0", n)
	}
	if evs := replayAll(t, j, 0); len(evs) != 0 {
		t.Fatalf("new store replayed %d events", len(evs))
	}
	called := false
	err := j.Write(context.Background(), 0, func(vaxtrace.Event) error {
		return errors.New("catch-up on an empty store")
	}, func(next uint64) ([]vaxtrace.Event, error) {
		called = true
		if next != 1 {
			return nil, fmt.Errorf("first next = %d, want 1", next)
		}
		return nil, nil
	})
	if err != nil || !called {
		t.Fatalf("empty write: err %v, build called %v", err, called)
	}
	if n := last(t, j); n != 0 {
		t.Fatalf("a write of nothing left Last = %d", n)
	}
}

func testAppendReplay(t *testing.T, open func(t *testing.T) vaxtrace.Journal) {
	j := handle(t, open)
	w := &writer{j: j}
	var all []vaxtrace.Event
	for _, n := range []int{1, 3, 2} {
		all = append(all, mustWrite(t, w, doses(len(all), n, "ar-")...)...)
	}
	if n := last(t, j); n != 6 {
		t.Fatalf("Last = %d, want 6", n)
	}
	sameEvents(t, replayAll(t, j, 0), all)
	sameEvents(t, replayAll(t, j, 2), all[2:])
	sameEvents(t, replayAll(t, j, 5), all[5:])
	if evs := replayAll(t, j, 6); len(evs) != 0 {
		t.Fatalf("replay after the last event gave %d events", len(evs))
	}
	if evs := replayAll(t, j, 1000); len(evs) != 0 {
		t.Fatalf("replay after 1000 gave %d events", len(evs))
	}
}

// roundTripEvents covers every field at its edges and a spread of payloads.
func roundTripEvents() []vaxtrace.Event {
	at := time.Date(2021, 3, 19, 10, 42, 7, 123456789, time.UTC)
	pid := personID("round-trip")
	other := personID("other")
	corrAt := at.Add(-time.Hour)
	payloads := []vaxtrace.Payload{
		vaxtrace.ProductDefined{Product: vaxtrace.Product{Code: "sputnik-v", Name: "Sputnik V «Гам-КОВИД-Вак»", Platform: "viral vector",
			Components: []vaxtrace.Component{{Code: "I", Name: "rAd26"}, {Code: "II", Name: "rAd5"}}, SeriesDoses: 2, IntervalDays: 21,
			Presentations: []vaxtrace.Presentation{{DosesPerVial: 1}, {DosesPerVial: 5}}, StorageMinC: -20.5, StorageMaxC: -18,
			OpenVialHours: 2.5, Codes: vaxtrace.ProductCodes{DCCProduct: "Sputnik-V", ICD11: "XM1AB1", CVX: "505"}, Disease: "COVID-19"}},
		vaxtrace.RegionDefined{Region: vaxtrace.Region{Code: "KZ-AKM", Type: "region", Names: map[string]string{"en": "Akmola", "kk": "Ақмола облысы", "ru": "Акмолинская область"}, Population: 736735, PopulationDate: vaxtrace.MkDate(2021, 1, 1)}},
		vaxtrace.PersonRegistered{Person: vaxtrace.Person{ID: pid, IINSealed: "v1:q83vEjRWeJA=", Family: "Нұрланқызы", Given: "Әлия 🌷", BirthDate: vaxtrace.MkDate(1961, 2, 28), Sex: vaxtrace.SexFemale, Region: "KZ-AKM", Group: "teacher"}},
		vaxtrace.DoseAdministered{ID: "dose-1", Person: pid, At: at, Place: "pt-akm-001", Lot: "II-0421", Product: "sputnik-v", Component: "II", Vaccinator: "Ж. Серікбаев", Override: "clinician: \"ok\" \\ <tab>\t"},
		vaxtrace.DoseCorrected{Dose: "dose-1", At: &corrAt, Person: &other, Reason: "typo"},
		vaxtrace.ShipmentDispatched{Shipment: "S-1", From: "nat", To: "reg", Occurred: at, Lines: []vaxtrace.ShipmentLine{{Lot: "A", Doses: 1 << 40}, {Lot: "B", Doses: 1}}},
		vaxtrace.ExcursionReported{Excursion: "X-1", Place: "pt", MinC: -3.25, MaxC: 12.75, Minutes: 95, Occurred: at, Lots: []string{"A", "B"}},
		vaxtrace.StockAdjusted{Place: "pt", Lot: "A", Delta: math.MinInt64 + 1, Reason: vaxtrace.ReasonWastage, Occurred: at},
		vaxtrace.TargetSet{Target: vaxtrace.Target{ID: "t60", Region: "KZ-AKM", From: vaxtrace.MkDate(2021, 2, 1), To: vaxtrace.MkDate(2021, 12, 31), Measure: vaxtrace.MeasureFull, Group: "60+", Value: 1 << 33}},
		vaxtrace.TallySubmitted{Place: "pt", Date: vaxtrace.MkDate(2021, 3, 19), Product: "qazvac", DoseNumber: 2, Count: 17, Reopen: true},
	}
	hashes := []uint64{0, 1, 1<<63 - 1, 1 << 63, 1<<63 + 1, math.MaxUint64, 0xDEADBEEFCAFEBABE}
	recs := []time.Time{
		at,
		time.Date(2021, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(1969, 12, 31, 23, 59, 59, 1, time.UTC), // negative Unix nanoseconds
		time.Date(2262, 4, 11, 0, 0, 0, 0, time.UTC),     // close to the int64 nanosecond limit
		time.Unix(0, 1).UTC(),
	}
	keys := []string{"k-simple", "k/with:punct?&=;'\"", "ключ-Ә-🙂", "", strconv.Itoa(1 << 62)}
	actors := []string{"admin", "point pt-akm-001", "Әкімшілік", "a\\b"}
	out := make([]vaxtrace.Event, len(payloads))
	for i, p := range payloads {
		key := keys[i%len(keys)]
		if key != "" {
			key += "-" + strconv.Itoa(i)
		}
		out[i] = vaxtrace.Event{Kind: p.Kind(), Key: key, Actor: actors[i%len(actors)], Recorded: recs[i%len(recs)], Hash: hashes[i%len(hashes)], Data: p}
	}
	return out
}

func testRoundTrip(t *testing.T, open func(t *testing.T) vaxtrace.Journal) {
	j := handle(t, open)
	w := &writer{j: j}
	evs := roundTripEvents()
	written := mustWrite(t, w, evs[:3]...)
	written = append(written, mustWrite(t, w, evs[3:]...)...)
	sameEvents(t, replayAll(t, j, 0), written)
	// and through a fresh handle
	sameEvents(t, replayAll(t, handle(t, open), 0), written)
}

var errBuild = errors.New("build refused")

func testBuildError(t *testing.T, open func(t *testing.T) vaxtrace.Journal) {
	j := handle(t, open)
	w := &writer{j: j}
	all := mustWrite(t, w, doses(0, 3, "be-")...)
	err := j.Write(context.Background(), w.seen, func(vaxtrace.Event) error { return nil }, func(next uint64) ([]vaxtrace.Event, error) {
		return nil, fmt.Errorf("while deciding: %w", errBuild)
	})
	if !errors.Is(err, errBuild) {
		t.Fatalf("Write returned %v, want build's error", err)
	}
	if n := last(t, j); n != 3 {
		t.Fatalf("after a failed build Last = %d, want 3", n)
	}
	// The journal stays writable and the failed write left no hole.
	all = append(all, mustWrite(t, w, doses(3, 2, "be-")...)...)
	sameEvents(t, replayAll(t, j, 0), all)
}

func testBadSeq(t *testing.T, open func(t *testing.T) vaxtrace.Journal) {
	j := handle(t, open)
	w := &writer{j: j}
	all := mustWrite(t, w, doses(0, 2, "bs-")...)
	for _, tc := range []struct {
		name string
		seqs func(next uint64) []uint64
	}{
		{"skips", func(next uint64) []uint64 { return []uint64{next + 1} }},
		{"reuses", func(next uint64) []uint64 { return []uint64{next - 1} }},
		{"gap in the middle", func(next uint64) []uint64 { return []uint64{next, next + 1, next + 3} }},
		{"gap at the end of a bulk batch", func(next uint64) []uint64 {
			s := make([]uint64, 200)
			for i := range s {
				s[i] = next + uint64(i)
			}
			s[199]++
			return s
		}},
	} {
		err := j.Write(context.Background(), w.seen, func(vaxtrace.Event) error { return nil }, func(next uint64) ([]vaxtrace.Event, error) {
			seqs := tc.seqs(next)
			evs := doses(100, len(seqs), "bad-"+tc.name+"-")
			for i := range evs {
				evs[i].Seq = seqs[i]
			}
			return evs, nil
		})
		if err == nil {
			t.Fatalf("%s: Write accepted events whose seqs are not consecutive from next", tc.name)
		}
		if n := last(t, j); n != 2 {
			t.Fatalf("%s: rejected write left Last = %d, want 2", tc.name, n)
		}
	}
	sameEvents(t, replayAll(t, j, 0), all)
}

func testSeqContinuity(t *testing.T, open func(t *testing.T) vaxtrace.Journal) {
	j := handle(t, open)
	w := &writer{j: j}
	r := rand.New(rand.NewPCG(1, 2))
	var all []vaxtrace.Event
	for i := 0; i < 25; i++ {
		before := last(t, j)
		n := 1 + r.IntN(5)
		got := mustWrite(t, w, doses(len(all), n, "sc-")...)
		if got[0].Seq != before+1 {
			t.Fatalf("write %d started at seq %d, Last was %d", i, got[0].Seq, before)
		}
		all = append(all, got...)
		if l := last(t, j); l != uint64(len(all)) {
			t.Fatalf("Last = %d after %d events", l, len(all))
		}
	}
	for i, ev := range replayAll(t, j, 0) {
		if ev.Seq != uint64(i+1) {
			t.Fatalf("event %d has seq %d", i, ev.Seq)
		}
	}
}

func testBatchSizes(t *testing.T, open func(t *testing.T) vaxtrace.Journal) {
	j := handle(t, open)
	w := &writer{j: j}
	var all []vaxtrace.Event
	// Around the usual small-batch/bulk thresholds (SQLite 64, PostgreSQL
	// CopyThreshold), and a replay spanning several replay pages.
	for _, n := range []int{1, 2, 63, 64, 65, 127, 500, 5000} {
		all = append(all, mustWrite(t, w, doses(len(all), n, "bz-")...)...)
	}
	sameEvents(t, replayAll(t, j, 0), all)
	sameEvents(t, replayAll(t, j, 4100), all[4100:])
}

func testLargePayload(t *testing.T, open func(t *testing.T) vaxtrace.Journal) {
	j := handle(t, open)
	w := &writer{j: j}
	lots := make([]string, 160_000) // about 4 MB of JSON
	for i := range lots {
		lots[i] = fmt.Sprintf("LOT-%06d-ӘҚҒ-%08x", i, uint32(i)*2654435761)
	}
	big := vaxtrace.Event{Kind: vaxtrace.KindExcursionReported, Key: "big", Actor: "admin", Recorded: baseTime, Hash: 1 << 63,
		Data: vaxtrace.ExcursionReported{Excursion: "X-big", Place: "nat", MinC: 9, MaxC: 31, Minutes: 600, Occurred: baseTime, Lots: lots}}
	if b, _ := vaxtrace.EncodePayload(big.Data); len(b) < 4<<20 {
		t.Fatalf("payload only %d bytes", len(b))
	}
	all := mustWrite(t, w, DoseEvent(0, "lp-0"), big, DoseEvent(1, "lp-1"))
	sameEvents(t, replayAll(t, j, 0), all)
}

func testCatchUp(t *testing.T, open func(t *testing.T) vaxtrace.Journal) {
	a := &writer{j: handle(t, open), keep: true}
	b := &writer{j: handle(t, open), keep: true}
	all := mustWrite(t, a, doses(0, 3, "cu-")...)
	all = append(all, mustWrite(t, b, doses(3, 2, "cu-")...)...)
	sameEvents(t, b.got, all[:3])
	all = append(all, mustWrite(t, a, doses(5, 1, "cu-")...)...)
	sameEvents(t, a.got, all[3:5])
	// a handle that is up to date gets no catch-up
	all = append(all, mustWrite(t, a, doses(6, 1, "cu-")...)...)
	sameEvents(t, a.got, all[3:5])
	// a third handle opened later catches up from zero
	c := &writer{j: handle(t, open), keep: true}
	all = append(all, mustWrite(t, c, doses(7, 1, "cu-")...)...)
	sameEvents(t, c.got, all[:7])
	for _, w := range []*writer{a, b, c} {
		sameEvents(t, replayAll(t, w.j, 0), all)
		if n := last(t, w.j); n != 8 {
			t.Fatalf("Last = %d, want 8", n)
		}
	}
}

func testCatchUpError(t *testing.T, open func(t *testing.T) vaxtrace.Journal) {
	a := &writer{j: handle(t, open)}
	b := handle(t, open)
	all := mustWrite(t, a, doses(0, 3, "ce-")...)
	errCatch := errors.New("catch-up refused")
	built := false
	err := b.Write(context.Background(), 0, func(ev vaxtrace.Event) error {
		if ev.Seq == 2 {
			return errCatch
		}
		return nil
	}, func(next uint64) ([]vaxtrace.Event, error) {
		built = true
		return doses(10, 1, "ce-never-"), nil
	})
	if !errors.Is(err, errCatch) {
		t.Fatalf("Write returned %v, want the catch-up error", err)
	}
	if built {
		t.Fatal("build ran after catch-up failed")
	}
	sameEvents(t, replayAll(t, b, 0), all)
}

// testConcurrentHandles runs goroutines on two handles that all append at
// once. Each goroutine checks that catch-up brings it exactly to the seq
// before the one it is asked to build, i.e. that no two writes overlapped.
func testConcurrentHandles(t *testing.T, open func(t *testing.T) vaxtrace.Journal) {
	const (
		handles   = 2
		perHandle = 4
		writes    = 20
	)
	js := make([]vaxtrace.Journal, handles)
	for i := range js {
		js[i] = handle(t, open)
	}
	type rec struct {
		seqs []uint64
		keys []string
	}
	recs := make([][]rec, handles*perHandle)
	errs := make(chan error, handles*perHandle)
	var wg sync.WaitGroup
	for g := 0; g < handles*perHandle; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			w := &writer{j: js[g%handles]}
			r := rand.New(rand.NewPCG(uint64(g), 7))
			for i := 0; i < writes; i++ {
				n := 1 + r.IntN(4)
				if i%7 == 3 {
					n = 150 // the bulk path
				}
				evs := make([]vaxtrace.Event, n)
				for k := range evs {
					evs[k] = DoseEvent(g*100000+i*1000+k, fmt.Sprintf("g%d-w%d-e%d", g, i, k))
				}
				out, err := w.write(context.Background(), evs...)
				if err != nil {
					errs <- fmt.Errorf("goroutine %d write %d: %w", g, i, err)
					return
				}
				var rc rec
				for _, ev := range out {
					rc.seqs = append(rc.seqs, ev.Seq)
					rc.keys = append(rc.keys, ev.Key)
				}
				recs[g] = append(recs[g], rc)
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		return
	}
	all := replayAll(t, js[0], 0)
	bySeq := map[uint64]string{}
	keys := map[string]uint64{}
	for i, ev := range all {
		if ev.Seq != uint64(i+1) {
			t.Fatalf("replayed event %d has seq %d: the journal is not dense", i, ev.Seq)
		}
		if s, dup := keys[ev.Key]; dup {
			t.Fatalf("key %s stored twice (seq %d and %d)", ev.Key, s, ev.Seq)
		}
		keys[ev.Key] = ev.Seq
		bySeq[ev.Seq] = ev.Key
	}
	total := 0
	for g, rs := range recs {
		for i, rc := range rs {
			for k, s := range rc.seqs {
				total++
				if k > 0 && s != rc.seqs[k-1]+1 {
					t.Fatalf("goroutine %d write %d was interleaved: seqs %v", g, i, rc.seqs)
				}
				if bySeq[s] != rc.keys[k] {
					t.Fatalf("seq %d holds %q, but goroutine %d wrote %q there", s, bySeq[s], g, rc.keys[k])
				}
			}
		}
	}
	if total != len(all) {
		t.Fatalf("goroutines wrote %d events, journal holds %d", total, len(all))
	}
	if n := last(t, js[1]); n != uint64(total) {
		t.Fatalf("Last = %d, want %d", n, total)
	}
}

func testReplayStop(t *testing.T, open func(t *testing.T) vaxtrace.Journal) {
	j := handle(t, open)
	mustWrite(t, &writer{j: j}, doses(0, 10, "rs-")...)
	stop := errors.New("stop here")
	var seen []uint64
	err := j.Replay(context.Background(), 0, func(ev vaxtrace.Event) error {
		seen = append(seen, ev.Seq)
		if ev.Seq == 3 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) {
		t.Fatalf("Replay returned %v, want the callback's error", err)
	}
	if !reflect.DeepEqual(seen, []uint64{1, 2, 3}) {
		t.Fatalf("callback saw %v after it failed", seen)
	}
	// the handle is still usable
	if n := len(replayAll(t, j, 0)); n != 10 {
		t.Fatalf("replay after a stopped replay gave %d events", n)
	}
}

func testCancelled(t *testing.T, open func(t *testing.T) vaxtrace.Journal) {
	j := handle(t, open)
	w := &writer{j: j}
	mustWrite(t, w, doses(0, 2, "cx-")...)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := w.write(ctx, doses(2, 1, "cx-")...); err == nil {
		t.Fatal("Write with a cancelled context succeeded")
	}
	if err := j.Replay(ctx, 0, func(vaxtrace.Event) error { return nil }); err == nil {
		t.Fatal("Replay with a cancelled context succeeded")
	}
	if n := last(t, j); n != 2 {
		t.Fatalf("Last = %d, want 2", n)
	}
	mustWrite(t, w, doses(2, 1, "cx-")...)
}

func code(err error) string { return vaxtrace.ErrorCode(err) }

func testTokens(t *testing.T, open func(t *testing.T) vaxtrace.Journal) {
	ctx := context.Background()
	j := handle(t, open)
	toks := []vaxtrace.Token{
		{Hash: "h-point", Principal: vaxtrace.Principal{Name: "pt-akm-001", Role: vaxtrace.RolePoint, Place: "pt-akm-001"}, Created: 1616148000},
		{Hash: "h-admin", Principal: vaxtrace.Principal{Name: "admin", Role: vaxtrace.RoleAdmin}, Created: 1616140000},
		{Hash: "h-region", Principal: vaxtrace.Principal{Name: "akmola", Role: vaxtrace.RoleRegion, Region: "KZ-AKM"}, Created: 1616149999},
	}
	for _, tk := range toks {
		if err := j.PutToken(ctx, tk); err != nil {
			t.Fatalf("put %s: %v", tk.Principal.Name, err)
		}
	}
	err := j.PutToken(ctx, vaxtrace.Token{Hash: "h-other", Principal: vaxtrace.Principal{Name: "admin", Role: vaxtrace.RoleAuditor}, Created: 1})
	if code(err) != vaxtrace.ECONFLICT {
		t.Fatalf("second token named admin: %v, want %s", err, vaxtrace.ECONFLICT)
	}
	for _, tk := range toks {
		got, err := j.TokenByHash(ctx, tk.Hash)
		if err != nil || got != tk {
			t.Fatalf("TokenByHash(%s) = %+v, %v; want %+v", tk.Hash, got, err, tk)
		}
	}
	if _, err := j.TokenByHash(ctx, "nope"); code(err) != vaxtrace.EUNAUTHORIZED {
		t.Fatalf("unknown hash: %v, want %s", err, vaxtrace.EUNAUTHORIZED)
	}
	if err := j.RevokeToken(ctx, "akmola"); err != nil {
		t.Fatalf("revoke: %v", err)
	}
	if _, err := j.TokenByHash(ctx, "h-region"); code(err) != vaxtrace.EUNAUTHORIZED {
		t.Fatalf("revoked token: %v, want %s", err, vaxtrace.EUNAUTHORIZED)
	}
	err = j.RevokeToken(ctx, "nobody")
	if code(err) != vaxtrace.ENOTFOUND || vaxtrace.ErrorField(err) != "name" {
		t.Fatalf("revoke unknown: %v, want %s on field name", err, vaxtrace.ENOTFOUND)
	}
	// listed by name, revoked flagged, through another handle too
	want := []vaxtrace.Token{toks[1], toks[2], toks[0]}
	want[1].Revoked = true
	for _, h := range []vaxtrace.Journal{j, handle(t, open)} {
		got, err := h.Tokens(ctx)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("Tokens = %+v, %v; want %+v", got, err, want)
		}
	}
	// tokens are not events
	if n := last(t, j); n != 0 {
		t.Fatalf("tokens changed Last to %d", n)
	}
}

func testBackup(t *testing.T, open func(t *testing.T) vaxtrace.Journal) {
	j := handle(t, open)
	mustWrite(t, &writer{j: j}, doses(0, 50, "bk-")...)
	if err := j.PutToken(context.Background(), vaxtrace.Token{Hash: "h", Principal: vaxtrace.Principal{Name: "admin", Role: vaxtrace.RoleAdmin}, Created: 1}); err != nil {
		t.Fatal(err)
	}
	path := t.TempDir() + "/backup"
	if err := j.Backup(context.Background(), path); err != nil {
		t.Fatalf("backup: %v", err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatalf("backup wrote nothing: %v", err)
	}
	if fi.Size() == 0 {
		t.Fatal("backup is empty")
	}
	// the store keeps working
	mustWrite(t, &writer{j: j, seen: 50}, doses(50, 1, "bk-")...)
}
