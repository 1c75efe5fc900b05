package vaxtrace

import (
	"sort"
	"strings"
	"time"
)

// Requisitions go up the chain: a vaccination point orders from its
// regional warehouse, a regional warehouse from the national level. A
// requisition is created by hand or from stock levels (ordering up to the
// maximum what is at or below its reorder level), reviewed by the supplying
// level (edited, approved, or rejected with a reason) and fulfilled as
// shipments picked first-expiry-first-out, which the requesting place
// receives like any other. Allocations pushed by the planner travel as
// shipments without a requisition; both count as stock on its way.

// Event kinds of requisitions.
const (
	KindRequisitionCreated   = "requisition.created"
	KindRequisitionEdited    = "requisition.edited"
	KindRequisitionApproved  = "requisition.approved"
	KindRequisitionRejected  = "requisition.rejected"
	KindRequisitionFulfilled = "requisition.fulfilled"
)

// Requisition statuses (derived).
const (
	ReqSubmitted       = "submitted"
	ReqApproved        = "approved"
	ReqRejected        = "rejected"
	ReqPartlyFulfilled = "partly_fulfilled"
	ReqFulfilled       = "fulfilled" // everything approved is on its way
	ReqReceived        = "received"  // and every shipment has arrived
)

// RequisitionLine is the doses of one product component asked for.
type RequisitionLine struct {
	Product   string `json:"product"`
	Component string `json:"component,omitempty"` // may be omitted for single-component products
	Doses     int64  `json:"doses"`
}

// RequisitionCreated opens a requisition from Place to its supplier.
type RequisitionCreated struct {
	Requisition string            `json:"requisition"`
	Place       string            `json:"place"`
	Supplier    string            `json:"supplier"` // filled by the state: the place's parent
	Lines       []RequisitionLine `json:"lines"`    // empty with FromStock: filled from stock levels
	FromStock   bool              `json:"from_stock,omitempty"`
	Note        string            `json:"note,omitempty"`
	Occurred    time.Time         `json:"occurred"`
}

// RequisitionEdited replaces the lines under review.
type RequisitionEdited struct {
	Requisition string            `json:"requisition"`
	Lines       []RequisitionLine `json:"lines"`
	Reason      string            `json:"reason"`
}

// RequisitionApproved approves the lines as they stand.
type RequisitionApproved struct {
	Requisition string `json:"requisition"`
	Note        string `json:"note,omitempty"`
}

// RequisitionRejected rejects a requisition; the reason is required.
type RequisitionRejected struct {
	Requisition string `json:"requisition"`
	Reason      string `json:"reason"`
}

// RequisitionFulfilled links a shipment from the supplier to the place to
// the requisition it fulfils.
type RequisitionFulfilled struct {
	Requisition string `json:"requisition"`
	Shipment    string `json:"shipment"`
}

func (RequisitionCreated) Kind() string   { return KindRequisitionCreated }
func (RequisitionEdited) Kind() string    { return KindRequisitionEdited }
func (RequisitionApproved) Kind() string  { return KindRequisitionApproved }
func (RequisitionRejected) Kind() string  { return KindRequisitionRejected }
func (RequisitionFulfilled) Kind() string { return KindRequisitionFulfilled }

func (p *RequisitionCreated) deref() Payload   { return *p }
func (p *RequisitionEdited) deref() Payload    { return *p }
func (p *RequisitionApproved) deref() Payload  { return *p }
func (p *RequisitionRejected) deref() Payload  { return *p }
func (p *RequisitionFulfilled) deref() Payload { return *p }

// RequisitionState is a requisition and its history.
type RequisitionState struct {
	RequisitionCreated
	Status    string              `json:"status"`
	Recorded  time.Time           `json:"recorded"`
	By        string              `json:"by"`
	Asked     []RequisitionLine   `json:"asked"` // as first submitted
	Edits     []RequisitionEdited `json:"edits,omitempty"`
	DecidedBy string              `json:"decided_by,omitempty"`
	DecidedAt time.Time           `json:"decided_at,omitzero"`
	Note      string              `json:"decision_note,omitempty"`
	Shipments []string            `json:"shipments,omitempty"`
	shipped   map[prodComp]int64
}

