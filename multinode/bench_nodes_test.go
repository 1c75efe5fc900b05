package multinode

import (
	"context"
	"strings"
	"testing"
	"time"

	"vaxtrace/bench"
)

// TestBenchNodes runs the PostgreSQL bench with two writers and a read-only
// node (`vaxtrace bench --postgres URL --nodes`) at a small scale: every
// node starts by a full replay and again from the first writer's snapshot,
// the HTTP doses sent across both writers are all accepted, the read-only
// node catches up with the writers' last event, and the three give the same
// coverage and overview answers at that sequence number (PGNodes fails
// otherwise).
func TestBenchNodes(t *testing.T) {
	if testing.Short() {
		t.Skip("fills a database and starts six server processes")
	}
	dsn := freshDB(t)
	bin := build(t)
	var got []bench.Result
	err := bench.PGNodes(context.Background(), bench.NodesConfig{URL: dsn, People: 2000, Batch: 500, Snapshots: t.TempDir(),
		HTTPRates: []int{200}, HTTPSeconds: 1, HTTPConns: 16, Exe: bin, CatchUp: 30 * time.Second},
		func(r bench.Result) { got = append(got, r); t.Log(r) })
	if err != nil {
		t.Fatal(err)
	}
	count := func(prefix, contains string) (n int, last bench.Result) {
		for _, r := range got {
			if strings.HasPrefix(r.Name, prefix) && strings.Contains(r.Name, contains) {
				n, last = n+1, r
			}
		}
		return n, last
	}
	for _, tc := range []struct {
		prefix, contains string
		want             int
	}{
		{"start-up to serving", "no snapshot", 3},
		{"start-up to serving", "snapshot +", 3},
		{"serving process: live heap per person", "", 6},
		{"snapshot of the state written by writer 1", "", 1},
		{"read-only node: caught up", "", 1},
		{"all 3 nodes give the same coverage and overview answers", "", 1},
	} {
		if n, _ := count(tc.prefix, tc.contains); n != tc.want {
			t.Errorf("%d results %q…%q, want %d", n, tc.prefix, tc.contains, tc.want)
		}
	}
	if _, r := count("single dose over HTTP", ", errors"); r.Value != 0 {
		t.Errorf("%s: %v (%s)", r.Name, r.Value, r.Goal)
	}
	if _, r := count("single dose over HTTP", ", achieved rate"); r.Value <= 0 {
		t.Errorf("%s: %v", r.Name, r.Value)
	}
}
