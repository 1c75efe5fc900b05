package vaxtrace

import (
	"sort"
)

// Due lists: the people due or overdue for their next primary-series dose,
// kept at write time. Every change to a person's doses (a dose, a void, a
// correction, a merge) passes through Coverage.personChange, which calls
// dueIndex.set once with the person's next-dose entry as it now is; the
// index moves the person between buckets keyed by (product, dose number,
// due day) at their last dose's point and region. Counts are bucket sizes
// and a list page walks buckets in due-day order, so neither scans people.

// DefaultWindowDays is the recommended window after the due day when the
// product does not set one (Product.WindowDays): WHO's 3-4 weeks for the
// two-dose inactivated vaccines, i.e. the interval plus 7 days.
const DefaultWindowDays = 7

// WindowOf is the number of days after the due day that the next dose of p
// is still within its recommended window.
func WindowOf(p *Product) int {
	if p != nil && p.WindowDays > 0 {
		return p.WindowDays
	}
	return DefaultWindowDays
}

// due statuses of a person on the as-of day.
const (
	DueUpcoming = "upcoming" // the due day is after the as-of day
	DueNow      = "due"      // within the recommended window
	DueOverdue  = "overdue"  // past the last day of the window
)

type dueSlot struct {
	product uint16
	number  uint8 // the dose number that is due
	day     Date  // the first day it is due
}

// dueEntry is a person's next-dose entry as dueOf computes it; the index
// keeps it in the compact form of a dueRec.
type dueEntry struct {
	person  PersonID
	place   string
	region  string
	product uint16
	number  uint8
	day     Date
}

// dueScope holds the people of one place or region by bucket, each bucket
// a list of person positions (the order a due list page walks).
type dueScope map[dueSlot][]uint32

// dueRec is a due person's entry in the index: 24 bytes, no pointers. The
// place and region are numbers in the index's code lists; pos is where
// the person stands in the place bucket and the region bucket (removal
// moves the bucket's last person there, as the lists' order requires).
type dueRec struct {
	day     Date      // the first day the dose is due
	place   uint32    // place number+1; 0: not due
	pos     [2]uint32 // position in the place bucket and the region bucket
	product uint16
	region  uint16 // region number
	number  uint8  // the dose number that is due
}

// dueIndex files the people due a dose. Their records are kept by person
// position in chunks of chunkSize, a chunk allocated when one of its
// people falls due and dropped when none of them is due any more (a
// nation that has completed its series holds no records).
type dueIndex struct {
	people *personTable // person positions to ids
	recs   [][]dueRec   // by person position in chunks; nil: none due
	inRecs []int32      // people due in each chunk
	n      int          // people due

	placeCodes  []string
	placeNum    map[string]uint32
	regionCodes []string
	regionNum   map[string]uint16
	places      map[string]dueScope
	regions     map[string]dueScope
}

func newDueIndex(people *personTable) *dueIndex {
	return &dueIndex{people: people, placeNum: map[string]uint32{}, regionNum: map[string]uint16{},
		places: map[string]dueScope{}, regions: map[string]dueScope{}}
}

// dueOf is p's next-dose entry from its doses, nil when no primary-series
// dose is pending (no dose, series complete, booster given, merged away).
func (s *State) dueOf(p *PersonState) *dueEntry {
	if p == nil || p.firstDose == 0 || p.Merged() {
		return nil
	}
	last := s.LastDose(p)
	if last.Complete() || last.Booster() {
		return nil
	}
	pr := s.products[last.LotOf(s).Product]
	if pr == nil || last.Number() >= pr.SeriesDoses || last.Number() < 1 {
		return nil
	}
	return &dueEntry{person: p.ID, place: last.Place(s), region: last.Region(), product: s.productIdx[pr.Code],
		number: uint8(last.Number() + 1), day: DateOf(last.At(s)).AddDays(max(pr.IntervalDays, 0))}
}

