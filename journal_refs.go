package vaxtrace

import (
	"fmt"
)

// ApplyJournaled folds an event read back from a journal. Apply trusts its
// input (Decide checked it before it was journaled); a journal read back
// from disk may have been damaged or written by something else, so this
// first checks that every lot, place, shipment, excursion, person, dose and
// certificate the event refers to exists, and turns any failure of Apply
// that remains into an error instead of a crash. The error is a
// *JournalDamage naming the event's seq; the state must then be discarded.
func (s *State) ApplyJournaled(e Event) (err error) {
	if e.Data == nil {
		return &JournalDamage{Seq: e.Seq, Reason: fmt.Sprintf("event %s has no content", e.Kind)}
	}
	if what := s.missingRef(e.Data); what != "" {
		return &JournalDamage{Seq: e.Seq, Reason: fmt.Sprintf("%s refers to %s, which the journal never defined", e.Kind, what)}
	}
	defer func() {
		if r := recover(); r != nil {
			err = &JournalDamage{Seq: e.Seq, Reason: fmt.Sprintf("%s cannot be applied to the state built so far: %v", e.Kind, r)}
		}
	}()
	s.Apply(e)
	return nil
}

// missingRef names the first thing p refers to that the state does not
// know ("" if none).
func (s *State) missingRef(p Payload) string {
	lot := func(id string) string {
		if s.lots[id] == nil {
			return fmt.Sprintf("lot %q", id)
		}
		return ""
	}
	place := func(id string) string {
		if s.places[id] == nil {
			return fmt.Sprintf("place %q", id)
		}
		return ""
	}
	shipment := func(id string) string {
		if s.shipments[id] == nil {
			return fmt.Sprintf("shipment %q", id)
		}
		return ""
	}
	dose := func(id string) string {
		if s.doses.get(id) == nil {
			return fmt.Sprintf("dose %q", id)
		}
		return ""
	}
	person := func(id PersonID) string {
		if s.people.get(id) == nil {
			return fmt.Sprintf("person %s", id)
		}
		return ""
	}
	first := func(ws ...string) string {
		for _, w := range ws {
			if w != "" {
				return w
			}
		}
		return ""
	}
	switch v := p.(type) {
	case PlaceMoved:
		return place(v.Place)
	case LotReleased:
		return lot(v.Lot)
	case LotSuspended:
		return lot(v.Lot)
	case LotReinstated:
		return lot(v.Lot)
	case StockReceived:
		return first(lot(v.Lot), place(v.Place))
	case ShipmentDispatched:
		w := first(place(v.From), place(v.To))
		for _, ln := range v.Lines {
			w = first(w, lot(ln.Lot))
		}
		return w
	case ShipmentReceived:
		if w := shipment(v.Shipment); w != "" {
			return w
		}
		sh := s.shipments[v.Shipment]
		w := first(place(sh.From), place(sh.To))
		for _, ln := range v.Lines {
			w = first(w, lot(ln.Lot))
		}
		return w
	case StockAdjusted:
		return first(place(v.Place), lot(v.Lot))
	case StockCounted:
		return first(place(v.Place), lot(v.Lot))
	case ExcursionReported:
		w := ""
		if v.Place != "" {
			w = place(v.Place)
		} else {
			w = shipment(v.Shipment)
		}
		for _, id := range v.Lots {
			w = first(w, lot(id))
		}
		return w
	case ExcursionResolved:
		if s.excursions[v.Excursion] == nil {
			return fmt.Sprintf("excursion %q", v.Excursion)
		}
		return lot(v.Lot)
	case PersonUpdated:
		return person(v.Person.ID)
	case PersonsMerged:
		return first(person(v.Into), person(v.From))
	case DoseAdministered:
		return first(person(v.Person), place(v.Place), lot(v.Lot))
	case DoseVoided:
		return dose(v.Dose)
	case DoseCorrected:
		w := dose(v.Dose)
		if v.Lot != "" {
			w = first(w, lot(v.Lot))
		}
		if v.Place != "" {
			w = first(w, place(v.Place))
		}
		if v.Person != nil {
			w = first(w, person(*v.Person))
		}
		return w
	case SessionClosed:
		if v.Wasted > 0 {
			return first(place(v.Place), lot(v.Lot))
		}
	case AEFIReported:
		return lot(v.Lot)
	case VVMRecorded:
		return first(place(v.Place), lot(v.Lot))
	case CertificateRevoked:
		if s.certs.get(v.UVCI) == nil {
			return fmt.Sprintf("certificate %q", v.UVCI)
		}
	}
	return ""
}
