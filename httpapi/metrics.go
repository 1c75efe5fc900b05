package httpapi

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"vaxtrace"
)

// latencyBuckets are the upper bounds (seconds) of the latency histogram.
var latencyBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

type routeCode struct {
	route string
	code  int
}

type histogram struct {
	counts []atomic.Int64 // per bucket (not cumulative)
	count  atomic.Int64
	sumNs  atomic.Int64
}

// metrics holds HTTP counters; engine counters are read at scrape time.
type metrics struct {
	mu       sync.Mutex
	requests map[routeCode]*atomic.Int64
	latency  map[string]*histogram

	uploadsRefused atomic.Int64 // large uploads answered 503 (all slots busy)
}

func newMetrics() *metrics {
	return &metrics{requests: map[routeCode]*atomic.Int64{}, latency: map[string]*histogram{}}
}

func (m *metrics) observe(route string, code int, d time.Duration) {
	m.mu.Lock()
	c := m.requests[routeCode{route, code}]
	if c == nil {
		c = new(atomic.Int64)
		m.requests[routeCode{route, code}] = c
	}
	h := m.latency[route]
	if h == nil {
		h = &histogram{counts: make([]atomic.Int64, len(latencyBuckets))}
		m.latency[route] = h
	}
	m.mu.Unlock()
	c.Add(1)
	sec := d.Seconds()
	for i, b := range latencyBuckets {
		if sec <= b {
			h.counts[i].Add(1)
			break
		}
	}
	h.count.Add(1)
	h.sumNs.Add(int64(d))
}

// quote escapes a Prometheus label value.
func quote(s string) string { return strconv.Quote(s) }

func fmtFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// metricsHandler writes the Prometheus text exposition format.
func (s *Server) metricsHandler(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	m := s.metrics
	m.mu.Lock()
	reqs := make([]routeCode, 0, len(m.requests))
	for k := range m.requests {
		reqs = append(reqs, k)
	}
	routes := make([]string, 0, len(m.latency))
	for k := range m.latency {
		routes = append(routes, k)
	}
	m.mu.Unlock()
	sort.Slice(reqs, func(i, j int) bool {
		if reqs[i].route != reqs[j].route {
			return reqs[i].route < reqs[j].route
		}
		return reqs[i].code < reqs[j].code
	})
	sort.Strings(routes)

	fmt.Fprintln(w, "# HELP http_requests_total HTTP requests by route pattern and status code.")
	fmt.Fprintln(w, "# TYPE http_requests_total counter")
	for _, k := range reqs {
		m.mu.Lock()
		c := m.requests[k]
		m.mu.Unlock()
		fmt.Fprintf(w, "http_requests_total{route=%s,code=\"%d\"} %d\n", quote(k.route), k.code, c.Load())
	}
	fmt.Fprintln(w, "# HELP http_request_duration_seconds HTTP request latency by route pattern.")
	fmt.Fprintln(w, "# TYPE http_request_duration_seconds histogram")
	for _, rt := range routes {
		m.mu.Lock()
		h := m.latency[rt]
		m.mu.Unlock()
		writeHistogram(w, rt, h)
	}

	st := &s.eng.Stats
	counter(w, "vaxtrace_events_applied_total", "Events applied (committed) by this engine.", st.Applied.Load())
	fmt.Fprintln(w, "# HELP vaxtrace_rejections_total Commands rejected, by error code.")
	fmt.Fprintln(w, "# TYPE vaxtrace_rejections_total counter")
	var codes []string
	st.Rejections.Range(func(k, _ any) bool { codes = append(codes, k.(string)); return true })
	sort.Strings(codes)
	for _, c := range codes {
		v, _ := st.Rejections.Load(c)
		fmt.Fprintf(w, "vaxtrace_rejections_total{code=%s} %d\n", quote(c), v.(*atomic.Int64).Load())
	}
	counter(w, "vaxtrace_duplicates_total", "Commands recognised as replays (nothing changed).", st.Duplicates.Load())
	counter(w, "vaxtrace_commits_total", "Group commits to the journal.", st.Commits.Load())
	counter(w, "vaxtrace_uploads_refused_total", "Large uploads answered 503 because every upload slot was busy.", m.uploadsRefused.Load())
	gauge(w, "vaxtrace_uploads_in_progress", "Large uploads being read now.", int64(len(s.uploads)))

	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	var seq uint64
	s.eng.Read(func(st *vaxtrace.State) { seq = st.Seq })
	if last, err := s.eng.Journal().Last(ctx); err == nil {
		gauge(w, "vaxtrace_journal_seq", "Highest committed journal sequence number.", int64(last))
		gauge(w, "vaxtrace_journal_lag", "Journal events not yet applied to the in-memory state.", int64(lag(last, seq)))
	}
	gauge(w, "vaxtrace_state_seq", "Last journal sequence applied to the in-memory state.", int64(seq))
	return nil
}

func writeHistogram(w io.Writer, route string, h *histogram) {
	var cum int64
	for i, b := range latencyBuckets {
		cum += h.counts[i].Load()
		fmt.Fprintf(w, "http_request_duration_seconds_bucket{route=%s,le=\"%s\"} %d\n", quote(route), fmtFloat(b), cum)
	}
	n := h.count.Load()
	fmt.Fprintf(w, "http_request_duration_seconds_bucket{route=%s,le=\"+Inf\"} %d\n", quote(route), n)
	fmt.Fprintf(w, "http_request_duration_seconds_sum{route=%s} %s\n", quote(route), fmtFloat(time.Duration(h.sumNs.Load()).Seconds()))
	fmt.Fprintf(w, "http_request_duration_seconds_count{route=%s} %d\n", quote(route), n)
}

func counter(w io.Writer, name, help string, v int64) {
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s counter\n%s %d\n", name, help, name, name, v)
}

func gauge(w io.Writer, name, help string, v int64) {
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s gauge\n%s %d\n", name, help, name, name, v)
}