// trackDue is the hook of personChange: it files p under its next dose.
func (s *State) trackDue(p *PersonState) {
	if s.due == nil {
		s.due = newDueIndex(&s.people)
	}
	s.due.set(p.ID, s.dueOf(p))
}

// trackDueAt is trackDue for the person at position pos of the people
// table (the dose path knows it): no look-up by id.
func (s *State) trackDueAt(p *PersonState, pos uint32) {
	if s.due == nil {
		s.due = newDueIndex(&s.people)
	}
	s.due.setAt(pos, s.dueOf(p))
}

// set files the person id under e (nil: not due).
func (x *dueIndex) set(id PersonID, e *dueEntry) {
	pos, ok := x.people.find(id)
	if !ok {
		return
	}
	x.setAt(pos, e)
}

// setAt files the person at position pos under e (nil: not due).
func (x *dueIndex) setAt(pos uint32, e *dueEntry) {
	old := x.at(pos)
	if old != nil && e != nil && x.placeCodes[old.place-1] == e.place && x.regionCodes[old.region] == e.region &&
		old.product == e.product && old.number == e.number && old.day == e.day {
		return
	}
	if old != nil {
		x.remove(pos, old)
	}
	if e != nil {
		x.add(pos, e)
	}
}

// at returns the record of the person at pos, nil when not due.
func (x *dueIndex) at(pos uint32) *dueRec {
	c := int(pos >> chunkBits)
	if c >= len(x.recs) || x.recs[c] == nil {
		return nil
	}
	r := &x.recs[c][pos&(chunkSize-1)]
	if r.place == 0 {
		return nil
	}
	return r
}

// slot returns the record for pos, allocating its chunk if needed.
func (x *dueIndex) slot(pos uint32) *dueRec {
	c := int(pos >> chunkBits)
	for c >= len(x.recs) {
		x.recs = append(x.recs, nil)
		x.inRecs = append(x.inRecs, 0)
	}
	if x.recs[c] == nil {
		x.recs[c] = make([]dueRec, chunkSize)
	}
	return &x.recs[c][pos&(chunkSize-1)]
}

// placeCode returns the number of a place, adding a new one.
func (x *dueIndex) placeCode(place string) uint32 {
	pn, ok := x.placeNum[place]
	if !ok {
		pn = uint32(len(x.placeCodes))
		x.placeCodes = append(x.placeCodes, place)
		x.placeNum[place] = pn
	}
	return pn
}

// regionCode returns the number of a region, adding a new one.
func (x *dueIndex) regionCode(region string) uint16 {
	rn, ok := x.regionNum[region]
	if !ok {
		if len(x.regionCodes) > 1<<16-1 {
			panic("vaxtrace: more than 65,536 regions in the due index")
		}
		rn = uint16(len(x.regionCodes))
		x.regionCodes = append(x.regionCodes, region)
		x.regionNum[region] = rn
	}
	return rn
}

// scopes returns the place and region scopes of r, made if missing.
func (x *dueIndex) scopes(r *dueRec) [2]dueScope {
	code := x.placeCodes[r.place-1]
	pl := x.places[code]
	if pl == nil {
		pl = dueScope{}
		x.places[code] = pl
	}
	code = x.regionCodes[r.region]
	rg := x.regions[code]
	if rg == nil {
		rg = dueScope{}
		x.regions[code] = rg
	}
	return [2]dueScope{pl, rg}
}

func (x *dueIndex) add(pos uint32, e *dueEntry) {
	pn, rn := x.placeCode(e.place), x.regionCode(e.region)
	r := x.slot(pos)
	*r = dueRec{day: e.day, place: pn + 1, product: e.product, region: rn, number: e.number}
	k := dueSlot{e.product, e.number, e.day}
	for i, sc := range x.scopes(r) {
		r.pos[i] = uint32(len(sc[k]))
		sc[k] = append(sc[k], pos)
	}
	x.inRecs[pos>>chunkBits]++
	x.n++
}

