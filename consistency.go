package vaxtrace

// Consistency rules a write must meet beyond its fields one by one: a
// session happens at a vaccination point, an excursion leaves the storage
// range of something held there, a dispatch's product agrees with its
// lines.

// checkSessionPlace refuses a session at a warehouse.
func (s *State) checkSessionPlace(v SessionClosed) error {
	if pl := s.places[v.Place]; pl != nil && pl.Kind != PlacePoint {
		return FieldError("place", "%q is a %s warehouse; sessions are held at vaccination points", pl.ID, pl.Kind)
	}
	return nil
}

// storageRange is a product's storage range, 2–8 °C when not given.
func storageRange(p *Product) (lo, hi float64) {
	if p == nil || p.StorageMinC == 0 && p.StorageMaxC == 0 {
		return 2, 8
	}
	return p.StorageMinC, p.StorageMaxC
}

// checkExcursionOutside refuses an "excursion" whose temperatures stayed
// within the storage range of every lot it would hold (v as decided: its
// lots filled in).
func (s *State) checkExcursionOutside(v ExcursionReported) error {
	for _, id := range v.Lots {
		l := s.lots[id]
		if l == nil {
			return nil
		}
		lo, hi := storageRange(s.products[l.Product])
		if v.MinC < lo || v.MaxC > hi {
			return nil
		}
	}
	return FieldError("max_c", "%g to %g °C is within the storage range of every lot there: not an excursion", v.MinC, v.MaxC)
}

// checkDispatchAgrees refuses a dispatch with lines whose product,
// component or total contradicts the product, component or doses it also
// names.
func (s *State) checkDispatchAgrees(v ShipmentDispatched) error {
	if len(v.Lines) == 0 {
		return nil
	}
	var total Qty
	for i, ln := range v.Lines {
		f := "lines[" + itoa(i) + "].lot"
		if l := s.lots[ln.Lot]; l != nil {
			if v.Product != "" && l.Product != v.Product {
				return FieldError(f, "lot %q is %s, but the shipment is %s", l.ID, l.Product, v.Product)
			}
			if v.Component != "" && l.Component != v.Component {
				return FieldError(f, "lot %q is component %s, but the shipment is component %s", l.ID, l.Component, v.Component)
			}
		}
		if Qty(ln.Doses).CheckPositive("") != nil {
			return nil // decideDispatch names the line
		}
		if total += Qty(ln.Doses); total > MaxQty {
			return nil // decideDispatch finds the stock short; stop before the sum could wrap
		}
	}
	if v.Doses != 0 && Qty(v.Doses) != total {
		return FieldError("doses", "%d doses, but the lines add up to %d", v.Doses, int64(total))
	}
	return nil
}
