package engine_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"vaxtrace"
	"vaxtrace/engine"
	"vaxtrace/scenario"
)

// failOnce is a journal whose next Write fails after build has run, as a
// disk error at commit would: the engine has already applied the group to
// its state by then.
type failOnce struct {
	vaxtrace.Journal
	fail atomic.Bool
}

func (f *failOnce) Write(ctx context.Context, after uint64, catchUp func(vaxtrace.Event) error, build func(uint64) ([]vaxtrace.Event, error)) error {
	if !f.fail.Swap(false) {
		return f.Journal.Write(ctx, after, catchUp, build)
	}
	if _, err := build(after + 1); err != nil {
		return err
	}
	return errors.New("disk I/O error")
}

// TestFailedWriteIsNotAcknowledgedAndLeavesNoTrace: a commit that fails is
// answered with an error for every command of the group, and the state is
// rebuilt without the events that were decided but never written (stock
// back, the dose unknown, the same dose accepted when sent again).
func TestFailedWriteIsNotAcknowledgedAndLeavesNoTrace(t *testing.T) {
	eng, j := openTest(t)
	ctx := context.Background()
	p := register(t, eng, 1)
	eng.Close()
	fj := &failOnce{Journal: j}
	eng, err := engine.Open(ctx, fj, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	stock := func() (n int64) {
		eng.Read(func(s *vaxtrace.State) { n = s.Place(scenario.PointID(1)).Stock[s.Lot("FIX-I")] })
		return n
	}
	before := stock()
	c := engine.Command{Key: "dose:f1", Actor: scenario.Admin, Data: vaxtrace.DoseAdministered{ID: "f1", Person: p, At: at, Place: scenario.PointID(1), Lot: "FIX-I", Vaccinator: "n"}}
	fj.fail.Store(true)
	r := eng.Submit(ctx, c)
	if r.Err == nil || vaxtrace.ErrorCode(r.Err) != vaxtrace.EUNAVAILABLE {
		t.Fatalf("a write the journal failed was answered %+v, want an unavailable error", r)
	}
	var known bool
	eng.Read(func(s *vaxtrace.State) { known = s.Dose("f1") != nil })
	if known || stock() != before {
		t.Fatalf("after the failed write the state has the dose: %v, stock %d (was %d)", known, stock(), before)
	}
	if r := eng.Submit(ctx, c); r.Err != nil || r.Duplicate {
		t.Fatalf("the dose sent again after the failure: %+v, want it written", r)
	}
	if stock() != before-1 {
		t.Fatalf("stock %d after the dose, want %d", stock(), before-1)
	}
}
