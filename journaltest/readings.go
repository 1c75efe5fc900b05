package journaltest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"vaxtrace"
)

// RunReadings checks a journal's temperature-reading tables
// (vaxtrace.ReadingStore): appends in batches of any size, duplicates
// skipped and counted, half-open time ranges in order, values kept to the
// hundredth of a degree over the whole plausible range, the latest reading
// per device, and two handles sharing devices.
func RunReadings(t *testing.T, open func(t *testing.T) vaxtrace.Journal) {
	t.Run("Empty", func(t *testing.T) { testReadingsEmpty(t, open) })
	t.Run("AppendAndRange", func(t *testing.T) { testReadingsRange(t, open) })
	t.Run("Duplicates", func(t *testing.T) { testReadingsDuplicates(t, open) })
	t.Run("LargeBatch", func(t *testing.T) { testReadingsLarge(t, open) })
	t.Run("TwoHandles", func(t *testing.T) { testReadingsHandles(t, open) })
}

func readingStore(t *testing.T, open func(t *testing.T) vaxtrace.Journal) vaxtrace.ReadingStore {
	t.Helper()
	j := handle(t, open)
	rs, ok := j.(vaxtrace.ReadingStore)
	if !ok {
		t.Fatalf("%T does not store readings", j)
	}
	return rs
}

var rt0 = time.Date(2021, 3, 20, 0, 0, 0, 0, time.UTC)

func series(device string, from time.Time, n int, step time.Duration, c func(i int) float64) []vaxtrace.Reading {
	out := make([]vaxtrace.Reading, n)
	for i := range out {
		out[i] = vaxtrace.Reading{Device: device, At: from.Add(time.Duration(i) * step), C: c(i)}
	}
	return out
}

