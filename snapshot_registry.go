package vaxtrace

import (
	"fmt"
	"sync"
)

// The registry's part of a snapshot: people, doses, certificates, the due
// index and the reminder outbox. It is the part that scales with the
// nation, so it is written as flat records in slab (insertion) order,
// with positions instead of pointers, and read back without a map
// look-up or an allocation per record:
//
//	counts  people, doses
//	people  blocks of up to chunkSize, each decodable on its own
//	        (snapshot_blocks.go): the block's packed texts (names,
//	        sealed IINs and phones) as one blob, then the records (with
//	        the first of the person's valid doses, by position+1)
//	doses   blocks: the dose ids as one blob, then the records
//	        (person by position, the person's next valid dose by
//	        position+1, place and lot by id in the block's string table)
//	certs   count, then batches: the UVCIs as one blob, then the records
//	        (chained by position, as in the live state)
//	due     snapshot_due.go       reminders  snapshot_reminders.go
//
// Positions are kept exactly (indexes, certificate chains and Unapply
// depend on them); the hash indexes are rebuilt after the records are
// read. Repeated strings (places, lots, regions, products, vaccinators,
// names) go through the codec's string table (a block's own, for people
// and doses); the decoded records share one copy of each. Every reference is checked while decoding: a position
// out of range, an unknown place or lot, a dose listed for a person it
// does not belong to, a duplicate id or a broken certificate chain is
// ErrSnapshotCorrupt, never a nil pointer met later.

// Bits of a person record's flags.
const (
	personKeyed  = 1 << iota // registered under the key "person:"+id
	personMerged             // the merged-into position+1 follows
)

// Bits of a dose record's flags; the common ones first (one byte).
const (
	doseVoided     = 1 << iota
	doseBooster    // given after a completed series
	doseComplete   // completed the primary series
	doseKeyed      // its event's key was "dose:"+ID
	doseHasRare    // void reason, anomaly and corrections follow
	doseHasVoidWhy // (in rare) the void reason is set
)

// flag is bit when on, else 0.
func flag(on bool, bit uint64) uint64 {
	if on {
		return bit
	}
	return 0
}

// encodeRegistry writes people, doses, certificates, due lists and the
// reminder outbox.
func (s *State) encodeRegistry(e *snapEncoder) {
	// both counts first: a person's list of doses is bounded by the doses
	e.uvarint(uint64(s.people.recs.n))
	e.uvarint(uint64(s.doses.recs.n))
	s.encodePeople(e)
	e.section("doses")
	s.encodeDoses(e)
	e.section("certificates")
	s.encodeCerts(e)
	e.section("due")
	s.encodeDue(e)
	e.section("reminders")
	s.encodeReminders(e)
}

// decodeRegistry reads what encodeRegistry wrote into a state whose
// registry is empty and whose rooms (places, lots) are already decoded.
func (s *State) decodeRegistry(d *snapDecoder) {
	people, doses := readCount(d, "people"), readCount(d, "doses")
	s.decodePeople(d, people, doses)
	d.section("doses")
	s.decodeDoses(d, doses)
	s.checkDoseLists(d)
	d.section("certificates")
	s.decodeCerts(d)
	d.section("due")
	s.decodeDue(d)
	d.section("reminders")
	s.decodeReminders(d)
}

// encodeBlob writes the unique strings of records [from, to) of a slab as
// one byte string; each record then writes only their lengths.
func encodeBlob[T any](e *snapEncoder, sl *slab[T], from, to int, buf []byte, text func(*T, []byte) []byte) []byte {
	buf = buf[:0]
	for i := from; i < to; i++ {
		buf = text(sl.at(uint32(i)), buf)
	}
	e.bytes(buf)
	return buf
}

// batches calls fn on [from, to) ranges of at most chunkSize of n records.
func batches(n int, fn func(from, to int)) {
	for from := 0; from < n; from += chunkSize {
		fn(from, min(from+chunkSize, n))
	}
}

// readCount reads a record count, failing when it does not fit a table
// position.
func readCount(d *snapDecoder, what string) int {
	n := d.count()
	if n > 1<<32-1 {
		d.fail("%d %s: more than a table holds", n, what)
		return 0
	}
	return n
}

// preChunks pre-sizes a slab's chunk list for n records (bounded: a
// corrupt count must not allocate more than the input can fill).
func preChunks[T any](sl *slab[T], n int) {
	sl.chunks = make([][]T, 0, min(n/chunkSize+1, 1<<12))
}

