package planning

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"vaxtrace"
	"vaxtrace/engine"
	"vaxtrace/httperr"
	"vaxtrace/plan"
)

// DefaultHorizon is the forecast horizon in days when none is given.
const DefaultHorizon = 120

// Planner runs the planning maths on the engine's live state and keeps
// allocation proposals. Proposals live in memory only: they are not
// journaled, are lost on restart and are not shared between API nodes.
// Only an accepted proposal leaves a trace in the ledger, as the
// ShipmentDispatched events it produced (idempotency keys
// "plan:<proposal id>:<shipment id>").
type Planner struct {
	eng  *engine.Engine
	opts Options
	// Forecast tunes the forecasts (NewPlanner: the calibrated uptake model
	// and the error bands measured by the backtest).
	Forecast plan.Options
	// Now is the clock (default time.Now).
	Now func() time.Time

	mu        sync.Mutex
	seq       int
	proposals map[string]*Proposal
}

// NewPlanner returns a planner over eng.
func NewPlanner(eng *engine.Engine, opts Options) *Planner {
	return &Planner{eng: eng, opts: opts, Now: time.Now, proposals: map[string]*Proposal{},
		Forecast: plan.Options{Uptake: plan.Calibrated, ErrorBands: ErrorBands()}}
}

// State builds the planner state at asOf (0 = DefaultAsOf) under the
// engine's read lock and returns it with the day used.
func (p *Planner) State(asOf vaxtrace.Date) (plan.State, vaxtrace.Date, error) {
	var ps plan.State
	var err error
	p.eng.Read(func(s *vaxtrace.State) {
		if asOf == 0 {
			asOf = DefaultAsOf(s)
		}
		ps, err = FromState(s, asOf, p.opts)
	})
	return ps, asOf, domainErr(err)
}

func checkHorizon(h int) error {
	switch {
	case h < 1:
		return vaxtrace.FieldError("horizon", "must be at least one day (got %d)", h)
	case h > plan.MaxHorizon:
		return vaxtrace.FieldError("horizon", "%d days is beyond two years; at most %d", h, plan.MaxHorizon)
	}
	return nil
}

// RunForecast forecasts horizon days from asOf (0 = DefaultAsOf).
func (p *Planner) RunForecast(asOf vaxtrace.Date, horizon int) (plan.ForecastResult, error) {
	if err := checkHorizon(horizon); err != nil {
		return plan.ForecastResult{}, err
	}
	ps, _, err := p.State(asOf)
	if err != nil {
		return plan.ForecastResult{}, err
	}
	f, err := plan.Forecast(ps, horizon, p.Forecast)
	return f, domainErr(err)
}

// Reach answers "is target reachable?" as of asOf (0 = DefaultAsOf). With
// horizon 0 the forecast runs to the end of the target window (at least one
// day, at most plan.MaxHorizon).
func (p *Planner) Reach(target string, asOf vaxtrace.Date, horizon int) (ReachJSON, error) {
	if target == "" {
		return ReachJSON{}, vaxtrace.FieldError("target", "required")
	}
	ps, asOf, err := p.State(asOf)
	if err != nil {
		return ReachJSON{}, err
	}
	var t *plan.Target
	for i := range ps.Targets {
		if ps.Targets[i].ID == target {
			t = &ps.Targets[i]
		}
	}
	if t == nil {
		return ReachJSON{}, vaxtrace.NotFound("target", "unknown target %q", target)
	}
	if horizon == 0 {
		horizon = min(max(int(t.To-Day(asOf))+1, 1), plan.MaxHorizon)
	}
	if err := checkHorizon(horizon); err != nil {
		return ReachJSON{}, err
	}
	// Only this target: the counterfactual runs are per forecast anyway.
	ps.Targets = []plan.Target{*t}
	f, err := plan.Forecast(ps, horizon, p.Forecast)
	if err != nil {
		return ReachJSON{}, domainErr(err)
	}
	r, err := plan.ReachabilityReport(f, *t)
	if err != nil {
		return ReachJSON{}, domainErr(err)
	}
	out := ReachJSON{AsOf: asOf, Horizon: horizon, Target: targetJSON(f.Targets[0]), Reachable: r.Reachable, Date: Date(r.Date),
		Forecast: r.Forecast, FirstDoseSupply: r.FirstDoseSupply, SupplyMax: r.SupplyMax, UptakeOnly: r.UptakeOnly, Binding: r.Binding,
		BandLow: r.BandLow, BandHigh: r.BandHigh, Answer: r.Text, Explanation: r.Explanation}
	out.Hindsight = Hindsight(f, f.Targets[0])
	return out, nil
}