func (x *dueIndex) remove(pos uint32, r *dueRec) {
	k := dueSlot{r.product, r.number, r.day}
	for i, sc := range x.scopes(r) {
		b := sc[k]
		last := b[len(b)-1]
		b[r.pos[i]] = last
		x.at(last).pos[i] = r.pos[i]
		b = b[:len(b)-1]
		if len(b) == 0 {
			delete(sc, k)
		} else {
			sc[k] = b
		}
	}
	*r = dueRec{}
	x.n--
	c := pos >> chunkBits
	if x.inRecs[c]--; x.inRecs[c] == 0 {
		x.recs[c] = nil
	}
}

// entry returns the person at pos's entry as DueOf and the lists give it.
func (x *dueIndex) entry(pos uint32, r *dueRec) dueEntry {
	return dueEntry{person: x.people.recs.at(pos).ID, place: x.placeCodes[r.place-1], region: x.regionCodes[r.region],
		product: r.product, number: r.number, day: r.day}
}

// DueFilter selects a due list. Place wins over Region; neither means the
// whole country.
type DueFilter struct {
	Place     string
	Region    string
	Product   string
	Component string
	AsOf      Date
	// Ahead includes people whose due day is at most this many days after
	// AsOf (upcoming); people already due and overdue are always included.
	Ahead int
	// From, when set, leaves out people whose due day is before it (the
	// overdue reminder asks only for recent ones).
	From   Date
	Offset int
	Limit  int
}

// DueCount is one line of the planning counts: people whose next dose is
// dose Number of Product (Component), by status on the as-of day.
type DueCount struct {
	Product   string `json:"product"`
	Component string `json:"component"`
	Number    int    `json:"dose_number"`
	Upcoming  int64  `json:"upcoming"`
	Due       int64  `json:"due"`
	Overdue   int64  `json:"overdue"`
}

// DuePerson is one person of a due list.
type DuePerson struct {
	Person    PersonID `json:"person"`
	Product   string   `json:"product"`
	Component string   `json:"component"`
	Number    int      `json:"dose_number"`
	DueFrom   Date     `json:"due_from"`   // the first day the dose is due
	WindowEnd Date     `json:"window_end"` // the last day of the recommended window
	Status    string   `json:"status"`     // upcoming, due or overdue on the as-of day
	Place     string   `json:"place"`      // where the last dose was given
	Region    string   `json:"region"`
}

// DueList is the answer of State.Due.
type DueList struct {
	Counts []DueCount  `json:"counts"`
	Total  int         `json:"total"` // people in the list (all pages)
	People []DuePerson `json:"people"`
}

// componentOf is the component the given dose number of p needs.
func componentOf(p *Product, number int) string {
	if len(p.Components) == 0 {
		return ""
	}
	if len(p.Components) > 1 && number >= 1 && number <= len(p.Components) {
		return p.Components[number-1].Code
	}
	return p.Components[0].Code
}