func (s *State) encodePeople(e *snapEncoder) {
	t := &s.people
	var blob []byte
	encodeBlocks(e, t.recs.n, func(e *snapEncoder, from, to int) {
		var prev unixNanos
		blob = encodeBlob(e, &t.recs, from, to, blob, func(p *PersonState, b []byte) []byte { return append(b, t.text.get(p.text)...) })
		for i := from; i < to; i++ {
			p := t.recs.at(uint32(i))
			e.fixed(p.ID[:])
			// the packed text (names, sealed IIN and phone) as it is
			e.uvarint(uint64(len(t.text.get(p.text))))
			e.varint(int64(p.BirthDate))
			e.str(p.Sex())
			e.str(p.Region())
			e.str(p.Group())
			e.str(p.Lang())
			flags := flag(p.keyed(), personKeyed) | flag(p.Merged(), personMerged)
			e.uvarint(flags)
			if p.Merged() {
				e.uvarint(uint64(p.mergedPos()))
			}
			e.varint(int64(p.recorded - prev))
			prev = p.recorded
			e.u64(p.hash)
			e.uvarint(uint64(p.lastCert))
			// the chain of valid doses, by position+1 as the record holds it
			e.uvarint(uint64(p.firstDose))
		}
	})
}

func (s *State) decodePeople(d *snapDecoder, n, doses int) {
	t := &s.people
	if n > personMergeMax {
		d.fail("%d people: more than a person table holds", n)
		return
	}
	// one worker: the records' text goes into the table's arena in order
	decodeBlocks(d, &t.recs, n, "people", 1, func(d *snapDecoder, chunk []PersonState, from, to int) {
		// string-table positions are the block's own
		var symbols strCache[symbol]
		attrs := map[[3]int]symbol{}
		var prev unixNanos
		blob := blobReader{s: d.raw()}
		for i := from; i < to && d.err == nil; i++ {
			p := &chunk[i-from]
			d.fixed(p.ID[:])
			text := blob.take(d, d.count())
			if len(text) > maxArenaText || !validPackedText(text) {
				d.fail("person %s: bad packed text", p.ID)
			} else {
				p.text = t.text.add(text)
			}
			p.BirthDate = Date(d.varint())
			p.region, p.attrs = d.personAttrs(&symbols, attrs)
			flags := d.uvarint()
			if flags&^(personKeyed|personMerged) != 0 {
				d.fail("person %d: unknown flags %#x", i, flags)
			}
			p.setKeyed(flags&personKeyed != 0)
			if flags&personMerged != 0 {
				into := d.uvarint()
				if into == 0 || into > uint64(n) {
					d.fail("person %s: merged into position %d of %d", p.ID, into, n)
				}
				p.setMergedPos(uint32(into))
			}
			p.recorded = prev + unixNanos(d.varint())
			prev = p.recorded
			p.hash = d.u64()
			lc := d.uvarint()
			if lc > 1<<32-1 {
				d.fail("person %d: certificate position %d out of range", i, lc)
			}
			p.lastCert = uint32(lc)
			first := d.uvarint()
			if first > uint64(doses) {
				d.fail("person %s: first dose %d of %d", p.ID, first, doses)
			}
			p.firstDose = uint32(first)
		}
		blob.done(d)
	})
	if d.err != nil {
		return
	}
	if id, ok := t.reindex(); !ok {
		d.fail("person %s registered twice", id)
		return
	}
}

// personAttrs reads a person's sex, region, group and language (each by
// the string table) as the record's region and attrs symbols; symbols
// caches the region's by table entry, attrs the three others' by their
// entries.
func (d *snapDecoder) personAttrs(symbols *strCache[symbol], attrs map[[3]int]symbol) (symbol, symbol) {
	sex, si := d.strRef()
	region, ri := d.strRef()
	group, gi := d.strRef()
	lang, li := d.strRef()
	if d.err != nil {
		return 0, 0
	}
	r, _ := symbols.get(ri, region, func(x string) (symbol, bool) { return symbolOf(x), true })
	k := [3]int{si, gi, li}
	a, ok := attrs[k]
	if !ok {
		a = attrsOf(sex, group, lang)
		attrs[k] = a
	}
	return r, a
}

func (s *State) encodeDoses(e *snapEncoder) {
	t := &s.doses
	var blob []byte
	encodeBlocks(e, t.recs.n, func(e *snapEncoder, from, to int) {
		var prev unixNanos
		blob = encodeBlob(e, &t.recs, from, to, blob, func(d *DoseState, b []byte) []byte { return append(b, d.ID(s)...) })
		for i := from; i < to && e.err == nil; i++ {
			s.encodeDose(e, t.recs.at(uint32(i)), &prev)
		}
	})
}

