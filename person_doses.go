package vaxtrace

import "iter"

// A person's valid doses are not a slice of their own (one heap allocation
// per person): they are a chain through the dose records, in time order.
// PersonState.firstDose is the position+1 of the first dose in the dose
// table, DoseState.nextDose that of the next one (0 ends the chain).

// nextDose is the dose after d in its person's chain, nil after the last.
func (s *State) nextDose(d *DoseState) *DoseState {
	if d.nextDose == 0 {
		return nil
	}
	return s.doses.recs.at(d.nextDose - 1)
}

// FirstDose is p's first valid dose, nil when p has none.
func (s *State) FirstDose(p *PersonState) *DoseState {
	if p.firstDose == 0 {
		return nil
	}
	return s.doses.recs.at(p.firstDose - 1)
}

// LastDose is p's last valid dose, nil when p has none.
func (s *State) LastDose(p *PersonState) *DoseState {
	d := s.FirstDose(p)
	if d == nil {
		return nil
	}
	for d.nextDose != 0 {
		d = s.doses.recs.at(d.nextDose - 1)
	}
	return d
}

// NumDoses is the number of p's valid doses.
func (s *State) NumDoses(p *PersonState) int {
	n := 0
	for d := s.FirstDose(p); d != nil; d = s.nextDose(d) {
		n++
	}
	return n
}

// PersonDoses yields p's valid doses in time order.
func (s *State) PersonDoses(p *PersonState) iter.Seq[*DoseState] {
	return func(yield func(*DoseState) bool) {
		for d := s.FirstDose(p); d != nil; d = s.nextDose(d) {
			if !yield(d) {
				return
			}
		}
	}
}

// DosesOf returns p's valid doses in time order, in a new slice.
func (s *State) DosesOf(p *PersonState) []*DoseState {
	return s.appendDoses(nil, p)
}

// appendDoses appends p's valid doses in time order to buf.
func (s *State) appendDoses(buf []*DoseState, p *PersonState) []*DoseState {
	for d := s.FirstDose(p); d != nil; d = s.nextDose(d) {
		buf = append(buf, d)
	}
	return buf
}

// linkLast appends d (a record of the dose table) to p's chain.
func (s *State) linkLast(p *PersonState, d *DoseState) {
	pos, ok := s.doses.posOf(d)
	if !ok {
		panic("vaxtrace: dose " + d.ID(s) + " is not in the dose table")
	}
	s.linkLastAt(p, d, pos)
}

// linkLastAt appends d, the record at position pos of the dose table, to
// p's chain.
func (s *State) linkLastAt(p *PersonState, d *DoseState, pos uint32) {
	d.nextDose = 0
	if last := s.LastDose(p); last != nil {
		last.nextDose = pos + 1
	} else {
		p.firstDose = pos + 1
	}
}

// unlink takes d out of p's chain (nothing if it is not in it).
func (s *State) unlink(p *PersonState, d *DoseState) {
	var prev *DoseState
	for x := s.FirstDose(p); x != nil; prev, x = x, s.nextDose(x) {
		if x != d {
			continue
		}
		if prev == nil {
			p.firstDose = d.nextDose
		} else {
			prev.nextDose = d.nextDose
		}
		d.nextDose = 0
		return
	}
}

// relink makes ds (records of the dose table) p's chain, in that order.
func (s *State) relink(p *PersonState, ds []*DoseState) {
	p.firstDose = 0
	for _, d := range ds {
		d.nextDose = 0
	}
	for i := len(ds) - 1; i >= 0; i-- {
		pos, ok := s.doses.posOf(ds[i])
		if !ok {
			panic("vaxtrace: dose " + ds[i].ID(s) + " is not in the dose table")
		}
		if i+1 < len(ds) {
			ds[i].nextDose = p.firstDose
		}
		p.firstDose = pos + 1
	}
}
