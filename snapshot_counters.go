package vaxtrace

import (
	"cmp"
	"slices"
)

// The write-time counters in a snapshot (see snapshot_rooms.go): coverage
// by region, product, age band, priority group and sex, the as-known
// deltas and the person-level counts by point, day, product and dose
// number; the stock flows by region and product component, with their
// as-known deltas. Daily series are written whole (one varint a day, so
// that the cost is linear in the days kept and a decoder cannot be made to
// allocate more than it reads); the flows' prefix sums are rebuilt.

func (s *State) encodeCoverage(e *snapEncoder) {
	c := s.Cov
	e.uvarint(uint64(len(c.byProduct)))
	for r := range c.byProduct {
		e.uvarint(uint64(len(c.byProduct[r])))
		for p := range c.byProduct[r] {
			for m := range NumMeasures {
				e.int64s(c.byProduct[r][p][m])
			}
		}
		for m := range NumMeasures {
			for b := range 8 {
				e.int64s(c.byAge[r][m][b])
			}
			g := c.byGroup[r][m]
			e.optLen(len(g), g == nil)
			for _, ser := range g {
				e.int64s(ser)
			}
			for x := range 3 {
				e.varint(c.bySex[r][m][x])
			}
		}
	}
	type knownEntry struct {
		k knownKey
		v int64
	}
	known := make([]knownEntry, 0, len(c.known))
	for k, v := range c.known {
		known = append(known, knownEntry{k, v})
	}
	slices.SortFunc(known, func(a, b knownEntry) int {
		return cmp.Or(cmp.Compare(a.k.region, b.k.region), cmp.Compare(a.k.measure, b.k.measure), cmp.Compare(a.k.occurred, b.k.occurred), cmp.Compare(a.k.known, b.k.known))
	})
	e.uvarint(uint64(len(known)))
	for _, x := range known {
		e.uvarint(uint64(x.k.region))
		e.uvarint(uint64(x.k.measure))
		e.date(x.k.occurred)
		e.date(x.k.known)
		e.varint(x.v)
	}
	rank := make(map[*PlaceState]int, len(s.places)) // places in id order; none first
	for i, id := range sortedKeys(s.places) {
		rank[s.places[id]] = i
	}
	type pointEntry struct {
		place int
		k     pointDayKey
		v     int64
	}
	points := make([]pointEntry, 0, len(c.pointDay))
	for k, v := range c.pointDay {
		r, ok := rank[k.place]
		if !ok {
			r = -1 // none, or a place the state does not hold (refused on decode)
		}
		points = append(points, pointEntry{r, k, v})
	}
	slices.SortFunc(points, func(a, b pointEntry) int {
		if a.place != b.place {
			return cmp.Compare(a.place, b.place)
		}
		if a.place < 0 {
			if c := cmp.Compare(placeID(a.k.place), placeID(b.k.place)); c != 0 {
				return c
			}
		}
		return cmp.Or(cmp.Compare(a.k.day, b.k.day), cmp.Compare(a.k.product, b.k.product), cmp.Compare(a.k.number, b.k.number))
	})
	e.uvarint(uint64(len(points)))
	for _, x := range points {
		e.str(placeID(x.k.place))
		e.date(x.k.day)
		e.uvarint(uint64(x.k.product))
		e.varint(int64(x.k.number))
		e.varint(x.v)
	}
	e.date(c.maxDay)
}

// placeID is a place's id, "" for none.
func placeID(pl *PlaceState) string {
	if pl == nil {
		return ""
	}
	return pl.ID
}

