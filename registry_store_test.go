package vaxtrace

import (
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
		d := dt.add(id)
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
