package vaxtrace

import "testing"

// The due index keeps a record only for people due: once everyone in a
// chunk of people has left the lists, the chunk is dropped (a nation that
// has completed its series holds nothing), and a list keeps its order
// with the last person moved into a leaver's place.
func TestDueIndexDropsEmptyChunks(t *testing.T) {
	var people personTable
	n := chunkSize + 10 // two chunks
	ids := make([]PersonID, n)
	for i := range ids {
		ids[i][0], ids[i][1], ids[i][2] = byte(i), byte(i>>8), byte(i>>16)
		people.add(PersonState{ID: ids[i]})
	}
	x := newDueIndex(&people)
	day := MkDate(2021, 3, 1)
	for i, id := range ids {
		x.set(id, &dueEntry{person: id, place: "VP-" + string(rune('A'+i%3)), region: "KZ-AKM", product: 1, number: 2, day: day})
	}
	if x.n != n || x.recs[0] == nil || x.recs[1] == nil {
		t.Fatalf("%d due in chunks %v/%v, want %d in both", x.n, x.recs[0] != nil, x.recs[1] != nil, n)
	}
	k := dueSlot{1, 2, day}
	if b := x.regions["KZ-AKM"][k]; len(b) != n || b[0] != 0 || b[n-1] != uint32(n-1) {
		t.Fatalf("region list of %d, want %d in order of filing", len(b), n)
	}
	x.set(ids[0], nil) // the last moves to the front
	if b := x.regions["KZ-AKM"][k]; b[0] != uint32(n-1) || x.at(uint32(n - 1)).pos[1] != 0 {
		t.Fatalf("after the first left, the list starts with %d, want %d", b[0], n-1)
	}
	for _, id := range ids[chunkSize:] {
		x.set(id, nil)
	}
	if x.recs[1] != nil || x.recs[0] == nil {
		t.Fatal("the second chunk's people all left but it is kept (or the first was dropped)")
	}
	for _, id := range ids[1:chunkSize] {
		x.set(id, nil)
	}
	if x.n != 0 || x.recs[0] != nil || len(x.regions["KZ-AKM"]) != 0 {
		t.Fatalf("nobody due, yet %d counted, first chunk kept %v", x.n, x.recs[0] != nil)
	}
}
