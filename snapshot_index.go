package vaxtrace

import (
	"hash/maphash"
	"math"
	"sync"
)

// Helpers for the registry's snapshot: finding a record's position from a
// pointer (the encoder writes positions, not pointers), rebuilding the
// hash indexes after the records are read (the hash seed is random per
// process, so indexes are never written), and resolving repeated strings
// once per string-table entry.

// posOf returns the position of the person record p in the table (p must
// be one of its records, found through the index by p's id).
func (t *personTable) posOf(p *PersonState) (uint32, bool) {
	h := personHash(p.ID)
	part, i, ok := t.idx.first(h)
	if !ok {
		return 0, false
	}
	for ; part.slots[i].pos != 0; i = part.next(i) {
		if sl := part.slots[i]; sl.tag == uint32(h) && t.recs.at(sl.pos-1) == p {
			return sl.pos - 1, true
		}
	}
	return 0, false
}

// posOfID returns the position of the person with id.
func (t *personTable) posOfID(id PersonID) (uint32, bool) {
	p := t.get(id)
	if p == nil {
		return 0, false
	}
	return t.posOf(p)
}

// posOf returns the position of the dose record d in the table.
func (t *doseTable) posOf(d *DoseState) (uint32, bool) {
	h := maphash.String(idSeed, t.ids.get(d.id))
	part, i, ok := t.idx.first(h)
	if !ok {
		return 0, false
	}
	for ; part.slots[i].pos != 0; i = part.next(i) {
		if sl := part.slots[i]; sl.tag == uint32(h) && t.recs.at(sl.pos-1) == d {
			return sl.pos - 1, true
		}
	}
	return 0, false
}

// reserve sizes an empty index for n entries: each part holds its share
// at most 7/8 full with room for the parts' spread around it (four
// standard deviations), so that rebuilding it seldom regrows a part.
func (x *hashIndex) reserve(n int) {
	per := (n + 255) / 256
	size := indexSize(per + 4*int(math.Sqrt(float64(per))) + 16)
	for i := range x.parts {
		if x.parts[i].n == 0 {
			x.parts[i].slots = make([]indexSlot, size)
		}
	}
}

// build fills an empty index with positions 0..n-1, hash(pos) being each
// record's hash; same(a, b) reports whether records a and b have the same
// id. It returns a position whose id is already present, if any. hash and
// same are called from several goroutines at once.
//
// Records are taken in batches, and each batch is inserted part by part:
// a part's table is small enough to stay in the processor's cache while
// its share of the batch goes in, where inserting in record order would
// touch a random part of the whole index (a cache miss) each time. The
// hashes of a batch are computed by GOMAXPROCS workers, and the parts are
// shared out among them (the parts are independent; each is filled in
// record order, so the index is the same as one goroutine would build).
func (x *hashIndex) build(n int, hash func(uint32) uint64, same func(a, b uint32) bool) (dup uint32, ok bool) {
	x.reserve(n)
	const batch = 1 << 20
	type entry struct {
		h   uint64
		pos uint32
	}
	hs := make([]uint64, min(n, batch))
	sorted := make([]entry, min(n, batch))
	for from := 0; from < n; from += batch {
		to := min(from+batch, n)
		parallel(to-from, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				hs[i] = hash(uint32(from + i))
			}
		})
		var starts [257]int
		for _, h := range hs[:to-from] {
			starts[h>>56+1]++
		}
		for p := 1; p <= 256; p++ {
			starts[p] += starts[p-1]
		}
		next := starts
		for i, h := range hs[:to-from] {
			sorted[next[h>>56]] = entry{h, uint32(from + i)}
			next[h>>56]++
		}
		var mu sync.Mutex
		dupPart := 256
		parallel(256, func(lo, hi int) {
			for _, en := range sorted[starts[lo]:starts[hi]] {
				if !x.insertUnique(en.h, en.pos, same) {
					mu.Lock()
					if p := int(en.h >> 56); p < dupPart {
						dupPart, dup = p, en.pos
					}
					mu.Unlock()
					return
				}
			}
		})
		if dupPart < 256 {
			return dup, false
		}
	}
	return 0, true
}

