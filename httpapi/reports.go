package httpapi

import (
	"net/http"

	"vaxtrace"
)

// scopedRegion narrows a region query to the caller's region.
func scopedRegion(r *http.Request) (string, error) {
	p := principal(r)
	region := r.URL.Query().Get("region")
	if p.Role == vaxtrace.RoleRegion {
		if region != "" && region != p.Region {
			return "", vaxtrace.Errorf(vaxtrace.EFORBIDDEN, "region %s is outside your scope", region)
		}
		region = p.Region
	}
	return region, nil
}

// lateReport: how many records arrived late in a period, from which points,
// how late, and how much each day's published figure has changed since.
func (s *Server) lateReport(w http.ResponseWriter, r *http.Request) error {
	if err := s.checkDays(r, "to"); err != nil {
		return err
	}
	region, err := scopedRegion(r)
	if err != nil {
		return err
	}
	to, err := dateParam(r, "to", s.today())
	if err != nil {
		return err
	}
	from, err := dateParam(r, "from", to.AddDays(-29))
	if err != nil {
		return err
	}
	if from > to {
		return vaxtrace.FieldError("from", "is after to")
	}
	if to-from > 3660 {
		return vaxtrace.FieldError("from", "the period is limited to ten years")
	}
	var rep vaxtrace.LateReport
	_ = s.read(func(st *vaxtrace.State) error {
		if region != "" && st.Region(region) == nil {
			err = vaxtrace.NotFound("region", "unknown region %q", region)
			return nil
		}
		rep = st.LateRecords(region, from, to)
		return nil
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"region": region, "from": from, "to": to, "report": rep})
	return nil
}

// estimateResponse combines person-level records and tallies.
type estimateResponse struct {
	Region       string        `json:"region"`
	To           vaxtrace.Date `json:"to"`
	PersonLevel  int64         `json:"person_level"`  // doses recorded person by person
	TallyGap     int64         `json:"tally_gap"`     // tallied doses not yet backed by person-level records
	BestEstimate int64         `json:"best_estimate"` // person_level + tally_gap: never counts a dose twice
}

func (s *Server) estimate(w http.ResponseWriter, r *http.Request) error {
	region, err := scopedRegion(r)
	if err != nil {
		return err
	}
	to, err := dateParam(r, "to", s.today())
	if err != nil {
		return err
	}
	out := estimateResponse{Region: region, To: to}
	_ = s.read(func(st *vaxtrace.State) error {
		out.PersonLevel, out.TallyGap = st.TallyEstimate(region, to)
		return nil
	})
	out.BestEstimate = out.PersonLevel + out.TallyGap
	writeJSON(w, http.StatusOK, out)
	return nil
}
