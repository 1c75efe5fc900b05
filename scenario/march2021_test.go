package scenario_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"vaxtrace"
	"vaxtrace/engine"
	"vaxtrace/pii"
	"vaxtrace/scenario"
	"vaxtrace/sqlite"
)

func testKeys(t *testing.T) *pii.Keys {
	t.Helper()
	secret := make([]byte, 64)
	for i := range secret {
		secret[i] = byte(i)
	}
	k, err := pii.New(secret)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestMarch2021(t *testing.T) {
	if testing.Short() {
		t.Skip("loads ~230,000 events")
	}
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "march.db")
	j, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	eng, err := engine.Open(ctx, j, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := scenario.March2021(ctx, eng, testKeys(t), scenario.DefaultOptions()); err != nil {
		t.Fatal(err)
	}
	t.Logf("scenario loaded in %s", time.Since(start))
	eng.Read(func(s *vaxtrace.State) {
		day := scenario.ReportDay
		delivered := s.FlowTotal("regions", "", "", vaxtrace.FlowDelivered, day)
		if delivered != 145000 {
			t.Errorf("delivered to regions by 19 March = %d, want 145,000", delivered)
		}
		first := s.Cumulative("", vaxtrace.MDose1, day)
		if first <= 100000 || first > 102000 {
			t.Errorf("first doses by 19 March = %d, want just over 100,000", first)
		}
		full := s.Cumulative("", vaxtrace.MFull, day)
		if full < 17000 || full > 23000 {
			t.Errorf("completed series by 19 March = %d, want about 19,000-20,000", full)
		}
		inTransit := s.FlowTotal("regions", "", "", vaxtrace.FlowInTransit, scenario.AsOf)
		if inTransit != 60000 {
			t.Errorf("in transit on 22 March = %d, want 60,000", inTransit)
		}
		var owed int64
		for _, a := range s.SupplyPosition(scenario.AsOf) {
			owed += a.Owed
		}
		if owed <= 0 {
			t.Errorf("nothing owed under the agreements")
		}
		// every region got doses
		for _, r := range s.Regions() {
			if r.ValidFrom != nil {
				continue
			}
			if s.FlowTotal(r.Code, "", "", vaxtrace.FlowDelivered, day) == 0 {
				t.Errorf("region %s received nothing", r.Code)
			}
		}
	})
	checkColdChainDemo(t, eng)
	rep, err := eng.Check(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() {
		t.Fatalf("conservation breaches: %v", rep.Breaches[:min(5, len(rep.Breaches))])
	}
	eng.Close()
	// the state rebuilt from the journal gives the same figures
	eng2, err := engine.Open(ctx, j, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer eng2.Close()
	eng2.Read(func(s *vaxtrace.State) {
		if got := s.FlowTotal("regions", "", "", vaxtrace.FlowDelivered, scenario.ReportDay); got != 145000 {
			t.Errorf("after rebuild delivered = %d", got)
		}
	})
}
