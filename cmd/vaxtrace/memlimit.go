package main

import (
	"log/slog"
	"math"
	"runtime/debug"
	"strconv"
	"strings"

	"vaxtrace"
)

// memoryUnits are the suffixes a memory limit may carry (as GOMEMLIMIT's).
var memoryUnits = []struct {
	suffix string
	scale  float64
}{
	{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"B", 1},
}

// parseMemoryLimit reads a memory limit such as "3GiB", "512MiB", "1.5GiB"
// or a number of bytes; "" and "0" mean no limit (0). field names the flag
// in the error.
func parseMemoryLimit(field, s string) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	num, scale := s, 1.0
	for _, u := range memoryUnits {
		if n, ok := strings.CutSuffix(s, u.suffix); ok {
			num, scale = strings.TrimSpace(n), u.scale
			break
		}
	}
	v, err := strconv.ParseFloat(num, 64)
	b := v * scale
	if err != nil || num == "" || strings.ContainsAny(num, "eEinfINFxXpP_") || math.IsNaN(b) || b < 0 || b >= math.MaxInt64 {
		return 0, vaxtrace.FieldError(field, "must be a %s", "memory size such as 3GiB, 512MiB or a number of bytes")
	}
	return int64(b), nil
}

// applyMemoryLimit sets the Go runtime's soft memory limit (bytes; 0 leaves
// the runtime's default, which GOMEMLIMIT may set). Under the limit the
// collector runs more often instead of letting the heap grow to twice the
// live data, so a server's resident memory stays near its live state.
func applyMemoryLimit(limit int64) {
	if limit > 0 {
		debug.SetMemoryLimit(limit)
		slog.Info("memory limit", "bytes", limit)
	}
}
