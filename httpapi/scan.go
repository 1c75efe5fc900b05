package httpapi

import (
	"net/http"
	"strings"

	"vaxtrace"
	"vaxtrace/gs1"
)

// scanRequest is a scanned or typed GS1 barcode to resolve. Date is the day
// the pack is used or received (expiry is checked against it; default
// today). Place, if given, adds the doses of that lot on hand there;
// Shipment, if given, requires the lot to be one of the shipment's.
type scanRequest struct {
	Code     string         `json:"code"`
	Date     *vaxtrace.Date `json:"date,omitempty"`
	Place    string         `json:"place,omitempty"`
	Shipment string         `json:"shipment,omitempty"`
}

type scanResult struct {
	gs1.Match
	AtPlace    *int64 `json:"at_place,omitempty"`    // doses of the lot on hand at Place
	InShipment *int64 `json:"in_shipment,omitempty"` // doses of the lot dispatched in Shipment
}

// scan resolves a GS1 barcode to product, component and lot.
func (s *Server) scan(w http.ResponseWriter, r *http.Request) error {
	var q scanRequest
	if err := s.decode(w, r, &q); err != nil {
		return err
	}
	day := s.today()
	if q.Date != nil {
		day = *q.Date
	}
	code, err := gs1.Parse(q.Code, day)
	if err != nil {
		return err
	}
	var out scanResult
	err = s.read(func(st *vaxtrace.State) error {
		m, err := gs1.Resolve(st, code, day)
		if err != nil {
			return err
		}
		out.Match = m
		p := principal(r)
		if q.Place != "" {
			pl, err := placeIn(p, st, q.Place)
			if err != nil {
				return vaxtrace.WithField(err, "place")
			}
			n := pl.Stock[st.Lot(m.Lot)]
			out.AtPlace = &n
		}
		if q.Shipment != "" {
			sh := st.Shipment(q.Shipment)
			if sh == nil || !canSeeShipment(p, st, sh) {
				return vaxtrace.NotFound("shipment", "no shipment %q in your scope", q.Shipment)
			}
			var lots []string
			for _, ln := range sh.Lines {
				if ln.Lot == m.Lot {
					n := ln.Doses
					out.InShipment = &n
					return nil
				}
				lots = append(lots, ln.Lot)
			}
			return vaxtrace.FieldError("lot", "lot %s is not in shipment %s (it carries %s)", m.Lot, sh.Shipment, strings.Join(lots, ", "))
		}
		return nil
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
