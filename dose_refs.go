package vaxtrace

// A dose record holds no pointers (state.go, DoseState): it refers to its
// id text, person, place, lot and rare text by position. These read them
// through the State that holds the record.

// rareScratch is the rare position of a candidate dose being decided: its
// rare text is walkScratch.candidateRare, never a table entry.
const rareScratch = ^uint32(0)

// doseID returns d's id. The candidate of a new dose being decided is not
// in the table yet: its id is kept beside it, not added to the arena.
func (s *State) doseID(d *DoseState) string {
	if d == &s.scratch.candidate {
		return s.scratch.candidateID
	}
	return s.doses.ids.get(d.id)
}

// doseRare returns d's rare text, nil when it has none.
func (s *State) doseRare(d *DoseState) *doseRare {
	switch d.rare {
	case 0:
		return nil
	case rareScratch:
		return &s.scratch.candidateRare
	}
	return s.doses.rares[d.rare-1]
}

// rareText returns d's rare text, adding an empty one when it has none.
func (s *State) rareText(d *DoseState) *doseRare {
	if r := s.doseRare(d); r != nil {
		return r
	}
	r := &doseRare{}
	s.doses.rares = append(s.doses.rares, r)
	d.rare = uint32(len(s.doses.rares))
	return r
}

// maxDoseID is the longest dose id (decideDose refuses longer ones).
const maxDoseID = 64

// addIDs adds the ids of a batch of decoded doses as one chunk of the id
// arena and returns its number. It may be called from batches decoded in
// parallel.
func (t *doseTable) addIDs(text string) uint32 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.ids.addChunk(text)
}

// addRare adds a decoded dose's rare text and returns its DoseState.rare.
// It may be called from batches decoded in parallel.
func (t *doseTable) addRare(r *doseRare) uint32 {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.rares = append(t.rares, r)
	return uint32(len(t.rares))
}

// orNewRare returns *r, first making it an empty rare text if it is nil.
func orNewRare(r **doseRare) *doseRare {
	if *r == nil {
		*r = &doseRare{}
	}
	return *r
}

// PersonOf returns the dose's person.
func (d *DoseState) PersonOf(s *State) *PersonState { return s.people.recs.at(d.person) }

// LotOf returns the dose's lot.
func (d *DoseState) LotOf(s *State) *LotState { return s.lotList[d.lot] }

// PlaceOf returns the dose's place.
func (d *DoseState) PlaceOf(s *State) *PlaceState { return s.placeList[d.place] }

// Region returns the region the dose was given in (at the time).
func (d *DoseState) Region() string { return d.region.String() }

// addLot adds a new lot to the state, at the next position of lotList.
func (s *State) addLot(l *LotState) {
	l.pos = uint32(len(s.lotList))
	s.lots[l.ID] = l
	s.lotList = append(s.lotList, l)
}

// addPlace adds a new place to the state, at the next position of
// placeList.
func (s *State) addPlace(pl *PlaceState) {
	pl.pos = uint32(len(s.placeList))
	s.places[pl.ID] = pl
	s.placeList = append(s.placeList, pl)
}

// getPos is get with the person's position in the table (nil, 0 when
// there is no such person).
func (t *personTable) getPos(id PersonID) (*PersonState, uint32) {
	pos, ok := t.find(id)
	if !ok {
		return nil, 0
	}
	return t.recs.at(pos), pos
}
