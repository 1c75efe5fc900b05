package vaxtrace

import "fmt"

// checkQuantities records every quantity of a stock event that lies outside
// 0..MaxQty (a delta outside -MaxQty..MaxQty): such an event was written by
// a version without the bound, and the sums folded from it may have wrapped.
func (c *Checker) checkQuantities(e Event) {
	q := func(name string, n int64) {
		if n < 0 || n > int64(MaxQty) {
			c.outOfRange = append(c.outOfRange, fmt.Sprintf("event %d (%s): %s %d is outside 0..%d", e.Seq, e.Kind, name, n, int64(MaxQty)))
		}
	}
	d := func(name string, n int64) {
		if n < -int64(MaxQty) || n > int64(MaxQty) {
			c.outOfRange = append(c.outOfRange, fmt.Sprintf("event %d (%s): %s %d is outside -%d..%d", e.Seq, e.Kind, name, n, int64(MaxQty), int64(MaxQty)))
		}
	}
	switch v := e.Data.(type) {
	case StockReceived:
		q("doses", v.Doses)
	case ShipmentDispatched:
		q("doses", v.Doses)
		for _, ln := range v.Lines {
			q("lines.doses", ln.Doses)
		}
	case ShipmentReceived:
		for _, ln := range v.Lines {
			q("lines.received", ln.Received)
			q("lines.short", ln.Short)
			q("lines.damaged", ln.Damaged)
			q("lines.vvm_failed", ln.VVMFailed)
		}
	case StockAdjusted:
		d("delta", v.Delta)
	case StockCounted:
		q("counted", v.Counted)
		d("delta", v.Delta)
	case ExcursionResolved:
		q("doses", v.Doses)
	case SessionClosed:
		q("vials_opened", v.VialsOpened)
		q("administered", v.Administered)
		q("wasted", v.Wasted)
	case VVMRecorded:
		q("written_off", v.WrittenOff)
	case TallySubmitted:
		q("count", v.Count)
	case AgreementSigned:
		q("doses", v.Agreement.Doses)
		for _, t := range v.Agreement.Tranches {
			q("tranches.doses", t.Doses)
		}
	}
}

// counterBreaches reports the state's counters that lie outside 0..MaxQty:
// a lot's received, on hand, in transit, administered or written-off total,
// or a place's stock of a lot.
func (c *Checker) counterBreaches(s *State) []string {
	var out []string
	bad := func(n int64) bool { return n < 0 || n > int64(MaxQty) }
	for _, l := range s.lots {
		for _, x := range []struct {
			name string
			n    int64
		}{{"received", l.Received}, {"on hand", l.OnHand}, {"in transit", l.InTransit}, {"administered", l.Administered}, {"written off", l.WrittenOffTotal()}} {
			if bad(x.n) {
				out = append(out, fmt.Sprintf("lot %s: %s %d is outside 0..%d", l.ID, x.name, x.n, int64(MaxQty)))
			}
		}
	}
	for k, n := range c.onHand {
		if n > int64(MaxQty) {
			out = append(out, fmt.Sprintf("place %s lot %s: on hand %d is more than %d", k[0], k[1], n, int64(MaxQty)))
		}
	}
	return out
}
