package dhis2

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"vaxtrace"
	"vaxtrace/engine"
	"vaxtrace/httperr"
)

// Patterns are the routes Handler serves.
var Patterns = []struct{ Pattern, Summary string }{
	{"GET /api/v1/dhis2/dataValueSets", "DHIS2 data values for daily or weekly periods (period=daily|weekly, from, to; format=json for dataValueSets, adx for ADX XML)"},
	{"POST /api/v1/dhis2/push", "push the data values of the periods to the configured DHIS2 server and show its import summary (imported, updated, ignored, conflicts); repeating it changes nothing"},
}

// Config is what the API needs to exchange with DHIS2; a nil Mapping
// means the deployment has none configured.
type Config struct {
	Mapping *Mapping
	Client  *Client
	Now     func() time.Time
}

// PushAnswer is the API's answer to a push.
type PushAnswer struct {
	Push             PushResult       `json:"push"`
	Values           int              `json:"values"`
	UnmappedOrgUnits map[string]int64 `json:"unmapped_org_units,omitempty"`
	UnmappedValues   int64            `json:"unmapped_values,omitempty"`
	Error            *httperr.Body    `json:"error,omitempty"`
}

// Handler serves the DHIS2 routes. Reading the data values needs an admin
// or auditor token; pushing, an admin token.
func Handler(eng *engine.Engine, cfg Config, authorize func(r *http.Request) (vaxtrace.Principal, error)) http.Handler {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := authorize(r)
		if err != nil {
			httperr.Write(w, err)
			return
		}
		push := r.Method == http.MethodPost
		switch {
		case push && p.Role != vaxtrace.RoleAdmin:
			httperr.Write(w, vaxtrace.Errorf(vaxtrace.EFORBIDDEN, "only admin may push to DHIS2"))
			return
		case !push && p.Role != vaxtrace.RoleAdmin && p.Role != vaxtrace.RoleAuditor:
			httperr.Write(w, vaxtrace.Errorf(vaxtrace.EFORBIDDEN, "only admin and auditor may read the DHIS2 data values"))
			return
		}
		if cfg.Mapping == nil {
			httperr.Write(w, vaxtrace.Errorf(vaxtrace.EUNAVAILABLE, "no DHIS2 mapping is configured (serve with VAXTRACE_DHIS2_MAPPING=<mapping.json>)"))
			return
		}
		periods, err := periodsOf(r, cfg.Now())
		if err != nil {
			httperr.Write(w, err)
			return
		}
		var res *Result
		eng.Read(func(s *vaxtrace.State) {
			if err = cfg.Mapping.Check(s); err == nil {
				res = Compute(s, cfg.Mapping, periods)
			}
		})
		if err != nil {
			httperr.Write(w, err)
			return
		}
		if !push {
			switch r.URL.Query().Get("format") {
			case "", "json":
				w.Header().Set("Content-Type", "application/json")
				_ = EncodeJSON(w, res, res.Values)
			case "adx":
				var buf strings.Builder
				if err := EncodeADX(&buf, res, cfg.Now()); err != nil {
					httperr.Write(w, err)
					return
				}
				w.Header().Set("Content-Type", "application/adx+xml")
				_, _ = w.Write([]byte(buf.String()))
			default:
				httperr.Write(w, vaxtrace.FieldError("format", "must be json or adx"))
			}
			return
		}
		if cfg.Client == nil || cfg.Client.BaseURL == "" {
			httperr.Write(w, vaxtrace.Errorf(vaxtrace.EUNAVAILABLE, "no DHIS2 server is configured (VAXTRACE_DHIS2_URL)"))
			return
		}
		out := PushAnswer{Values: len(res.Values), UnmappedOrgUnits: res.UnmappedOrgUnits, UnmappedValues: res.UnmappedValues}
		status := http.StatusOK
		out.Push, err = cfg.Client.Push(r.Context(), res)
		if err != nil {
			b := httperr.Of(err)
			out.Error, status = &b, httperr.StatusOf(b.Code)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(out)
	})
}

// periodsOf reads period, from and to (default: the last 7 days).
func periodsOf(r *http.Request, now time.Time) (Periods, error) {
	q := r.URL.Query()
	typ := q.Get("period")
	if typ == "" {
		typ = Daily
	}
	to := vaxtrace.DateOf(now.UTC())
	from := to.AddDays(-6)
	var err error
	if v := q.Get("to"); v != "" {
		if to, err = vaxtrace.ParseDate(v); err != nil {
			return Periods{}, vaxtrace.WithField(err, "to")
		}
		from = to.AddDays(-6)
	}
	if v := q.Get("from"); v != "" {
		if from, err = vaxtrace.ParseDate(v); err != nil {
			return Periods{}, vaxtrace.WithField(err, "from")
		}
	}
	return NewPeriods(typ, from, to)
}
