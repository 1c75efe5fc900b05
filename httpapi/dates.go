package httpapi

import (
	"net/http"

	"vaxtrace"
	"vaxtrace/asof"
)

// checkDays checks the report days named (as_of, to, known_at) that the
// request carries: real YYYY-MM-DD dates, not before the campaign began in
// the ledger and not after today; known_at not before as_of. It runs before
// a handler reads its parameters, so every report refuses a bad day the
// same way, naming the field.
func (s *Server) checkDays(r *http.Request, names ...string) error {
	q := r.URL.Query()
	var start vaxtrace.Date
	started := false
	days := map[string]vaxtrace.Date{}
	for _, name := range names {
		v := q.Get(name)
		if v == "" {
			continue
		}
		d, err := asof.Parse(name, v, 0)
		if err != nil {
			return err
		}
		if !started {
			s.eng.Read(func(st *vaxtrace.State) { start = asof.Start(st) })
			started = true
		}
		if err := asof.Check(name, d, start, s.today()); err != nil {
			return err
		}
		days[name] = d
	}
	if k, ok := days["known_at"]; ok {
		if d, ok := days["as_of"]; ok {
			return asof.Known(k, d)
		}
	}
	return nil
}