func (s *State) encodeDose(e *snapEncoder, d *DoseState, prev *unixNanos) {
	id := d.ID(s)
	if int(d.place) >= len(s.placeList) || int(d.lot) >= len(s.lotList) {
		e.fail("snapshot: dose %q refers to a place or lot position out of range", id)
		return
	}
	rare := s.doseRare(d)
	flags := flag(d.Voided(), doseVoided) | flag(d.Booster(), doseBooster) | flag(d.Complete(), doseComplete) |
		flag(d.keyed(), doseKeyed) | flag(rare != nil, doseHasRare) | flag(rare != nil && rare.voidWhy != "", doseHasVoidWhy)
	e.uvarint(flags)
	e.uvarint(uint64(len(id)))
	e.uvarint(uint64(d.person))
	// the person's next valid dose, by position+1 as the record holds it
	e.uvarint(uint64(d.nextDose))
	// the compact record reads its person id, place and lot ids through its
	// records, so they are not written
	e.time(d.At(s))
	e.str(d.Place(s))
	e.str(d.Lot(s))
	e.str(d.Product(s))
	e.str(d.Component(s))
	e.str(d.Vaccinator())
	e.raw(d.Override(s))
	e.varint(int64(d.recorded - *prev))
	*prev = d.recorded
	e.int(d.Number())
	e.str(d.Region())
	e.u64(d.hash)
	if rare != nil {
		encodeDoseRare(e, rare)
	}
}

func encodeDoseRare(e *snapEncoder, r *doseRare) {
	if r.voidWhy != "" {
		e.raw(r.voidWhy)
	}
	e.raw(r.anomaly)
	e.uvarint(uint64(len(r.history)))
	for _, c := range r.history {
		e.raw(c.Dose)
		e.bool(c.At != nil)
		if c.At != nil {
			e.time(*c.At)
		}
		e.str(c.Lot)
		e.str(c.Place)
		e.bool(c.Person != nil)
		if c.Person != nil {
			e.fixed(c.Person[:])
		}
		e.raw(c.Override)
		e.raw(c.Reason)
	}
}

// doseRefs resolves a dose's place, lot (to their positions) and
// vaccinator once per string, and holds the arena chunk of the batch's ids.
type doseRefs struct {
	idChunk uint32
	places  strCache[uint32]
	lots    strCache[uint32]
	vacc    strCache[symbol]
	region  strCache[symbol]
	total   int // doses in the snapshot
}

func (s *State) decodeDoses(d *snapDecoder, n int) {
	t := &s.doses
	decodeBlocks(d, &t.recs, n, "doses", 0, func(d *snapDecoder, chunk []DoseState, from, to int) {
		refs := doseRefs{total: n}
		var prev unixNanos
		blob := blobReader{s: d.raw()}
		for i := from; i < to && d.err == nil; i++ {
			s.decodeDose(d, &chunk[i-from], &blob, &refs, &prev)
		}
		blob.done(d)
	})
	if d.err != nil {
		return
	}
	if id, ok := t.reindex(); !ok {
		d.fail("dose %q recorded twice", id)
	}
}

const doseFlags = doseVoided | doseBooster | doseComplete | doseKeyed | doseHasRare | doseHasVoidWhy