// Shipped returns the doses of a product component shipped against it.
func (r *RequisitionState) Shipped(product, component string) int64 {
	return r.shipped[prodComp{product, component}]
}

// absurd is the largest quantity one line may ask for: a year of supply at
// the place's present need, and never less than a floor by level (a point
// 10,000 doses, a region 1,000,000, the nation 50,000,000).
func absurd(kind string, weeklyNeed float64) int64 {
	floor := int64(10_000)
	switch kind {
	case PlaceRegional:
		floor = 1_000_000
	case PlaceNational:
		floor = 50_000_000
	}
	return max(floor, int64(52*weeklyNeed))
}

// checkLines validates requisition lines for a place and fills single
// components; field is the prefix of error fields.
func (s *State) checkLines(pl *PlaceState, lines []RequisitionLine, asOf Date, field string) ([]RequisitionLine, error) {
	if len(lines) == 0 {
		return nil, FieldError(field, "at least one line is required")
	}
	if len(lines) > 100 {
		return nil, FieldError(field, "at most 100 lines")
	}
	var levels map[prodComp]StockLevel
	seen := map[prodComp]bool{}
	out := make([]RequisitionLine, len(lines))
	for i, ln := range lines {
		f := field + "[" + itoa(i) + "]"
		p := s.products[ln.Product]
		if p == nil {
			return nil, NotFound(f+".product", "unknown product %q", ln.Product)
		}
		if ln.Component == "" && len(p.Components) == 1 {
			ln.Component = p.Components[0].Code
		}
		if !p.HasComponent(ln.Component) {
			return nil, FieldError(f+".component", "product %s has components %s; give one", p.Code, componentList(p))
		}
		if !s.Uses(pl.ID, p.Code) {
			return nil, FieldError(f+".product", "%s does not use %s (set the place's products in its replenishment policy first)", pl.ID, p.Code)
		}
		if ln.Doses <= 0 {
			return nil, FieldError(f+".doses", "must be positive, got %d", ln.Doses)
		}
		if err := Qty(ln.Doses).Check(f + ".doses"); err != nil {
			return nil, err
		}
		k := prodComp{ln.Product, ln.Component}
		if seen[k] {
			return nil, FieldError(f+".product", "%s component %s is asked for twice", ln.Product, ln.Component)
		}
		seen[k] = true
		if levels == nil {
			levels = map[prodComp]StockLevel{}
			for _, lv := range s.StockLevels(asOf, func(x *PlaceState) bool { return x == pl }) {
				levels[prodComp{lv.Product, lv.Component}] = lv
			}
		}
		if lim := absurd(pl.Kind, levels[k].WeeklyNeed); ln.Doses > lim {
			return nil, FieldError(f+".doses", "%d doses is more than a year of supply at %s (at most %d)", ln.Doses, pl.ID, lim)
		}
		out[i] = ln
	}
	return out, nil
}