// Due answers a due list from the index: counts by product, component and
// dose number, and one page of people in due-day order.
func (s *State) Due(f DueFilter) DueList {
	out := DueList{Counts: []DueCount{}, People: []DuePerson{}}
	if s.due == nil {
		return out
	}
	var scopes []dueScope
	switch {
	case f.Place != "":
		scopes = append(scopes, s.due.places[f.Place])
	case f.Region != "":
		scopes = append(scopes, s.due.regions[f.Region])
	default:
		for _, sc := range s.due.regions {
			scopes = append(scopes, sc)
		}
	}
	limit := f.AsOf.AddDays(max(f.Ahead, 0))
	type slotRef struct {
		k dueSlot
		b []uint32
	}
	var slots []slotRef
	counts := map[[2]int]*DueCount{}
	for _, sc := range scopes {
		for k, b := range sc {
			if k.day > limit || (f.From != 0 && k.day < f.From) || int(k.product) >= len(s.productList) {
				continue
			}
			p := s.productList[k.product]
			comp := componentOf(p, int(k.number))
			if (f.Product != "" && p.Code != f.Product) || (f.Component != "" && comp != f.Component) {
				continue
			}
			slots = append(slots, slotRef{k, b})
			c := counts[[2]int{int(k.product), int(k.number)}]
			if c == nil {
				c = &DueCount{Product: p.Code, Component: comp, Number: int(k.number)}
				counts[[2]int{int(k.product), int(k.number)}] = c
			}
			switch dueStatus(k.day, WindowOf(p), f.AsOf) {
			case DueUpcoming:
				c.Upcoming += int64(len(b))
			case DueNow:
				c.Due += int64(len(b))
			default:
				c.Overdue += int64(len(b))
			}
			out.Total += len(b)
		}
	}
	for _, c := range counts {
		out.Counts = append(out.Counts, *c)
	}
	sort.Slice(out.Counts, func(i, j int) bool {
		a, b := out.Counts[i], out.Counts[j]
		if a.Product != b.Product {
			return a.Product < b.Product
		}
		return a.Number < b.Number
	})
	sort.Slice(slots, func(i, j int) bool {
		a, b := slots[i].k, slots[j].k
		if a.day != b.day {
			return a.day < b.day
		}
		if a.product != b.product {
			return a.product < b.product
		}
		return a.number < b.number
	})
	skip := max(f.Offset, 0)
	for _, sl := range slots {
		if f.Limit <= 0 || len(out.People) >= f.Limit {
			break
		}
		if skip >= len(sl.b) {
			skip -= len(sl.b)
			continue
		}
		p := s.productList[sl.k.product]
		w := WindowOf(p)
		comp := componentOf(p, int(sl.k.number))
		st := dueStatus(sl.k.day, w, f.AsOf)
		for _, pos := range sl.b[skip:] {
			if len(out.People) >= f.Limit {
				break
			}
			e := s.due.entry(pos, s.due.at(pos))
			out.People = append(out.People, DuePerson{Person: e.person, Product: p.Code, Component: comp, Number: int(e.number),
				DueFrom: e.day, WindowEnd: e.day.AddDays(w), Status: st, Place: e.place, Region: e.region})
		}
		skip = 0
	}
	return out
}

func dueStatus(day Date, window int, asOf Date) string {
	switch {
	case day > asOf:
		return DueUpcoming
	case day.AddDays(window) >= asOf:
		return DueNow
	}
	return DueOverdue
}

// DueOf returns the next dose a person is due, if any (what the reminders
// check before sending: nothing is sent once the dose is recorded).
func (s *State) DueOf(id PersonID) (DuePerson, bool) {
	if s.due == nil {
		return DuePerson{}, false
	}
	pos, ok := s.people.find(id)
	if !ok {
		return DuePerson{}, false
	}
	r := s.due.at(pos)
	if r == nil || int(r.product) >= len(s.productList) {
		return DuePerson{}, false
	}
	e := s.due.entry(pos, r)
	p := s.productList[e.product]
	w := WindowOf(p)
	return DuePerson{Person: e.person, Product: p.Code, Component: componentOf(p, int(e.number)), Number: int(e.number),
		DueFrom: e.day, WindowEnd: e.day.AddDays(w), Place: e.place, Region: e.region}, true
}

// DueByDay returns, for region ("" all), how many people are due dose
// number of product on each due day (the planner's reserve is a sum of it).
func (s *State) DueByDay(region, product string, number int) map[Date]int64 {
	out := map[Date]int64{}
	if s.due == nil {
		return out
	}
	pi, ok := s.productIdx[product]
	if !ok {
		return out
	}
	for code, sc := range s.due.regions {
		if region != "" && code != region {
			continue
		}
		for k, b := range sc {
			if k.product == pi && int(k.number) == number {
				out[k.day] += int64(len(b))
			}
		}
	}
	return out
}