// ProposeRequest is the body of POST /api/v1/plan/allocations.
type ProposeRequest struct {
	// AsOf is the planning day (default: the day after the last dose).
	AsOf *vaxtrace.Date `json:"as_of,omitempty"`
	// PeriodDays is the supply period the allocation must cover (WHO
	// min/max Q); default 30.
	PeriodDays int `json:"period_days,omitempty"`
	// HorizonDays: second doses falling due within this many days are
	// reserved; default period + lead time.
	HorizonDays int `json:"horizon_days,omitempty"`
	// LeadTimeDays from the national warehouse to a region; default 3.
	LeadTimeDays int `json:"lead_time_days,omitempty"`
	// MinFactor is the WHO safety-stock share; default 0.25.
	MinFactor float64 `json:"min_factor,omitempty"`
	// Available limits the national stock to allocate by key
	// ("sputnik-v/I"); default all available national stock.
	Available map[string]int `json:"available,omitempty"`
}

// Proposal statuses.
const (
	StatusProposed = "proposed"
	StatusAccepted = "accepted"
	StatusRejected = "rejected"
	// StatusFailed: acceptance was attempted and some shipments were
	// refused by the ledger (see Shipments); the others were recorded.
	// Accepting again retries idempotently.
	StatusFailed = "failed"
)

// Summary totals a proposal.
type Summary struct {
	Doses int `json:"doses"`
	// ByKey sums doses by product/component key.
	ByKey map[string]int `json:"by_key"`
	// SecondDoseReserve is the doses sent as second-dose reserve and
	// SecondDoseShare its share of all doses (the second-dose component's
	// share for a two-component product such as Sputnik V).
	SecondDoseReserve int     `json:"second_dose_reserve"`
	SecondDoseShare   float64 `json:"second_dose_share"`
}

// ShipmentResult is one shipment of an accepted proposal.
type ShipmentResult struct {
	Shipment string                  `json:"shipment"`
	From     string                  `json:"from"`
	To       string                  `json:"to"`
	Region   string                  `json:"region"`
	Lines    []vaxtrace.ShipmentLine `json:"lines"`
	Seq      uint64                  `json:"seq,omitempty"`
	Error    string                  `json:"error,omitempty"`
	// ErrorDetail is Error with its code, field, template and parameters
	// (for translation).
	ErrorDetail *httperr.Body `json:"error_detail,omitempty"`
}

// Proposal is a stored allocation proposal.
type Proposal struct {
	ID          string           `json:"id"`
	Status      string           `json:"status"`
	Created     time.Time        `json:"created"`
	CreatedBy   string           `json:"created_by"`
	Decided     *time.Time       `json:"decided,omitempty"`
	DecidedBy   string           `json:"decided_by,omitempty"`
	AsOf        vaxtrace.Date    `json:"as_of"`
	Request     ProposeRequest   `json:"request"`
	Available   map[string]int   `json:"available"`
	Lines       []LineJSON       `json:"lines"`
	Points      []PointLineJSON  `json:"points"`
	Needs       []NeedJSON       `json:"needs"`
	Unallocated map[string]int   `json:"unallocated"`
	Summary     Summary          `json:"summary"`
	Shipments   []ShipmentResult `json:"shipments,omitempty"`
	Note        string           `json:"note"`
	occurred    time.Time
}

const proposalNote = "Proposals are kept in memory only and are not journaled until accepted; accepting turns the lines into shipments from the national warehouse to each region's regional warehouse."

