package vaxtrace

// A person record's link word: whether it was registered under its
// "person:" key, and the record it was merged into, by position (a
// pointer or a PersonID would make the record bigger and, for a pointer,
// give the collector tens of millions of records to scan).

const (
	personKeyedBit = 1 << 31            // PersonState.link: registered under "person:"+id
	personMergeMax = 1<<31 - 1          // the largest position+1 the link holds
	personPosMask  = personKeyedBit - 1 // PersonState.link: merged-into position+1
)

// keyed reports whether p was registered under the key "person:"+id.
func (p *PersonState) keyed() bool { return p.link&personKeyedBit != 0 }

func (p *PersonState) setKeyed(on bool) {
	if on {
		p.link |= personKeyedBit
	} else {
		p.link &^= personKeyedBit
	}
}

// Merged reports whether p was merged into another person's record
// (State.MergedInto names it).
func (p *PersonState) Merged() bool { return p.link&personPosMask != 0 }

// mergedPos is the position+1 of the record p was merged into (0: none).
func (p *PersonState) mergedPos() uint32 { return p.link & personPosMask }

// setMergedPos records that p was merged into the record at position+1
// into (0: not merged).
func (p *PersonState) setMergedPos(into uint32) { p.link = p.link&personKeyedBit | into }

// MergedInto returns the id of the person p was merged into, false when p
// was not merged.
func (s *State) MergedInto(p *PersonState) (PersonID, bool) {
	if !p.Merged() {
		return PersonID{}, false
	}
	return s.people.recs.at(p.mergedPos() - 1).ID, true
}
