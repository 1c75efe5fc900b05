package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"vaxtrace"
	"vaxtrace/engine"
	"vaxtrace/pii"
	"vaxtrace/planning"
	"vaxtrace/scenario"
	"vaxtrace/sqlite"
)

var (
	marchOnce sync.Once
	marchEng  *engine.Engine
	marchErr  error
)

// march2021 is an engine with the March 2021 scenario, loaded once per test
// binary (set VAXTRACE_BENCH_DB to open an existing store instead, e.g. a
// generated national one, for BenchmarkOverview).
func march2021(tb testing.TB) *engine.Engine {
	tb.Helper()
	marchOnce.Do(func() {
		ctx := context.Background()
		path := os.Getenv("VAXTRACE_BENCH_DB")
		load := path == ""
		if load {
			dir, err := os.MkdirTemp("", "vaxtrace-overview-")
			if err != nil {
				marchErr = err
				return
			}
			path = filepath.Join(dir, "march.db")
		}
		j, err := sqlite.Open(path)
		if err != nil {
			marchErr = err
			return
		}
		marchEng, marchErr = engine.Open(ctx, j, engine.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if marchErr != nil || !load {
			return
		}
		keys, err := pii.New(bytes.Repeat([]byte{3}, 64))
		if err != nil {
			marchErr = err
			return
		}
		marchErr = scenario.March2021(ctx, marchEng, keys, scenario.DefaultOptions())
	})
	if marchErr != nil {
		tb.Fatal(marchErr)
	}
	return marchEng
}

func marchServer(tb testing.TB) *Server {
	now := func() time.Time { return time.Date(2021, 3, 22, 18, 0, 0, 0, time.UTC) }
	return New(march2021(tb), nil, Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: now})
}

func getJSON(t *testing.T, s *Server, path string, v any) int {
	t.Helper()
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
	if v != nil {
		if err := json.Unmarshal(rec.Body.Bytes(), v); err != nil {
			t.Fatalf("%s: %v: %s", path, err, rec.Body)
		}
	}
	return rec.Code
}