func (s *State) decodeCoverage(d *snapDecoder) {
	c := s.Cov
	regions := d.count()
	if regions > len(s.regionList) {
		d.fail("coverage of %d regions, %d defined", regions, len(s.regionList))
		return
	}
	for r := 0; r < regions && d.err == nil; r++ {
		products := d.count()
		if products > len(s.productList) {
			d.fail("coverage of %d products, %d defined", products, len(s.productList))
			return
		}
		c.ensure(r, products-1)
		for p := 0; p < products; p++ {
			for m := range NumMeasures {
				c.byProduct[r][p][m] = d.int64s(maxSnapDays)
			}
		}
		for m := range NumMeasures {
			for b := range 8 {
				c.byAge[r][m][b] = d.int64s(maxSnapDays)
			}
			n, ok := d.optCount()
			switch {
			case !ok:
				c.byGroup[r][m] = nil
			case n != NumGroups:
				d.fail("%d priority groups, %d known", n, NumGroups)
				return
			}
			for g := 0; g < n; g++ {
				c.byGroup[r][m][g] = d.int64s(maxSnapDays)
			}
			for x := range 3 {
				c.bySex[r][m][x] = d.varint()
			}
		}
	}
	n := d.count()
	if len(c.known) == 0 {
		c.known = make(map[knownKey]int64, min(n, maxPresize)) // no regrowth as it fills
	}
	for i := 0; i < n && d.err == nil; i++ {
		region, measure := d.uvarint(), d.uvarint()
		if region > 0xffff || measure >= NumMeasures {
			d.fail("coverage delta of region %d measure %d", region, measure)
			return
		}
		k := knownKey{region: uint16(region), measure: uint8(measure), occurred: d.date(), known: d.date()}
		c.known[k] = d.varint()
	}
	n = d.count()
	if len(c.pointDay) == 0 {
		c.pointDay = make(map[pointDayKey]int64, min(n, maxPresize))
	}
	for i := 0; i < n && d.err == nil; i++ {
		var pl *PlaceState
		if id := d.str(); id != "" {
			if pl = s.places[id]; pl == nil && d.err == nil {
				d.fail("unknown place %.40q", id)
			}
		}
		day, product, number := d.date(), d.uvarint(), d.varint()
		if product > 0xffff || number < -1<<31 || number >= 1<<31 {
			d.fail("tally count of product %d dose %d", product, number)
			return
		}
		c.pointDay[pointDayKey{place: pl, day: day, product: uint16(product), number: int32(number)}] = d.varint()
	}
	c.maxDay = d.date()
}

func (s *State) encodeFlows(e *snapEncoder) {
	f := s.Flows
	cells := make([]*flowCell, 0, len(f.cells))
	for _, c := range f.cells {
		cells = append(cells, c)
	}
	slices.SortFunc(cells, func(a, b *flowCell) int { return compareCells(a.key, b.key) })
	index := make(map[*flowCell]int, len(cells))
	e.uvarint(uint64(len(cells)))
	for i, c := range cells {
		index[c] = i
		e.str(c.key.region)
		e.str(c.key.product)
		e.str(c.key.component)
		for kind := range NumFlows {
			e.int64s(c.series[kind])
		}
	}
	type knownEntry struct {
		cell     int
		kind     uint8
		occurred Date
		known    Date
		v        int64
	}
	known := make([]knownEntry, 0, len(f.byKnown))
	for k, v := range f.byKnown {
		known = append(known, knownEntry{index[k.cell], k.kind, k.occurred, k.known, v})
	}
	slices.SortFunc(known, func(a, b knownEntry) int {
		return cmp.Or(cmp.Compare(a.cell, b.cell), cmp.Compare(a.kind, b.kind), cmp.Compare(a.occurred, b.occurred), cmp.Compare(a.known, b.known))
	})
	e.uvarint(uint64(len(known)))
	for _, x := range known {
		e.uvarint(uint64(x.cell))
		e.uvarint(uint64(x.kind))
		e.date(x.occurred)
		e.date(x.known)
		e.varint(x.v)
	}
}

func compareCells(a, b cellKey) int {
	return cmp.Or(cmp.Compare(a.region, b.region), cmp.Compare(a.product, b.product), cmp.Compare(a.component, b.component))
}

func (s *State) decodeFlows(d *snapDecoder) {
	f := s.Flows
	n := d.count()
	var cells []*flowCell
	for i := 0; i < n && d.err == nil; i++ {
		c := &flowCell{key: cellKey{d.str(), d.str(), d.str()}}
		if i > 0 && compareCells(cells[i-1].key, c.key) >= 0 {
			d.fail("flow cells out of order")
			return
		}
		for kind := range NumFlows {
			c.series[kind] = d.int64s(maxSnapDays)
			c.cum[kind] = fenwickOf(c.series[kind])
		}
		cells = append(cells, c)
		f.cells[c.key] = c
	}
	n = d.count()
	for i := 0; i < n && d.err == nil; i++ {
		cell, kind := d.uvarint(), d.uvarint()
		if cell >= uint64(len(cells)) || kind >= NumFlows {
			d.fail("flow delta of cell %d kind %d", cell, kind)
			return
		}
		k := knownFlowKey{cell: cells[cell], kind: uint8(kind), occurred: d.date(), known: d.date()}
		f.byKnown[k] = d.varint()
	}
}

// fenwickOf builds the prefix sums Flows.add keeps for a series (nil for
// none), in linear time.
func fenwickOf(s []int64) fenwick {
	if s == nil {
		return nil
	}
	f := make(fenwick, len(s)+1)
	for i := 1; i < len(f); i++ {
		f[i] += s[i-1]
		if j := i + i&-i; j < len(f) {
			f[j] += f[i]
		}
	}
	return f
}
