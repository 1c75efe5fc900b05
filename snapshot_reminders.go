package vaxtrace

import (
	"bytes"
	"slices"
)

// The reminder outbox in a snapshot:
//
//	present (bool; nil outbox: false)
//	reminders count, each by id: the record and whether it is open
//	gateway ids count, each in order: gateway id, reminder number (in the
//	        order above)
//	opted out count, each by person id: id, value

func (s *State) encodeReminders(e *snapEncoder) {
	b := s.rem
	e.bool(b != nil)
	if b == nil {
		return
	}
	ids := sortedKeys(b.all)
	number := make(map[string]uint64, len(ids))
	e.uvarint(uint64(len(ids)))
	for i, id := range ids {
		r := b.all[id]
		number[id] = uint64(i)
		e.raw(r.ID)
		e.fixed(r.Person[:])
		e.str(r.Product)
		e.int(r.Number)
		e.varint(int64(r.DueFrom))
		e.str(r.Type)
		e.str(r.Status)
		e.int(r.Attempts)
		e.raw(r.GatewayID)
		e.raw(r.Detail)
		e.time(r.Queued)
		e.time(r.Updated)
		if open := b.open[id]; open != nil && open != r {
			e.fail("snapshot: open reminder %s is not the outbox's record", id)
			return
		}
		e.bool(b.open[id] != nil)
	}
	open := 0
	for _, id := range ids {
		if b.open[id] != nil {
			open++
		}
	}
	if open != len(b.open) {
		e.fail("snapshot: %d open reminders, %d of them in the outbox", len(b.open), open)
		return
	}
	gw := sortedKeys(b.byGateway)
	e.uvarint(uint64(len(gw)))
	for _, g := range gw {
		i, ok := number[b.byGateway[g]]
		if !ok {
			e.fail("snapshot: gateway id %s names reminder %s, not in the outbox", g, b.byGateway[g])
			return
		}
		e.raw(g)
		e.uvarint(i)
	}
	out := make([]PersonID, 0, len(b.optedOut))
	for id := range b.optedOut {
		out = append(out, id)
	}
	slices.SortFunc(out, func(a, b PersonID) int { return bytes.Compare(a[:], b[:]) })
	e.uvarint(uint64(len(out)))
	for _, id := range out {
		e.fixed(id[:])
		e.bool(b.optedOut[id])
	}
}

func (s *State) decodeReminders(d *snapDecoder) {
	if !d.bool() || d.err != nil {
		return
	}
	b := &reminderBook{all: map[string]*ReminderState{}, open: map[string]*ReminderState{}, byGateway: map[string]string{}, optedOut: map[PersonID]bool{}}
	n := d.count()
	var block []ReminderState
	ids := make([]string, 0, min(n, 1<<16))
	for i := 0; i < n && d.err == nil; i++ {
		if len(block) == 0 {
			block = make([]ReminderState, min(n-i, 1<<12))
		}
		r := &block[0]
		block = block[1:]
		r.ID = d.raw()
		d.fixed(r.Person[:])
		r.Product = d.str()
		r.Number = d.int()
		r.DueFrom = Date(d.varint())
		r.Type = d.str()
		r.Status = d.str()
		r.Attempts = d.int()
		r.GatewayID = d.raw()
		r.Detail = d.raw()
		r.Queued = d.time()
		r.Updated = d.time()
		open := d.bool()
		if d.err != nil {
			return
		}
		if len(ids) > 0 && r.ID <= ids[len(ids)-1] {
			d.fail("reminder %s out of order", r.ID)
			return
		}
		ids = append(ids, r.ID)
		b.all[r.ID] = r
		if open {
			b.open[r.ID] = r
		}
	}
	gw := d.count()
	prev := ""
	for i := 0; i < gw && d.err == nil; i++ {
		g := d.raw()
		j := d.uvarint()
		if d.err != nil {
			return
		}
		if j >= uint64(len(ids)) || (i > 0 && g <= prev) {
			d.fail("gateway id %s: reminder %d of %d, or out of order", g, j, len(ids))
			return
		}
		b.byGateway[g] = ids[j]
		prev = g
	}
	out := d.count()
	for i := 0; i < out && d.err == nil; i++ {
		var id PersonID
		d.fixed(id[:])
		v := d.bool()
		if _, dup := b.optedOut[id]; dup {
			d.fail("person %s opted out twice", id)
			return
		}
		b.optedOut[id] = v
	}
	if d.err == nil {
		s.rem = b
	}
}
