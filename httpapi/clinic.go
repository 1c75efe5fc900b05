package httpapi

import (
	"net/http"
	"time"

	"vaxtrace"
)

type sessionRequest struct {
	Session     string        `json:"session"`
	Place       string        `json:"place"`
	Date        vaxtrace.Date `json:"date"`
	Lot         string        `json:"lot"`
	VialsOpened int64         `json:"vials_opened"`
}

// closeSession records the end of a vaccination session; the state derives
// the doses given and the open-vial wastage.
func (s *Server) closeSession(w http.ResponseWriter, r *http.Request) error {
	var q sessionRequest
	if err := s.decode(w, r, &q); err != nil {
		return err
	}
	if q.Date == 0 {
		return vaxtrace.FieldError("date", "required")
	}
	p := vaxtrace.SessionClosed{Session: q.Session, Place: q.Place, Date: q.Date, Lot: q.Lot, VialsOpened: q.VialsOpened}
	return s.write(w, r, http.StatusCreated, "session:"+q.Session, p)
}

type aefiRequest struct {
	ID          string    `json:"id"`
	Dose        string    `json:"dose"`
	Serious     bool      `json:"serious"`
	Description string    `json:"description"`
	Onset       time.Time `json:"onset"`
	SuspendLot  bool      `json:"suspend_lot,omitempty"`
}

func (s *Server) reportAEFI(w http.ResponseWriter, r *http.Request) error {
	var q aefiRequest
	if err := s.decode(w, r, &q); err != nil {
		return err
	}
	p := vaxtrace.AEFIReported{ID: q.ID, Dose: q.Dose, Serious: q.Serious, Description: q.Description, Onset: q.Onset, SuspendLot: q.SuspendLot}
	return s.write(w, r, http.StatusCreated, "aefi:"+q.ID, p)
}

// aefiRate is the AEFI rate of one lot.
type aefiRate struct {
	Lot            string  `json:"lot"`
	Product        string  `json:"product"`
	Component      string  `json:"component"`
	Administered   int64   `json:"administered"`
	Reports        int64   `json:"reports"`
	Serious        int64   `json:"serious"`
	Per100k        float64 `json:"per_100k"`
	SeriousPer100k float64 `json:"serious_per_100k"`
	Suspended      bool    `json:"suspended"`
}

type aefiResponse struct {
	Reports []vaxtrace.AEFIReported `json:"reports"` // those of doses in the caller's scope
	Rates   []aefiRate              `json:"rates"`   // per lot, national
}

func per100k(n, of int64) float64 {
	if of <= 0 {
		return 0
	}
	return float64(n) * 100000 / float64(of)
}

func (s *Server) listAEFI(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	var out aefiResponse
	_ = s.read(func(st *vaxtrace.State) error {
		for _, a := range st.AEFIs() {
			if d := st.Dose(a.Dose); d != nil && canSeeDose(p, st, d) {
				out.Reports = append(out.Reports, *a)
			}
		}
		for _, l := range st.Lots() {
			if l.Administered == 0 && l.AEFI == 0 {
				continue
			}
			out.Rates = append(out.Rates, aefiRate{Lot: l.ID, Product: l.Product, Component: l.Component, Administered: l.Administered,
				Reports: l.AEFI, Serious: l.AEFISerious, Per100k: per100k(l.AEFI, l.Administered), SeriousPer100k: per100k(l.AEFISerious, l.Administered),
				Suspended: l.Suspended})
		}
		return nil
	})
	out.Reports, out.Rates = nonNil(out.Reports), nonNil(out.Rates)
	writeJSON(w, http.StatusOK, out)
	return nil
}

type tallyRequest struct {
	Place      string        `json:"place"`
	Date       vaxtrace.Date `json:"date"`
	Product    string        `json:"product"`
	DoseNumber int           `json:"dose_number"`
	Count      int64         `json:"count"`
	Reopen     bool          `json:"reopen,omitempty"`
}

func (s *Server) submitTally(w http.ResponseWriter, r *http.Request) error {
	var q tallyRequest
	if err := s.decode(w, r, &q); err != nil {
		return err
	}
	if q.Date == 0 {
		return vaxtrace.FieldError("date", "required")
	}
	return s.write(w, r, http.StatusCreated, "", vaxtrace.TallySubmitted(q))
}

func (s *Server) listTallies(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	to, err := dateParam(r, "to", s.today())
	if err != nil {
		return err
	}
	region := r.URL.Query().Get("region")
	if p.Role == vaxtrace.RoleRegion {
		if region != "" && region != p.Region {
			return vaxtrace.Errorf(vaxtrace.EFORBIDDEN, "region %s is outside your scope", region)
		}
		region = p.Region
	}
	var out []vaxtrace.TallyLine
	_ = s.read(func(st *vaxtrace.State) error {
		for _, t := range st.Tallies(region, to) {
			if p.Role == vaxtrace.RolePoint && t.Place != p.Place {
				continue
			}
			out = append(out, t)
		}
		return nil
	})
	writeJSON(w, http.StatusOK, map[string]any{"to": to, "region": region, "tallies": nonNil(out)})
	return nil
}
