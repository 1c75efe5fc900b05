package fhir

import (
	"context"
	"io"
	"testing"
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