func summarize(lines []LineJSON) Summary {
	s := Summary{ByKey: map[string]int{}}
	for _, l := range lines {
		s.Doses += l.Doses
		s.ByKey[plan.Key(l.Product, l.Component)] += l.Doses
		if l.Purpose == plan.PurposeSecondDoses {
			s.SecondDoseReserve += l.Doses
		}
	}
	if s.Doses > 0 {
		s.SecondDoseShare = float64(s.SecondDoseReserve) / float64(s.Doses)
	}
	return s
}

// Propose computes and stores a proposal.
func (p *Planner) Propose(req ProposeRequest, by string) (*Proposal, error) {
	var asOf vaxtrace.Date
	if req.AsOf != nil {
		asOf = *req.AsOf
	}
	ps, asOf, err := p.State(asOf)
	if err != nil {
		return nil, err
	}
	avail := req.Available
	if avail == nil {
		avail = ps.National
	}
	pr, err := plan.Propose(ps, avail, plan.AllocOptions{SupplyPeriodDays: req.PeriodDays, LeadTimeDays: req.LeadTimeDays,
		MinFactor: req.MinFactor, DueWithinDays: req.HorizonDays})
	if err != nil {
		return nil, domainErr(err)
	}
	out := &Proposal{Status: StatusProposed, Created: p.Now().UTC(), CreatedBy: by, AsOf: asOf, Request: req, Available: copyMap(avail),
		Lines: linesJSON(pr.Lines), Points: []PointLineJSON{}, Unallocated: pr.Unallocated, Note: proposalNote}
	for _, pl := range pr.Points {
		out.Points = append(out.Points, PointLineJSON{Region: pl.Region, Point: pl.Point, Product: pl.Product, Component: pl.Component, Lot: pl.Lot, Doses: pl.Doses})
	}
	for _, n := range pr.Needs {
		out.Needs = append(out.Needs, NeedJSON{Region: n.Region, Q: n.Q, Min: n.Min, Max: n.Max, Stock: n.Stock, Priority: n.Priority,
			SecondDue: n.SecondDue, DailyRate: n.DailyRate, Allocated: n.Allocated, Unfilled: n.Unfilled})
	}
	out.Summary = summarize(out.Lines)
	p.mu.Lock()
	p.seq++
	out.ID = fmt.Sprintf("AP-%s-%d", asOf, p.seq)
	p.proposals[out.ID] = out
	p.mu.Unlock()
	return out.clone(), nil
}

