package replica_test

import (
	"context"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"vaxtrace"
	"vaxtrace/engine"
	"vaxtrace/postgres"
	"vaxtrace/scenario"
)

// TestMeasure produces the figures in docs/SCALE.md: journal bytes per dose,
// WAL per 1,000 doses, validated ingest through the engine on PostgreSQL,
// rebuild time and memory, and (with VAXTRACE_REPLICA_TEST=1) replica lag
// during the bulk load. With VAXTRACE_SYNC_PG_URL naming a primary that has
// a synchronous standby, it also measures single-dose commit latency under
// synchronous_commit local / remote_write / on / remote_apply.
//
//	VAXTRACE_SCALE_MEASURE=1 [VAXTRACE_SCALE_DOSES=200000] go test -run TestMeasure -v -timeout 30m ./replica/
func TestMeasure(t *testing.T) {
	if os.Getenv("VAXTRACE_SCALE_MEASURE") != "1" {
		t.Skip("set VAXTRACE_SCALE_MEASURE=1 to load 200,000 doses into a scratch database on " + redact(primaryURL()) + " and print the docs/SCALE.md figures")
	}
	n := 200000
	if s := os.Getenv("VAXTRACE_SCALE_DOSES"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil {
			t.Fatal(err)
		}
		n = v
	}
	const batch = 10000
	ctx := context.Background()
	name := createDB(t)
	pURL := withDatabase(primaryURL(), name)
	padm := connect(t, primaryURL())
	db := connect(t, pURL)
	var radm *pgx.Conn
	if os.Getenv("VAXTRACE_REPLICA_TEST") == "1" {
		radm = connect(t, startReplica(t))
	}

	pj, err := postgres.Open(ctx, pURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pj.Close()
	eng, err := engine.Open(ctx, pj, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	const points = 10
	if err := scenario.Minimal(ctx, eng, points, int64(n)); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for i := 0; i < n; i += batch {
		submit(t, eng, registrations(i, min(i+batch, n)))
	}
	t.Logf("registered %d people in %v (%.0f/s)", n, time.Since(start), float64(n)/time.Since(start).Seconds())

	lsn := func() string {
		var s string
		if err := padm.QueryRow(ctx, "SELECT pg_current_wal_lsn()::text").Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	size := func() int64 {
		var s int64
		if err := db.QueryRow(ctx, "SELECT pg_total_relation_size('events')").Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	if _, err := db.Exec(ctx, "CHECKPOINT"); err != nil { // full-page images after a checkpoint inflate WAL; start from one
		t.Fatal(err)
	}
	lsn0, size0 := lsn(), size()
	start = time.Now()
	var lags []time.Duration
	for i := 0; i < n; i += batch {
		cmds := make([]engine.Command, 0, batch)
		for k := i; k < min(i+batch, n); k++ {
			cmds = append(cmds, dose(k, 1, points))
		}
		submit(t, eng, cmds)
		if radm != nil {
			lags = append(lags, waitReplay(t, padm, radm))
		}
	}
	took := time.Since(start)
	var wal int64
	if err := padm.QueryRow(ctx, "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1::pg_lsn)::bigint", lsn0).Scan(&wal); err != nil {
		t.Fatal(err)
	}
	size1 := size()
	t.Logf("doses: %d in %v through the engine in group commits of %d: %.0f doses/s (replica lag waits included: %v)", n, took, batch, float64(n)/took.Seconds(), radm != nil)
	t.Logf("WAL (whole cluster, from %s): %d bytes = %.0f bytes per dose = %.2f MB per 1,000 doses", lsn0, wal, float64(wal)/float64(n), float64(wal)/float64(n)*1000/1e6)
	t.Logf("events table growth for the doses: %d bytes = %.0f bytes per dose (heap + TOAST + indexes)", size1-size0, float64(size1-size0)/float64(n))
	if len(lags) > 0 {
		t.Logf("replica replay after each %d-dose commit: p50 %v, max %v", batch, percentile(lags, .5), percentile(lags, 1))
	}

	var total, heap, idx, count int64
	if err := db.QueryRow(ctx, "SELECT pg_total_relation_size('events'), pg_relation_size('events'), pg_indexes_size('events'), count(*) FROM events").Scan(&total, &heap, &idx, &count); err != nil {
		t.Fatal(err)
	}
	t.Logf("events: %d rows, total %d bytes (%.0f/row), heap %d (%.0f/row), indexes %d (%.0f/row)",
		count, total, float64(total)/float64(count), heap, float64(heap)/float64(count), idx, float64(idx)/float64(count))
	rows, err := db.Query(ctx, "SELECT kind, count(*), avg(octet_length(data))::float8, avg(pg_column_size(e.*))::float8 FROM events e GROUP BY kind ORDER BY count(*) DESC LIMIT 4")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var kind string
		var c int64
		var data, row float64
		if err := rows.Scan(&kind, &c, &data, &row); err != nil {
			t.Fatal(err)
		}
		t.Logf("  kind %-20s %8d rows, payload %.0f bytes, row %.0f bytes", kind, c, data, row)
	}
	rows.Close()

	// Rebuild: what a restarting API node does.
	for _, src := range []struct {
		name string
		j    func() vaxtrace.Journal
	}{
		{"primary", func() vaxtrace.Journal {
			j, err := postgres.Open(ctx, pURL)
			if err != nil {
				t.Fatal(err)
			}
			return j
		}},
		{"replica", func() vaxtrace.Journal {
			if radm == nil {
				return nil
			}
			waitReplay(t, padm, radm)
			return openReadOnly(t, withDatabase(startReplica(t), name))
		}},
	} {
		j := src.j()
		if j == nil {
			continue
		}
		start := time.Now()
		var read int64
		if err := j.Replay(ctx, 0, func(vaxtrace.Event) error { read++; return nil }); err != nil {
			t.Fatal(err)
		}
		t.Logf("read and decode only, from the %s: %d events in %v = %.1f s per million", src.name, read, time.Since(start), time.Since(start).Seconds()/float64(read)*1e6)
		runtime.GC()
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		start = time.Now()
		e2, err := engine.Open(ctx, j, engine.Options{})
		if err != nil {
			t.Fatal(err)
		}
		took := time.Since(start)
		runtime.GC()
		runtime.ReadMemStats(&m1)
		t.Logf("rebuild from the %s: %d events in %v = %.1f s per million events; heap +%.0f MB (%.0f bytes/event)", src.name, count, took,
			took.Seconds()/float64(count)*1e6, float64(m1.HeapAlloc-m0.HeapAlloc)/1e6, float64(m1.HeapAlloc-m0.HeapAlloc)/float64(count))
		e2.Close()
		j.Close()
	}

	if u := os.Getenv("VAXTRACE_SYNC_PG_URL"); u != "" {
		measureSync(t, u)
	}
}

// measureSync measures single-dose commit latency (one transaction per
// dose, as an API node does for one client) against a primary with a
// synchronous standby, under synchronous_commit local (no wait for the standby), remote_write, on (standby flushed) and remote_apply.
func measureSync(t *testing.T, base string) {
	ctx := context.Background()
	adm := connect(t, base)
	var standbys string
	if err := adm.QueryRow(ctx, "SHOW synchronous_standby_names").Scan(&standbys); err != nil {
		t.Fatal(err)
	}
	name := "vaxtrace_sync_" + strconv.FormatInt(time.Now().UnixNano(), 36)
	if _, err := adm.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	defer adm.Exec(ctx, "DROP DATABASE "+name+" WITH (FORCE)")
	for li, level := range []string{"local", "remote_write", "on", "remote_apply"} {
		u := withDatabase(base, name) + "&synchronous_commit=" + level
		j, err := postgres.Open(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		eng, err := engine.Open(ctx, j, engine.Options{})
		if err != nil {
			t.Fatal(err)
		}
		off := li * 1000
		if li == 0 {
			if err := scenario.Minimal(ctx, eng, 1, 100000); err != nil {
				t.Fatal(err)
			}
			submit(t, eng, registrations(0, 4000))
		}
		var ds []time.Duration
		for k := off; k < off+300; k++ {
			c := dose(k, 1, 1)
			s := time.Now()
			submit(t, eng, []engine.Command{c})
			ds = append(ds, time.Since(s))
		}
		t.Logf("synchronous_commit=%-12s (synchronous_standby_names=%q): single-dose commit p50 %v, p90 %v, p99 %v",
			level, standbys, percentile(ds, .5), percentile(ds, .9), percentile(ds, .99))
		eng.Close()
		j.Close()
	}
}
