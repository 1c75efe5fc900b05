package vaxtrace

import "time"

// Dispatch for the cold-chain and replenishment rooms: the existing
// switches (NewPayload, deref, Decide, Apply, touched, DerivesFields) call
// these once, so that the rooms' event kinds live in their own files.

func newRoomPayload(kind string) Payload {
	switch kind {
	case KindEquipmentDefined:
		return &EquipmentDefined{}
	case KindEquipmentChanged:
		return &EquipmentChanged{}
	case KindStockPlaced:
		return &StockPlaced{}
	case KindVVMRecorded:
		return &VVMRecorded{}
	case KindAlarmOpened:
		return &AlarmOpened{}
	case KindAlarmAcknowledged:
		return &AlarmAcknowledged{}
	case KindAlarmCleared:
		return &AlarmCleared{}
	case KindPolicySet:
		return &PolicySet{}
	case KindRequisitionCreated:
		return &RequisitionCreated{}
	case KindRequisitionEdited:
		return &RequisitionEdited{}
	case KindRequisitionApproved:
		return &RequisitionApproved{}
	case KindRequisitionRejected:
		return &RequisitionRejected{}
	case KindRequisitionFulfilled:
		return &RequisitionFulfilled{}
	case KindReminderQueued:
		return &ReminderQueued{}
	case KindReminderAttempted:
		return &ReminderAttempted{}
	case KindReminderResult:
		return &ReminderResult{}
	case KindRemindersOptedOut:
		return &RemindersOptedOut{}
	}
	return nil
}

// roomDeref turns a decoded room payload (a pointer) into its value.
func roomDeref(p Payload) (Payload, bool) {
	if d, ok := p.(interface{ deref() Payload }); ok {
		return d.deref(), true
	}
	return p, false
}

// decideRooms decides a room event; ok is false for other kinds.
func (s *State) decideRooms(p Payload, recorded time.Time) (out Payload, ok bool, err error) {
	switch v := p.(type) {
	case EquipmentDefined:
		return v, true, s.decideEquipment(v.Equipment, false, "", v.Occurred, recorded)
	case EquipmentChanged:
		return v, true, s.decideEquipment(v.Equipment, true, v.Reason, v.Occurred, recorded)
	case StockPlaced:
		return v, true, s.decidePlacement(v, recorded)
	case VVMRecorded:
		out, err = s.decideVVM(v, recorded)
		return out, true, err
	case AlarmOpened:
		return v, true, s.decideAlarm(v, recorded)
	case AlarmAcknowledged:
		out, err = s.decideAck(v, recorded)
		return out, true, err
	case AlarmCleared:
		return v, true, s.decideClear(v, recorded)
	case PolicySet:
		return v, true, s.decidePolicy(v, recorded)
	case RequisitionCreated:
		out, err = s.decideRequisition(v, recorded)
		return out, true, err
	case RequisitionEdited:
		out, err = s.decideRequisitionEdit(v, recorded)
		return out, true, err
	case RequisitionApproved:
		return v, true, s.decideRequisitionDecision(v.Requisition, false, v.Note)
	case RequisitionRejected:
		return v, true, s.decideRequisitionDecision(v.Requisition, true, v.Reason)
	case RequisitionFulfilled:
		return v, true, s.decideFulfilment(v)
	case ReminderQueued, ReminderAttempted, ReminderResult, RemindersOptedOut:
		return v, true, s.decideReminder(v) // reminder.go
	}
	return nil, false, nil
}

// applyRooms applies a decided room event.
func (s *State) applyRooms(e Event) {
	switch v := e.Data.(type) {
	case EquipmentDefined:
		s.applyEquipment(v.Equipment, false, "", v.Occurred)
	case EquipmentChanged:
		s.applyEquipment(v.Equipment, true, v.Reason, v.Occurred)
	case StockPlaced:
		s.cold.placed[placeLot{v.Place, v.Lot}] = v.Equipment
	case VVMRecorded:
		s.applyVVM(v)
	case AlarmOpened:
		s.applyAlarm(v)
	case AlarmAcknowledged:
		s.applyAck(v, e.Actor)
	case AlarmCleared:
		s.applyClear(v)
	case PolicySet:
		s.repl.policies[v.Policy.Place] = v.Policy
	case RequisitionCreated, RequisitionEdited, RequisitionApproved, RequisitionRejected, RequisitionFulfilled:
		s.applyRequisition(e)
	case ReminderQueued, ReminderAttempted, ReminderResult, RemindersOptedOut:
		s.applyReminder(e)
	}
}

// touchedRooms lists the places a room event changes, for scope checks: a
// place's own equipment, placements, VVM records and requisitions; alarm
// acknowledgements at the alarm's place; a requisition's review and
// fulfilment at the supplying place (a region approves its points', the
// national level the regions'); a place's policy at its supplying place.
// Alarms are opened and cleared by the monitor only (national).
func touchedRooms(s *State, v Payload) (places []string, national, ok bool) {
	switch x := v.(type) {
	case EquipmentDefined:
		return []string{x.Equipment.Place}, false, true
	case EquipmentChanged:
		if cur := s.cold.equipment[x.Equipment.ID]; cur != nil {
			return []string{cur.Place, x.Equipment.Place}, false, true
		}
		return []string{x.Equipment.Place}, false, true
	case StockPlaced:
		return []string{x.Place}, false, true
	case VVMRecorded:
		return []string{x.Place}, false, true
	case AlarmOpened, AlarmCleared:
		return nil, true, true
	case AlarmAcknowledged:
		if a := s.cold.alarms[x.Alarm]; a != nil {
			return []string{a.Place}, false, true
		}
		return nil, false, true
	case PolicySet:
		if pl := s.places[x.Policy.Place]; pl != nil && pl.Parent != "" {
			return []string{pl.Parent}, false, true
		}
		return nil, true, true
	case RequisitionCreated:
		return []string{x.Place}, false, true
	case RequisitionEdited:
		return supplierOf(s, x.Requisition), false, true
	case RequisitionApproved:
		return supplierOf(s, x.Requisition), false, true
	case RequisitionRejected:
		return supplierOf(s, x.Requisition), false, true
	case RequisitionFulfilled:
		return supplierOf(s, x.Requisition), false, true
	case ReminderQueued, ReminderAttempted, ReminderResult:
		return nil, true, true // the outbox runs nationally
	case RemindersOptedOut:
		return nil, false, true // anyone who may see the person (checked by the API)
	}
	return nil, false, false
}

func supplierOf(s *State, id string) []string {
	if r := s.repl.reqs[id]; r != nil {
		return []string{r.Supplier}
	}
	return nil
}

// derivesRooms reports the room kinds whose Decide fills fields.
func derivesRooms(kind string) bool {
	switch kind {
	case KindVVMRecorded, KindAlarmAcknowledged, KindRequisitionCreated, KindRequisitionEdited:
		return true
	}
	return false
}
