package httpapi

import (
	"net/http"

	"vaxtrace"
)

func (s *Server) listProducts(w http.ResponseWriter, r *http.Request) error {
	var out []*vaxtrace.Product
	_ = s.read(func(st *vaxtrace.State) error {
		for _, p := range st.Products() {
			c := *p
			out = append(out, &c)
		}
		return nil
	})
	writeJSON(w, http.StatusOK, map[string]any{"products": nonNil(out)})
	return nil
}

func (s *Server) defineProduct(w http.ResponseWriter, r *http.Request) error {
	var p vaxtrace.Product
	if err := s.decode(w, r, &p); err != nil {
		return err
	}
	return s.write(w, r, http.StatusCreated, "", vaxtrace.ProductDefined{Product: p})
}

type regionView struct {
	vaxtrace.Region
	Name string `json:"name"`
}

func (s *Server) listRegions(w http.ResponseWriter, r *http.Request) error {
	lang := r.URL.Query().Get("lang")
	var out []regionView
	_ = s.read(func(st *vaxtrace.State) error {
		for _, rg := range st.Regions() {
			out = append(out, regionView{Region: *rg, Name: rg.Name(lang)})
		}
		return nil
	})
	writeJSON(w, http.StatusOK, map[string]any{"regions": nonNil(out)})
	return nil
}

func (s *Server) defineRegion(w http.ResponseWriter, r *http.Request) error {
	var rg vaxtrace.Region
	if err := s.decode(w, r, &rg); err != nil {
		return err
	}
	return s.write(w, r, http.StatusCreated, "", vaxtrace.RegionDefined{Region: rg})
}

type placeView struct {
	vaxtrace.Place
	OnHand int64 `json:"on_hand"`
	Doses  int64 `json:"doses_administered"`
}

func viewPlace(pl *vaxtrace.PlaceState) placeView {
	v := placeView{Place: pl.Place, Doses: pl.Doses}
	v.History = append([]vaxtrace.RegionSpan(nil), pl.History...)
	for _, n := range pl.Stock {
		v.OnHand += n
	}
	return v
}

func (s *Server) listPlaces(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	q := r.URL.Query()
	var out []placeView
	_ = s.read(func(st *vaxtrace.State) error {
		for _, pl := range st.Places(q.Get("region"), q.Get("kind")) {
			if canSeePlace(p, st, pl) {
				out = append(out, viewPlace(pl))
			}
		}
		return nil
	})
	writeJSON(w, http.StatusOK, map[string]any{"places": nonNil(out)})
	return nil
}

// placeIn finds a place the caller may see.
func placeIn(p vaxtrace.Principal, st *vaxtrace.State, id string) (*vaxtrace.PlaceState, error) {
	pl := st.Place(id)
	if pl == nil {
		return nil, vaxtrace.NotFound("id", "unknown place %q", id)
	}
	if !canSeePlace(p, st, pl) {
		return nil, vaxtrace.Errorf(vaxtrace.EFORBIDDEN, "place %s is outside your scope", id)
	}
	return pl, nil
}

func (s *Server) getPlace(w http.ResponseWriter, r *http.Request) error {
	var v placeView
	err := s.read(func(st *vaxtrace.State) error {
		pl, err := placeIn(principal(r), st, r.PathValue("id"))
		if err != nil {
			return err
		}
		v = viewPlace(pl)
		return nil
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (s *Server) placeStock(w http.ResponseWriter, r *http.Request) error {
	var lines []vaxtrace.LotStock
	err := s.read(func(st *vaxtrace.State) error {
		pl, err := placeIn(principal(r), st, r.PathValue("id"))
		if err != nil {
			return err
		}
		lines, err = st.PlaceStock(pl.ID)
		return err
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"place": r.PathValue("id"), "lots": nonNil(lines)})
	return nil
}

func (s *Server) definePlace(w http.ResponseWriter, r *http.Request) error {
	var pl vaxtrace.Place
	if err := s.decode(w, r, &pl); err != nil {
		return err
	}
	pl.History = nil // derived
	return s.write(w, r, http.StatusCreated, "place:"+pl.ID, vaxtrace.PlaceDefined{Place: pl})
}

type moveRequest struct {
	Region string        `json:"region"`
	From   vaxtrace.Date `json:"from"`
}

func (s *Server) movePlace(w http.ResponseWriter, r *http.Request) error {
	var m moveRequest
	if err := s.decode(w, r, &m); err != nil {
		return err
	}
	if m.From == 0 {
		return vaxtrace.FieldError("from", "required")
	}
	return s.write(w, r, http.StatusOK, "", vaxtrace.PlaceMoved{Place: r.PathValue("id"), Region: m.Region, From: m.From})
}

// nonNil makes empty lists marshal as [] instead of null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
