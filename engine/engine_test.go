package engine_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"vaxtrace"
	"vaxtrace/engine"
	"vaxtrace/scenario"
	"vaxtrace/sqlite"
)

func openTest(t *testing.T) (*engine.Engine, *sqlite.DB) {
	t.Helper()
	j, err := sqlite.Open(filepath.Join(t.TempDir(), "e.db"))
	if err != nil {
		t.Fatal(err)
	}
	eng, err := engine.Open(context.Background(), j, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close(); j.Close() })
	if err := scenario.Minimal(context.Background(), eng, 2, 1000); err != nil {
		t.Fatal(err)
	}
	return eng, j
}

var at = time.Date(2021, 3, 1, 5, 0, 0, 0, time.UTC)

func register(t *testing.T, eng *engine.Engine, n int) vaxtrace.PersonID {
	t.Helper()
	id := pidOf(n)
	r := eng.Submit(context.Background(), engine.Command{Key: fmt.Sprint("person:", n), Actor: scenario.Admin, Recorded: at, Data: vaxtrace.PersonRegistered{Person: vaxtrace.Person{ID: id, Family: "F", BirthDate: vaxtrace.MkDate(1980, 1, 1), Sex: "F", Region: "KZ-AKM"}}})
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	return id
}

func TestReplayIsIdempotentAndConflictsAreRefused(t *testing.T) {
	eng, j := openTest(t)
	ctx := context.Background()
	p := register(t, eng, 1)
	d := vaxtrace.DoseAdministered{ID: "x1", Person: p, At: at, Place: scenario.PointID(1), Lot: "FIX-I", Vaccinator: "n"}
	c := engine.Command{Key: "dose:x1", Actor: scenario.Admin, Data: d}
	r1 := eng.Submit(ctx, c)
	if r1.Err != nil || r1.Duplicate {
		t.Fatalf("first: %+v", r1)
	}
	last, _ := j.Last(ctx)
	r2 := eng.Submit(ctx, c)
	if r2.Err != nil || !r2.Duplicate {
		t.Fatalf("replay: %+v", r2)
	}
	if l, _ := j.Last(ctx); l != last {
		t.Fatal("replay wrote an event")
	}
	d.Lot = "FIX-II"
	r3 := eng.Submit(ctx, engine.Command{Key: "dose:x1", Actor: scenario.Admin, Data: d})
	if vaxtrace.ErrorCode(r3.Err) != vaxtrace.ECONFLICT {
		t.Fatalf("same key, other content: %v", r3.Err)
	}
	// the same dose id under another key is refused too
	r4 := eng.Submit(ctx, engine.Command{Key: "other", Actor: scenario.Admin, Data: d})
	if vaxtrace.ErrorCode(r4.Err) != vaxtrace.ECONFLICT {
		t.Fatalf("reused dose id: %v", r4.Err)
	}
	// a rebuilt engine still knows the key
	eng.Close()
	eng2, err := engine.Open(ctx, j, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer eng2.Close()
	if r := eng2.Submit(ctx, c); r.Err != nil || !r.Duplicate {
		t.Fatalf("replay after rebuild: %+v", r)
	}
}

func TestConcurrentWritersNeverOversell(t *testing.T) {
	eng, _ := openTest(t) // 1000 doses of each component per point
	ctx := context.Background()
	const people = 1300
	ids := make([]vaxtrace.PersonID, people)
	for i := range ids {
		ids[i] = register(t, eng, 100+i)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	accepted := 0
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < people; i += 8 {
				r := eng.Submit(ctx, engine.Command{Key: fmt.Sprint("dose:c", i), Actor: scenario.Admin, Data: vaxtrace.DoseAdministered{ID: fmt.Sprint("c", i), Person: ids[i], At: at, Place: scenario.PointID(1), Lot: "FIX-I", Vaccinator: "n"}})
				if r.Err == nil {
					mu.Lock()
					accepted++
					mu.Unlock()
				} else if vaxtrace.ErrorField(r.Err) != "lot" {
					t.Errorf("unexpected: %v", r.Err)
				}
			}
		}(w)
	}
	wg.Wait()
	if accepted != 1000 {
		t.Fatalf("accepted %d doses from a point holding 1000", accepted)
	}
	rep, err := eng.Check(ctx)
	if err != nil || !rep.OK() {
		t.Fatalf("check: %v %v", err, rep.Breaches)
	}
}

func TestRejectedCommandWritesNothing(t *testing.T) {
	eng, j := openTest(t)
	ctx := context.Background()
	last, _ := j.Last(ctx)
	res := eng.SubmitBatch(ctx, []engine.Command{
		{Key: "bad1", Actor: scenario.Admin, Data: vaxtrace.ShipmentDispatched{Shipment: "S", From: "NW", To: "RW-AKM", Occurred: at, Lines: []vaxtrace.ShipmentLine{{Lot: "FIX-I", Doses: -1}}}},
		{Key: "bad2", Actor: vaxtrace.Principal{Name: "a", Role: vaxtrace.RoleAuditor}, Data: vaxtrace.LotReleased{Lot: "FIX-I"}},
		{Key: "", Actor: scenario.Admin, Data: vaxtrace.LotReleased{Lot: "FIX-I"}},
	})
	want := []string{vaxtrace.EINVALID, vaxtrace.EFORBIDDEN, vaxtrace.EINVALID}
	for i, r := range res {
		if vaxtrace.ErrorCode(r.Err) != want[i] {
			t.Errorf("command %d: %v, want %s", i, r.Err, want[i])
		}
	}
	if l, _ := j.Last(ctx); l != last {
		t.Fatal("rejected commands wrote events")
	}
}

func TestBadKeyIsRefusedAlone(t *testing.T) {
	eng, _ := openTest(t)
	ctx := context.Background()
	res := eng.SubmitBatch(ctx, []engine.Command{
		{Key: "bad\x00key", Actor: scenario.Admin, Data: vaxtrace.LotSuspended{Lot: "FIX-I", Reason: "x"}},
		{Key: "bad\xffkey", Actor: scenario.Admin, Data: vaxtrace.LotSuspended{Lot: "FIX-I", Reason: "x"}},
		{Key: "good", Actor: scenario.Admin, Data: vaxtrace.LotSuspended{Lot: "FIX-I", Reason: "x"}},
	})
	for i := 0; i < 2; i++ {
		if vaxtrace.ErrorField(res[i].Err) != "idempotency_key" {
			t.Fatalf("command %d: %v", i, res[i].Err)
		}
	}
	if res[2].Err != nil {
		t.Fatalf("a good command failed with the bad ones: %v", res[2].Err)
	}
}
