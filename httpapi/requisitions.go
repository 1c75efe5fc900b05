package httpapi

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"vaxtrace"
	"vaxtrace/engine"
)

func (s *Server) replenishment(w http.ResponseWriter, r *http.Request) error {
	warning := r.URL.Query().Get("warning")
	var out []vaxtrace.StockLevel
	var asOf vaxtrace.Date
	err := s.read(func(st *vaxtrace.State) error {
		var err error
		asOf, err = dateParam(r, "as_of", max(st.LastDay(), s.today()))
		if err != nil {
			return err
		}
		for _, l := range st.StockLevels(asOf, inScope(principal(r), st, r)) {
			if warning == "" || l.Warning == warning || (warning == "any" && l.Warning != "") {
				out = append(out, l)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"as_of": asOf, "levels": nonNil(out)})
	return nil
}

func (s *Server) setPolicy(w http.ResponseWriter, r *http.Request) error {
	var q vaxtrace.ReplenishmentPolicy
	if err := s.decode(w, r, &q); err != nil {
		return err
	}
	if q.Method == "" {
		q.Method = vaxtrace.MethodConsumption
	}
	return s.write(w, r, http.StatusCreated, "", vaxtrace.PolicySet{Policy: q, Occurred: s.now()})
}

// requisitionView is a requisition as the API shows it: its derived
// status, what was shipped, and (while it can still be fulfilled) the
// lots the supplier would ship first-expiry-first-out and whether they
// fit the requesting place's cold chain.
type requisitionView struct {
	*vaxtrace.RequisitionState
	Status   string                     `json:"status"`
	Shipped  []vaxtrace.RequisitionLine `json:"shipped"`
	Proposal []vaxtrace.ShipmentLine    `json:"fulfilment,omitempty"`
	Short    []vaxtrace.RequisitionLine `json:"short,omitempty"`
	Capacity *vaxtrace.CapacityReport   `json:"capacity,omitempty"`
}

// reqDay is the day a requisition's fulfilment is proposed for: the day it
// was made, so that a ledger of the past (the March 2021 demo) proposes
// lots as they stood then. Fulfilling picks again on the day it ships.
func reqDay(rq *vaxtrace.RequisitionState) vaxtrace.Date { return vaxtrace.DateOf(rq.Occurred) }

func viewRequisition(st *vaxtrace.State, rq *vaxtrace.RequisitionState, day vaxtrace.Date, detail bool) requisitionView {
	cp := *rq
	cp.Lines = append([]vaxtrace.RequisitionLine(nil), rq.Lines...)
	cp.Shipments = append([]string(nil), rq.Shipments...)
	v := requisitionView{RequisitionState: &cp, Status: st.RequisitionStatus(rq), Shipped: []vaxtrace.RequisitionLine{}}
	for _, ln := range rq.Lines {
		v.Shipped = append(v.Shipped, vaxtrace.RequisitionLine{Product: ln.Product, Component: ln.Component, Doses: rq.Shipped(ln.Product, ln.Component)})
	}
	if detail && (v.Status == vaxtrace.ReqSubmitted || v.Status == vaxtrace.ReqApproved || v.Status == vaxtrace.ReqPartlyFulfilled) {
		v.Proposal, v.Short = st.FulfilmentLines(rq, day)
		var add []vaxtrace.CapacityAdd
		for _, ln := range v.Proposal {
			add = append(add, vaxtrace.CapacityAdd{Lot: ln.Lot, Doses: ln.Doses})
		}
		if c, err := st.Capacity(rq.Place, add); err == nil {
			v.Capacity = &c
		}
	}
	return v
}

// canSeeRequisition: the requesting place or the supplying place is in scope.
func canSeeRequisition(p vaxtrace.Principal, st *vaxtrace.State, rq *vaxtrace.RequisitionState) bool {
	return p.CanReadPlace(st, rq.Place) || p.CanReadPlace(st, rq.Supplier)
}

func (s *Server) listRequisitions(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	place, status, region := r.URL.Query().Get("place"), r.URL.Query().Get("status"), r.URL.Query().Get("region")
	var out []requisitionView
	_ = s.read(func(st *vaxtrace.State) error {
		for _, rq := range st.Requisitions(nil) {
			if !canSeeRequisition(p, st, rq) || (place != "" && rq.Place != place && rq.Supplier != place) {
				continue
			}
			if pl := st.Place(rq.Place); region != "" && (pl == nil || pl.Region != region) {
				continue
			}
			v := viewRequisition(st, rq, reqDay(rq), false)
			if status == "" || v.Status == status {
				out = append(out, v)
			}
		}
		return nil
	})
	writeJSON(w, http.StatusOK, map[string]any{"requisitions": nonNil(out)})
	return nil
}

func (s *Server) requisitionAnswer(w http.ResponseWriter, r *http.Request, status int, id string, res engine.Result, key string) error {
	var v requisitionView
	err := s.read(func(st *vaxtrace.State) error {
		rq := st.Requisition(id)
		if rq == nil {
			return vaxtrace.NotFound("id", "unknown requisition %q", id)
		}
		v = viewRequisition(st, rq, reqDay(rq), true)
		return nil
	})
	if err != nil {
		return err
	}
	writeJSON(w, status, map[string]any{"seq": res.Seq, "duplicate": res.Duplicate, "key": key, "requisition": v})
	return nil
}

func (s *Server) createRequisition(w http.ResponseWriter, r *http.Request) error {
	var q vaxtrace.RequisitionCreated
	if err := s.decode(w, r, &q); err != nil {
		return err
	}
	q.Occurred = orNow(q.Occurred, s.now())
	if q.Requisition == "" {
		q.Requisition = fmt.Sprintf("RQ-%s-%s", q.Place, q.Occurred.UTC().Format("20060102-150405"))
	}
	key := idemKey(r, "requisition:"+q.Requisition, q)
	res, err := s.submit(r, key, q)
	if err != nil {
		return err
	}
	return s.requisitionAnswer(w, r, http.StatusCreated, q.Requisition, res, key)
}

func (s *Server) getRequisition(w http.ResponseWriter, r *http.Request) error {
	var v requisitionView
	err := s.read(func(st *vaxtrace.State) error {
		rq, err := visibleRequisition(r, st, r.PathValue("id"))
		if err != nil {
			return err
		}
		v = viewRequisition(st, rq, reqDay(rq), true)
		return nil
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

type editRequest struct {
	Lines  []vaxtrace.RequisitionLine `json:"lines"`
	Reason string                     `json:"reason"`
}

type approveRequest struct {
	Note string `json:"note,omitempty"`
}

// visibleRequisition returns the requisition id if the caller can see it;
// one out of scope is answered as unknown, so that the answer does not tell
// whether an id exists elsewhere.
func visibleRequisition(r *http.Request, st *vaxtrace.State, id string) (*vaxtrace.RequisitionState, error) {
	rq := st.Requisition(id)
	if rq == nil || !canSeeRequisition(principal(r), st, rq) {
		return nil, vaxtrace.NotFound("id", "unknown requisition %q", id)
	}
	return rq, nil
}

func (s *Server) decideRequisition(w http.ResponseWriter, r *http.Request, p vaxtrace.Payload) error {
	id := r.PathValue("id")
	if err := s.read(func(st *vaxtrace.State) error { _, err := visibleRequisition(r, st, id); return err }); err != nil {
		return err
	}
	key := idemKey(r, "", p)
	res, err := s.submit(r, key, p)
	if err != nil {
		return err
	}
	return s.requisitionAnswer(w, r, http.StatusOK, id, res, key)
}

func (s *Server) editRequisition(w http.ResponseWriter, r *http.Request) error {
	var q editRequest
	if err := s.decode(w, r, &q); err != nil {
		return err
	}
	return s.decideRequisition(w, r, vaxtrace.RequisitionEdited{Requisition: r.PathValue("id"), Lines: q.Lines, Reason: q.Reason})
}

func (s *Server) approveRequisition(w http.ResponseWriter, r *http.Request) error {
	var q approveRequest
	if err := s.decodeOptional(w, r, &q); err != nil {
		return err
	}
	return s.decideRequisition(w, r, vaxtrace.RequisitionApproved{Requisition: r.PathValue("id"), Note: q.Note})
}

func (s *Server) rejectRequisition(w http.ResponseWriter, r *http.Request) error {
	var q reasonRequest
	if err := s.decode(w, r, &q); err != nil {
		return err
	}
	return s.decideRequisition(w, r, vaxtrace.RequisitionRejected{Requisition: r.PathValue("id"), Reason: q.Reason})
}

// decodeOptional is decode for bodies that may be empty.
func (s *Server) decodeOptional(w http.ResponseWriter, r *http.Request, v any) error {
	b, err := readBody(w, r, s.opts.MaxBody)
	if err != nil {
		return err
	}
	if len(strings.TrimSpace(string(b))) == 0 {
		return nil
	}
	return decodeJSON(b, v)
}

type fulfilRequest struct {
	Occurred time.Time `json:"occurred,omitzero"`
}

// fulfilRequisition ships what is approved and not yet shipped: one
// shipment from the supplier, lots picked first-expiry-first-out, and the
// fulfilment linking it to the requisition, in one group commit. A line
// the supplier cannot cover refuses the whole fulfilment, naming it.
func (s *Server) fulfilRequisition(w http.ResponseWriter, r *http.Request) error {
	var q fulfilRequest
	if err := s.decodeOptional(w, r, &q); err != nil {
		return err
	}
	id := r.PathValue("id")
	occurred := orNow(q.Occurred, s.now())
	var ship vaxtrace.ShipmentDispatched
	err := s.read(func(st *vaxtrace.State) error {
		rq, err := visibleRequisition(r, st, id)
		if err != nil {
			return err
		}
		if rq.Status != vaxtrace.ReqApproved && rq.Status != vaxtrace.ReqPartlyFulfilled {
			return vaxtrace.Errorf(vaxtrace.ECONFLICT, "requisition %s is %s; only an approved one is fulfilled", id, st.RequisitionStatus(rq))
		}
		lines, short := st.FulfilmentLines(rq, vaxtrace.DateOf(occurred))
		if len(short) > 0 {
			return vaxtrace.FieldError("lines", "%s cannot cover %d doses of %s %s (released, unexpired, not quarantined)", rq.Supplier, short[0].Doses, short[0].Product, short[0].Component)
		}
		ship = vaxtrace.ShipmentDispatched{Shipment: fmt.Sprintf("%s-%d", id, len(rq.Shipments)+1), From: rq.Supplier, To: rq.Place, Occurred: occurred, Lines: lines}
		return nil
	})
	if err != nil {
		return err
	}
	actor := principal(r)
	base := strings.TrimSpace(r.Header.Get("Idempotency-Key"))
	if base == "" {
		base = "requisition.fulfil:" + ship.Shipment
	}
	res := s.eng.SubmitBatch(r.Context(), []engine.Command{
		{Key: base + ":shipment", Actor: actor, Data: ship},
		{Key: base, Actor: actor, Data: vaxtrace.RequisitionFulfilled{Requisition: id, Shipment: ship.Shipment}},
	})
	if res[0].Err != nil {
		return res[0].Err
	}
	if res[1].Err != nil {
		return res[1].Err
	}
	return s.requisitionAnswer(w, r, http.StatusOK, id, res[1], base)
}
