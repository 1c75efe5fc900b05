package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"vaxtrace/engine"
	"vaxtrace/httperr"
)

// Availability headers and refusals, decided in one place (ServeHTTP) before
// any handler runs:
//
//   - every response carries X-Vaxtrace-Seq, the journal sequence number
//     the node's state had reached when the request began: a report
//     reflects at least every event up to it (the overview also gives the
//     exact figure it was computed at, journal_seq);
//   - on a read-only node (serve --read-only, a PostgreSQL hot standby)
//     every write (any method but GET, HEAD and OPTIONS) is refused with
//     503 before it reaches the engine or the journal;
//   - while the engine is down after a storage failure, writes are refused
//     with 503 and Retry-After; reads are answered from the last state the
//     node had, marked with X-Vaxtrace-Stale (the time the outage began),
//     except when that state may hold a failed write (it is being rebuilt
//     from the journal): then API reads are refused with 503 too, so a
//     page never shows data the journal does not hold.
const (
	headerSeq   = "X-Vaxtrace-Seq"
	headerStale = "X-Vaxtrace-Stale"
)

// availability sets the headers above and returns the refusal for r, if any.
func (s *Server) availability(w http.ResponseWriter, r *http.Request) error {
	h := w.Header()
	h.Set(headerSeq, strconv.FormatUint(s.eng.Seq(), 10))
	write := r.Method != http.MethodGet && r.Method != http.MethodHead && r.Method != http.MethodOptions
	if write && s.eng.ReadOnly() {
		return httperr.Public(engine.ErrReadOnly)
	}
	down, since := s.eng.Down()
	if !down {
		return nil
	}
	if write {
		return s.eng.Err()
	}
	h.Set(headerStale, since.UTC().Format(time.RFC3339))
	if err := s.eng.ReadErr(); err != nil && isAPI(r.URL.Path) {
		return err
	}
	return nil
}

// isAPI tells the JSON API from the operational endpoints (the probes,
// metrics) and the dashboard's static files, which a down node still serves.
func isAPI(path string) bool {
	return len(path) >= 5 && path[:5] == "/api/"
}

// retryAfter sets Retry-After on a 503 while the engine recovers from an
// outage.
func (s *Server) retryAfter(w http.ResponseWriter) {
	if d := s.eng.RetryAfter(); d > 0 && w.Header().Get("Retry-After") == "" {
		w.Header().Set("Retry-After", strconv.Itoa(int((d+time.Second-1)/time.Second)))
	}
}
