package engine_test

import (
	"context"
	"fmt"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"vaxtrace"
	"vaxtrace/engine"
	"vaxtrace/scenario"
	"vaxtrace/sqlite"
)

func openBench(b *testing.B, points int, doses int64) *engine.Engine {
	b.Helper()
	j, err := sqlite.Open(filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { j.Close() })
	eng, err := engine.Open(context.Background(), j, engine.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { eng.Close() })
	if err := scenario.Minimal(context.Background(), eng, points, doses); err != nil {
		b.Fatal(err)
	}
	return eng
}

func pidOf(n int) vaxtrace.PersonID {
	var p vaxtrace.PersonID
	p[0], p[1], p[2], p[3], p[15] = byte(n), byte(n>>8), byte(n>>16), byte(n>>24), 7
	return p
}

// BenchmarkIngestDoses measures validated, durably committed first doses for
// registered people through the batch path (group commits of 10,000).
func BenchmarkIngestDoses(b *testing.B) {
	const batch = 10000
	eng := openBench(b, 10, 100_000_000)
	ctx := context.Background()
	admin := scenario.Admin
	at := time.Date(2021, 3, 1, 5, 0, 0, 0, time.UTC)
	total := b.N * batch
	// register people first (not measured)
	for i := 0; i < total; i += batch {
		cmds := make([]engine.Command, 0, batch)
		for k := i; k < i+batch && k < total; k++ {
			id := pidOf(k)
			cmds = append(cmds, engine.Command{Key: "p" + fmt.Sprint(k), Actor: admin, Recorded: at, Data: vaxtrace.PersonRegistered{Person: vaxtrace.Person{ID: id, Family: "F", BirthDate: vaxtrace.MkDate(1980, 1, 1), Sex: "M", Region: "KZ-AKM"}}})
		}
		for _, r := range eng.SubmitBatch(ctx, cmds) {
			if r.Err != nil {
				b.Fatal(r.Err)
			}
		}
	}
	b.ResetTimer()
	start, cpu0 := time.Now(), cpuTime()
	for i := 0; i < total; i += batch {
		cmds := make([]engine.Command, 0, batch)
		for k := i; k < i+batch; k++ {
			id := fmt.Sprintf("d%d", k)
			cmds = append(cmds, engine.Command{Key: "dose:" + id, Actor: admin, Recorded: at.Add(time.Hour), Data: vaxtrace.DoseAdministered{ID: id, Person: pidOf(k), At: at, Place: scenario.PointID(1 + k%10), Lot: "FIX-I", Vaccinator: "n"}})
		}
		for _, r := range eng.SubmitBatch(ctx, cmds) {
			if r.Err != nil {
				b.Fatal(r.Err)
			}
		}
	}
	b.ReportMetric(float64(total)/time.Since(start).Seconds(), "doses/s")
	// CPU time (the commands' making included) is steadier than wall
	// time on a shared machine
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(total), "cpu-ns/dose")
}

// BenchmarkIngestDosesTwoUploaders is BenchmarkIngestDoses with two
// uploaders submitting at once, as clinics do: one group is validated while
// the other's commit is being made durable (pipelined group commits).
func BenchmarkIngestDosesTwoUploaders(b *testing.B) {
	const batch = 10000
	eng := openBench(b, 10, 100_000_000)
	ctx := context.Background()
	admin := scenario.Admin
	at := time.Date(2021, 3, 1, 5, 0, 0, 0, time.UTC)
	total := 2 * ((b.N + 1) / 2) * batch
	for i := 0; i < total; i += batch {
		cmds := make([]engine.Command, 0, batch)
		for k := i; k < i+batch; k++ {
			cmds = append(cmds, engine.Command{Key: "p" + fmt.Sprint(k), Actor: admin, Recorded: at, Data: vaxtrace.PersonRegistered{Person: vaxtrace.Person{ID: pidOf(k), Family: "F", BirthDate: vaxtrace.MkDate(1980, 1, 1), Sex: "M", Region: "KZ-AKM"}}})
		}
		for _, r := range eng.SubmitBatch(ctx, cmds) {
			if r.Err != nil {
				b.Fatal(r.Err)
			}
		}
	}
	b.ResetTimer()
	start, cpu0 := time.Now(), cpuTime()
	errc := make(chan error, 2)
	for w := 0; w < 2; w++ {
		go func(w int) {
			for i := w * batch; i < total; i += 2 * batch {
				cmds := make([]engine.Command, 0, batch)
				for k := i; k < i+batch; k++ {
					id := fmt.Sprintf("d%d", k)
					cmds = append(cmds, engine.Command{Key: "dose:" + id, Actor: admin, Recorded: at.Add(time.Hour), Data: vaxtrace.DoseAdministered{ID: id, Person: pidOf(k), At: at, Place: scenario.PointID(1 + k%10), Lot: "FIX-I", Vaccinator: "n"}})
				}
				for _, r := range eng.SubmitBatch(ctx, cmds) {
					if r.Err != nil {
						errc <- r.Err
						return
					}
				}
			}
			errc <- nil
		}(w)
	}
	for w := 0; w < 2; w++ {
		if err := <-errc; err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(total)/time.Since(start).Seconds(), "doses/s")
	// CPU time (the commands' making included) is steadier than wall
	// time on a shared machine
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(total), "cpu-ns/dose")
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
