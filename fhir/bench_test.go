package fhir

import (
	"bytes"
	"context"
	"io"
	"syscall"
	"testing"
	"time"

	"vaxtrace/engine"
)

// BenchmarkExport measures ExportNDJSON over 20,000 people with ~1.6 doses
// each; the resources/s metric counts Patient and Immunization lines.
func BenchmarkExport(b *testing.B) {
	ctx := context.Background()
	keys := testKeys(b)
	eng := newMemEngine(b)
	seedBase(b, eng, 100000)
	seedPeople(b, eng, keys, 20000)
	var lines int
	count := countWriter{n: &lines}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := ExportNDJSON(ctx, eng, keys, "", func(string) io.Writer { return count }, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(lines)/b.Elapsed().Seconds(), "resources/s")
}

type countWriter struct{ n *int }

func (c countWriter) Write(p []byte) (int, error) {
	for _, x := range p {
		if x == '\n' {
			*c.n++
		}
	}
	return len(p), nil
}

// BenchmarkImport measures Import of a bulk export (Patient.ndjson then
// Immunization.ndjson, 20,000 people with ~1.6 doses each) into an empty
// installation with other keys, as a migration: every resource is decoded,
// resolved and validated by the engine, and on "sqlite" durably committed.
// The resources/s metric counts both files' lines.
func BenchmarkImport(b *testing.B) {
	ctx := context.Background()
	srcKeys := testKeys(b)
	src := newMemEngine(b)
	seedBase(b, src, 100000)
	seedPeople(b, src, srcKeys, 20000)
	out := bufs{}
	if err := ExportNDJSON(ctx, src, srcKeys, "", out.w, nil); err != nil {
		b.Fatal(err)
	}
	lines := bytes.Count(out["Patient"].Bytes(), []byte("\n")) + bytes.Count(out["Immunization"].Bytes(), []byte("\n"))
	dstKeys := otherKeys(b)
	for _, store := range []string{"memory", "sqlite"} {
		b.Run(store, func(b *testing.B) {
			var total int
			var cpu time.Duration
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				var dst *engine.Engine
				if store == "memory" {
					dst = newMemEngine(b)
				} else {
					dst = newEngine(b)
				}
				seedBase(b, dst, 100000)
				c0 := cpuTime()
				b.StartTimer()
				for _, rt := range []string{"Patient", "Immunization"} {
					rep, err := Import(ctx, dst, dstKeys, migration, bytes.NewReader(out[rt].Bytes()), "ndjson")
					if err != nil || rep.Rejected != 0 {
						b.Fatalf("%s: %v, %d rejected", rt, err, rep.Rejected)
					}
				}
				b.StopTimer()
				cpu += cpuTime() - c0
				b.StartTimer()
				total += lines
			}
			b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "resources/s")
			// on a shared machine the wall rate depends on the other jobs;
			// the CPU the import used does not
			b.ReportMetric(float64(total)/cpu.Seconds(), "resources/cpu-s")
		})
	}
}

// cpuTime is the CPU time (user + system) the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
