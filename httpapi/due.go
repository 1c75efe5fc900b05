package httpapi

import (
	"net/http"
	"strconv"
	"strings"

	"vaxtrace"
)

// dueRoutes are the routes of due lists and reminders (issue 14), appended
// to the route table (and so to the OpenAPI document) by newServer.
func (s *Server) dueRoutes() []route {
	return append([]route{
		{Method: "GET", Path: "/api/v1/due", Access: member, Tag: "doses", Summary: "People due and overdue for their next dose: counts by product, component and dose number, and a page of people in due-day order (a point sees its point, a region its region); kept at write time",
			Query: []param{{"place", "vaccination point id (where the last dose was given)"}, {"region", "region code"}, {"product", "product code"}, {"component", "component code"}, qAsOf,
				{"ahead", "also list people due within this many days after as_of (default 7, at most 90)"}, {"offset", "skip this many people (default 0)"}, {"limit", "at most this many people (default 100, at most 1000)"}},
			Resp: dueResponse{}, Fn: s.dueList},
	}, s.reminderRoutes()...)
}

// dueResponse is the answer of GET /api/v1/due.
type dueResponse struct {
	AsOf      vaxtrace.Date       `json:"as_of"`
	Place     string              `json:"place,omitempty"`
	Region    string              `json:"region,omitempty"`
	AheadDays int                 `json:"ahead_days"`
	Counts    []vaxtrace.DueCount `json:"counts"`
	Total     int                 `json:"total"`
	Offset    int                 `json:"offset"`
	Limit     int                 `json:"limit"`
	People    []duePersonView     `json:"people"`
}

type duePersonView struct {
	vaxtrace.DuePerson
	Family string `json:"family,omitempty"`
	Given  string `json:"given,omitempty"`
}

func intQuery(r *http.Request, name string, def, lo, hi int) (int, error) {
	v := strings.TrimSpace(r.URL.Query().Get(name))
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, vaxtrace.FieldError(name, "must be a whole number from %d to %d", lo, hi)
	}
	return n, nil
}

// dueFilter reads and scopes the query of a due list.
func (s *Server) dueFilter(r *http.Request, st *vaxtrace.State) (vaxtrace.DueFilter, error) {
	q := r.URL.Query()
	p := principal(r)
	f := vaxtrace.DueFilter{Place: strings.TrimSpace(q.Get("place")), Region: strings.TrimSpace(q.Get("region")),
		Product: strings.TrimSpace(q.Get("product")), Component: strings.TrimSpace(q.Get("component"))}
	var err error
	if f.AsOf, err = dateParam(r, "as_of", s.today()); err != nil {
		return f, err
	}
	if f.Ahead, err = intQuery(r, "ahead", 7, 0, 90); err != nil {
		return f, err
	}
	if f.Offset, err = intQuery(r, "offset", 0, 0, 1<<30); err != nil {
		return f, err
	}
	if f.Limit, err = intQuery(r, "limit", 100, 0, 1000); err != nil {
		return f, err
	}
	if f.Product != "" && st.Product(f.Product) == nil {
		return f, vaxtrace.FieldError("product", "unknown product %q", f.Product)
	}
	switch p.Role {
	case vaxtrace.RolePoint:
		if f.Place != "" && f.Place != p.Place {
			return f, vaxtrace.Errorf(vaxtrace.EFORBIDDEN, "place %s is outside your scope", f.Place)
		}
		f.Place, f.Region = p.Place, ""
	case vaxtrace.RoleRegion:
		if f.Region != "" && f.Region != p.Region {
			return f, vaxtrace.Errorf(vaxtrace.EFORBIDDEN, "region %s is outside your scope", f.Region)
		}
		if f.Place == "" {
			f.Region = p.Region
		}
	}
	if f.Place != "" {
		pl := st.Place(f.Place)
		if pl == nil {
			return f, vaxtrace.FieldError("place", "unknown place %q", f.Place)
		}
		if !p.CanReadPlace(st, f.Place) {
			return f, vaxtrace.Errorf(vaxtrace.EFORBIDDEN, "place %s is outside your scope", f.Place)
		}
		f.Region = ""
	} else if f.Region != "" && st.Region(f.Region) == nil {
		return f, vaxtrace.FieldError("region", "unknown region %q", f.Region)
	}
	return f, nil
}

// dueList answers GET /api/v1/due from the due index (no scan of people).
func (s *Server) dueList(w http.ResponseWriter, r *http.Request) error {
	var out dueResponse
	err := s.read(func(st *vaxtrace.State) error {
		f, err := s.dueFilter(r, st)
		if err != nil {
			return err
		}
		l := st.Due(f)
		out = dueResponse{AsOf: f.AsOf, Place: f.Place, Region: f.Region, AheadDays: f.Ahead, Counts: l.Counts, Total: l.Total,
			Offset: f.Offset, Limit: f.Limit, People: make([]duePersonView, 0, len(l.People))}
		for _, d := range l.People {
			v := duePersonView{DuePerson: d}
			if ps := st.Person(d.Person); ps != nil {
				t := st.PersonText(ps)
				v.Family, v.Given = t.Family(), t.Given()
			}
			out.People = append(out.People, v)
		}
		return nil
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
