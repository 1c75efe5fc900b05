package vaxtrace

import (
	"cmp"
	"slices"
)

// The rooms of the State in a snapshot: everything but the registry
// (people, doses, certificates, due lists, reminders; snapshot_registry.go).
// Each room is a section. Pointers between rooms are written as ids (a
// place's stock by lot id, an arrival by place and lot id) and restored as
// the same pointers (a lot in a place's stock is s.lots[id]); a reference
// to a place or lot the snapshot does not hold is ErrSnapshotCorrupt. What
// the state can rebuild from the rest is not written and is rebuilt here:
// the catalog's maps and indexes from its lists, the equipment by device,
// the open alarms, the requisitions by shipment and the doses shipped
// against each, the prefix sums of the flows. A lot's cache of the flow
// cells it touched (LotState.cells) starts empty and refills on first use.
// No room holds a pointer into the registry; the registry, decoded after
// the rooms, finds places and lots by id in s.places and s.lots.

// maxSnapDays bounds a daily series read from a snapshot (days from
// CovEpoch with the doubling slack of grow: about 700 years).
const maxSnapDays = 1 << 18

// encodeRooms writes the catalog, supply, stock, campaign, cold-chain,
// replenishment, coverage and flow rooms.
func (s *State) encodeRooms(e *snapEncoder) {
	e.section("catalog")
	s.encodeCatalog(e)
	e.section("stock")
	s.encodeStock(e)
	e.section("campaign")
	s.encodeCampaign(e)
	e.section("coldchain")
	s.encodeColdChain(e)
	e.section("replenishment")
	s.encodeReplenishment(e)
	e.section("coverage")
	s.encodeCoverage(e)
	e.section("flows")
	s.encodeFlows(e)
}

// decodeRooms reads what encodeRooms wrote into an empty state.
func (s *State) decodeRooms(d *snapDecoder) {
	d.section("catalog")
	s.decodeCatalog(d)
	d.section("stock")
	s.decodeStock(d)
	d.section("campaign")
	s.decodeCampaign(d)
	d.section("coldchain")
	s.decodeColdChain(d)
	d.section("replenishment")
	s.decodeReplenishment(d)
	d.section("coverage")
	s.decodeCoverage(d)
	d.section("flows")
	s.decodeFlows(d)
}

// ascending fails unless ids come strictly in order (no duplicates).
func (d *snapDecoder) ascending(what string, i int, prev, id string) bool {
	if i > 0 && id <= prev {
		d.fail("%s %.40q out of order", what, id)
		return false
	}
	return true
}

// lotRef reads a lot id and returns the state's lot.
func (s *State) lotRef(d *snapDecoder) *LotState {
	id := d.str()
	if d.err != nil {
		return nil
	}
	l := s.lots[id]
	if l == nil {
		d.fail("unknown lot %.40q", id)
	}
	return l
}

// placeRef reads a place id and returns the state's place.
func (s *State) placeRef(d *snapDecoder) *PlaceState {
	id := d.str()
	if d.err != nil {
		return nil
	}
	pl := s.places[id]
	if pl == nil {
		d.fail("unknown place %.40q", id)
	}
	return pl
}

// needLot and needPlace check an id a room keeps.
func (s *State) needLot(d *snapDecoder, id string) {
	if d.err == nil && s.lots[id] == nil {
		d.fail("unknown lot %.40q", id)
	}
}

func (s *State) needPlace(d *snapDecoder, id string) {
	if d.err == nil && s.places[id] == nil {
		d.fail("unknown place %.40q", id)
	}
}

