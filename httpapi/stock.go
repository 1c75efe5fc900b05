package httpapi

import (
	"net/http"
	"sort"
	"time"

	"vaxtrace"
)

type shipmentView struct {
	vaxtrace.ShipmentDispatched
	Received   bool                   `json:"received"`
	ReceivedAt *time.Time             `json:"received_at,omitempty"`
	Receipt    []vaxtrace.ReceiptLine `json:"receipt,omitempty"`
	Held       map[string]string      `json:"held,omitempty"` // lot -> excursion
}

func viewShipment(sh *vaxtrace.ShipmentState) shipmentView {
	v := shipmentView{ShipmentDispatched: sh.ShipmentDispatched, Received: sh.Received, Receipt: sh.Receipt}
	v.Lines = append([]vaxtrace.ShipmentLine(nil), sh.Lines...)
	if sh.Received {
		t := sh.ReceivedAt
		v.ReceivedAt = &t
	}
	if len(sh.Hold) > 0 {
		v.Held = map[string]string{}
		for k, x := range sh.Hold {
			v.Held[k] = x
		}
	}
	return v
}

func canSeeShipment(p vaxtrace.Principal, st *vaxtrace.State, sh *vaxtrace.ShipmentState) bool {
	return p.CanReadPlace(st, sh.From) || p.CanReadPlace(st, sh.To)
}

func (s *Server) listShipments(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	inTransit := r.URL.Query().Get("in_transit") == "true"
	var out []shipmentView
	_ = s.read(func(st *vaxtrace.State) error {
		for _, sh := range st.Shipments(inTransit) {
			if canSeeShipment(p, st, sh) {
				out = append(out, viewShipment(sh))
			}
		}
		return nil
	})
	writeJSON(w, http.StatusOK, map[string]any{"shipments": nonNil(out)})
	return nil
}

