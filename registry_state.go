package vaxtrace

import (
	"cmp"
	"slices"
	"strings"
	"time"
)

// DefaultBoosterIntervalDays applies when a product sets none.
const DefaultBoosterIntervalDays = 180

type walkResult struct {
	number   int
	booster  bool
	complete bool
	err      error
}

// walk derives dose numbers and checks the schedule rules over a person's
// doses in time order. Each disease is its own series (a child's Hep B and
// Hib doses do not continue each other; COVID-19 products share one series).
// It does not modify the doses.
// res is a buffer to reuse (the result is written over it).
func (s *State) walk(p *PersonState, doses []*DoseState, res []walkResult) []walkResult {
	res = slices.Grow(res[:0], len(doses))[:len(doses)]
	clear(res)
	if len(doses) == 0 {
		return res
	}
	first := s.products[doses[0].LotOf(s).Product]
	single := true
	for _, d := range doses[1:] {
		if !sameSeries(s.products[d.LotOf(s).Product], first) {
			single = false
			break
		}
	}
	if single {
		s.walkSeries(p, doses, res)
		return res
	}
	groups := map[string][]int{}
	var order []string
	for i, d := range doses {
		k := diseaseOf(s.products[d.LotOf(s).Product])
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], i)
	}
	for _, k := range order {
		idx := groups[k]
		sub := make([]*DoseState, len(idx))
		for j, i := range idx {
			sub[j] = doses[i]
		}
		r := make([]walkResult, len(sub))
		s.walkSeries(p, sub, r)
		for j, i := range idx {
			res[i] = r[j]
		}
	}
	return res
}

// diseaseOf keys a product's series: its target disease, else its own code.
func diseaseOf(p *Product) string {
	if p.Disease != "" {
		return p.Disease
	}
	return "product:" + p.Code
}

// sameSeries reports diseaseOf(a) == diseaseOf(b) without building the keys.
func sameSeries(a, b *Product) bool {
	switch {
	case a == b:
		return true
	case a.Disease != "" && b.Disease != "":
		return a.Disease == b.Disease
	case a.Disease == "" && b.Disease == "":
		return a.Code == b.Code
	case a.Disease == "":
		a, b = b, a
	}
	// a has a disease, b is keyed by its code
	code, ok := strings.CutPrefix(a.Disease, "product:")
	return ok && code == b.Code
}

func (s *State) walkSeries(p *PersonState, doses []*DoseState, res []walkResult) {
	var series *Product
	primary := 0
	complete := false
	var prev Date
	for i, d := range doses {
		r := &res[i]
		r.number = i + 1
		day := d.Day(s)
		l := d.LotOf(s)
		prod := s.products[l.Product]
		gap := int(day - prev)
		if i > 0 && gap == 0 {
			r.err = Errorf(ECONFLICT, "duplicate: the person already has a %s dose on %s (dose %q)", diseaseName(prod), day, doses[i-1].ID(s))
		}
		if day < p.BirthDate {
			r.err = FieldError("at", "dose date %s is before the person's birth date", day)
		}
		if !complete {
			n := primary + 1
			if series == nil {
				series = prod
			} else if prod != series && !mixAllowed(series, prod) {
				r.err = FieldError("lot", "dose %d would continue a %s series with %s; no mix rule allows it", n, series.Name, prod.Name)
			}
			if want := prod.ComponentFor(n); l.Component != want && r.err == nil {
				r.err = FieldError("component", "dose %d of %s must be component %s, lot %q is component %s", n, prod.Name, want, l.ID, l.Component)
			}
			if i > 0 && gap < series.IntervalDays && d.Override(s) == "" && r.err == nil {
				r.err = FieldError("at", "only %d days since dose %d; %s needs at least %d (a clinician may override with a reason)", gap, i, series.Name, series.IntervalDays)
			}
			primary = n
			if primary >= series.SeriesDoses {
				complete = true
				r.complete = true
			}
		} else {
			r.booster = true
			bi := prod.BoosterIntervalDays
			if bi == 0 {
				bi = DefaultBoosterIntervalDays
			}
			if gap < bi && d.Override(s) == "" && r.err == nil {
				r.err = FieldError("at", "only %d days since the previous dose; a booster needs at least %d (a clinician may override with a reason)", gap, bi)
			}
			if want := prod.Components[0].Code; l.Component != want && r.err == nil {
				r.err = FieldError("component", "a booster of %s uses component %s, lot %q is component %s", prod.Name, want, l.ID, l.Component)
			}
		}
		prev = day
	}
}

