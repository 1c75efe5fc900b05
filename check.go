package vaxtrace

import (
	"fmt"
	"sort"
)

// Checker recomputes stock conservation from the journal with a fold that is
// independent of State (it only reads the decided events) and compares the
// result with a State. It proves, for every lot:
//
//	received = on hand + in transit + administered + written off
//
// and that stock never went below zero at any place.
type Checker struct {
	received, inTransit, administered, writtenOff map[string]int64
	onHand                                        map[[2]string]int64
	dispatched                                    map[string]map[string]int64 // shipment -> lot -> doses
	shipTo                                        map[string]string
	doses                                         map[string]doseRec
	negative                                      []string
	outOfRange                                    []string // quantities outside 0..MaxQty (a journal written before the bound)
	byDay                                         map[[2]string][]datedMove
	events                                        int
}

type doseRec struct {
	place, lot string
	day        Date
	voided     bool
}

// NewChecker returns an empty checker.
func NewChecker() *Checker {
	return &Checker{
		received: map[string]int64{}, inTransit: map[string]int64{}, administered: map[string]int64{}, writtenOff: map[string]int64{},
		onHand: map[[2]string]int64{}, dispatched: map[string]map[string]int64{}, shipTo: map[string]string{}, doses: map[string]doseRec{},
	}
}

func (c *Checker) move(place, lot string, n int64, seq uint64, day Date) {
	k := [2]string{place, lot}
	c.dated(k, n, day, seq)
	c.onHand[k] += n
	if c.onHand[k] < 0 {
		c.negative = append(c.negative, fmt.Sprintf("event %d: lot %s at %s went to %d", seq, lot, place, c.onHand[k]))
	}
}

// Add folds one event.
func (c *Checker) Add(e Event) {
	c.events++
	c.checkQuantities(e)
	switch v := e.Data.(type) {
	case StockReceived:
		c.received[v.Lot] += v.Doses
		c.move(v.Place, v.Lot, v.Doses, e.Seq, DateOf(v.Occurred))
	case ShipmentDispatched:
		m := map[string]int64{}
		for _, ln := range v.Lines {
			m[ln.Lot] += ln.Doses
			c.inTransit[ln.Lot] += ln.Doses
			c.move(v.From, ln.Lot, -ln.Doses, e.Seq, DateOf(v.Occurred))
		}
		c.dispatched[v.Shipment] = m
		c.shipTo[v.Shipment] = v.To
	case ShipmentReceived:
		to := c.shipTo[v.Shipment]
		for _, ln := range v.Lines {
			c.inTransit[ln.Lot] -= ln.Received + ln.Short + ln.Damaged + ln.VVMFailed
			c.writtenOff[ln.Lot] += ln.Short + ln.Damaged + ln.VVMFailed
			c.move(to, ln.Lot, ln.Received, e.Seq, DateOf(v.Occurred))
		}
	case StockAdjusted:
		c.adjust(v.Place, v.Lot, v.Delta, e.Seq, DateOf(v.Occurred))
	case StockCounted:
		c.adjust(v.Place, v.Lot, v.Delta, e.Seq, DateOf(v.Occurred))
	case ExcursionResolved:
		if v.Decision == "write_off" {
			c.adjust(v.Place, v.Lot, -v.Doses, e.Seq, DateOf(v.Occurred))
		}
	case SessionClosed:
		c.adjust(v.Place, v.Lot, -v.Wasted, e.Seq, v.Date)
	case VVMRecorded:
		c.adjust(v.Place, v.Lot, -v.WrittenOff, e.Seq, DateOf(v.Occurred))
	case DoseAdministered:
		c.doses[v.ID] = doseRec{place: v.Place, lot: v.Lot, day: DateOf(v.At)}
		c.administered[v.Lot]++
		c.move(v.Place, v.Lot, -1, e.Seq, DateOf(v.At))
	case DoseVoided:
		d := c.doses[v.Dose]
		d.voided = true
		c.doses[v.Dose] = d
		c.administered[d.lot]--
		c.move(d.place, d.lot, 1, e.Seq, d.day)
	case DoseCorrected:
		d := c.doses[v.Dose]
		c.administered[d.lot]--
		c.move(d.place, d.lot, 1, e.Seq, d.day)
		if v.At != nil {
			d.day = DateOf(*v.At)
		}
		if v.Lot != "" {
			d.lot = v.Lot
		}
		if v.Place != "" {
			d.place = v.Place
		}
		c.doses[v.Dose] = d
		c.administered[d.lot]++
		c.move(d.place, d.lot, -1, e.Seq, d.day)
	}
}

