package bench

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// TestOpenLoopBoundsInFlightAndCountsErrors: however far the server falls
// behind, no more than the given number of requests are outstanding (one
// connection each at most), every request is sent, and each failure is
// counted with the first error kept.
func TestOpenLoopBoundsInFlightAndCountsErrors(t *testing.T) {
	var now, peak atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := now.Add(1)
		defer now.Add(-1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		time.Sleep(5 * time.Millisecond) // slower than the schedule: a backlog builds
		if r.URL.Query().Get("fail") != "" {
			http.Error(w, "no", http.StatusInternalServerError)
		}
	}))
	srv.Start()
	defer srv.Close()
	const n, inflight = 60, 4
	client := newClient(inflight)
	res := openLoop(context.Background(), client, n, 2000, inflight, func(i int) (*http.Request, error) {
		url := srv.URL
		if i%10 == 0 {
			url += "?fail=1"
		}
		return http.NewRequest("GET", url, nil)
	})
	if res.sent != n {
		t.Errorf("sent %d, want %d", res.sent, n)
	}
	if res.failed != n/10 || res.firstErr == "" {
		t.Errorf("failed %d (first %q), want %d", res.failed, res.firstErr, n/10)
	}
	if res.maxInflight > inflight || peak.Load() > inflight {
		t.Errorf("in flight: client saw %d, server %d; want at most %d", res.maxInflight, peak.Load(), inflight)
	}
	if res.p99 < res.p50 || res.p50 <= 0 {
		t.Errorf("percentiles p50 %v p99 %v", res.p50, res.p99)
	}
}

func TestStatusMiB(t *testing.T) {
	status := "Name:\tvaxtrace\nVmHWM:\t  204800 kB\nVmRSS:\t  102400 kB\nThreads:\t5\n"
	for _, tc := range []struct {
		field string
		want  float64
	}{
		{"VmRSS:", 100},
		{"VmHWM:", 200},
		{"VmSwap:", 0},
		{"Threads:", 5.0 / 1024},
	} {
		if got := statusMiB(status, tc.field); got != tc.want {
			t.Errorf("statusMiB(%s) = %v, want %v", tc.field, got, tc.want)
		}
	}
}

func FuzzStatusMiB(f *testing.F) {
	f.Add("VmRSS:\t  102400 kB\n")
	f.Add("VmRSS:\n")
	f.Add("VmRSS: x kB")
	f.Fuzz(func(t *testing.T, s string) {
		_ = statusMiB(s, "VmRSS:") // never panics
	})
}
