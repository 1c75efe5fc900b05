package vaxtrace

import (
	"cmp"
	"slices"
)

// The cold-chain and replenishment rooms in a snapshot (see
// snapshot_rooms.go). Both keep ids, not pointers. Written: equipment,
// each place's equipment in definition order, placements, alarms in the
// order opened, VVM stages and log, policies, requisitions in the order
// created. Rebuilt: equipment by device, open alarms by equipment,
// requisitions by shipment and the doses shipped against each.

// placeLots returns a map's keys ordered by place, then lot.
func placeLots[V any](m map[placeLot]V) []placeLot {
	out := make([]placeLot, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.SortFunc(out, func(a, b placeLot) int {
		return cmp.Or(cmp.Compare(a.place, b.place), cmp.Compare(a.lot, b.lot))
	})
	return out
}

func (s *State) encodeColdChain(e *snapEncoder) {
	c := s.cold
	encodePtrMap(e, c.equipment)
	e.uvarint(uint64(len(c.byPlace)))
	for _, pl := range sortedKeys(c.byPlace) {
		e.str(pl)
		encodeValue(e, ptr(c.byPlace[pl]))
	}
	e.uvarint(uint64(len(c.placed)))
	for _, k := range placeLots(c.placed) {
		e.str(k.place)
		e.str(k.lot)
		e.str(c.placed[k])
	}
	e.uvarint(uint64(len(c.alarmIDs)))
	for _, id := range c.alarmIDs {
		encodeValue(e, c.alarms[id])
	}
	e.uvarint(uint64(len(c.vvm)))
	for _, k := range placeLots(c.vvm) {
		e.str(k.place)
		e.str(k.lot)
		encodeValue(e, ptr(c.vvm[k]))
	}
	encodeValue(e, &c.vvmLog)
}

func ptr[T any](v T) *T { return &v }

func (s *State) decodeColdChain(d *snapDecoder) {
	c := s.cold
	decodePtrMap(d, "equipment", c.equipment)
	for _, id := range sortedKeys(c.equipment) {
		eq := c.equipment[id]
		if eq.ID != id && d.err == nil {
			d.fail("equipment %.40q filed as %.40q", eq.ID, id)
		}
		if eq.Device == "" {
			continue
		}
		if other, dup := c.byDevice[eq.Device]; dup && d.err == nil {
			d.fail("device %.40q fitted to %.40q and %.40q", eq.Device, other, id)
		}
		c.byDevice[eq.Device] = id
	}
	n := d.count()
	prev := ""
	for i := 0; i < n && d.err == nil; i++ {
		pl := d.str()
		if !d.ascending("place", i, prev, pl) {
			return
		}
		prev = pl
		var ids []string
		decodeValue(d, &ids)
		for _, id := range ids {
			if d.err == nil && c.equipment[id] == nil {
				d.fail("unknown equipment %.40q", id)
			}
		}
		c.byPlace[pl] = ids
	}
	n = d.count()
	for i := 0; i < n && d.err == nil; i++ {
		k := placeLot{d.str(), d.str()}
		c.placed[k] = d.str()
	}
	n = d.count()
	for i := 0; i < n && d.err == nil; i++ {
		a := &AlarmState{}
		decodeValue(d, a)
		if d.err == nil && c.alarms[a.Alarm] != nil {
			d.fail("alarm %.40q twice", a.Alarm)
		}
		c.alarms[a.Alarm] = a
		c.alarmIDs = append(c.alarmIDs, a.Alarm)
		if !a.Cleared {
			c.openAlarm[a.Equipment] = append(c.openAlarm[a.Equipment], a.Alarm)
		}
	}
	n = d.count()
	for i := 0; i < n && d.err == nil; i++ {
		k := placeLot{d.str(), d.str()}
		var v VVMRecorded
		decodeValue(d, &v)
		c.vvm[k] = v
	}
	decodeValue(d, &c.vvmLog)
}

func (s *State) encodeReplenishment(e *snapEncoder) {
	r := s.repl
	encodeValue(e, &r.policies)
	e.uvarint(uint64(len(r.reqIDs)))
	for _, id := range r.reqIDs {
		q := r.reqs[id]
		encodeValue(e, &q.RequisitionCreated)
		e.str(q.Status)
		e.time(q.Recorded)
		e.str(q.By)
		encodeValue(e, &q.Asked)
		encodeValue(e, &q.Edits)
		e.str(q.DecidedBy)
		e.time(q.DecidedAt)
		e.str(q.Note)
		encodeValue(e, &q.Shipments)
	}
}

func (s *State) decodeReplenishment(d *snapDecoder) {
	r := s.repl
	decodeValue(d, &r.policies)
	if r.policies == nil {
		r.policies = map[string]ReplenishmentPolicy{}
	}
	n := d.count()
	for i := 0; i < n && d.err == nil; i++ {
		q := &RequisitionState{shipped: map[prodComp]int64{}}
		decodeValue(d, &q.RequisitionCreated)
		q.Status = d.str()
		q.Recorded = d.time()
		q.By = d.str()
		decodeValue(d, &q.Asked)
		decodeValue(d, &q.Edits)
		q.DecidedBy = d.str()
		q.DecidedAt = d.time()
		q.Note = d.str()
		decodeValue(d, &q.Shipments)
		if d.err != nil {
			return
		}
		s.needPlace(d, q.Place)
		if d.err != nil {
			return
		}
		if r.reqs[q.Requisition] != nil {
			d.fail("requisition %.40q twice", q.Requisition)
			return
		}
		for _, id := range q.Shipments {
			sh := s.shipments[id]
			if sh == nil {
				d.fail("unknown shipment %.40q", id)
				return
			}
			if _, dup := r.byShipment[id]; dup {
				d.fail("shipment %.40q fulfils two requisitions", id)
				return
			}
			r.byShipment[id] = q.Requisition
			for _, ln := range sh.Lines {
				l := s.lots[ln.Lot] // checked with the shipments
				q.shipped[prodComp{l.Product, l.Component}] += ln.Doses
			}
		}
		r.reqs[q.Requisition] = q
		r.reqIDs = append(r.reqIDs, q.Requisition)
	}
}
