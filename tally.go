package vaxtrace

import (
	"sort"
	"time"
)

type tallyKey struct {
	place   string
	day     Date
	product string
	number  int
}

// TallyState is a daily aggregate count from a point.
type TallyState struct {
	TallySubmitted
	Recorded time.Time
	Closed   bool // person-level records reached the tally; a new tally needs Reopen
}

func (s *State) decideTally(v TallySubmitted, recorded time.Time) error {
	pl, err := s.place("place", v.Place)
	if err != nil {
		return err
	}
	if pl.Kind != PlacePoint {
		return FieldError("place", "%q is not a vaccination point", pl.ID)
	}
	if s.products[v.Product] == nil {
		return NotFound("product", "unknown product %q", v.Product)
	}
	if v.DoseNumber < 1 || v.DoseNumber > 10 {
		return FieldError("dose_number", "must be between 1 and 10")
	}
	if err := Qty(v.Count).Check("count"); err != nil {
		return err
	}
	if v.Date.Time().After(recorded) {
		return FieldError("date", "lies in the future")
	}
	k := tallyKey{v.Place, v.Date, v.Product, v.DoseNumber}
	if t := s.tallies[k]; t != nil && s.tallyClosed(t) && !v.Reopen {
		return Errorf(ECONFLICT, "the tally for %s on %s (%s dose %d) is closed: person-level records have reached it; set reopen to replace it", v.Place, v.Date, v.Product, v.DoseNumber)
	}
	return nil
}

func (s *State) applyTally(v TallySubmitted, recorded time.Time) {
	k := tallyKey{v.Place, v.Date, v.Product, v.DoseNumber}
	s.tallies[k] = &TallyState{TallySubmitted: v, Recorded: recorded}
}

func (s *State) tallyClosed(t *TallyState) bool {
	return s.personLevel(t) >= t.Count
}

func (s *State) personLevel(t *TallyState) int64 {
	pi, ok := s.productIdx[t.Product]
	if !ok {
		return 0
	}
	return s.Cov.pointDay[pointDayKey{place: s.places[t.Place], day: t.Date, product: pi, number: int32(t.DoseNumber)}]
}

// TallyLine reconciles one tally with person-level records.
type TallyLine struct {
	Place       string `json:"place"`
	Region      string `json:"region"`
	Date        Date   `json:"date"`
	Product     string `json:"product"`
	DoseNumber  int    `json:"dose_number"`
	Tally       int64  `json:"tally"`
	PersonLevel int64  `json:"person_level"`
	Gap         int64  `json:"gap"`      // tally not yet backed by person-level records
	Exceeded    bool   `json:"exceeded"` // person-level records exceed the tally
	Closed      bool   `json:"closed"`
}

// Tallies reconciles all tallies (optionally for one region) on or before `to`.
func (s *State) Tallies(region string, to Date) []TallyLine {
	var out []TallyLine
	for _, t := range s.tallies {
		pl := s.places[t.Place]
		r := pl.RegionAt(t.Date)
		if (region != "" && r != region) || t.Date > to {
			continue
		}
		pv := s.personLevel(t)
		ln := TallyLine{Place: t.Place, Region: r, Date: t.Date, Product: t.Product, DoseNumber: t.DoseNumber, Tally: t.Count, PersonLevel: pv}
		if pv < t.Count {
			ln.Gap = t.Count - pv
		}
		ln.Exceeded = pv > t.Count
		ln.Closed = pv >= t.Count
		out = append(out, ln)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Date != b.Date {
			return a.Date < b.Date
		}
		if a.Place != b.Place {
			return a.Place < b.Place
		}
		if a.Product != b.Product {
			return a.Product < b.Product
		}
		return a.DoseNumber < b.DoseNumber
	})
	return out
}
