package vaxtrace

import (
	"hash/maphash"
	"iter"
)

// The registry's people and doses are the part of the state that scales
// with the nation, so they are not kept as one heap object each behind a Go
// map: records live in chunks of chunkSize (a chunk is allocated once and
// never moved or copied, so a *PersonState or *DoseState stays valid and
// growth never copies the whole array), and each table has an
// open-addressing index from a 64-bit hash of the id to the record's
// position. A look-up compares the record's own id, so a hash collision
// costs a probe, never a wrong answer; the hash seed is random per process,
// so ids cannot be chosen to collide.

const (
	chunkBits = 14
	chunkSize = 1 << chunkBits // records per chunk (16,384)
)

// slab is an append-only array of T in fixed-size chunks.
type slab[T any] struct {
	chunks [][]T
	n      int
}

// add appends a zero record and returns it with its position.
func (s *slab[T]) add() (*T, uint32) {
	c := s.n >> chunkBits
	if c == len(s.chunks) {
		s.chunks = append(s.chunks, make([]T, chunkSize))
	}
	i := s.n
	s.n++
	return &s.chunks[c][i&(chunkSize-1)], uint32(i)
}

// at returns the record at position i.
func (s *slab[T]) at(i uint32) *T { return &s.chunks[i>>chunkBits][i&(chunkSize-1)] }

// each calls fn on every record in insertion order until fn returns false.
func (s *slab[T]) each(fn func(*T) bool) {
	for c, ch := range s.chunks {
		end := min(chunkSize, s.n-c*chunkSize)
		for i := 0; i < end; i++ {
			if !fn(&ch[i]) {
				return
			}
		}
	}
}

// hashIndex maps a 64-bit hash to record positions with linear probing. It
// is split 256 ways by the hash's top byte, so that growing one part copies
// at most 1/256th of the index. A slot keeps the hash's low 32 bits and the
// position+1 (0 = empty): 8 bytes. A part's table has any size (not only
// powers of two): the slot a tag starts at is its high bits scaled to the
// size, a part is at most 7/8 full and grows by a quarter, so the index
// takes 9 to 11.4 bytes an entry (doubling at 3/4 full took 10.7 to 21).
// The caller confirms a match against the record's own id.
type hashIndex struct {
	parts [256]indexPart
}

type indexPart struct {
	slots []indexSlot
	n     int
}

type indexSlot struct {
	tag uint32 // low 32 bits of the hash
	pos uint32 // position + 1; 0 = empty
}

// home is the slot probing for tag starts at.
func (p *indexPart) home(tag uint32) uint32 {
	return uint32(uint64(tag) * uint64(len(p.slots)) >> 32)
}

// next is the slot probed after i.
func (p *indexPart) next(i uint32) uint32 {
	if i++; int(i) == len(p.slots) {
		return 0
	}
	return i
}

// full reports whether one more entry would fill the part past 7/8.
func (p *indexPart) full() bool { return (p.n+1)*8 > len(p.slots)*7 }

// indexSize is the table size that holds n entries at most 7/8 full.
func indexSize(n int) int { return max(16, (n*8+6)/7) }

// first returns the part and the slot to start probing for hash h; probe
// with part.next(i) until a slot with pos 0 (not found). ok is false when
// the part is empty.
func (x *hashIndex) first(h uint64) (p *indexPart, i uint32, ok bool) {
	p = &x.parts[h>>56]
	if len(p.slots) == 0 {
		return nil, 0, false
	}
	return p, p.home(uint32(h)), true
}

// insert adds position pos under hash h (the caller checked it is new).
func (x *hashIndex) insert(h uint64, pos uint32) {
	p := &x.parts[h>>56]
	if p.full() {
		p.grow()
	}
	p.put(indexSlot{uint32(h), pos + 1})
	p.n++
}

// remove deletes position pos stored under hash h, shifting the slots
// after it back so that probing stays correct (no tombstones).
func (x *hashIndex) remove(h uint64, pos uint32) {
	p := &x.parts[h>>56]
	if len(p.slots) == 0 {
		return
	}
	i := p.home(uint32(h))
	for p.slots[i].pos != pos+1 {
		if p.slots[i].pos == 0 {
			return
		}
		i = p.next(i)
	}
	for j := i; ; {
		j = p.next(j)
		if p.slots[j].pos == 0 {
			break
		}
		home := p.home(p.slots[j].tag)
		// a slot stays if its home lies cyclically in (i, j]
		if (i <= j && i < home && home <= j) || (i > j && (i < home || home <= j)) {
			continue
		}
		p.slots[i] = p.slots[j]
		i = j
	}
	p.slots[i] = indexSlot{}
	p.n--
}

