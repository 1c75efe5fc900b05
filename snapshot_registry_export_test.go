package vaxtrace

import "bytes"

// EncodeRegistrySnapshot writes only the registry's part of a snapshot
// (tests of it that do not depend on the rooms' part).
func EncodeRegistrySnapshot(s *State) ([]byte, error) {
	var b bytes.Buffer
	e := newSnapEncoder(&b)
	s.encodeRegistry(e)
	e.section("end")
	err := e.flush()
	return b.Bytes(), err
}

// DecodeRegistrySnapshot replaces s's registry with the one in b; s's rooms
// (places, lots, products) are those the registry refers to, e.g. a state
// rebuilt from the same journal.
func DecodeRegistrySnapshot(s *State, b []byte) error {
	s.people, s.doses, s.certs = personTable{}, doseTable{}, certTable{}
	s.due, s.rem = nil, nil
	s.scratch = walkScratch{}
	d := newSnapDecoder(bytes.NewReader(b))
	s.decodeRegistry(d)
	d.section("end")
	return d.err
}

// ChainDose makes dose from's successor in its person's chain the dose to
// (to break a registry on purpose: a cycle when to comes earlier).
func ChainDose(s *State, from, to string) {
	pos, _ := s.doses.posOf(s.doses.get(to))
	s.doses.get(from).nextDose = pos + 1
}

// MoveDoseRefs sets the positions dose id's record holds for its person,
// place and lot, where each is not negative (to break a registry on
// purpose: a position past the end of its table).
func MoveDoseRefs(s *State, id string, person, place, lot int) {
	d := s.doses.get(id)
	if person >= 0 {
		d.person = uint32(person)
	}
	if place >= 0 {
		d.place = uint32(place)
	}
	if lot >= 0 {
		d.lot = uint32(lot)
	}
}

// RenameDose gives dose id's record the id to in place, without checking
// it (to break a registry on purpose: an id no dose may have).
func RenameDose(s *State, id, to string) {
	s.doses.get(id).id = s.doses.ids.add(to)
}

// SnapshotBlockRecords is how many records a block of a registry snapshot
// holds (the last one fewer).
const SnapshotBlockRecords = chunkSize

// MergeAt makes person id's record merged into the record at position+1
// into (to break a registry on purpose: a position past the last record).
func MergeAt(s *State, id PersonID, into uint32) {
	s.people.get(id).setMergedPos(into)
}

// PeopleCount is the number of person records.
func PeopleCount(s *State) int { return s.people.recs.n }
