package vaxtrace

// Scope rules that look at where a write sends things, not only at the
// places it touches: the region a new place is created in, the region a
// person is moved to, the person a dose is corrected onto. Authorize calls
// authorizeTargets after its role checks and before the places touched.

// callerRegion is the region a regional coordinator or a vaccination point
// works in ("" if unknown).
func (p Principal) callerRegion(s *State) string {
	switch p.Role {
	case RoleRegion:
		return p.Region
	case RolePoint:
		if pl := s.places[p.Place]; pl != nil {
			return pl.Region
		}
	}
	return ""
}

// authorizeTargets checks a regional or point caller's write against the
// region it creates or moves something into.
func authorizeTargets(p Principal, s *State, v Payload) error {
	switch x := v.(type) {
	case PlaceDefined:
		if p.Role == RolePoint {
			return Errorf(EFORBIDDEN, "a vaccination point does not create places")
		}
		if x.Place.Region != p.Region {
			return Errorf(EFORBIDDEN, "a regional coordinator creates places in region %s only", p.Region)
		}
	case PersonUpdated:
		if cur := s.Person(x.Person.ID); cur != nil && x.Person.Region != cur.Region() && x.Person.Region != p.callerRegion(s) {
			return Errorf(EFORBIDDEN, "a person can be moved into your own region only")
		}
	case DoseCorrected:
		if x.Person != nil {
			if target := s.Person(*x.Person); target != nil && !p.writesPerson(s, target) {
				return Errorf(EFORBIDDEN, "the person the dose would move to is outside your scope")
			}
		}
	}
	return nil
}

// writesPerson reports whether a regional or point caller may attach doses
// to ps: the person is registered in the caller's region, or already has a
// dose given at a place the caller writes for.
func (p Principal) writesPerson(s *State, ps *PersonState) bool {
	if ps.Region() == p.callerRegion(s) {
		return true
	}
	for d := s.FirstDose(ps); d != nil; d = s.nextDose(d) {
		pl := s.places[d.Place(s)]
		if pl == nil {
			continue
		}
		if p.Role == RoleRegion && pl.Region == p.Region || p.Role == RolePoint && pl.ID == p.Place {
			return true
		}
	}
	return false
}
