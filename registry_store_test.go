package vaxtrace

import (
	"math/rand/v2"
	"strconv"
	"testing"
)

func TestSlabKeepsRecordsInPlace(t *testing.T) {
	var s slab[DoseState]
	n := 3*chunkSize + 5
	ptrs := make([]*DoseState, n)
	for i := range n {
		d, pos := s.add()
		if int(pos) != i {
			t.Fatalf("position %d, want %d", pos, i)
		}
		d.ID = strconv.Itoa(i)
		ptrs[i] = d
	}
	for i, p := range ptrs {
		if s.at(uint32(i)) != p || p.ID != strconv.Itoa(i) {
			t.Fatalf("record %d moved or changed: %q", i, p.ID)
		}
	}
	i := 0
	for d := range s.all() {
		if d.ID != strconv.Itoa(i) {
			t.Fatalf("iteration %d gave %q", i, d.ID)
		}
		i++
	}
	if i != n {
		t.Fatalf("iterated %d records, want %d", i, n)
	}
}

// A hash collision costs a probe, never a wrong answer: every id is
// inserted under the same hash and each is still found as itself.
func TestIndexCollisionsAnswerByID(t *testing.T) {
	var dt doseTable
	var pt personTable
	const h = 0xabcdef0123456789
	for i := range 200 {
		id := "dose-" + strconv.Itoa(i)
		rec, pos := dt.recs.add()
		rec.ID = id
		dt.idx.insert(h, pos)
		var pid PersonID
		pid[0], pid[1] = byte(i), byte(i>>8)
		prec, ppos := pt.recs.add()
		prec.ID = pid
		pt.idx.insert(h, ppos)
	}
	for i := range 200 {
		id := "dose-" + strconv.Itoa(i)
		if d := dt.getHashed(id, h); d == nil || d.ID != id {
			t.Fatalf("%s: got %v", id, d)
		}
		var pid PersonID
		pid[0], pid[1] = byte(i), byte(i>>8)
		if p := pt.getHashed(pid, h); p == nil || p.ID != pid {
			t.Fatalf("person %d: got %v", i, p)
		}
	}
	if d := dt.getHashed("dose-200", h); d != nil {
		t.Fatalf("absent id found as %q", d.ID)
	}
}

// The index agrees with a map through many growths of its parts.
func TestIndexAgreesWithMap(t *testing.T) {
	var dt doseTable
	want := map[string]*DoseState{}
	for i := range 100000 {
		id := "d" + strconv.Itoa(i*7919)
		if dt.get(id) != nil {
			t.Fatalf("%s found before it was added", id)
		}
		d, _ := dt.add(id)
		d.ID = id
		want[id] = d
	}
	if dt.len() != len(want) {
		t.Fatalf("len %d, want %d", dt.len(), len(want))
	}
	for id, d := range want {
		if got := dt.get(id); got != d {
			t.Fatalf("%s: got %p, want %p", id, got, d)
		}
	}
	for i := range 1000 {
		if d := dt.get("x" + strconv.Itoa(i)); d != nil {
			t.Fatalf("absent id found as %q", d.ID)
		}
	}
}

// Removing the last person (State.Unapply) leaves every other person
// findable, also when they share its hash and sit after it in the probe
// sequence, and the removed one is gone.
func TestPersonRemoveLast(t *testing.T) {
	var pt personTable
	const h = 0x1234
	ids := make([]PersonID, 50)
	for i := range ids {
		ids[i][0], ids[i][1] = byte(i), 9
		rec, pos := pt.recs.add()
		rec.ID = ids[i]
		pt.idx.insert(h+uint64(i%3), pos) // three homes, long shared runs
	}
	// remove in reverse order, checking the rest each time
	for k := len(ids) - 1; k >= 0; k-- {
		last := ids[k]
		// removeLast rehashes with personHash: use the index directly
		pos := uint32(k)
		pt.idx.remove(h+uint64(k%3), pos)
		*pt.recs.at(pos) = PersonState{}
		pt.recs.n--
		if p := pt.getHashed(last, h+uint64(k%3)); p != nil {
			t.Fatalf("removed person %d still found", k)
		}
		for i := 0; i < k; i++ {
			if p := pt.getHashed(ids[i], h+uint64(i%3)); p == nil || p.ID != ids[i] {
				t.Fatalf("after removing %d: person %d lost", k, i)
			}
		}
	}
	// and through the table's own hashing
	var pid PersonID
	pid[3] = 1
	pt.add(PersonState{ID: pid})
	if pt.removeLast(PersonID{9}) {
		t.Fatal("removed a person that is not the last")
	}
	if !pt.removeLast(pid) || pt.get(pid) != nil || pt.len() != 0 {
		t.Fatal("removeLast did not take the person back")
	}
}

// One part of the index filled past several growths, with whole runs of
// entries under one tag and tags whose homes collide at every size, then
// emptied in a random order: after each insert and each removal every
// entry still in it is found from its home and every removed one is not,
// and the part stays at most 7/8 full.
func TestIndexPartGrowsAndRemovesWithCollisions(t *testing.T) {
	var x hashIndex
	const top = uint64(0x5a) << 56 // every entry in one part
	const n = 3000
	hashOf := func(pos uint32) uint64 {
		switch pos % 4 {
		case 0:
			return top | 0xdead // a quarter share one tag
		case 1:
			return top | uint64(pos%7) // tags 0..6: home 0 at every size
		case 2:
			return top | uint64(1<<32-1-pos%5) // home the last slot: runs wrap to 0
		default:
			return top | uint64(uint32(pos)*2654435761)
		}
	}
	in := map[uint32]bool{}
	check := func(step string) {
		t.Helper()
		p := &x.parts[top>>56]
		if p.n != len(in) || p.n*8 > len(p.slots)*7 {
			t.Fatalf("%s: %d entries in %d slots, want %d at most 7/8 full", step, p.n, len(p.slots), len(in))
		}
		for pos := range uint32(n) {
			h := hashOf(pos)
			found := false
			if part, i, ok := x.first(h); ok {
				for ; part.slots[i].pos != 0; i = part.next(i) {
					if part.slots[i].tag == uint32(h) && part.slots[i].pos == pos+1 {
						found = true
						break
					}
				}
			}
			if found != in[pos] {
				t.Fatalf("%s: position %d found %v, want %v", step, pos, found, in[pos])
			}
		}
	}
	sizes := map[int]bool{}
	for pos := range uint32(n) {
		x.insert(hashOf(pos), pos)
		in[pos] = true
		sizes[len(x.parts[top>>56].slots)] = true
		if pos%97 == 0 {
			check("insert " + strconv.Itoa(int(pos)))
		}
	}
	check("filled")
	if len(sizes) < 5 {
		t.Fatalf("the part took %d sizes, want several growths", len(sizes))
	}
	rng := rand.New(rand.NewPCG(3, 5))
	for k, i := range rng.Perm(n) {
		pos := uint32(i)
		x.remove(hashOf(pos), pos)
		delete(in, pos)
		x.remove(hashOf(pos), pos) // twice: nothing more goes
		if k%61 == 0 {
			check("remove " + strconv.Itoa(i))
		}
	}
	check("emptied")
}
