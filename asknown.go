package vaxtrace

import "sort"

// Reporting truth over time. Every dose and stock movement carries the day it
// occurred and the day the system learned it (the event's recording time).
// "As of D as known at K" counts what occurred on or before D among what was
// recorded on or before K; "as published on D" is as of D known at D.

// StockPositionKnown is StockPosition as known at the end of day known.
func (s *State) StockPositionKnown(region string, asOf, known Date) []StockLine {
	type key struct{ region, product, component string }
	acc := map[key]*StockLine{}
	for k, v := range s.Flows.byKnown {
		ck := k.cell.key
		if k.occurred > asOf || k.known > known || (region != "" && ck.region != region) {
			continue
		}
		kk := key{ck.region, ck.product, ck.component}
		ln := acc[kk]
		if ln == nil {
			ln = &StockLine{Region: ck.region, Product: ck.product, Component: ck.component}
			acc[kk] = ln
		}
		ln.add(int(k.kind), v)
	}
	out := make([]StockLine, 0, len(acc))
	for _, ln := range acc {
		out = append(out, *ln)
	}
	sortLines(out)
	return out
}

// fenwick is a binary indexed tree over days.
type fenwick []int64

func (f fenwick) add(i int, v int64) {
	for i++; i < len(f); i += i & -i {
		f[i] += v
	}
}

func (f fenwick) sum(i int) int64 { // sum of [0, i]
	var s int64
	for i++; i > 0; i -= i & -i {
		s += f[i]
	}
	return s
}

// KnownSeries returns, for each day D in from..to, the cumulative count of
// measure m (region "" = national) that occurred on or before D, as known at
// the end of known(D). With known(D) = D it is what a daily publication on
// each day showed ("as published"); with known(D) = a fixed day it is the
// series as known then (e.g. today). One pass: O(entries · log days).
func (s *State) KnownSeries(region string, m int, from, to Date, known func(D Date) Date) []int64 {
	out := make([]int64, max(int(to-from)+1, 0))
	if len(out) == 0 {
		return out
	}
	var ri uint16 = 0xffff
	if region != "" {
		idx, ok := s.regionIdx[region]
		if !ok {
			return out
		}
		ri = idx
	}
	type ent struct {
		occ, known Date
		v          int64
	}
	var ents []ent
	lo, hi := to, from
	for k, v := range s.Cov.known {
		if int(k.measure) != m || (ri != 0xffff && k.region != ri) || k.occurred > to {
			continue
		}
		ents = append(ents, ent{k.occurred, k.known, v})
		lo = min(lo, k.occurred)
		hi = max(hi, k.occurred)
	}
	if len(ents) == 0 {
		return out
	}
	sort.Slice(ents, func(i, j int) bool { return ents[i].known < ents[j].known })
	base := min(lo, from)
	fw := make(fenwick, int(max(hi, to)-base)+2)
	next := 0
	for d := from; d <= to; d++ {
		k := known(d)
		for next < len(ents) && ents[next].known <= k {
			fw.add(int(ents[next].occ-base), ents[next].v)
			next++
		}
		if next < len(ents) && known(d+1) < k {
			// known days must not decrease; fall back to a direct sum
			out[d-from] = s.KnownCumulative(region, m, d, k)
			continue
		}
		out[d-from] = fw.sum(int(d - base))
	}
	return out
}

// LateBucket labels of the lateness distribution (days between occurrence and recording).
var LateBuckets = []string{"same day", "1 day", "2 days", "3 days", "4-7 days", "8-14 days", "15-30 days", "31+ days"}

func lateBucket(days int) int {
	switch {
	case days <= 0:
		return 0
	case days <= 3:
		return days
	case days <= 7:
		return 4
	case days <= 14:
		return 5
	case days <= 30:
		return 6
	}
	return 7
}

// LatePlace summarises late records of one vaccination point.
type LatePlace struct {
	Place   string  `json:"place"`
	Region  string  `json:"region"`
	Records int64   `json:"records"`
	Late    int64   `json:"late"` // recorded on a later day than they occurred
	Buckets []int64 `json:"buckets"`
}

// LateReport is the late-record report for a period of occurrence days.
type LateReport struct {
	From, To  Date        `json:"-"`
	Records   int64       `json:"records"`
	Late      int64       `json:"late"`
	Buckets   []string    `json:"bucket_labels"`
	Histogram []int64     `json:"histogram"`
	Places    []LatePlace `json:"places"` // most late first
	// Revisions: for each day, the published figure (as known that day) and
	// the figure as known now, for doses administered.
	Revisions []Revision `json:"revisions"`
}

// Revision compares a day's published figure with what is known now.
type Revision struct {
	Day       Date  `json:"day"`
	Published int64 `json:"published"`
	KnownNow  int64 `json:"known_now"`
	Change    int64 `json:"change"`
}

// LateRecords reports, for doses that occurred in from..to: how many arrived
// late, from which points, how late, and how much each day's published
// cumulative dose count has changed since.
func (s *State) LateRecords(region string, from, to Date) LateReport {
	r := LateReport{From: from, To: to, Buckets: LateBuckets, Histogram: make([]int64, len(LateBuckets))}
	by := map[string]*LatePlace{}
	for d := range s.doses.recs.all() {
		if d.Voided() {
			continue
		}
		occ := DateOf(d.At(s))
		if occ < from || occ > to || (region != "" && d.Region() != region) {
			continue
		}
		lp := by[d.Place(s)]
		if lp == nil {
			lp = &LatePlace{Place: d.Place(s), Region: d.Region(), Buckets: make([]int64, len(LateBuckets))}
			by[d.Place(s)] = lp
		}
		late := int(DateOf(d.Recorded()) - occ)
		b := lateBucket(late)
		lp.Records++
		lp.Buckets[b]++
		r.Records++
		r.Histogram[b]++
		if late > 0 {
			lp.Late++
			r.Late++
		}
	}
	for _, lp := range by {
		r.Places = append(r.Places, *lp)
	}
	sort.Slice(r.Places, func(i, j int) bool {
		if r.Places[i].Late != r.Places[j].Late {
			return r.Places[i].Late > r.Places[j].Late
		}
		return r.Places[i].Place < r.Places[j].Place
	})
	far := Date(1 << 30)
	var pub, now []int64
	for m := MDose1; m <= MBooster; m++ {
		p := s.KnownSeries(region, m, from, to, func(d Date) Date { return d })
		n := s.KnownSeries(region, m, from, to, func(Date) Date { return far })
		if pub == nil {
			pub, now = p, n
			continue
		}
		for i := range p {
			pub[i] += p[i]
			now[i] += n[i]
		}
	}
	for i := range pub {
		r.Revisions = append(r.Revisions, Revision{Day: from + Date(i), Published: pub[i], KnownNow: now[i], Change: now[i] - pub[i]})
	}
	return r
}

// TallyEstimate is the combined best estimate of doses given at a point on a
// day: person-level records plus the part of the tally they do not cover yet.
func (s *State) TallyEstimate(region string, to Date) (personLevel, tallyGap int64) {
	for _, t := range s.Tallies(region, to) {
		tallyGap += t.Gap
	}
	for m := MDose1; m <= MBooster; m++ {
		personLevel += s.Cumulative(region, m, to)
	}
	return personLevel, tallyGap
}