// insertUnique adds position pos under hash h unless a record already
// there has the same id (same(pos, p)); it reports whether it added.
func (x *hashIndex) insertUnique(h uint64, pos uint32, same func(a, b uint32) bool) bool {
	p := &x.parts[h>>56]
	if p.full() {
		p.grow()
	}
	i := p.home(uint32(h))
	for p.slots[i].pos != 0 {
		if p.slots[i].tag == uint32(h) && same(pos, p.slots[i].pos-1) {
			return false
		}
		i = p.next(i)
	}
	p.slots[i] = indexSlot{uint32(h), pos + 1}
	p.n++
	return true
}

// reindex rebuilds the person index from the records; false if two
// records have the same id.
func (t *personTable) reindex() (PersonID, bool) {
	t.idx = hashIndex{}
	dup, ok := t.idx.build(t.recs.n, func(pos uint32) uint64 { return personHash(t.recs.at(pos).ID) },
		func(a, b uint32) bool { return t.recs.at(a).ID == t.recs.at(b).ID })
	if !ok {
		return t.recs.at(dup).ID, false
	}
	return PersonID{}, true
}

// reindex rebuilds the dose index from the records; false if two records
// have the same id.
func (t *doseTable) reindex() (string, bool) {
	t.idx = hashIndex{}
	id := func(pos uint32) string { return t.ids.get(t.recs.at(pos).id) }
	dup, ok := t.idx.build(t.recs.n, func(pos uint32) uint64 { return maphash.String(idSeed, id(pos)) },
		func(a, b uint32) bool { return id(a) == id(b) })
	if !ok {
		return id(dup), false
	}
	return "", true
}

// reindex rebuilds the certificate index from the records; false if two
// records have the same UVCI.
func (t *certTable) reindex() (string, bool) {
	t.idx = hashIndex{}
	dup, ok := t.idx.build(t.recs.n, func(pos uint32) uint64 { return maphash.String(idSeed, t.recs.at(pos).UVCI) },
		func(a, b uint32) bool { return t.recs.at(a).UVCI == t.recs.at(b).UVCI })
	if !ok {
		return t.recs.at(dup).UVCI, false
	}
	return "", true
}

// strCache resolves each string-table entry once (to a place, a lot, an
// interned string): records refer to a few hundred distinct values, so a
// slice indexed by table position replaces a map look-up per record.
type strCache[T any] struct {
	vals []T
	set  []bool
}

// get returns the value for table entry i (text s), resolving it with
// resolve the first time; ok is false when resolve refused it.
func (c *strCache[T]) get(i int, s string, resolve func(string) (T, bool)) (T, bool) {
	var zero T
	if i < 0 {
		return zero, false
	}
	if i < len(c.set) && c.set[i] {
		return c.vals[i], true
	}
	v, ok := resolve(s)
	if !ok {
		return zero, false
	}
	for len(c.set) <= i {
		c.vals = append(c.vals, zero)
		c.set = append(c.set, false)
	}
	c.vals[i], c.set[i] = v, true
	return v, true
}

// blobReader hands out the strings of a batch's blob (one allocation for
// the unique text of thousands of records, see encodeBlob).
type blobReader struct {
	s   string
	off int
}

func (b *blobReader) take(d *snapDecoder, n int) string {
	if n > len(b.s)-b.off {
		d.fail("string of %d bytes runs past its batch's text", n)
		return ""
	}
	s := b.s[b.off : b.off+n]
	b.off += n
	return s
}

// done checks the batch used all of its text.
func (b *blobReader) done(d *snapDecoder) {
	if b.off != len(b.s) {
		d.fail("%d bytes of a batch's text unused", len(b.s)-b.off)
	}
}