func diseaseName(p *Product) string {
	if p.Disease != "" {
		return p.Disease
	}
	return p.Name
}

func mixAllowed(series, next *Product) bool {
	for _, m := range next.MixWith {
		if m == series.Code {
			return true
		}
	}
	return false
}

func (s *State) sortDoses(ds []*DoseState) {
	if len(ds) < 2 {
		return
	}
	slices.SortStableFunc(ds, s.compareDoses)
}

// compareDoses orders doses by time, then by id.
func (s *State) compareDoses(a, b *DoseState) int {
	if c := cmp.Compare(a.at, b.at); c != 0 {
		return c
	}
	return strings.Compare(a.ID(s), b.ID(s))
}

// renumber sets derived fields of p's doses.
func (s *State) renumber(p *PersonState) {
	sc := &s.scratch
	ds := s.appendDoses(sc.list[:0], p)
	sc.list = ds
	defer clear(sc.list)
	if !slices.IsSortedFunc(ds, s.compareDoses) {
		s.sortDoses(ds)
		s.relink(p, ds)
	}
	sc.applyWalk = s.walk(p, ds, sc.applyWalk)
	for i, r := range sc.applyWalk {
		d := ds[i]
		d.number = uint16(min(r.number, maxDoseNumber))
		d.setFlag(doseIsBooster, r.booster)
		d.setFlag(doseIsComplete, r.complete)
		switch {
		case r.err != nil:
			s.rareText(d).anomaly = ErrorMessage(r.err)
		case d.rare != 0:
			s.doseRare(d).anomaly = ""
		}
	}
}

// checkSeries validates p's doses with `add` inserted (and `remove` taken
// out): it rejects if the added dose breaks a rule, or if any other dose
// breaks a rule it did not break before.
func (s *State) checkSeries(p *PersonState, add, remove *DoseState) error {
	sc := &s.scratch
	if p.firstDose == 0 { // fast path: a first dose
		sc.one[0] = add
		sc.decideWalk = s.walk(p, sc.one[:], sc.decideWalk)
		sc.one[0] = nil
		return sc.decideWalk[0].err
	}
	// the doses that already broke a rule (a person has few doses: a list)
	before := sc.before[:0]
	cur := s.appendDoses(sc.list[:0], p)
	sc.list = cur
	defer clear(sc.list)
	sc.decideWalk = s.walk(p, cur, sc.decideWalk)
	for i, r := range sc.decideWalk {
		if r.err != nil {
			before = append(before, cur[i])
		}
	}
	sc.before = before
	broke := func(d *DoseState) bool { return slices.Contains(before, d) }
	ds := sc.doses[:0]
	for _, d := range cur {
		if d != remove {
			ds = append(ds, d)
		}
	}
	ds = append(ds, add)
	sc.doses = ds
	defer clear(sc.doses) // keep no pointers to candidates
	s.sortDoses(ds)
	res := s.walk(p, ds, sc.decideWalk)
	sc.decideWalk = res
	for i, r := range res {
		// a correction of a dose that already broke a rule (e.g. after a
		// void renumbered it) may keep that anomaly; it must not add one
		if ds[i] == add && r.err != nil && !(remove != nil && broke(remove)) {
			return r.err
		}
	}
	for i, r := range res {
		if r.err != nil && ds[i] != add && !broke(ds[i]) {
			return Errorf(ECONFLICT, "this dose would make dose %q of the same person invalid: %s", ds[i].ID(s), ErrorMessage(r.err))
		}
	}
	return nil
}

