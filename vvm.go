package vaxtrace

import (
	"strings"
	"time"
)

// Vaccine vial monitors. A VVM is a heat-sensitive label whose inner square
// darkens with cumulative heat exposure: stage 1 and 2 mean use the vaccine
// (stage 2 first), stage 3 is the discard point and stage 4 is beyond it.
// The stage is recorded per lot at a place when stock is received or
// counted; doses at stage 3 or 4 are written off in the same event with
// reason vvm_failed.

// KindVVMRecorded is the event kind of a VVM observation.
const KindVVMRecorded = "vvm.recorded"

// VVM observation contexts.
const (
	VVMAtReceipt    = "receipt"
	VVMAtCount      = "count"
	VVMAtInspection = "inspection"
)

// VVMRecorded is a VVM stage observed on a lot's vials at a place.
type VVMRecorded struct {
	Place    string    `json:"place"`
	Lot      string    `json:"lot"`
	Stage    int       `json:"stage"`              // 1..4
	Doses    int64     `json:"doses,omitempty"`    // doses whose vials show this stage; 0 = all on hand
	Context  string    `json:"context"`            // receipt, count or inspection
	Shipment string    `json:"shipment,omitempty"` // the shipment received, for context receipt
	Occurred time.Time `json:"occurred"`
	Note     string    `json:"note,omitempty"`
	// WrittenOff is filled by the state: doses written off (stage 3 or 4).
	WrittenOff int64 `json:"written_off"`
}

func (VVMRecorded) Kind() string      { return KindVVMRecorded }
func (p *VVMRecorded) deref() Payload { return *p }

// unusable: stage 3 (discard point) or 4.
func (v VVMRecorded) unusable() bool { return v.Stage >= 3 }

func (s *State) decideVVM(v VVMRecorded, recorded time.Time) (Payload, error) {
	pl, err := s.place("place", v.Place)
	if err != nil {
		return nil, err
	}
	l, err := s.lot("lot", v.Lot)
	if err != nil {
		return nil, err
	}
	if v.Stage < 1 || v.Stage > 4 {
		return nil, FieldError("stage", "a VVM stage is 1, 2, 3 or 4 (got %d)", v.Stage)
	}
	switch v.Context {
	case VVMAtReceipt, VVMAtCount, VVMAtInspection:
	default:
		return nil, FieldError("context", "must be receipt, count or inspection")
	}
	if err := checkOccurred("occurred", v.Occurred, recorded); err != nil {
		return nil, err
	}
	if len(v.Note) > 500 {
		return nil, FieldError("note", "at most 500 characters")
	}
	if v.Context == VVMAtReceipt {
		if v.Shipment == "" {
			return nil, FieldError("shipment", "a VVM check at receipt names the shipment received")
		}
		sh := s.shipments[v.Shipment]
		if sh == nil {
			return nil, NotFound("shipment", "unknown shipment %q", v.Shipment)
		}
		if !sh.Received || sh.To != pl.ID {
			return nil, FieldError("shipment", "shipment %q was not received at %s", v.Shipment, pl.ID)
		}
		found := false
		for _, ln := range sh.Lines {
			found = found || ln.Lot == l.ID
		}
		if !found {
			return nil, FieldError("lot", "lot %q was not in shipment %q", l.ID, v.Shipment)
		}
	} else if v.Shipment != "" {
		return nil, FieldError("shipment", "only a check at receipt names a shipment")
	}
	on := pl.Stock[l]
	if v.Doses < 0 {
		return nil, FieldError("doses", "must not be negative")
	}
	if v.Doses > on {
		return nil, FieldError("doses", "%d doses of lot %q are on hand at %s, not %d", on, l.ID, pl.ID, v.Doses)
	}
	v.WrittenOff = 0
	if v.unusable() {
		n := v.Doses
		if n == 0 {
			n = on
		}
		if n == 0 {
			return nil, FieldError("lot", "lot %q has no stock at %s to write off", l.ID, pl.ID)
		}
		v.WrittenOff = n
	}
	v.Note = strings.TrimSpace(v.Note)
	return v, nil
}

func (s *State) applyVVM(v VVMRecorded) {
	k := placeLot{v.Place, v.Lot}
	// the latest stage seen on the vials kept: written-off vials at stage 3
	// or 4 say nothing about the others (if any are left)
	switch {
	case !v.unusable():
		s.cold.vvm[k] = v
	case v.WrittenOff >= s.places[v.Place].Stock[s.lots[v.Lot]]:
		delete(s.cold.vvm, k)
	}
	s.cold.vvmLog = append(s.cold.vvmLog, v)
	if v.WrittenOff > 0 {
		s.adjust(s.places[v.Place], s.lots[v.Lot], -v.WrittenOff, ReasonVVM, DateOf(v.Occurred))
	}
}

// VVMStage returns the latest VVM observation of a lot at a place.
func (s *State) VVMStage(place, lot string) (VVMRecorded, bool) {
	v, ok := s.cold.vvm[placeLot{place, lot}]
	return v, ok
}

// VVMLog lists every VVM observation, oldest first, optionally for one place.
func (s *State) VVMLog(place string) []VVMRecorded {
	var out []VVMRecorded
	for _, v := range s.cold.vvmLog {
		if place == "" || v.Place == place {
			out = append(out, v)
		}
	}
	return out
}
