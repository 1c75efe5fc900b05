package journaltest

import (
	"context"
	"strconv"
	"testing"

	"vaxtrace"
)

// BenchWrite measures Write with batches of batch small dose-like events
// (the bulk ingest shape: one transaction, one durable commit per batch),
// through the same catch-up tracking the engine does. It reports events/s.
func BenchWrite(b *testing.B, j vaxtrace.Journal, batch int) {
	ctx := context.Background()
	w := &writer{j: j}
	var err error
	if w.seen, err = j.Last(ctx); err != nil {
		b.Fatal(err)
	}
	tmpl := make([]vaxtrace.Event, batch)
	for i := range tmpl {
		tmpl[i] = DoseEvent(i, "")
	}
	evs := make([]vaxtrace.Event, batch)
	prefix := "bench-" + strconv.FormatUint(w.seen, 10) + "-"
	b.ReportAllocs()
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		copy(evs, tmpl)
		for i := range evs {
			evs[i].Key = prefix + strconv.Itoa(n*batch+i)
		}
		if _, err := w.write(ctx, evs...); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "events/s")
}

// BenchReplay writes n dose-like events into an empty journal, then
// measures replaying them all; it reports events/s.
func BenchReplay(b *testing.B, j vaxtrace.Journal, n int) {
	ctx := context.Background()
	w := &writer{j: j}
	for done := 0; done < n; done += 10000 {
		k := min(10000, n-done)
		if _, err := w.write(ctx, doses(done, k, "replay-")...); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		count := 0
		if err := j.Replay(ctx, 0, func(vaxtrace.Event) error { count++; return nil }); err != nil {
			b.Fatal(err)
		}
		if count != n {
			b.Fatalf("replayed %d of %d", count, n)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "events/s")
}