// walkScratch holds buffers the schedule rules reuse, so that checking and
// applying a dose allocate nothing. Decide and Apply each have their own
// (the engine may validate the next group while applying the previous).
type walkScratch struct {
	decideWalk, applyWalk []walkResult
	one                   [1]*DoseState
	before, doses, list   []*DoseState
	// the dose being decided: a new dose (its id in candidateID, not in
	// the table's arena) or a corrected one; its rare text is
	// candidateRare (DoseState.rare is rareScratch)
	candidate     DoseState
	candidateID   string
	candidateRare doseRare
}

func (s *State) person(field string, id PersonID) (*PersonState, error) {
	p, _, err := s.personAt(field, id)
	return p, err
}

// personAt is person with the person's position in the people table.
func (s *State) personAt(field string, id PersonID) (*PersonState, uint32, error) {
	if id.IsZero() {
		return nil, 0, FieldError(field, "required")
	}
	p, pos := s.people.getPos(id)
	if p == nil {
		return nil, 0, NotFound(field, "unknown person")
	}
	if into, ok := s.MergedInto(p); ok {
		return nil, 0, FieldError(field, "this person record was merged into %s; use that record", into.String())
	}
	return p, pos, nil
}

func (s *State) decideDose(v DoseAdministered, recorded time.Time) error {
	if v.ID == "" || len(v.ID) > 64 {
		return FieldError("id", "required (a client-generated id), at most 64 characters")
	}
	if s.doses.get(v.ID) != nil {
		return Errorf(ECONFLICT, "dose id %q is already used by a different record", v.ID)
	}
	p, pp, err := s.personAt("person", v.Person)
	if err != nil {
		return err
	}
	if err := checkOccurred("at", v.At, recorded); err != nil {
		return err
	}
	pl, err := s.place("place", v.Place)
	if err != nil {
		return err
	}
	if pl.Kind != PlacePoint {
		return FieldError("place", "%q is a %s warehouse, not a vaccination point", pl.ID, pl.Kind)
	}
	l, err := s.lot("lot", v.Lot)
	if err != nil {
		return err
	}
	if v.Product != "" && v.Product != l.Product {
		return FieldError("product", "lot %q is %s, not %s", l.ID, l.Product, v.Product)
	}
	if v.Component != "" && v.Component != l.Component {
		return FieldError("component", "lot %q is component %s, not %s", l.ID, l.Component, v.Component)
	}
	if v.Vaccinator == "" {
		return FieldError("vaccinator", "required")
	}
	if n, why := s.available(pl, l, DateOf(v.At)); n == 0 {
		return FieldError("lot", "lot %q %s", l.ID, why)
	}
	d, rare := &s.scratch.candidate, &s.scratch.candidateRare
	*d = DoseState{person: pp, lot: l.pos, place: pl.pos, rare: rareScratch} // no vaccinator: the rules do not read it, and a rejected dose adds no symbol
	s.scratch.candidateID = v.ID
	rare.override = v.Override
	d.setAt(s, v.At)
	err = s.checkSeries(p, d, nil)
	*d, *rare, s.scratch.candidateID = DoseState{}, doseRare{}, ""
	return err
}

// applyDose applies v given to p (the person v names, at position pp of
// the people table).
func (s *State) applyDose(p *PersonState, pp uint32, v DoseAdministered, recorded time.Time) *DoseState {
	pl, l := s.places[v.Place], s.lots[v.Lot]
	d, pos := s.doses.add(v.ID)
	*d = DoseState{id: d.id, recorded: nanosOf(recorded), person: pp, lot: l.pos, place: pl.pos, region: symbolOf(pl.RegionAt(DateOf(v.At))),
		vaccinator: symbolOf(v.Vaccinator)}
	d.setAt(s, v.At)
	if v.Product != "" {
		d.flags |= claimProduct
	}
	if v.Component != "" {
		d.flags |= claimComponent
	}
	if v.Override != "" {
		s.rareText(d).override = v.Override
	}
	s.takeDose(d, 1)
	s.Cov.personAppend(s, p, pp, d, pos, DateOf(recorded))
	return d
}