func (p *indexPart) put(sl indexSlot) {
	i := p.home(sl.tag)
	for p.slots[i].pos != 0 {
		i = p.next(i)
	}
	p.slots[i] = sl
}

func (p *indexPart) grow() {
	old := p.slots
	p.slots = make([]indexSlot, max(indexSize(p.n+1), len(old)+len(old)/4))
	for _, sl := range old {
		if sl.pos != 0 {
			p.put(sl)
		}
	}
}

var idSeed = maphash.MakeSeed()

// personTable holds the registry's people.
type personTable struct {
	recs    slab[PersonState]
	idx     hashIndex
	text    textArena // the records' packed text (person_text.go)
	scratch []byte    // a text being packed
}

func personHash(id PersonID) uint64 { return maphash.Comparable(idSeed, id) }

func (t *personTable) get(id PersonID) *PersonState { return t.getHashed(id, personHash(id)) }

// find returns the position of the person with id.
func (t *personTable) find(id PersonID) (uint32, bool) {
	h := personHash(id)
	part, i, ok := t.idx.first(h)
	if !ok {
		return 0, false
	}
	for ; part.slots[i].pos != 0; i = part.next(i) {
		if sl := part.slots[i]; sl.tag == uint32(h) && t.recs.at(sl.pos-1).ID == id {
			return sl.pos - 1, true
		}
	}
	return 0, false
}

func (t *personTable) getHashed(id PersonID, h uint64) *PersonState {
	part, i, ok := t.idx.first(h)
	if !ok {
		return nil
	}
	for ; part.slots[i].pos != 0; i = part.next(i) {
		if sl := part.slots[i]; sl.tag == uint32(h) {
			if p := t.recs.at(sl.pos - 1); p.ID == id {
				return p
			}
		}
	}
	return nil
}

// add stores a new person (the caller checked the id is new) and returns
// the stored record.
func (t *personTable) add(p PersonState) *PersonState {
	if t.recs.n >= personMergeMax {
		panic("vaxtrace: person table full") // a record's link holds positions below it
	}
	rec, pos := t.recs.add()
	*rec = p
	t.idx.insert(personHash(p.ID), pos)
	return rec
}

func (t *personTable) len() int { return t.recs.n }

// removeLast takes back the person added last, if it is id (State.Unapply
// undoes the registration applied last).
func (t *personTable) removeLast(id PersonID) bool {
	if t.recs.n == 0 {
		return false
	}
	pos := uint32(t.recs.n - 1)
	if t.recs.at(pos).ID != id {
		return false
	}
	t.idx.remove(personHash(id), pos)
	*t.recs.at(pos) = PersonState{}
	t.recs.n--
	return true
}

// doseTable holds the registry's doses (voided ones too).
type doseTable struct {
	recs slab[DoseState]
	idx  hashIndex
}

func (t *doseTable) get(id string) *DoseState { return t.getHashed(id, maphash.String(idSeed, id)) }

func (t *doseTable) getHashed(id string, h uint64) *DoseState {
	part, i, ok := t.idx.first(h)
	if !ok {
		return nil
	}
	for ; part.slots[i].pos != 0; i = part.next(i) {
		if sl := part.slots[i]; sl.tag == uint32(h) {
			if d := t.recs.at(sl.pos - 1); d.ID == id {
				return d
			}
		}
	}
	return nil
}

// add stores a new dose (the caller checked the id is new) and returns the
// stored record, which the caller fills, and its position.
func (t *doseTable) add(id string) (*DoseState, uint32) {
	rec, pos := t.recs.add()
	t.idx.insert(maphash.String(idSeed, id), pos)
	return rec, pos
}

func (t *doseTable) len() int { return t.recs.n }

// all yields every record in insertion order.
func (s *slab[T]) all() iter.Seq[*T] {
	return func(yield func(*T) bool) { s.each(yield) }
}

// certTable holds issued certificates by UVCI; each person's are chained
// newest first (PersonState.lastCert, CertificateState.older).
type certTable struct {
	recs slab[CertificateState]
	idx  hashIndex
}

func (t *certTable) get(uvci string) *CertificateState {
	h := maphash.String(idSeed, uvci)
	part, i, ok := t.idx.first(h)
	if !ok {
		return nil
	}
	for ; part.slots[i].pos != 0; i = part.next(i) {
		if sl := part.slots[i]; sl.tag == uint32(h) {
			if c := t.recs.at(sl.pos - 1); c.UVCI == uvci {
				return c
			}
		}
	}
	return nil
}

// add stores a new certificate (the caller checked the UVCI is new); the
// caller fills the returned record.
func (t *certTable) add(uvci string) (*CertificateState, uint32) {
	rec, pos := t.recs.add()
	t.idx.insert(maphash.String(idSeed, uvci), pos)
	return rec, pos
}
