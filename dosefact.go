package vaxtrace

// DoseFact is what aggregate exchanges (DHIS2) need to know of one valid
// (non-voided) dose: where and when it was given, when the registry learned
// it, what was given and which dose of the person's series it was. It is a
// value: nothing in it refers back into the state.
type DoseFact struct {
	Place     string // vaccination point id
	Region    string // region of the point on the day of the dose
	Day       Date   // day the dose was given
	Known     Date   // day the registry recorded it
	Product   string // product code
	Component string // component code
	Number    int    // 1-based position among the person's valid doses of the same disease
	Booster   bool   // given after a completed primary series
	Complete  bool   // this dose completed the primary series
	AgeBand   uint8  // index into AgeBands on the day of the dose
	Sex       string // SexMale, SexFemale or SexUnknown
}

// EachDoseFact calls fn once for every valid (non-voided) dose, in no
// particular order, until fn returns false. It reads the state only; call it
// under the engine's read lock. It is the one iteration the aggregate
// exports use, so that the registry's in-memory representation can change
// without them.
func (s *State) EachDoseFact(fn func(DoseFact) bool) {
	for d := range s.doses.recs.all() {
		if d.Voided() {
			continue
		}
		day := DateOf(d.At(s))
		l, p := d.LotOf(s), d.PersonOf(s)
		f := DoseFact{
			Place:     d.Place(s),
			Region:    d.Region(),
			Day:       day,
			Known:     DateOf(d.Recorded()),
			Product:   l.Product,
			Component: l.Component,
			Number:    d.Number(),
			Booster:   d.Booster(),
			Complete:  d.Complete(),
			AgeBand:   ageBand(p.BirthDate, day),
			Sex:       p.Sex(),
		}
		if !fn(f) {
			return
		}
	}
}