// intern returns a shared copy of a frequently repeated string.
func (s *State) intern(v string) string {
	if x, ok := s.strs[v]; ok {
		return x
	}
	if s.strs == nil {
		s.strs = map[string]string{}
	}
	s.strs[v] = v
	return v
}

// takeDose takes (n=1) or returns (n=-1) the dose's stock at its place and lot.
func (s *State) takeDose(d *DoseState, n int64) {
	day := d.Day(s)
	pl, l := d.PlaceOf(s), d.LotOf(s)
	s.moveStock(pl, l, -n, day)
	l.Administered += n
	pl.Doses += n
	s.Flows.add(flowRegion(pl), l, FlowAdministered, day, n)
}

func (s *State) applyVoid(v DoseVoided, recorded time.Time) {
	d := s.doses.get(v.Dose)
	p := d.PersonOf(s)
	s.Cov.personChange(s, p, DateOf(recorded), func() { s.unlink(p, d) })
	d.flags |= doseIsVoided
	s.rareText(d).voidWhy = v.Reason
	s.takeDose(d, -1)
}

func (s *State) decideCorrection(v DoseCorrected, recorded time.Time) error {
	d := s.doses.get(v.Dose)
	if d == nil {
		return NotFound("dose", "unknown dose %q", v.Dose)
	}
	if d.Voided() {
		return FieldError("dose", "dose %q is voided; record a new dose instead", v.Dose)
	}
	if v.Reason == "" {
		return FieldError("reason", "required")
	}
	if v.At == nil && v.Lot == "" && v.Place == "" && v.Person == nil {
		return FieldError("at", "nothing to correct: give at, lot, place or person")
	}
	// the candidate shares no text with d: its rare text is the scratch's
	rare := &s.scratch.candidateRare
	defer func() { *rare = doseRare{} }()
	nd := *d
	nd.rare = rareScratch
	*rare = doseRare{override: d.Override(s)}
	if d.atZone == zoneOther {
		rare.loc = s.doseRare(d).loc
	}
	if v.At != nil {
		if err := checkOccurred("at", *v.At, recorded); err != nil {
			return err
		}
		nd.setAt(s, *v.At)
	}
	if v.Override != "" {
		rare.override = v.Override
	}
	if v.Place != "" {
		pl, err := s.place("place", v.Place)
		if err != nil {
			return err
		}
		if pl.Kind != PlacePoint {
			return FieldError("place", "%q is not a vaccination point", pl.ID)
		}
		nd.place = pl.pos
	}
	if v.Lot != "" {
		l, err := s.lot("lot", v.Lot)
		if err != nil {
			return err
		}
		nd.lot = l.pos
	}
	ndLot, ndDay := nd.LotOf(s), nd.Day(s)
	if nd.lot != d.lot || nd.place != d.place {
		n, why := s.available(nd.PlaceOf(s), ndLot, ndDay)
		if ndLot.Suspended || !ndLot.Released || ndLot.Expiry < ndDay || n == 0 {
			return FieldError("lot", "lot %q %s", ndLot.ID, why)
		}
	} else if ndLot.Expiry < ndDay {
		return FieldError("at", "lot %q had expired on %s", ndLot.ID, ndLot.Expiry)
	}
	target := d.PersonOf(s)
	if v.Person != nil {
		p, pos, err := s.personAt("person", *v.Person)
		if err != nil {
			return err
		}
		target, nd.person = p, pos
	}
	if target == d.PersonOf(s) {
		return s.checkSeries(target, &nd, d)
	}
	return s.checkSeries(target, &nd, nil)
}

func (s *State) applyCorrection(v DoseCorrected, recorded time.Time) {
	d := s.doses.get(v.Dose)
	known := DateOf(recorded)
	old := d.PersonOf(s)
	target, targetPos := old, d.person
	if v.Person != nil {
		target, targetPos = s.people.getPos(*v.Person)
	}
	s.Cov.personChange(s, old, known, func() { s.unlink(old, d) })
	s.takeDose(d, -1)
	if v.At != nil {
		d.setAt(s, *v.At)
	}
	if v.Override != "" {
		s.rareText(d).override = v.Override
	}
	if v.Place != "" {
		d.place = s.places[v.Place].pos
	}
	if v.Lot != "" {
		d.moveLot(s, s.lots[v.Lot])
	}
	d.person = targetPos
	d.region = symbolOf(d.PlaceOf(s).RegionAt(d.Day(s)))
	rare := s.rareText(d)
	rare.history = append(rare.history, v)
	s.takeDose(d, 1)
	s.Cov.personChange(s, target, known, func() { s.linkLast(target, d) })
}