func (s *State) decideRequisition(v RequisitionCreated, recorded time.Time) (Payload, error) {
	if v.Requisition == "" || len(v.Requisition) > 64 {
		return nil, FieldError("requisition", "required, at most 64 characters")
	}
	if s.repl.reqs[v.Requisition] != nil {
		return nil, Errorf(ECONFLICT, "requisition %q already exists", v.Requisition)
	}
	pl, err := s.place("place", v.Place)
	if err != nil {
		return nil, err
	}
	if pl.Parent == "" {
		return nil, FieldError("place", "%s has no supplying place to requisition from", pl.ID)
	}
	if v.Supplier != "" && v.Supplier != pl.Parent {
		return nil, FieldError("supplier", "%s is supplied by %s, not %s", pl.ID, pl.Parent, v.Supplier)
	}
	v.Supplier = pl.Parent
	if err := checkOccurred("occurred", v.Occurred, recorded); err != nil {
		return nil, err
	}
	if len(v.Note) > 500 {
		return nil, FieldError("note", "at most 500 characters")
	}
	asOf := DateOf(v.Occurred)
	if v.FromStock && len(v.Lines) == 0 {
		for _, lv := range s.StockLevels(asOf, func(x *PlaceState) bool { return x == pl }) {
			if lv.Suggested > 0 {
				v.Lines = append(v.Lines, RequisitionLine{Product: lv.Product, Component: lv.Component, Doses: lv.Suggested})
			}
		}
		if len(v.Lines) == 0 {
			return nil, FieldError("lines", "no product at %s is at or below its reorder level on %s: nothing to order", pl.ID, asOf)
		}
	}
	v.Lines, err = s.checkLines(pl, v.Lines, asOf, "lines")
	if err != nil {
		return nil, err
	}
	return v, nil
}

func (s *State) requisition(id string) (*RequisitionState, error) {
	if id == "" {
		return nil, FieldError("requisition", "required")
	}
	r := s.repl.reqs[id]
	if r == nil {
		return nil, NotFound("requisition", "unknown requisition %q", id)
	}
	return r, nil
}

func (s *State) decideRequisitionEdit(v RequisitionEdited, recorded time.Time) (Payload, error) {
	r, err := s.requisition(v.Requisition)
	if err != nil {
		return nil, err
	}
	if r.Status != ReqSubmitted {
		return nil, Errorf(ECONFLICT, "requisition %s is %s; only a submitted one can be edited", r.Requisition, r.Status)
	}
	if strings.TrimSpace(v.Reason) == "" {
		return nil, FieldError("reason", "say why the quantities change")
	}
	v.Lines, err = s.checkLines(s.places[r.Place], v.Lines, DateOf(recorded), "lines")
	if err != nil {
		return nil, err
	}
	return v, nil
}

func (s *State) decideRequisitionDecision(id string, reject bool, reason string) error {
	r, err := s.requisition(id)
	if err != nil {
		return err
	}
	if r.Status != ReqSubmitted {
		return Errorf(ECONFLICT, "requisition %s is already %s", r.Requisition, r.Status)
	}
	if reject && strings.TrimSpace(reason) == "" {
		return FieldError("reason", "a rejection needs a reason")
	}
	if len(reason) > 500 {
		return FieldError("reason", "at most 500 characters")
	}
	return nil
}

func (s *State) decideFulfilment(v RequisitionFulfilled) error {
	r, err := s.requisition(v.Requisition)
	if err != nil {
		return err
	}
	if r.Status != ReqApproved && r.Status != ReqPartlyFulfilled {
		return Errorf(ECONFLICT, "requisition %s is %s; only an approved one is fulfilled", r.Requisition, r.Status)
	}
	sh := s.shipments[v.Shipment]
	if sh == nil {
		return NotFound("shipment", "unknown shipment %q", v.Shipment)
	}
	if other, ok := s.repl.byShipment[v.Shipment]; ok {
		return Errorf(ECONFLICT, "shipment %s already fulfils requisition %s", v.Shipment, other)
	}
	if sh.From != r.Supplier || sh.To != r.Place {
		return FieldError("shipment", "shipment %s goes from %s to %s; the requisition is from %s to %s", v.Shipment, sh.From, sh.To, r.Supplier, r.Place)
	}
	asked := map[prodComp]bool{}
	for _, ln := range r.Lines {
		asked[prodComp{ln.Product, ln.Component}] = true
	}
	for i, ln := range sh.Lines {
		l := s.lots[ln.Lot]
		if !asked[prodComp{l.Product, l.Component}] {
			return FieldError("shipment", "line %d of shipment %s (lot %s, %s %s) was not requisitioned", i, v.Shipment, l.ID, l.Product, l.Component)
		}
	}
	return nil
}

