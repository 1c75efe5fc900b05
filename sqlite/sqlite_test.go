package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"vaxtrace"
)

func doseEvent(seq uint64) vaxtrace.Event {
	var p vaxtrace.PersonID
	p[0], p[1], p[2] = byte(seq), byte(seq>>8), byte(seq>>16)
	d := vaxtrace.DoseAdministered{ID: fmt.Sprint("d", seq), Person: p, At: time.Date(2021, 3, 1, 5, 0, 0, 0, time.UTC), Place: "VP-AKM-0001", Lot: "FIX-I", Vaccinator: "nurse"}
	return vaxtrace.Event{Seq: seq, Kind: d.Kind(), Key: "dose:" + d.ID, Actor: "bench", Recorded: time.Now(), Hash: seq * 0x9e3779b97f4a7c15, Data: d}
}

func TestBothDriversRoundTrip(t *testing.T) {
	for _, drv := range []string{"sqlite3", "sqlite"} {
		t.Run(drv, func(t *testing.T) {
			db, err := OpenDriver(filepath.Join(t.TempDir(), "j.db"), drv)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			ctx := context.Background()
			err = db.Write(ctx, 0, nil, func(next uint64) ([]vaxtrace.Event, error) {
				var evs []vaxtrace.Event
				for i := uint64(0); i < 100; i++ {
					evs = append(evs, doseEvent(next+i))
				}
				return evs, nil
			})
			if err != nil {
				t.Fatal(err)
			}
			var n uint64
			err = db.Replay(ctx, 0, func(e vaxtrace.Event) error {
				n++
				if e.Seq != n || e.Hash != n*0x9e3779b97f4a7c15 || e.Data.(vaxtrace.DoseAdministered).ID != fmt.Sprint("d", n) {
					return fmt.Errorf("event %d differs: %+v", n, e)
				}
				return nil
			})
			if err != nil || n != 100 {
				t.Fatalf("replayed %d: %v", n, err)
			}
		})
	}
}

// BenchmarkWriteDriver compares the two SQLite drivers on the journal's real
// workload: group commits of 10,000 dose events, durable (synchronous=FULL).
func BenchmarkWriteDriver(b *testing.B) {
	for _, drv := range []string{"sqlite3", "sqlite"} {
		b.Run(drv, func(b *testing.B) {
			db, err := OpenDriver(filepath.Join(b.TempDir(), "j.db"), drv)
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			ctx := context.Background()
			const batch = 10000
			// the events are made first: only the write is measured
			groups := make([][]vaxtrace.Event, b.N)
			for i := range groups {
				groups[i] = make([]vaxtrace.Event, batch)
				for k := range groups[i] {
					groups[i][k] = doseEvent(uint64(i*batch + k + 1))
					groups[i][k].Raw, _ = vaxtrace.EncodePayload(groups[i][k].Data) // as the engine stores a dose
				}
			}
			b.ResetTimer()
			start, cpu0 := time.Now(), cpuTime()
			for i := 0; i < b.N; i++ {
				err := db.Write(ctx, 0, nil, func(next uint64) ([]vaxtrace.Event, error) {
					return groups[i], nil
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*batch)/time.Since(start).Seconds(), "events/s")
			// CPU time is steadier than wall time on a shared machine
			b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N*batch), "cpu-ns/event")
		})
	}
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func TestMetaAndExists(t *testing.T) {
	ctx := context.Background()
	p := filepath.Join(t.TempDir(), "m.db")
	if ok, err := Exists(p); ok || err != nil {
		t.Fatalf("missing file exists: %v %v", ok, err)
	}
	d, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if ok, err := Exists(p); !ok || err != nil {
		t.Fatalf("opened store does not exist: %v %v", ok, err)
	}
	if _, ok, err := d.Meta(ctx, "k"); ok || err != nil {
		t.Fatalf("absent key: %v %v", ok, err)
	}
	if v, err := d.PutMetaIfAbsent(ctx, "k", "first"); err != nil || v != "first" {
		t.Fatalf("put: %q %v", v, err)
	}
	if v, err := d.PutMetaIfAbsent(ctx, "k", "second"); err != nil || v != "first" {
		t.Fatalf("second put won: %q %v", v, err)
	}
	if v, ok, err := d.Meta(ctx, "k"); !ok || v != "first" || err != nil {
		t.Fatalf("meta: %q %v %v", v, ok, err)
	}
}
