package vaxtrace

// Unapply undoes e, the event applied last, if it is a person's
// registration (the only kind a record of an upload can pair with another
// command: "register this person and record this dose"). It reports
// whether it undid e. The engine uses it to keep such a record all or
// nothing within one commit: when the dose is refused, the registration
// decided just before it in the same commit is taken back before anything
// is written.
func (s *State) Unapply(e Event) bool {
	v, ok := e.Data.(PersonRegistered)
	if !ok || s.Seq != e.Seq || e.Seq == 0 {
		return false
	}
	p := s.people.get(v.Person.ID)
	if p == nil || p.firstDose != 0 || !s.people.removeLast(v.Person.ID) {
		return false
	}
	if e.Key != "" && e.Key != "person:"+v.Person.ID.String() {
		delete(s.keys, e.Key)
	}
	s.Seq = e.Seq - 1
	return true
}