func copyMap(m map[string]int) map[string]int {
	out := make(map[string]int, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func (pr *Proposal) clone() *Proposal {
	c := *pr
	c.Lines = append([]LineJSON(nil), pr.Lines...)
	c.Shipments = append([]ShipmentResult(nil), pr.Shipments...)
	return &c
}

// Get returns a copy of a stored proposal.
func (p *Planner) Get(id string) (*Proposal, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	pr := p.proposals[id]
	if pr == nil {
		return nil, vaxtrace.NotFound("id", "unknown proposal %q", id)
	}
	return pr.clone(), nil
}

// Reject marks a proposed proposal rejected.
func (p *Planner) Reject(id string, by vaxtrace.Principal) (*Proposal, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	pr := p.proposals[id]
	if pr == nil {
		return nil, vaxtrace.NotFound("id", "unknown proposal %q", id)
	}
	if pr.Status != StatusProposed {
		return nil, vaxtrace.Errorf(vaxtrace.ECONFLICT, "proposal %s is %s", id, pr.Status)
	}
	now := p.Now().UTC()
	pr.Status, pr.Decided, pr.DecidedBy = StatusRejected, &now, by.Name
	return pr.clone(), nil
}

// ErrPartial is returned (wrapped) by Accept when the ledger refused some
// shipments after validation; the proposal lists which.
var ErrPartial = errors.New("some shipments were refused")

// Accept validates the proposal (or the edited lines that replace its
// lines) against the current ledger state and turns it into
// ShipmentDispatched commands: one shipment per region and national
// warehouse, from the national warehouse(s) holding each lot to the
// region's regional warehouse, submitted with actor as the actor (who must
// be an admin). Everything is validated before anything is submitted
// (plan.Validate, then a dry run of every shipment against the state); if
// the ledger still refuses a shipment (a concurrent write), the proposal
// becomes "failed", its Shipments say which were refused, and the error
// wraps ErrPartial. Accepting a failed proposal again retries: shipments
// already recorded are idempotent duplicates.
func (p *Planner) Accept(ctx context.Context, id string, actor vaxtrace.Principal, edited []LineJSON) (*Proposal, error) {
	if actor.Role != vaxtrace.RoleAdmin {
		return nil, vaxtrace.Errorf(vaxtrace.EFORBIDDEN, "only an admin may accept an allocation")
	}
	p.mu.Lock()
	defer p.mu.Unlock() // acceptances are serialised
	pr := p.proposals[id]
	if pr == nil {
		return nil, vaxtrace.NotFound("id", "unknown proposal %q", id)
	}
	if pr.Status != StatusProposed && pr.Status != StatusFailed {
		return nil, vaxtrace.Errorf(vaxtrace.ECONFLICT, "proposal %s is %s", id, pr.Status)
	}
	if edited != nil && pr.Status == StatusFailed {
		return nil, vaxtrace.Errorf(vaxtrace.ECONFLICT, "proposal %s was partly recorded; it can only be retried unchanged", id)
	}
	lines := pr.Lines
	if edited != nil {
		lines = edited
	}
	var cmds []engine.Command
	var ships []ShipmentResult
	var err error
	if pr.occurred.IsZero() {
		pr.occurred = dispatchTime(pr.AsOf, p.Now())
	}
	p.eng.Read(func(s *vaxtrace.State) {
		ships, cmds, err = p.build(s, pr, lines, actor)
	})
	if err != nil {
		return nil, err
	}
	res := p.eng.SubmitBatch(ctx, cmds)
	failed := 0
	for i := range res {
		if res[i].Err != nil {
			b := httperr.Of(res[i].Err) // never a storage error's text
			ships[i].Error = b.Message
			ships[i].ErrorDetail = &b
			failed++
		} else {
			ships[i].Seq = res[i].Seq
		}
	}
	now := p.Now().UTC()
	pr.Lines, pr.Shipments, pr.Decided, pr.DecidedBy = lines, ships, &now, actor.Name
	pr.Summary = summarize(lines)
	if edited != nil {
		pr.Points = []PointLineJSON{} // the advisory point split no longer matches
	}
	if failed > 0 {
		pr.Status = StatusFailed
		return pr.clone(), fmt.Errorf("%w: %d of %d", ErrPartial, failed, len(ships))
	}
	pr.Status = StatusAccepted
	return pr.clone(), nil
}

// dispatchTime is 08:00 UTC on the planning day, or now if that lies in
// the future.
func dispatchTime(asOf vaxtrace.Date, now time.Time) time.Time {
	t := asOf.Time().Add(8 * time.Hour)
	if t.After(now) {
		return now.UTC().Truncate(time.Second)
	}
	return t
}

// build validates lines against the current state and returns the
// shipments and their commands.
func (p *Planner) build(s *vaxtrace.State, pr *Proposal, lines []LineJSON, actor vaxtrace.Principal) ([]ShipmentResult, []engine.Command, error) {
	if len(lines) == 0 {
		return nil, nil, vaxtrace.FieldError("lines", "the proposal has no lines")
	}
	day := vaxtrace.DateOf(pr.occurred)
	asOf := max(DefaultAsOf(s), day)
	ps, err := FromState(s, asOf, p.opts)
	if err != nil {
		return nil, nil, domainErr(err)
	}
	// What may be allocated now: the national stock, limited by the
	// request's own limits if it gave any.
	avail := copyMap(ps.National)
	if pr.Request.Available != nil {
		avail = map[string]int{}
		for k, v := range pr.Request.Available {
			avail[k] = min(v, ps.National[k])
		}
	}
	for i, l := range lines {
		if l.Doses <= 0 {
			return nil, nil, vaxtrace.FieldError(fmt.Sprintf("lines[%d].doses", i), "must be positive")
		}
	}
	if err := plan.Validate(ps, avail, plan.Proposal{AsOf: Day(asOf), Lines: linesPlan(lines)}); err != nil {
		return nil, nil, validateErr(err)
	}
	// National places and their dispatchable stock by lot.
	nat := s.Places("", vaxtrace.PlaceNational)
	left := map[[2]string]int64{} // place, lot -> doses still dispatchable
	for _, pl := range nat {
		st, _ := s.PlaceStock(pl.ID)
		for _, ls := range st {
			l := s.Lot(ls.Lot)
			if ls.Held == "" && l.Released && !l.Suspended && l.Expiry >= day {
				left[[2]string{pl.ID, ls.Lot}] = ls.Doses
			}
		}
	}
	type shipKey struct{ from, region string }
	byShip := map[shipKey]map[string]int64{}
	var order []shipKey
	for i, l := range lines {
		need := int64(l.Doses)
		for _, pl := range nat {
			if need == 0 {
				break
			}
			k := [2]string{pl.ID, l.Lot}
			n := min(need, left[k])
			if l.Lot == "" || n <= 0 {
				continue
			}
			left[k] -= n
			need -= n
			sk := shipKey{pl.ID, l.Region}
			if byShip[sk] == nil {
				byShip[sk] = map[string]int64{}
				order = append(order, sk)
			}
			byShip[sk][l.Lot] += n
		}
		if need > 0 {
			return nil, nil, &vaxtrace.Error{Code: vaxtrace.ECONFLICT, Field: fmt.Sprintf("lines[%d].doses", i),
				Message: fmt.Sprintf("%d doses of lot %q cannot be dispatched from the national warehouses now (released, unexpired, not held)", need, l.Lot)}
		}
	}
	sort.SliceStable(order, func(i, j int) bool {
		if order[i].region != order[j].region {
			return order[i].region < order[j].region
		}
		return order[i].from < order[j].from
	})
	var ships []ShipmentResult
	var cmds []engine.Command
	for n, sk := range order {
		to := regionalWarehouse(s, sk.region)
		if to == "" {
			return nil, nil, vaxtrace.NotFound("region", "region %s has no regional warehouse", sk.region)
		}
		var sl []vaxtrace.ShipmentLine
		for lot, d := range byShip[sk] {
			sl = append(sl, vaxtrace.ShipmentLine{Lot: lot, Doses: d})
		}
		sort.Slice(sl, func(i, j int) bool { return sl[i].Lot < sl[j].Lot })
		id := fmt.Sprintf("SH-%s-%s-%d", pr.ID, strings.TrimPrefix(sk.region, "KZ-"), n+1)
		v := vaxtrace.ShipmentDispatched{Shipment: id, From: sk.from, To: to, Occurred: pr.occurred, Lines: sl}
		if _, err := s.Decide(v, p.Now().UTC()); err != nil && !duplicateOf(s, v) {
			return nil, nil, vaxtrace.WithField(err, "shipments["+strconv.Itoa(n)+"]")
		}
		if err := vaxtrace.Authorize(actor, s, v); err != nil {
			return nil, nil, err
		}
		ships = append(ships, ShipmentResult{Shipment: id, From: sk.from, To: to, Region: sk.region, Lines: sl})
		cmds = append(cmds, engine.Command{Key: "plan:" + pr.ID + ":" + id, Actor: actor, Data: v})
	}
	return ships, cmds, nil
}

// duplicateOf reports whether v was already recorded (a retried acceptance).
func duplicateOf(s *vaxtrace.State, v vaxtrace.ShipmentDispatched) bool {
	sh := s.Shipment(v.Shipment)
	return sh != nil && sh.From == v.From && sh.To == v.To
}

// regionalWarehouse returns the regional warehouse of region: "RW-<suffix>"
// if it exists, else the first regional place of the region.
func regionalWarehouse(s *vaxtrace.State, region string) string {
	if pl := s.Place("RW-" + strings.TrimPrefix(region, "KZ-")); pl != nil && pl.Kind == vaxtrace.PlaceRegional && pl.Region == region {
		return pl.ID
	}
	for _, pl := range s.Places(region, vaxtrace.PlaceRegional) {
		return pl.ID
	}
	return ""
}
