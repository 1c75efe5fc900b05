package vaxtrace

import (
	"cmp"
	"slices"
)

// The due index in a snapshot. Its buckets are lists whose order answers
// depend on (a due list's page walks a bucket in order; removal swaps the
// last entry in), so each bucket is written in its own order, as person
// positions: first by place bucket (place, slot, then each person), then
// the region buckets. A person's place, slot and region are those of the
// buckets that hold them; each due person is in exactly one of each.
//
//	present (bool; nil index: false)
//	people due count
//	places  count, each: place, slots count, each: product, number, day,
//	        people count, each: person position
//	regions count, each: region, slots count, each: product, number, day,
//	        people count, each: person position (due in a place's list
//	        under the same slot)

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
	e.uvarint(uint64(x.n))
	for i, scopes := range [2]map[string]dueScope{x.places, x.regions} {
		codes := sortedDueScopes(scopes)
		e.uvarint(uint64(len(codes)))
		listed := 0
		for _, code := range codes {
			sc := scopes[code]
			e.str(code)
			slots := sortedDueSlots(sc)
			e.uvarint(uint64(len(slots)))
			for _, k := range slots {
				e.dueSlot(k, len(sc[k]))
				for _, pos := range sc[k] {
					if x.at(pos) == nil {
						e.fail("snapshot: person position %d is in a due list but not due", pos)
						return
					}
					e.uvarint(uint64(pos))
				}
				listed += len(sc[k])
			}
		}
		if listed != x.n {
			e.fail("snapshot: %d people due, %d in the lists (%d)", x.n, listed, i)
			return
		}
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

func (s *State) decodeDue(d *snapDecoder) {
	if !d.bool() || d.err != nil {
		return
	}
	n := d.count()
	people := s.people.recs.n
	if d.err != nil || n > people {
		d.fail("%d people due of %d", n, people)
		return
	}
	x := newDueIndex(&s.people)
	// the place lists file each person; the region lists then find them
	// under the same slot and not yet in a region's list
	const noRegion = ^uint32(0)
	for scope := range 2 {
		listed := 0
		for range d.count() {
			code := d.str()
			scopes := x.places
			if scope == 1 {
				scopes = x.regions
			}
			if d.err != nil || scopes[code] != nil {
				d.fail("due lists of %q twice", code)
				return
			}
			sc := dueScope{}
			scopes[code] = sc
			var pn uint32
			var rn uint16
			if scope == 0 {
				pn = x.placeCode(code)
			} else if len(x.regionCodes) < 1<<16 {
				rn = x.regionCode(code)
			} else {
				d.fail("due lists of more than %d regions", len(x.regionCodes))
				return
			}
			for range d.count() {
				k, m, ok := d.dueSlot(n - listed)
				if !ok || sc[k] != nil {
					d.fail("due bucket of %q unreadable or twice", code)
					return
				}
				b := make([]uint32, m)
				for j := range b {
					pos := d.uvarint()
					if d.err != nil || pos >= uint64(people) {
						d.fail("due entry: person position %d of %d", pos, people)
						return
					}
					b[j] = uint32(pos)
					if scope == 0 {
						if x.at(uint32(pos)) != nil {
							d.fail("person %s due twice", s.people.recs.at(uint32(pos)).ID)
							return
						}
						r := x.slot(uint32(pos))
						*r = dueRec{day: k.day, place: pn + 1, pos: [2]uint32{uint32(j), noRegion}, product: k.product, number: k.number}
						x.inRecs[pos>>chunkBits]++
						x.n++
						continue
					}
					r := x.at(uint32(pos))
					if r == nil || r.pos[1] != noRegion || r.product != k.product || r.number != k.number || r.day != k.day {
						d.fail("due entry of %s in a region's list twice or under another dose", s.people.recs.at(uint32(pos)).ID)
						return
					}
					r.region, r.pos[1] = rn, uint32(j)
				}
				listed += m
				sc[k] = b
			}
		}
		if d.err == nil && listed != n {
			d.fail("%d due entries in the lists of %d", listed, n)
			return
		}
	}
	if d.err == nil {
		s.due = x
	}
}