func (s *State) decodeDose(d *snapDecoder, rec *DoseState, blob *blobReader, refs *doseRefs, prev *unixNanos) {
	flags := d.uvarint()
	if flags&^doseFlags != 0 {
		d.fail("dose: unknown flags %#x", flags)
		return
	}
	n := d.count()
	if d.err != nil {
		return
	}
	if n == 0 || n > maxDoseID {
		d.fail("dose: id of %d bytes", n)
		return
	}
	if blob.off == 0 {
		// the batch's first dose (ids are not empty): the batch's ids
		// become one chunk of the arena, which each record refers into
		if len(blob.s) > arenaChunk {
			d.fail("doses: %d bytes of ids in a batch", len(blob.s))
			return
		}
		refs.idChunk = s.doses.addIDs(blob.s)
	}
	off := blob.off
	id := blob.take(d, n)
	if d.err != nil {
		return
	}
	rec.id = arenaRef(refs.idChunk, off, n)
	pp := d.uvarint()
	if d.err != nil {
		return
	}
	if pp >= uint64(s.people.recs.n) {
		d.fail("dose %q: person position %d of %d", id, pp, s.people.recs.n)
		return
	}
	rec.person = uint32(pp)
	next := d.uvarint()
	if next > uint64(refs.total) {
		d.fail("dose %q: next dose %d of %d", id, next, refs.total)
		return
	}
	rec.nextDose = uint32(next)
	at := d.time()
	placeID, pi := d.strRef()
	lotID, li := d.strRef()
	if d.err != nil {
		return
	}
	pl, ok := refs.places.get(pi, placeID, func(id string) (uint32, bool) {
		if p := s.places[id]; p != nil {
			return p.pos, true
		}
		return 0, false
	})
	if !ok {
		d.fail("dose %q: unknown place %q", id, placeID)
		return
	}
	l, ok := refs.lots.get(li, lotID, func(id string) (uint32, bool) {
		if l := s.lots[id]; l != nil {
			return l.pos, true
		}
		return 0, false
	})
	if !ok {
		d.fail("dose %q: unknown lot %q", id, lotID)
		return
	}
	rec.place, rec.lot = pl, l
	product, component := d.str(), d.str()
	vs, vi := d.strRef()
	rec.vaccinator, _ = refs.vacc.get(vi, vs, func(x string) (symbol, bool) { return symbolOf(x), true })
	override := d.raw()
	rec.recorded = *prev + unixNanos(d.varint())
	*prev = rec.recorded
	number := d.int()
	if number < 0 || number > maxDoseNumber {
		d.fail("dose %q: number %d out of range", id, number)
		return
	}
	rec.number = uint16(number)
	rs, ri := d.strRef()
	rec.region, _ = refs.region.get(ri, rs, func(x string) (symbol, bool) { return symbolOf(x), true })
	rec.hash = d.u64()
	rec.setFlag(doseIsVoided, flags&doseVoided != 0)
	rec.setFlag(doseIsBooster, flags&doseBooster != 0)
	rec.setFlag(doseIsComplete, flags&doseComplete != 0)
	rec.setFlag(doseIsKeyed, flags&doseKeyed != 0)
	// the rare text is built here and added to the table once (batches
	// may be decoded in parallel: the table is touched only under its lock)
	var rare *doseRare
	if flags&doseHasRare != 0 {
		rare = decodeDoseRare(d, flags&doseHasVoidWhy != 0)
	} else if flags&doseHasVoidWhy != 0 {
		d.fail("dose %q: a void reason without its record", id)
	}
	if d.err != nil {
		return
	}
	// after the rare part: these may add to it (as setAt and rareText do)
	rec.at, rec.atZone = at.UnixNano(), zoneCode(at)
	if rec.atZone == zoneOther {
		orNewRare(&rare).loc = at.Location()
	}
	if override != "" {
		orNewRare(&rare).override = override
	}
	lot := s.lotList[rec.lot]
	if product != "" {
		rec.flags |= claimProduct
		if product != lot.Product {
			orNewRare(&rare).product = product
		}
	}
	if component != "" {
		rec.flags |= claimComponent
		if component != lot.Component {
			orNewRare(&rare).component = component
		}
	}
	if rare != nil {
		rec.rare = s.doses.addRare(rare)
	}
}

func decodeDoseRare(d *snapDecoder, void bool) *doseRare {
	r := &doseRare{}
	if void {
		r.voidWhy = d.raw()
	}
	r.anomaly = d.raw()
	n := d.count()
	if d.err != nil {
		return r
	}
	if n > 0 {
		r.history = make([]DoseCorrected, 0, min(n, 64))
	}
	for j := 0; j < n && d.err == nil; j++ {
		var c DoseCorrected
		c.Dose = d.raw()
		if d.bool() {
			at := d.time()
			c.At = &at
		}
		c.Lot = d.str()
		c.Place = d.str()
		if d.bool() {
			c.Person = new(PersonID)
			d.fixed(c.Person[:])
		}
		c.Override = d.raw()
		c.Reason = d.raw()
		r.history = append(r.history, c)
	}
	return r
}

