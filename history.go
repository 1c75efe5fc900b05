package vaxtrace

// Rules that keep history in order in time: stock cannot be used at a place
// before it got there, doses cannot be received before they were made, a
// birth date cannot move after the person's doses, an AEFI needs a dose
// that stands.

type arrivalKey struct {
	place *PlaceState
	lot   *LotState
}

// arrivals is the first day each lot reached each place (a receipt, a
// shipment received, a count that found it): before that day the lot
// cannot leave the place, as a dose or in a shipment.
type arrivals map[arrivalKey]Date

// noteArrival records that n > 0 doses of l reached pl on day.
func (s *State) noteArrival(pl *PlaceState, l *LotState, n int64, day Date) {
	if n <= 0 {
		return
	}
	if s.arrived == nil {
		s.arrived = arrivals{}
	}
	k := arrivalKey{pl, l}
	if first, ok := s.arrived[k]; !ok || day < first {
		s.arrived[k] = day
	}
}

// arrivedBy reports whether l had reached pl by the end of day d, and the
// day it first did.
func (s *State) arrivedBy(pl *PlaceState, l *LotState, d Date) (bool, Date) {
	first, ok := s.arrived[arrivalKey{pl, l}]
	return ok && first <= d, first
}

// notYetThere is available's reason for a lot used before it arrived.
func (s *State) notYetThere(pl *PlaceState, l *LotState, d Date) string {
	if ok, first := s.arrivedBy(pl, l, d); !ok && pl.Stock[l] > 0 {
		return "had not reached " + pl.ID + " on " + d.String() + " (it arrived on " + first.String() + ")"
	}
	return ""
}

// checkReceiptMade refuses a receipt dated before its lot was made.
func checkReceiptMade(l *LotState, v StockReceived) error {
	if d := DateOf(v.Occurred); l.Manufactured != 0 && d < l.Manufactured {
		return FieldError("occurred", "is before lot %q was manufactured on %s", l.ID, l.Manufactured)
	}
	return nil
}

// checkBirthBeforeDoses refuses a birth date moved after the person's
// first valid dose.
func (s *State) checkBirthBeforeDoses(p Person) error {
	cur := s.Person(p.ID)
	if cur == nil {
		return nil
	}
	for d := s.FirstDose(cur); d != nil; d = s.nextDose(d) {
		if DateOf(d.At(s)) < p.BirthDate {
			return FieldError("birth_date", "is after the dose given on %s", DateOf(d.At(s)))
		}
	}
	return nil
}

// checkAEFIDose refuses an AEFI on a voided dose.
func (s *State) checkAEFIDose(v AEFIReported) error {
	if d := s.Dose(v.Dose); d != nil && d.Voided() {
		return FieldError("dose", "dose %q was voided; an AEFI needs a dose that was given", v.Dose)
	}
	return nil
}

// checkCorrectionArrived refuses a correction that moves a dose to a day,
// place or lot where the lot had not arrived yet.
func (s *State) checkCorrectionArrived(v DoseCorrected) error {
	d := s.Dose(v.Dose)
	if d == nil || v.At == nil && v.Place == "" && v.Lot == "" {
		return nil
	}
	pl, l, at := d.PlaceOf(s), d.LotOf(s), d.At(s)
	if v.Place != "" {
		pl = s.places[v.Place]
	}
	if v.Lot != "" {
		l = s.lots[v.Lot]
	}
	if v.At != nil {
		at = *v.At
	}
	if pl == nil || l == nil {
		return nil
	}
	ok, first := s.arrivedBy(pl, l, DateOf(at))
	if !ok && first == 0 {
		return FieldError("lot", "lot %q never reached %s", l.ID, pl.ID)
	}
	if !ok {
		return FieldError("at", "lot %q had not reached %s on %s (it arrived on %s)", l.ID, pl.ID, DateOf(at), first)
	}
	return nil
}