func (s *State) decideMerge(v PersonsMerged) error {
	if v.Into == v.From {
		return FieldError("from", "cannot merge a person into itself")
	}
	if _, err := s.person("into", v.Into); err != nil {
		return err
	}
	if _, err := s.person("from", v.From); err != nil {
		return err
	}
	if v.Reason == "" {
		return FieldError("reason", "required")
	}
	return nil
}

func (s *State) applyMerge(v PersonsMerged, known Date) {
	into, intoPos := s.people.getPos(v.Into)
	from := s.people.get(v.From)
	moved := s.DosesOf(from)
	s.Cov.personChange(s, from, known, func() { s.relink(from, nil) })
	pos, _ := s.people.find(v.Into)
	from.setMergedPos(pos + 1)
	s.Cov.personChange(s, into, known, func() {
		for _, d := range moved {
			d.person = intoPos
			s.linkLast(into, d)
		}
	})
}

func (s *State) decideSession(v SessionClosed, recorded time.Time) (Payload, error) {
	if v.Session == "" {
		return nil, FieldError("session", "required")
	}
	if s.sessions[v.Session] != nil {
		return nil, Errorf(ECONFLICT, "session %q is already closed", v.Session)
	}
	pl, err := s.place("place", v.Place)
	if err != nil {
		return nil, err
	}
	l, err := s.lot("lot", v.Lot)
	if err != nil {
		return nil, err
	}
	if v.Date.Time().After(recorded) {
		return nil, FieldError("date", "lies in the future")
	}
	if err := Qty(v.VialsOpened).Check("vials_opened"); err != nil {
		return nil, err
	}
	per := l.DosesPerVial
	if per == 0 {
		per = s.products[l.Product].MaxDosesPerVial()
	}
	var given int64
	for d := range s.doses.recs.all() {
		if !d.Voided() && d.place == pl.pos && d.lot == l.pos && d.Day(s) == v.Date {
			given++
		}
	}
	capQty, err := Qty(v.VialsOpened).Mul("vials_opened", int64(per))
	if err != nil {
		return nil, err
	}
	capacity := int64(capQty)
	if given > capacity {
		return nil, FieldError("vials_opened", "%d doses of lot %q were given at %s on %s, more than %d vials of %d doses hold", given, l.ID, pl.ID, v.Date, v.VialsOpened, per)
	}
	v.Administered = given
	v.Wasted = capacity - given
	if v.Wasted > pl.Stock[l] {
		v.Wasted = pl.Stock[l]
	}
	return v, nil
}

func (s *State) decideAEFI(v AEFIReported, recorded time.Time) (Payload, error) {
	if v.ID == "" {
		return nil, FieldError("id", "required")
	}
	if s.aefis[v.ID] != nil {
		return nil, Errorf(ECONFLICT, "AEFI %q already reported", v.ID)
	}
	d := s.doses.get(v.Dose)
	if d == nil {
		return nil, NotFound("dose", "unknown dose %q", v.Dose)
	}
	if v.Description == "" {
		return nil, FieldError("description", "required")
	}
	if err := checkOccurred("onset", v.Onset, recorded); err != nil {
		return nil, err
	}
	if v.Onset.Before(d.At(s).Add(-time.Hour)) {
		return nil, FieldError("onset", "is before the dose was given")
	}
	v.Lot = d.Lot(s)
	return v, nil
}

// Person returns a person by id.
func (s *State) Person(id PersonID) *PersonState { return s.people.get(id) }

// Dose returns a dose by client id.
func (s *State) Dose(id string) *DoseState { return s.doses.get(id) }
