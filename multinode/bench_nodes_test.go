package multinode

import (
	"context"
	"fmt"
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
// With ReplayNodes 1 only the first writer replays (and writes the
// snapshot); the other two start from the snapshot alone.
func TestBenchNodes(t *testing.T) {
	if testing.Short() {
		t.Skip("fills a database and starts six server processes")
	}
	bin := build(t)
	for _, replay := range []int{0, 1} {
		t.Run(fmt.Sprint("replay-nodes=", replay), func(t *testing.T) {
			benchNodes(t, bin, replay)
		})
	}
}

func benchNodes(t *testing.T, bin string, replayNodes int) {
	dsn := freshDB(t)
	replayed := 3
	if replayNodes > 0 {
		replayed = replayNodes
	}
	var got []bench.Result
	err := bench.PGNodes(context.Background(), bench.NodesConfig{URL: dsn, People: 2000, Batch: 500, Snapshots: t.TempDir(), ReplayNodes: replayNodes,
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
		{"start-up to serving", "no snapshot", replayed},
		{"start-up to serving", "snapshot +", 3},
		{"serving process: live heap per person", "", replayed + 3},
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