func (c *Checker) adjust(place, lot string, delta int64, seq uint64, day Date) {
	if delta == 0 {
		return
	}
	if delta > 0 {
		c.received[lot] += delta
	} else {
		c.writtenOff[lot] += -delta
	}
	c.move(place, lot, delta, seq, day)
}

// CheckReport is the result of a conservation check.
type CheckReport struct {
	Events   int      `json:"events"`
	Lots     int      `json:"lots"`
	Places   int      `json:"places"`
	Released int64    `json:"released"` // doses brought into the chain
	OnHand   int64    `json:"on_hand"`
	Transit  int64    `json:"in_transit"`
	Given    int64    `json:"administered"`
	Written  int64    `json:"written_off"`
	Breaches []string `json:"breaches"`
}

// OK reports whether no breach was found.
func (r *CheckReport) OK() bool { return len(r.Breaches) == 0 }

// Compare checks conservation per lot in the fold, then compares the fold with
// the state's counters lot by lot and place by place.
func (c *Checker) Compare(s *State) CheckReport {
	r := CheckReport{Events: c.events, Lots: len(s.lots), Places: len(s.places)}
	r.Breaches = append(r.Breaches, c.negative...)
	r.Breaches = append(r.Breaches, c.outOfRange...)
	r.Breaches = append(r.Breaches, c.negativeOnADay()...)
	r.Breaches = append(r.Breaches, c.counterBreaches(s)...)
	lotOnHand := map[string]int64{}
	for k, n := range c.onHand {
		lotOnHand[k[1]] += n
	}
	ids := make([]string, 0, len(s.lots))
	for id := range s.lots {
		ids = append(ids, id)
	}
	for id := range c.received {
		if s.lots[id] == nil {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	for _, id := range ids {
		rec, oh, tr, ad, wo := c.received[id], lotOnHand[id], c.inTransit[id], c.administered[id], c.writtenOff[id]
		r.Released += rec
		r.OnHand += oh
		r.Transit += tr
		r.Given += ad
		r.Written += wo
		if rec != oh+tr+ad+wo {
			r.Breaches = append(r.Breaches, fmt.Sprintf("lot %s: released %d != on hand %d + in transit %d + administered %d + written off %d", id, rec, oh, tr, ad, wo))
		}
		l := s.lots[id]
		if l == nil {
			r.Breaches = append(r.Breaches, fmt.Sprintf("lot %s: has movements in the journal but is unknown to the state", id))
			continue
		}
		if !l.Balanced() {
			r.Breaches = append(r.Breaches, fmt.Sprintf("lot %s: state counters unbalanced (received %d, on hand %d, in transit %d, administered %d, written off %d)", id, l.Received, l.OnHand, l.InTransit, l.Administered, l.WrittenOffTotal()))
		}
		if l.Received != rec || l.OnHand != oh || l.InTransit != tr || l.Administered != ad || l.WrittenOffTotal() != wo {
			r.Breaches = append(r.Breaches, fmt.Sprintf("lot %s: state (received %d, on hand %d, in transit %d, administered %d, written off %d) differs from the journal (%d, %d, %d, %d, %d)", id, l.Received, l.OnHand, l.InTransit, l.Administered, l.WrittenOffTotal(), rec, oh, tr, ad, wo))
		}
	}
	for k, n := range c.onHand {
		pl := s.places[k[0]]
		if pl == nil {
			r.Breaches = append(r.Breaches, fmt.Sprintf("place %s: unknown to the state", k[0]))
			continue
		}
		if got := pl.Stock[s.lots[k[1]]]; got != n {
			r.Breaches = append(r.Breaches, fmt.Sprintf("place %s lot %s: state on hand %d, journal %d", k[0], k[1], got, n))
		}
	}
	for _, pl := range s.places {
		for l, n := range pl.Stock {
			if n < 0 {
				r.Breaches = append(r.Breaches, fmt.Sprintf("place %s lot %s: negative stock %d", pl.ID, l.ID, n))
			}
			if _, ok := c.onHand[[2]string{pl.ID, l.ID}]; !ok {
				r.Breaches = append(r.Breaches, fmt.Sprintf("place %s lot %s: state has %d on hand, journal has none", pl.ID, l.ID, n))
			}
		}
	}
	sort.Strings(r.Breaches)
	return r
}