// The seed's position for 19 March 2021: 145,000 doses delivered to the
// regions, about 150,000 more expected by the end of March, over 100,000
// people with a first dose, and the April target of 1,000,000 with the
// daily rate it needs against the rate achieved.
func TestOverviewMarch2021(t *testing.T) {
	s := marchServer(t)
	var ov overviewResponse
	if code := getJSON(t, s, "/api/v1/overview?as_of=2021-03-19", &ov); code != 200 {
		t.Fatalf("status %d", code)
	}
	if ov.DeliveredToRegions != 145_000 {
		t.Errorf("delivered to regions %d, want 145,000", ov.DeliveredToRegions)
	}
	if ov.PeopleFirst <= 100_000 || ov.PeopleFirst > 101_000 {
		t.Errorf("people with a first dose %d, want just over 100,000", ov.PeopleFirst)
	}
	e := ov.Expected
	if e.Total != e.National+e.InTransit+e.TranchesDue || e.By != vaxtrace.MkDate(2021, 3, 31) || e.Total < 135_000 || e.Total > 165_000 {
		t.Errorf("expected by month end %+v, want about 150,000 by 31 March", e)
	}
	if ov.Late != 22_000 {
		t.Errorf("late %d, want the 22,000 of KPC's February tranche", ov.Late)
	}
	var april *targetProgress
	for i := range ov.Targets {
		if ov.Targets[i].ID == "T-2021-04-1M" {
			april = &ov.Targets[i]
		}
	}
	if april == nil || april.Value != 1_000_000 || april.DaysLeft != 30 || april.RateNeeded < 33_333 || april.RateNeeded > 33_334 || april.RateRecent <= 0 {
		t.Errorf("April target %+v", april)
	}
	// stock by level and component adds up to the level totals
	var nat, reg, pts, tr int64
	comps := map[string]int{}
	for _, c := range ov.Stock {
		nat, reg, pts, tr = nat+c.National, reg+c.Regional, pts+c.Points, tr+c.InTransit
		comps[c.Product+"/"+c.Component] = c.Dose
	}
	if nat != ov.NationalWarehouse || reg != ov.RegionalWarehouses || pts != ov.AtPoints || tr != ov.InTransit {
		t.Errorf("stock by component %d/%d/%d/%d vs levels %d/%d/%d/%d", nat, reg, pts, tr, ov.NationalWarehouse, ov.RegionalWarehouses, ov.AtPoints, ov.InTransit)
	}
	if comps["sputnik-v/I"] != 1 || comps["sputnik-v/II"] != 2 {
		t.Errorf("components %v", comps)
	}
	// second doses due: the planner's own reserve figure for the next morning
	p := planning.NewPlanner(march2021(t), planning.Options{})
	next := vaxtrace.MkDate(2021, 3, 20)
	pr, err := p.Propose(planning.ProposeRequest{AsOf: &next}, "test")
	if err != nil {
		t.Fatal(err)
	}
	var reserved int64
	for _, n := range pr.Needs {
		for _, v := range n.SecondDue {
			reserved += int64(v)
		}
	}
	if ov.SecondDosesDue.People == 0 || ov.SecondDosesDue.People != reserved || ov.SecondDosesDue.WithinDays != planning.ReserveDays {
		t.Errorf("second doses due %+v, the planner reserves for %d", ov.SecondDosesDue, reserved)
	}
	if len(ov.Regions) != 17 || ov.Regions[0].Names["ru"] == "" || ov.Regions[0].WeeksOfSupply == nil {
		t.Errorf("regions %+v", ov.Regions[0])
	}
	// as known on the day: late records are missing then, present later
	var then, later overviewResponse
	getJSON(t, s, "/api/v1/overview?as_of=2021-03-19&known_at=2021-03-19", &then)
	getJSON(t, s, "/api/v1/overview?as_of=2021-03-19&known_at=2021-03-22", &later)
	if then.KnownAt == nil || then.PeopleFirst >= later.PeopleFirst || later.PeopleFirst > ov.PeopleFirst {
		t.Errorf("known on 19 March %d, on 22 March %d, now %d", then.PeopleFirst, later.PeopleFirst, ov.PeopleFirst)
	}
}

func TestOverviewBadDays(t *testing.T) {
	s := marchServer(t)
	for _, c := range []struct{ query, field string }{
		{"as_of=2021-02-30", "as_of"},
		{"as_of=19.03.2021", "as_of"},
		{"as_of=2019-06-01", "as_of"}, // before the campaign
		{"as_of=2021-04-01", "as_of"}, // after today (22 March 2021 on this clock)
		{"as_of=2021-03-19&known_at=x", "known_at"},
		{"as_of=2021-03-19&known_at=2021-03-18", "known_at"}, // known before it happened
		{"as_of=2021-03-19&known_at=2021-03-30", "known_at"}, // in the future
	} {
		var e errorBody
		if code := getJSON(t, s, "/api/v1/overview?"+c.query, &e); code != 400 || e.Error.Field != c.field || e.Error.Template == "" {
			t.Errorf("%s: %d %+v, want 400 naming %s", c.query, code, e.Error, c.field)
		}
	}
}

// BenchmarkOverview measures the overview on the March 2021 scenario, or on
// the store named by VAXTRACE_BENCH_DB (e.g. one made by `vaxtrace
// generate`): it reads counters only, so it should not grow with people.
func BenchmarkOverview(b *testing.B) {
	eng := march2021(b)
	asOf := vaxtrace.MkDate(2021, 3, 19)
	var people, doses int
	eng.Read(func(st *vaxtrace.State) {
		people, doses = st.Counts()
		if os.Getenv("VAXTRACE_BENCH_DB") != "" {
			asOf = st.LastDay()
		}
	})
	b.ReportMetric(float64(people), "people")
	b.ReportMetric(float64(doses), "doses")
	b.ResetTimer()
	for b.Loop() {
		eng.Read(func(st *vaxtrace.State) { buildOverview(st, asOf, nil, "en") })
	}
}