func points(t *testing.T, rs vaxtrace.ReadingStore, device string, from, to time.Time) []vaxtrace.Point {
	t.Helper()
	var out []vaxtrace.Point
	if err := rs.Readings(context.Background(), device, from, to, func(p vaxtrace.Point) error { out = append(out, p); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

func appendOK(t *testing.T, rs vaxtrace.ReadingStore, batch []vaxtrace.Reading, want int) {
	t.Helper()
	n, err := rs.AppendReadings(context.Background(), batch)
	if err != nil {
		t.Fatal(err)
	}
	if n != want {
		t.Fatalf("appended %d new readings, want %d", n, want)
	}
}

func testReadingsEmpty(t *testing.T, open func(t *testing.T) vaxtrace.Journal) {
	rs := readingStore(t, open)
	ctx := context.Background()
	if n, err := rs.ReadingCount(ctx); err != nil || n != 0 {
		t.Fatalf("count %d, %v", n, err)
	}
	last, err := rs.LastReadings(ctx)
	if err != nil || len(last) != 0 {
		t.Fatalf("last readings of an empty store: %v, %v", last, err)
	}
	if got := points(t, rs, "nobody", rt0, rt0.Add(time.Hour)); len(got) != 0 {
		t.Fatalf("readings of an unknown device: %v", got)
	}
	appendOK(t, rs, nil, 0)
}

func testReadingsRange(t *testing.T, open func(t *testing.T) vaxtrace.Journal) {
	rs := readingStore(t, open)
	ctx := context.Background()
	values := []float64{-90, -18.25, -0.5, 0, 2.01, 7.99, 8, 8.01, 59.99, 60}
	var batch []vaxtrace.Reading
	for d := 0; d < 3; d++ {
		dev := fmt.Sprintf("RTM-%d", d)
		batch = append(batch, series(dev, rt0.Add(time.Duration(d)*time.Second), 144, 10*time.Minute, func(i int) float64 { return values[(i+d)%len(values)] })...)
	}
	appendOK(t, rs, batch, 3*144)
	if n, _ := rs.ReadingCount(ctx); n != 3*144 {
		t.Fatalf("count %d", n)
	}
	got := points(t, rs, "RTM-1", rt0.Add(time.Hour), rt0.Add(2*time.Hour))
	// half-open: 01:00:01 … 01:50:01 (RTM-1 reads one second past the ten minutes)
	if len(got) != 6 {
		t.Fatalf("one hour of RTM-1: %d readings, want 6", len(got))
	}
	for i, p := range got {
		want := batch[144+6+i]
		if p.T != want.At.Unix() || p.C() != want.C || !p.Time().Equal(want.At) {
			t.Fatalf("reading %d: %v (%v °C), want %v (%v °C)", i, p.Time(), p.C(), want.At, want.C)
		}
	}
	all := points(t, rs, "RTM-2", rt0, rt0.Add(48*time.Hour))
	if len(all) != 144 {
		t.Fatalf("RTM-2: %d readings", len(all))
	}
	for i := 1; i < len(all); i++ {
		if all[i].T <= all[i-1].T {
			t.Fatalf("out of order at %d", i)
		}
	}
	last, err := rs.LastReadings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for d := 0; d < 3; d++ {
		want := batch[d*144+143]
		if p := last[want.Device]; p.T != want.At.Unix() || p.C() != want.C {
			t.Fatalf("last of %s: %v, want %v at %v", want.Device, p, want.C, want.At)
		}
		if p, ok, err := rs.LastReading(ctx, want.Device); err != nil || !ok || p.T != want.At.Unix() || p.C() != want.C {
			t.Fatalf("last reading of %s: %v %v %v", want.Device, p, ok, err)
		}
	}
	if _, ok, err := rs.LastReading(ctx, "nobody"); ok || err != nil {
		t.Fatalf("last reading of an unknown device: %v %v", ok, err)
	}
}

func testReadingsDuplicates(t *testing.T, open func(t *testing.T) vaxtrace.Journal) {
	rs := readingStore(t, open)
	first := series("RTM-D", rt0, 50, 10*time.Minute, func(i int) float64 { return 4 })
	appendOK(t, rs, first, 50)
	appendOK(t, rs, first, 0)
	// half old, half new, and a repeat inside the batch
	mixed := append(series("RTM-D", rt0.Add(250*time.Minute), 50, 10*time.Minute, func(i int) float64 { return 5 }), first[0])
	appendOK(t, rs, mixed, 25)
	got := points(t, rs, "RTM-D", rt0, rt0.Add(24*time.Hour))
	if len(got) != 75 {
		t.Fatalf("%d readings stored, want 75", len(got))
	}
	if got[30].C() != 4 {
		t.Fatalf("a repeated reading replaced the first one: %v", got[30])
	}
}

func testReadingsLarge(t *testing.T, open func(t *testing.T) vaxtrace.Journal) {
	rs := readingStore(t, open)
	var batch []vaxtrace.Reading
	for d := 0; d < 100; d++ {
		batch = append(batch, series(fmt.Sprintf("BIG-%03d", d), rt0, 100, time.Minute, func(i int) float64 { return float64(i%40) - 20 })...)
	}
	appendOK(t, rs, batch, 10000)
	if got := points(t, rs, "BIG-057", rt0, rt0.Add(time.Hour)); len(got) != 60 || got[59].C() != -1 {
		t.Fatalf("BIG-057's first hour: %d readings", len(got))
	}
}

func testReadingsHandles(t *testing.T, open func(t *testing.T) vaxtrace.Journal) {
	a := readingStore(t, open)
	b := readingStore(t, open)
	appendOK(t, a, series("SHARED", rt0, 10, time.Minute, func(int) float64 { return 3 }), 10)
	appendOK(t, b, series("SHARED", rt0.Add(10*time.Minute), 10, time.Minute, func(int) float64 { return 4 }), 10)
	appendOK(t, b, series("ONLY-B", rt0, 5, time.Minute, func(int) float64 { return 5 }), 5)
	if got := points(t, a, "SHARED", rt0, rt0.Add(time.Hour)); len(got) != 20 {
		t.Fatalf("handle a sees %d readings of SHARED", len(got))
	}
	if got := points(t, a, "ONLY-B", rt0, rt0.Add(time.Hour)); len(got) != 5 {
		t.Fatalf("handle a sees %d readings of ONLY-B", len(got))
	}
}