func (s *State) applyRequisition(e Event) {
	rp := s.repl
	switch v := e.Data.(type) {
	case RequisitionCreated:
		r := &RequisitionState{RequisitionCreated: v, Status: ReqSubmitted, Recorded: e.Recorded, By: e.Actor, shipped: map[prodComp]int64{}}
		r.Asked = append([]RequisitionLine(nil), v.Lines...)
		rp.reqs[v.Requisition] = r
		rp.reqIDs = append(rp.reqIDs, v.Requisition)
	case RequisitionEdited:
		r := rp.reqs[v.Requisition]
		r.Lines = v.Lines
		r.Edits = append(r.Edits, v)
	case RequisitionApproved:
		r := rp.reqs[v.Requisition]
		r.Status, r.DecidedBy, r.DecidedAt, r.Note = ReqApproved, e.Actor, e.Recorded, v.Note
	case RequisitionRejected:
		r := rp.reqs[v.Requisition]
		r.Status, r.DecidedBy, r.DecidedAt, r.Note = ReqRejected, e.Actor, e.Recorded, v.Reason
	case RequisitionFulfilled:
		r := rp.reqs[v.Requisition]
		rp.byShipment[v.Shipment] = v.Requisition
		r.Shipments = append(r.Shipments, v.Shipment)
		for _, ln := range s.shipments[v.Shipment].Lines {
			l := s.lots[ln.Lot]
			r.shipped[prodComp{l.Product, l.Component}] += ln.Doses
		}
		r.Status = ReqFulfilled
		for _, ln := range r.Lines {
			if r.shipped[prodComp{ln.Product, ln.Component}] < ln.Doses {
				r.Status = ReqPartlyFulfilled
			}
		}
	}
}

// RequisitionStatus returns a requisition's status, "received" once it is
// fulfilled and all its shipments have arrived.
func (s *State) RequisitionStatus(r *RequisitionState) string {
	if r.Status != ReqFulfilled {
		return r.Status
	}
	for _, id := range r.Shipments {
		if sh := s.shipments[id]; sh == nil || !sh.Received {
			return r.Status
		}
	}
	return ReqReceived
}

// Requisition returns a requisition by id.
func (s *State) Requisition(id string) *RequisitionState { return s.repl.reqs[id] }

// RequisitionOf returns the requisition a shipment fulfils ("" for a push).
func (s *State) RequisitionOf(shipment string) string { return s.repl.byShipment[shipment] }

// Requisitions lists requisitions newest first, those keep accepts (nil: all).
func (s *State) Requisitions(keep func(*RequisitionState) bool) []*RequisitionState {
	var out []*RequisitionState
	for i := len(s.repl.reqIDs) - 1; i >= 0; i-- {
		r := s.repl.reqs[s.repl.reqIDs[i]]
		if keep == nil || keep(r) {
			out = append(out, r)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Recorded.After(out[j].Recorded) })
	return out
}

// FulfilmentLines picks, first expiry first out, the lots the supplier
// would ship for what is approved and not yet shipped; short lists what it
// cannot cover.
func (s *State) FulfilmentLines(r *RequisitionState, day Date) (lines []ShipmentLine, short []RequisitionLine) {
	from := s.places[r.Supplier]
	if from == nil {
		return nil, r.Lines
	}
	for _, ln := range r.Lines {
		want := ln.Doses - r.shipped[prodComp{ln.Product, ln.Component}]
		if want <= 0 {
			continue
		}
		picked, got := s.PickFEFO(from, ln.Product, ln.Component, want, day)
		lines = append(lines, picked...)
		if got < want {
			short = append(short, RequisitionLine{Product: ln.Product, Component: ln.Component, Doses: want - got})
		}
	}
	return lines, short
}
