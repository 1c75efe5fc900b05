package vaxtrace

import (
	"cmp"
	"slices"
)

// The due index in a snapshot. Its buckets are lists whose order answers
// depend on (a due list's page walks a bucket in order; removal swaps the
// last entry in), so each bucket is written in its own order: the entries
// once, by place bucket (place, slot, then each entry's person position),
// then the region buckets as lists of those entries' numbers. An entry's
// place, slot and region are those of the buckets that hold it.
//
//	present (bool; nil index: false)
//	entries count
//	places  count, each: place, slots count, each: product, number, day,
//	        entries count, each: person position
//	regions count, each: region, slots count, each: product, number, day,
//	        entries count, each: entry number (in the order above)

func sortedDueSlots(sc dueScope) []dueSlot {
	keys := make([]dueSlot, 0, len(sc))
	for k, b := range sc {
		if len(b) > 0 {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(a, b dueSlot) int {
		return cmp.Or(cmp.Compare(a.product, b.product), cmp.Compare(a.number, b.number), cmp.Compare(a.day, b.day))
	})
	return keys
}

// sortedDueScopes lists the codes of non-empty scopes in order (a scope
// left empty by removals answers like a missing one).
func sortedDueScopes(m map[string]dueScope) []string {
	var codes []string
	for code, sc := range m {
		for _, b := range sc {
			if len(b) > 0 {
				codes = append(codes, code)
				break
			}
		}
	}
	slices.Sort(codes)
	return codes
}

func (e *snapEncoder) dueSlot(k dueSlot, n int) {
	e.uvarint(uint64(k.product))
	e.uvarint(uint64(k.number))
	e.varint(int64(k.day))
	e.uvarint(uint64(n))
}

func (s *State) encodeDue(e *snapEncoder) {
	x := s.due
	e.bool(x != nil)
	if x == nil {
		return
	}
	e.uvarint(uint64(len(x.byPerson)))
	number := make(map[*dueEntry]uint64, len(x.byPerson))
	places := sortedDueScopes(x.places)
	e.uvarint(uint64(len(places)))
	for _, code := range places {
		sc := x.places[code]
		e.str(code)
		slots := sortedDueSlots(sc)
		e.uvarint(uint64(len(slots)))
		for _, k := range slots {
			e.dueSlot(k, len(sc[k]))
			for _, en := range sc[k] {
				pos, ok := s.people.posOfID(en.person)
				if !ok {
					e.fail("snapshot: person %s is due a dose but not registered", en.person)
					return
				}
				e.uvarint(uint64(pos))
				number[en] = uint64(len(number))
			}
		}
	}
	regions := sortedDueScopes(x.regions)
	e.uvarint(uint64(len(regions)))
	for _, code := range regions {
		sc := x.regions[code]
		e.str(code)
		slots := sortedDueSlots(sc)
		e.uvarint(uint64(len(slots)))
		for _, k := range slots {
			e.dueSlot(k, len(sc[k]))
			for _, en := range sc[k] {
				i, ok := number[en]
				if !ok {
					e.fail("snapshot: a region's due entry of %s is in no place's list", en.person)
					return
				}
				e.uvarint(i)
			}
		}
	}
	if len(number) != len(x.byPerson) {
		e.fail("snapshot: %d people due, %d in the places' lists", len(x.byPerson), len(number))
	}
}

// readDueSlot reads a bucket's key and size; false on a bad one.
func (d *snapDecoder) dueSlot(left int) (dueSlot, int, bool) {
	product, number, day := d.uvarint(), d.uvarint(), d.varint()
	n := d.count()
	if d.err != nil {
		return dueSlot{}, 0, false
	}
	if product > 1<<16-1 || number > 1<<8-1 || day != int64(Date(day)) || n == 0 || n > left {
		d.fail("bad due bucket (product %d, dose %d, day %d, %d people)", product, number, day, n)
		return dueSlot{}, 0, false
	}
	return dueSlot{uint16(product), uint8(number), Date(day)}, n, true
}

// dueBlock is how many entries are allocated together (as the live index
// allocates one per person, a block is freed once all of its entries are
// gone).
const dueBlock = 1 << 12

func (s *State) decodeDue(d *snapDecoder) {
	if !d.bool() || d.err != nil {
		return
	}
	n := d.count()
	if d.err != nil || n > s.people.recs.n {
		d.fail("%d people due of %d", n, s.people.recs.n)
		return
	}
	x := newDueIndex()
	x.byPerson = make(map[PersonID]*dueEntry, n)
	entries := make([]*dueEntry, 0, n)
	var block []dueEntry
	for range d.count() {
		code := d.str()
		if d.err != nil || x.places[code] != nil {
			d.fail("due lists of place %q twice", code)
			return
		}
		sc := dueScope{}
		x.places[code] = sc
		for range d.count() {
			k, m, ok := d.dueSlot(n - len(entries))
			if !ok || sc[k] != nil {
				d.fail("due bucket of place %q unreadable or twice", code)
				return
			}
			b := make([]*dueEntry, m)
			for j := range b {
				pos := d.uvarint()
				if d.err != nil || pos >= uint64(s.people.recs.n) {
					d.fail("due entry: person position %d of %d", pos, s.people.recs.n)
					return
				}
				if len(block) == 0 {
					block = make([]dueEntry, min(dueBlock, n-len(entries)))
				}
				en := &block[0]
				block = block[1:]
				*en = dueEntry{person: s.people.recs.at(uint32(pos)).ID, place: code, product: k.product, number: k.number, day: k.day, pos: [2]int32{int32(j), -1}}
				if x.byPerson[en.person] != nil {
					d.fail("person %s due twice", en.person)
					return
				}
				x.byPerson[en.person] = en
				b[j] = en
				entries = append(entries, en)
			}
			sc[k] = b
		}
	}
	if d.err == nil && len(entries) != n {
		d.fail("%d due entries of %d", len(entries), n)
	}
	placed := 0
	for range d.count() {
		code := d.str()
		if d.err != nil || x.regions[code] != nil {
			d.fail("due lists of region %q twice", code)
			return
		}
		sc := dueScope{}
		x.regions[code] = sc
		for range d.count() {
			k, m, ok := d.dueSlot(n - placed)
			if !ok || sc[k] != nil {
				d.fail("due bucket of region %q unreadable or twice", code)
				return
			}
			b := make([]*dueEntry, m)
			for j := range b {
				i := d.uvarint()
				if d.err != nil || i >= uint64(len(entries)) {
					d.fail("due entry %d of %d", i, len(entries))
					return
				}
				en := entries[i]
				if en.pos[1] >= 0 || en.product != k.product || en.number != k.number || en.day != k.day {
					d.fail("due entry of %s in a region's list twice or under another dose", en.person)
					return
				}
				en.region, en.pos[1] = code, int32(j)
				b[j] = en
			}
			placed += m
			sc[k] = b
		}
	}
	if d.err == nil && placed != n {
		d.fail("%d due entries in the regions' lists of %d", placed, n)
	}
	if d.err == nil {
		s.due = x
	}
}