func (s *Server) getShipment(w http.ResponseWriter, r *http.Request) error {
	var v shipmentView
	err := s.read(func(st *vaxtrace.State) error {
		sh := st.Shipment(r.PathValue("id"))
		if sh == nil {
			return vaxtrace.NotFound("id", "unknown shipment %q", r.PathValue("id"))
		}
		if !canSeeShipment(principal(r), st, sh) {
			return vaxtrace.Errorf(vaxtrace.EFORBIDDEN, "shipment %s is outside your scope", sh.Shipment)
		}
		v = viewShipment(sh)
		return nil
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (s *Server) dispatch(w http.ResponseWriter, r *http.Request) error {
	var q vaxtrace.ShipmentDispatched
	if err := s.decode(w, r, &q); err != nil {
		return err
	}
	return s.write(w, r, http.StatusCreated, "shipment:"+q.Shipment, q)
}

type receiveRequest struct {
	Occurred time.Time              `json:"occurred"`
	Lines    []vaxtrace.ReceiptLine `json:"lines"`
}

func (s *Server) receiveShipment(w http.ResponseWriter, r *http.Request) error {
	var q receiveRequest
	if err := s.decode(w, r, &q); err != nil {
		return err
	}
	id := r.PathValue("id")
	return s.write(w, r, http.StatusOK, "shipment.receive:"+id, vaxtrace.ShipmentReceived{Shipment: id, Occurred: q.Occurred, Lines: q.Lines})
}

func (s *Server) adjust(w http.ResponseWriter, r *http.Request) error {
	var q vaxtrace.StockAdjusted
	if err := s.decode(w, r, &q); err != nil {
		return err
	}
	return s.write(w, r, http.StatusCreated, "", q)
}

type countRequest struct {
	Place    string    `json:"place"`
	Lot      string    `json:"lot"`
	Counted  int64     `json:"counted"`
	Occurred time.Time `json:"occurred"`
}

func (s *Server) count(w http.ResponseWriter, r *http.Request) error {
	var q countRequest
	if err := s.decode(w, r, &q); err != nil {
		return err
	}
	return s.write(w, r, http.StatusCreated, "", vaxtrace.StockCounted{Place: q.Place, Lot: q.Lot, Counted: q.Counted, Occurred: q.Occurred})
}

func (s *Server) reportExcursion(w http.ResponseWriter, r *http.Request) error {
	var q vaxtrace.ExcursionReported
	if err := s.decode(w, r, &q); err != nil {
		return err
	}
	return s.write(w, r, http.StatusCreated, "excursion:"+q.Excursion, q)
}

type resolveRequest struct {
	Lot      string    `json:"lot"`
	Decision string    `json:"decision"`
	Occurred time.Time `json:"occurred"`
}

func (s *Server) resolveExcursion(w http.ResponseWriter, r *http.Request) error {
	var q resolveRequest
	if err := s.decode(w, r, &q); err != nil {
		return err
	}
	id := r.PathValue("id")
	return s.write(w, r, http.StatusOK, "excursion.resolve:"+id+":"+q.Lot, vaxtrace.ExcursionResolved{Excursion: id, Lot: q.Lot, Decision: q.Decision, Occurred: q.Occurred})
}

type stockTotal struct {
	Region       string `json:"region"` // "" = national warehouses
	OnHand       int64  `json:"on_hand"`
	AtPoints     int64  `json:"at_points"`
	InTransit    int64  `json:"in_transit"`
	Delivered    int64  `json:"delivered"`
	Administered int64  `json:"administered"`
	WrittenOff   int64  `json:"written_off"`
}

func (t *stockTotal) add(ln vaxtrace.StockLine) {
	t.OnHand += ln.OnHand
	t.AtPoints += ln.AtPoints
	t.InTransit += ln.InTransit
	t.Delivered += ln.Delivered
	t.Administered += ln.Administered
	t.WrittenOff += ln.WrittenOff
}

type stockResponse struct {
	AsOf    vaxtrace.Date        `json:"as_of"`
	KnownAt *vaxtrace.Date       `json:"known_at,omitempty"`
	Region  string               `json:"region,omitempty"`
	Lines   []vaxtrace.StockLine `json:"lines"`   // by product and component
	Regions []stockTotal         `json:"regions"` // totals by region
}

// stock is the stock position at the end of as_of: one region, or the whole
// country summed by product and component.
func (s *Server) stock(w http.ResponseWriter, r *http.Request) error {
	if err := s.checkDays(r, "as_of", "known_at"); err != nil {
		return err
	}
	asOf, err := dateParam(r, "as_of", s.today())
	if err != nil {
		return err
	}
	region := r.URL.Query().Get("region")
	var known *vaxtrace.Date
	if r.URL.Query().Get("known_at") != "" {
		k, err := dateParam(r, "known_at", 0)
		if err != nil {
			return err
		}
		known = &k
	}
	var lines []vaxtrace.StockLine
	err = s.read(func(st *vaxtrace.State) error {
		if region != "" && st.Region(region) == nil {
			return vaxtrace.NotFound("region", "unknown region %q", region)
		}
		if known != nil {
			lines = st.StockPositionKnown(region, asOf, *known)
		} else {
			lines = st.StockPosition(region, asOf)
		}
		return nil
	})
	if err != nil {
		return err
	}
	out := stockResponse{AsOf: asOf, KnownAt: known, Region: region, Lines: lines}
	byRegion := map[string]*stockTotal{}
	for _, ln := range lines {
		t := byRegion[ln.Region]
		if t == nil {
			t = &stockTotal{Region: ln.Region}
			byRegion[ln.Region] = t
		}
		t.add(ln)
	}
	for _, t := range byRegion {
		out.Regions = append(out.Regions, *t)
	}
	sort.Slice(out.Regions, func(i, j int) bool { return out.Regions[i].Region < out.Regions[j].Region })
	if region == "" {
		out.Lines = sumLines(lines)
	}
	out.Lines, out.Regions = nonNil(out.Lines), nonNil(out.Regions)
	writeJSON(w, http.StatusOK, out)
	return nil
}

// sumLines sums stock lines over regions by product and component.
func sumLines(lines []vaxtrace.StockLine) []vaxtrace.StockLine {
	type key struct{ p, c string }
	acc := map[key]*vaxtrace.StockLine{}
	var keys []key
	for _, ln := range lines {
		k := key{ln.Product, ln.Component}
		a := acc[k]
		if a == nil {
			a = &vaxtrace.StockLine{Product: ln.Product, Component: ln.Component}
			acc[k] = a
			keys = append(keys, k)
		}
		a.OnHand += ln.OnHand
		a.AtPoints += ln.AtPoints
		a.InTransit += ln.InTransit
		a.Delivered += ln.Delivered
		a.Administered += ln.Administered
		a.WrittenOff += ln.WrittenOff
		a.Received += ln.Received
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].p != keys[j].p {
			return keys[i].p < keys[j].p
		}
		return keys[i].c < keys[j].c
	})
	out := make([]vaxtrace.StockLine, 0, len(keys))
	for _, k := range keys {
		out = append(out, *acc[k])
	}
	return out
}

func (s *Server) regionStock(w http.ResponseWriter, r *http.Request) error {
	code := r.PathValue("code")
	var lots []vaxtrace.LotStock
	err := s.read(func(st *vaxtrace.State) error {
		if st.Region(code) == nil {
			return vaxtrace.NotFound("code", "unknown region %q", code)
		}
		if !principal(r).CanReadRegion(st, code) {
			return vaxtrace.Errorf(vaxtrace.EFORBIDDEN, "region %s is outside your scope", code)
		}
		lots = st.RegionLotStock(code)
		return nil
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"region": code, "lots": nonNil(lots)})
	return nil
}
