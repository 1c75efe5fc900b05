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

type dueEntry struct {
	person  PersonID
	place   string
	region  string
	product uint16
	number  uint8
	day     Date
	pos     [2]int32 // position in the place bucket and the region bucket
}

type dueScope map[dueSlot][]*dueEntry

type dueIndex struct {
	byPerson map[PersonID]*dueEntry
	places   map[string]dueScope
	regions  map[string]dueScope
}

func newDueIndex() *dueIndex {
	return &dueIndex{byPerson: map[PersonID]*dueEntry{}, places: map[string]dueScope{}, regions: map[string]dueScope{}}
}

// dueOf is p's next-dose entry from its doses, nil when no primary-series
// dose is pending (no dose, series complete, booster given, merged away).
func (s *State) dueOf(p *PersonState) *dueEntry {
	if p == nil || p.firstDose == 0 || p.MergedInto != nil {
		return nil
	}
	last := s.LastDose(p)
	if last.Complete() || last.Booster() || last.lot == nil || last.place == nil {
		return nil
	}
	pr := s.products[last.lot.Product]
	if pr == nil || last.Number() >= pr.SeriesDoses || last.Number() < 1 {
		return nil
	}
	return &dueEntry{person: p.ID, place: last.place.ID, region: last.Region(), product: s.productIdx[pr.Code],
		number: uint8(last.Number() + 1), day: DateOf(last.At()).AddDays(max(pr.IntervalDays, 0))}
}

// trackDue is the hook of personChange: it files p under its next dose.
func (s *State) trackDue(p *PersonState) {
	if s.due == nil {
		s.due = newDueIndex()
	}
	s.due.set(p.ID, s.dueOf(p))
}

// trackDueFirst is trackDue for a person who had no valid dose before the
// one just linked, so no entry yet (an entry exists only while a dose is
// pending): nothing to look up or take out.
func (s *State) trackDueFirst(p *PersonState) {
	if s.due == nil {
		s.due = newDueIndex()
	}
	if e := s.dueOf(p); e != nil {
		s.due.add(e)
		s.due.byPerson[p.ID] = e
	}
}

func (x *dueIndex) set(id PersonID, e *dueEntry) {
	old := x.byPerson[id]
	if old != nil && e != nil && old.place == e.place && old.region == e.region && old.product == e.product && old.number == e.number && old.day == e.day {
		return
	}
	if old != nil {
		x.remove(old)
		delete(x.byPerson, id)
	}
	if e != nil {
		x.add(e)
		x.byPerson[id] = e
	}
}

func (x *dueIndex) scopes(e *dueEntry) [2]dueScope {
	pl := x.places[e.place]
	if pl == nil {
		pl = dueScope{}
		x.places[e.place] = pl
	}
	rg := x.regions[e.region]
	if rg == nil {
		rg = dueScope{}
		x.regions[e.region] = rg
	}
	return [2]dueScope{pl, rg}
}

func (x *dueIndex) add(e *dueEntry) {
	k := dueSlot{e.product, e.number, e.day}
	for i, sc := range x.scopes(e) {
		e.pos[i] = int32(len(sc[k]))
		sc[k] = append(sc[k], e)
	}
}

func (x *dueIndex) remove(e *dueEntry) {
	k := dueSlot{e.product, e.number, e.day}
	for i, sc := range x.scopes(e) {
		b := sc[k]
		last := b[len(b)-1]
		b[e.pos[i]] = last
		last.pos[i] = e.pos[i]
		b = b[:len(b)-1]
		if len(b) == 0 {
			delete(sc, k)
		} else {
			sc[k] = b
		}
	}
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
		b []*dueEntry
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
		for _, e := range sl.b[skip:] {
			if len(out.People) >= f.Limit {
				break
			}
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
	e := s.due.byPerson[id]
	if e == nil || int(e.product) >= len(s.productList) {
		return DuePerson{}, false
	}
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
