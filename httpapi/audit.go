package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"vaxtrace"
	"vaxtrace/httperr"
)

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}

// readyz checks that the node can serve correct data: the engine is not
// down after a storage failure (reconnecting, rebuilding) and the journal
// answers. It reports how far the in-memory state is behind the journal and
// whether the node is read-only.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) error {
	if down, since := s.eng.Down(); down {
		s.log.Warn("readiness: engine down after a storage failure", "request_id", requestID(r), "since", since, "err", s.eng.Err())
		return httperr.Public(vaxtrace.Errorf(vaxtrace.EUNAVAILABLE, "storage unavailable; reconnecting"))
	}
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	last, err := s.eng.Journal().Last(ctx)
	if err != nil {
		s.log.Error("readiness: journal unreachable", "request_id", requestID(r), "err", err)
		return httperr.Public(vaxtrace.Errorf(vaxtrace.EUNAVAILABLE, "journal unreachable"))
	}
	var seq uint64
	s.eng.Read(func(st *vaxtrace.State) { seq = st.Seq })
	writeJSON(w, http.StatusOK, map[string]any{"status": "ready", "journal_seq": last, "state_seq": seq, "lag": lag(last, seq), "read_only": s.eng.ReadOnly()})
	return nil
}

func lag(last, seq uint64) uint64 {
	if last > seq {
		return last - seq
	}
	return 0
}

type checkResponse struct {
	OK     bool                 `json:"ok"`
	Report vaxtrace.CheckReport `json:"report"`
}

func (s *Server) check(w http.ResponseWriter, r *http.Request) error {
	rep, err := s.eng.Check(r.Context())
	if err != nil {
		return err
	}
	if rep.Breaches == nil {
		rep.Breaches = []string{}
	}
	writeJSON(w, http.StatusOK, checkResponse{OK: rep.OK(), Report: rep})
	return nil
}

var errEnough = errors.New("limit reached")

// events streams the journal as JSON lines for auditors, from after
// (exclusive), at most limit events. The X-Next-After trailer-less
// convention: the last line's seq is where the next page starts.
func (s *Server) events(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	var after uint64
	if v := q.Get("after"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return vaxtrace.FieldError("after", "must be a non-negative integer")
		}
		after = n
	}
	limit := 1000
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100000 {
			return vaxtrace.FieldError("limit", "must be an integer between 1 and 100000")
		}
		limit = n
	}
	w.Header().Set("Content-Type", "application/x-ndjson")
	rc := http.NewResponseController(w)
	enc := json.NewEncoder(w)
	count := 0
	err := s.eng.Journal().Replay(r.Context(), after, func(ev vaxtrace.Event) error {
		if count >= limit {
			return errEnough
		}
		if err := enc.Encode(ev); err != nil {
			return err
		}
		count++
		if count%1000 == 0 {
			_ = rc.Flush()
		}
		return nil
	})
	if err != nil && !errors.Is(err, errEnough) {
		if count == 0 {
			return err
		}
		// the status line is gone; cut the stream short and log
		s.log.Error("event stream failed", "err", err, "sent", count)
		return nil
	}
	if count == 0 {
		w.WriteHeader(http.StatusOK)
	}
	return nil
}
