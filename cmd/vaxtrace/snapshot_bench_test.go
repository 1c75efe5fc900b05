package main

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"vaxtrace"
	"vaxtrace/snapshot"
	"vaxtrace/sqlite"
)

// BenchmarkSnapshot measures, per person of a generated population
// (VAXTRACE_BENCH_PEOPLE, default 100,000; about 46% get a dose), the time
// to write a snapshot of the state, to load it back (read, checksum,
// decode) and, for comparison, to rebuild the state by a full replay; and
// the snapshot's bytes per person.
//
//	go test -run XXX -bench BenchmarkSnapshot -benchtime 3x ./cmd/vaxtrace/
func BenchmarkSnapshot(b *testing.B) {
	people := 100_000
	if v, err := strconv.Atoi(os.Getenv("VAXTRACE_BENCH_PEOPLE")); err == nil && v > 0 {
		people = v
	}
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "bench.db")
	dir := path + ".snapshots"
	eng := openGoldenEngine(b, path)
	if err := generatePopulation(ctx, eng, goldenKeys(b), people, 20, 2021, 10000, false); err != nil {
		b.Fatal(err)
	}
	eng.Close()
	j, err := sqlite.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer j.Close()
	t, err := snapshot.TargetOf(ctx, j, true)
	if err != nil {
		b.Fatal(err)
	}
	full := func() *vaxtrace.State {
		st := vaxtrace.NewState()
		if err := j.Replay(ctx, 0, st.ApplyJournaled); err != nil {
			b.Fatal(err)
		}
		return st
	}
	perPerson := func(b *testing.B, start time.Time) {
		b.ReportMetric(float64(time.Since(start).Nanoseconds())/float64(b.N)/float64(people), "ns/person")
	}
	st := full()
	link, err := t.Link(ctx, st.Seq)
	if err != nil {
		b.Fatal(err)
	}
	h := snapshot.Header{Store: t.Store, Zone: t.Zone, Seq: st.Seq, Created: time.Now()}
	copy(h.Link[:], link)
	var file string
	b.Run("write", func(b *testing.B) {
		start := time.Now()
		for i := 0; i < b.N; i++ {
			if file, err = snapshot.Write(dir, h, st, 1); err != nil {
				b.Fatal(err)
			}
		}
		perPerson(b, start)
		if fi, err := os.Stat(file); err == nil {
			b.ReportMetric(float64(fi.Size())/float64(people), "bytes/person")
		}
	})
	st = nil
	b.Run("load", func(b *testing.B) {
		start := time.Now()
		for i := 0; i < b.N; i++ {
			if _, err := snapshot.LoadFile(ctx, file, t); err != nil {
				b.Fatal(err)
			}
		}
		perPerson(b, start)
	})
	b.Run("replay", func(b *testing.B) {
		start := time.Now()
		for i := 0; i < b.N; i++ {
			full()
		}
		perPerson(b, start)
	})
}