// lotsByID returns a map's lots in id order.
func lotsByID[V any](m map[*LotState]V) []*LotState {
	out := make([]*LotState, 0, len(m))
	for l := range m {
		out = append(out, l)
	}
	slices.SortFunc(out, func(a, b *LotState) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// encodePtrMap writes a map of value structs by id.
func encodePtrMap[T any](e *snapEncoder, m map[string]*T) {
	e.uvarint(uint64(len(m)))
	for _, k := range sortedKeys(m) {
		e.str(k)
		encodeValue(e, m[k])
	}
}

// decodePtrMap reads what encodePtrMap wrote into m.
func decodePtrMap[T any](d *snapDecoder, what string, m map[string]*T) {
	n := d.count()
	prev := ""
	for i := 0; i < n && d.err == nil; i++ {
		k := d.str()
		if !d.ascending(what, i, prev, k) {
			return
		}
		prev = k
		x := new(T)
		decodeValue(d, x)
		m[k] = x
	}
}

// Catalog: products and regions in definition order (their position is
// the index the coverage counters use).

func (s *State) encodeCatalog(e *snapEncoder) {
	e.uvarint(uint64(len(s.productList)))
	for _, p := range s.productList {
		encodeValue(e, p)
	}
	e.uvarint(uint64(len(s.regionList)))
	for _, r := range s.regionList {
		encodeValue(e, r)
	}
}

func (s *State) decodeCatalog(d *snapDecoder) {
	n := d.count()
	if n > 1<<16 {
		d.fail("%d products", n)
		return
	}
	for i := 0; i < n && d.err == nil; i++ {
		p := &Product{}
		decodeValue(d, p)
		if _, dup := s.products[p.Code]; dup && d.err == nil {
			d.fail("product %.40q twice", p.Code)
		}
		s.productIdx[p.Code] = uint16(i)
		s.productList = append(s.productList, p)
		s.products[p.Code] = p
	}
	n = d.count()
	if n > 1<<16 {
		d.fail("%d regions", n)
		return
	}
	for i := 0; i < n && d.err == nil; i++ {
		r := &Region{}
		decodeValue(d, r)
		if _, dup := s.regions[r.Code]; dup && d.err == nil {
			d.fail("region %.40q twice", r.Code)
		}
		s.regionIdx[r.Code] = uint16(i)
		s.regionList = append(s.regionList, r)
		s.regions[r.Code] = r
	}
}

// Stock: agreements, lots, places with their stock and holds, stock by
// region, first arrivals, shipments and excursions.

func (s *State) encodeStock(e *snapEncoder) {
	encodePtrMap(e, s.agreements)
	e.uvarint(uint64(len(s.lotList)))
	for _, l := range s.lotList {
		encodeValue(e, &l.Lot)
		e.varint(l.Received)
		e.varint(l.OnHand)
		e.varint(l.InTransit)
		e.varint(l.Administered)
		encodeValue(e, &l.WrittenOff)
		e.bool(l.Released)
		e.bool(l.Suspended)
		e.str(l.SuspendedWhy)
		e.varint(l.AEFI)
		e.varint(l.AEFISerious)
	}
	e.uvarint(uint64(len(s.places)))
	for _, id := range sortedKeys(s.places) {
		pl := s.places[id]
		encodeValue(e, &pl.Place)
		e.uvarint(uint64(len(pl.Stock)))
		for _, l := range lotsByID(pl.Stock) {
			e.str(l.ID)
			e.varint(pl.Stock[l])
		}
		e.uvarint(uint64(len(pl.Hold)))
		for _, l := range lotsByID(pl.Hold) {
			e.str(l.ID)
			e.str(pl.Hold[l])
		}
		e.varint(pl.Doses)
	}
	e.uvarint(uint64(len(s.regionStock)))
	for _, r := range sortedKeys(s.regionStock) {
		m := s.regionStock[r]
		e.str(r)
		e.uvarint(uint64(len(m)))
		for _, l := range lotsByID(m) {
			e.str(l.ID)
			e.varint(m[l])
		}
	}
	arr := make([]arrivalKey, 0, len(s.arrived))
	for k := range s.arrived {
		arr = append(arr, k)
	}
	slices.SortFunc(arr, func(a, b arrivalKey) int {
		return cmp.Or(cmp.Compare(a.place.ID, b.place.ID), cmp.Compare(a.lot.ID, b.lot.ID))
	})
	e.uvarint(uint64(len(arr)))
	for _, k := range arr {
		e.str(k.place.ID)
		e.str(k.lot.ID)
		e.date(s.arrived[k])
	}
	encodePtrMap(e, s.shipments)
	encodePtrMap(e, s.excursions)
}

func (s *State) decodeStock(d *snapDecoder) {
	decodePtrMap(d, "agreement", s.agreements)
	for _, a := range s.agreements {
		if a.Delivered == nil {
			a.Delivered = map[string]int64{}
		}
	}
	n := d.count()
	for i := 0; i < n && d.err == nil; i++ {
		l := &LotState{}
		decodeValue(d, &l.Lot)
		l.Received = d.varint()
		l.OnHand = d.varint()
		l.InTransit = d.varint()
		l.Administered = d.varint()
		decodeValue(d, &l.WrittenOff)
		if l.WrittenOff == nil {
			l.WrittenOff = map[string]int64{}
		}
		l.Released = d.bool()
		l.Suspended = d.bool()
		l.SuspendedWhy = d.str()
		l.AEFI = d.varint()
		l.AEFISerious = d.varint()
		if d.err != nil {
			return
		}
		if s.lots[l.ID] != nil {
			d.fail("lot %.40q twice", l.ID)
			return
		}
		if s.products[l.Product] == nil {
			d.fail("lot %.40q of unknown product %.40q", l.ID, l.Product)
			return
		}
		s.addLot(l)
	}
	n = d.count()
	prev := ""
	for i := 0; i < n && d.err == nil; i++ {
		pl := &PlaceState{Stock: map[*LotState]int64{}, Hold: map[*LotState]string{}}
		decodeValue(d, &pl.Place)
		if !d.ascending("place", i, prev, pl.ID) {
			return
		}
		prev = pl.ID
		for j, m := 0, d.count(); j < m && d.err == nil; j++ {
			if l := s.lotRef(d); l != nil {
				pl.Stock[l] = d.varint()
			}
		}
		for j, m := 0, d.count(); j < m && d.err == nil; j++ {
			if l := s.lotRef(d); l != nil {
				pl.Hold[l] = d.str()
			}
		}
		pl.Doses = d.varint()
		s.addPlace(pl)
	}
	for _, pl := range s.places {
		if pl.Parent != "" {
			s.needPlace(d, pl.Parent)
		}
	}
	n = d.count()
	prev = ""
	for i := 0; i < n && d.err == nil; i++ {
		r := d.str()
		if !d.ascending("region", i, prev, r) {
			return
		}
		prev = r
		m := map[*LotState]int64{}
		for j, k := 0, d.count(); j < k && d.err == nil; j++ {
			if l := s.lotRef(d); l != nil {
				m[l] = d.varint()
			}
		}
		s.regionStock[r] = m
	}
	n = d.count()
	for i := 0; i < n && d.err == nil; i++ {
		pl, l := s.placeRef(d), s.lotRef(d)
		day := d.date()
		if d.err != nil {
			return
		}
		if s.arrived == nil {
			s.arrived = arrivals{}
		}
		s.arrived[arrivalKey{pl, l}] = day
	}
	decodePtrMap(d, "shipment", s.shipments)
	for _, id := range sortedKeys(s.shipments) {
		sh := s.shipments[id]
		s.needPlace(d, sh.From)
		s.needPlace(d, sh.To)
		for _, ln := range sh.Lines {
			s.needLot(d, ln.Lot)
		}
		for _, ln := range sh.Receipt {
			s.needLot(d, ln.Lot)
		}
		if sh.Hold == nil {
			sh.Hold = map[string]string{}
		}
	}
	decodePtrMap(d, "excursion", s.excursions)
	for _, id := range sortedKeys(s.excursions) {
		x := s.excursions[id]
		if (x.Place == "") == (x.Shipment == "") && d.err == nil {
			d.fail("excursion %.40q must be at a place or in a shipment", id)
		}
		if x.Place != "" {
			s.needPlace(d, x.Place)
		}
		if x.Shipment != "" && d.err == nil && s.shipments[x.Shipment] == nil {
			d.fail("unknown shipment %.40q", x.Shipment)
		}
		for lot := range x.Open {
			s.needLot(d, lot)
		}
		if x.Open == nil {
			x.Open = map[string]bool{}
		}
	}
}

// Campaign: targets, sessions, AEFI reports, tallies and the idempotency
// keys of events that do not keep their own.

func (s *State) encodeCampaign(e *snapEncoder) {
	encodePtrMap(e, s.targets)
	encodePtrMap(e, s.sessions)
	encodePtrMap(e, s.aefis)
	tallies := make([]*TallyState, 0, len(s.tallies))
	for _, t := range s.tallies {
		tallies = append(tallies, t)
	}
	slices.SortFunc(tallies, func(a, b *TallyState) int {
		return cmp.Or(cmp.Compare(a.Place, b.Place), cmp.Compare(a.Date, b.Date), cmp.Compare(a.Product, b.Product), cmp.Compare(a.DoseNumber, b.DoseNumber))
	})
	e.uvarint(uint64(len(tallies)))
	for _, t := range tallies {
		encodeValue(e, t)
	}
	e.uvarint(uint64(len(s.keys)))
	for _, k := range sortedKeys(s.keys) {
		e.raw(k)
		e.u64(s.keys[k])
	}
}

func (s *State) decodeCampaign(d *snapDecoder) {
	decodePtrMap(d, "target", s.targets)
	decodePtrMap(d, "session", s.sessions)
	decodePtrMap(d, "AEFI", s.aefis)
	n := d.count()
	for i := 0; i < n && d.err == nil; i++ {
		t := &TallyState{}
		decodeValue(d, t)
		s.needPlace(d, t.Place)
		k := tallyKey{t.Place, t.Date, t.Product, t.DoseNumber}
		if d.err == nil && s.tallies[k] != nil {
			d.fail("tally at %.40q twice", t.Place)
		}
		s.tallies[k] = t
	}
	n = d.count()
	prev := ""
	for i := 0; i < n && d.err == nil; i++ {
		k := d.raw()
		if !d.ascending("key", i, prev, k) {
			return
		}
		prev = k
		s.keys[k] = d.u64()
	}
}