// checkDoseLists checks the chains of valid doses: each dose in a
// person's chain is valid and theirs, no chain runs longer than there are
// valid doses (a cycle), and together they hold every valid dose (each once:
// a dose has one successor and one person). The people are shared out
// among GOMAXPROCS workers (the records are only read).
func (s *State) checkDoseLists(d *snapDecoder) {
	if d.err != nil {
		return
	}
	var (
		mu     sync.Mutex
		valid  int
		listed int
		bad    = -1 // the first person (by position) whose chain is wrong
		badMsg string
	)
	parallel(s.doses.recs.n, func(lo, hi int) {
		n := 0
		for i := lo; i < hi; i++ {
			if !s.doses.recs.at(uint32(i)).Voided() {
				n++
			}
		}
		mu.Lock()
		valid += n
		mu.Unlock()
	})
	parallel(s.people.recs.n, func(lo, hi int) {
		n := 0
		for i := lo; i < hi; i++ {
			p := s.people.recs.at(uint32(i))
			for pos := p.firstDose; pos != 0; {
				x := s.doses.recs.at(pos - 1)
				if x.person != uint32(i) || x.Voided() || n == valid {
					mu.Lock()
					if bad < 0 || i < bad {
						bad, badMsg = i, fmt.Sprintf("person %s: chained dose %q is not a valid dose of theirs, or is chained twice", p.ID, x.ID(s))
					}
					mu.Unlock()
					return
				}
				n++
				pos = x.nextDose
			}
		}
		mu.Lock()
		listed += n
		mu.Unlock()
	})
	switch {
	case bad >= 0:
		d.fail("%s", badMsg)
	case listed != valid:
		d.fail("%d valid doses, %d chained to their people", valid, listed)
	}
}

func (s *State) encodeCerts(e *snapEncoder) {
	t := &s.certs
	e.uvarint(uint64(t.recs.n))
	var blob []byte
	batches(t.recs.n, func(from, to int) {
		blob = encodeBlob(e, &t.recs, from, to, blob, func(c *CertificateState, b []byte) []byte { return append(b, c.UVCI...) })
		for i := from; i < to; i++ {
			c := t.recs.at(uint32(i))
			e.uvarint(uint64(len(c.UVCI)))
			e.fixed(c.Person[:])
			// the dose by position when it is one (its id is then shared)
			if x := s.doses.get(c.Dose); x != nil {
				pos, _ := s.doses.posOf(x)
				e.uvarint(uint64(pos) + 1)
			} else {
				e.uvarint(0)
				e.raw(c.Dose)
			}
			e.str(c.KID)
			e.time(c.Issued)
			e.time(c.Expiry)
			e.bool(c.Revoked)
			e.str(c.RevokedBy)
			e.uvarint(uint64(c.older))
		}
	})
}

func (s *State) decodeCerts(d *snapDecoder) {
	t := &s.certs
	n := readCount(d, "certificates")
	preChunks(&t.recs, n)
	nd := uint64(s.doses.recs.n)
	for from := 0; from < n && d.err == nil; from += chunkSize {
		blob := blobReader{s: d.raw()}
		for i := from; i < min(from+chunkSize, n) && d.err == nil; i++ {
			c, pos := t.recs.add()
			c.UVCI = blob.take(d, d.count())
			d.fixed(c.Person[:])
			switch dp := d.uvarint(); {
			case dp == 0:
				c.Dose = d.raw()
			case dp <= nd:
				c.Dose = s.doses.recs.at(uint32(dp - 1)).ID(s)
			default:
				d.fail("certificate %s: dose position %d of %d", c.UVCI, dp-1, nd)
			}
			c.KID = d.str()
			c.Issued = d.time()
			c.Expiry = d.time()
			c.Revoked = d.bool()
			c.RevokedBy = d.str()
			// a chain runs to older certificates only, so it ends
			if older := d.uvarint(); older > uint64(pos) {
				d.fail("certificate %s: older certificate %d not before it", c.UVCI, older)
			} else {
				c.older = uint32(older)
			}
		}
		blob.done(d)
	}
	if d.err != nil {
		return
	}
	if uvci, ok := t.reindex(); !ok {
		d.fail("certificate %s issued twice", uvci)
		return
	}
	// each person's chain holds only their certificates
	for p := range s.people.recs.all() {
		if int(p.lastCert) > t.recs.n {
			d.fail("person %s: certificate position %d of %d", p.ID, p.lastCert, t.recs.n)
			return
		}
		for at := p.lastCert; at != 0; {
			c := t.recs.at(at - 1)
			if c.Person != p.ID {
				d.fail("person %s: chained certificate %s is of another person", p.ID, c.UVCI)
				return
			}
			at = c.older
		}
	}
}

// validPackedText reports whether t is a packed person text that
// packedField can read: a flags byte, then four length-prefixed fields
// that end with the text.
func validPackedText(t string) bool {
	if t == "" {
		return true
	}
	if t[0]&^(textIINRaw|textPhoneRaw) != 0 {
		return false
	}
	pos := 1
	for range 4 {
		n, w := uvarintString(t[pos:])
		if w == 0 || n > uint64(len(t)-pos-w) {
			return false
		}
		pos += w + int(n)
	}
	return pos == len(t)
}
