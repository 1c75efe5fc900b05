package vaxtrace

// Coverage measures. Doses measures count doses; people measures count people
// on the day they reached the state.
const (
	MDose1    = iota // first doses given (= people with at least one dose)
	MDose2           // second primary-series doses
	MDoseMore        // third and later primary-series doses
	MBooster         // booster doses (any dose after a completed series)
	MFull            // people completing the primary series
	MBoosted         // people receiving their first booster
	NumMeasures
)

// MeasureNames names the measures for reports.
var MeasureNames = [NumMeasures]string{"dose1", "dose2", "dose_more", "booster", "people_full", "people_boosted"}

// AgeBands used in reports and targets.
var AgeBands = []string{"0-17", "18-29", "30-39", "40-49", "50-59", "60-69", "70-79", "80+"}

func validAgeBand(g string) bool {
	for _, b := range AgeBands {
		if b == g {
			return true
		}
	}
	return g == "60+" || g == "18+"
}

func ageBand(birth, at Date) uint8 {
	y1, m1, d1 := birth.Time().Date()
	y2, m2, d2 := at.Time().Date()
	age := y2 - y1
	if m2 < m1 || (m2 == m1 && d2 < d1) {
		age--
	}
	switch {
	case age < 18:
		return 0
	case age >= 80:
		return 7
	case age < 30:
		return 1
	default:
		return uint8(1 + (age-20)/10)
	}
}

// CovEpoch is the first day the dense coverage series cover.
var CovEpoch = MkDate(2020, 1, 1)

// NumGroups is the number of priority-group slots (index 0 = none).
var NumGroups = len(PriorityGroups) + 1

// Coverage holds counters maintained at write time, so that reports never
// scan doses. Series are dense per day from CovEpoch.
type Coverage struct {
	// byProduct[region][product][measure][day]
	byProduct [][][NumMeasures][]int64
	// byAge[region][measure][ageBand][day]
	byAge [][NumMeasures][8][]int64
	// byGroup[region][measure][group][day]
	byGroup [][NumMeasures][][]int64
	// bySex[region][measure][sex] totals
	bySex [][NumMeasures][3]int64
	// known[region][measure] sparse (occurred day, known day) deltas
	known map[knownKey]int64
	// pointDay counts person-level doses by point, day, product and dose number (tallies)
	pointDay map[pointDayKey]int64
	maxDay   Date
}

type knownKey struct {
	region   uint16
	measure  uint8
	occurred Date
	known    Date
}

type pointDayKey struct {
	place   *PlaceState
	day     Date
	product uint16
	number  int32
}

func newCoverage() *Coverage {
	return &Coverage{known: map[knownKey]int64{}, pointDay: map[pointDayKey]int64{}}
}

type contrib struct {
	region  uint16
	product uint16
	measure uint8
	age     uint8
	sex     uint8
	group   uint8
	day     Date
	place   *PlaceState
	number  int
}

func grow(s []int64, i int) []int64 {
	if i < len(s) {
		return s
	}
	n := max(i+1, 2*len(s), 512)
	out := make([]int64, n)
	copy(out, s)
	return out
}

func (c *Coverage) ensure(region, product int) {
	for len(c.byProduct) <= region {
		c.byProduct = append(c.byProduct, nil)
		c.byAge = append(c.byAge, [NumMeasures][8][]int64{})
		c.byGroup = append(c.byGroup, [NumMeasures][][]int64{})
		c.bySex = append(c.bySex, [NumMeasures][3]int64{})
	}
	for len(c.byProduct[region]) <= product {
		c.byProduct[region] = append(c.byProduct[region], [NumMeasures][]int64{})
	}
	for m := 0; m < NumMeasures; m++ {
		if c.byGroup[region][m] == nil {
			c.byGroup[region][m] = make([][]int64, NumGroups)
		}
	}
}

func (c *Coverage) add(x contrib, sign int64, known Date) {
	day := int(x.day - CovEpoch)
	if day < 0 {
		day = 0
	}
	r, p, m := int(x.region), int(x.product), int(x.measure)
	c.ensure(r, p)
	s := grow(c.byProduct[r][p][m], day)
	s[day] += sign
	c.byProduct[r][p][m] = s
	a := grow(c.byAge[r][m][x.age], day)
	a[day] += sign
	c.byAge[r][m][x.age] = a
	g := grow(c.byGroup[r][m][x.group], day)
	g[day] += sign
	c.byGroup[r][m][x.group] = g
	c.bySex[r][m][x.sex] += sign
	k := knownKey{region: x.region, measure: x.measure, occurred: x.day, known: known}
	if v := c.known[k] + sign; v == 0 {
		delete(c.known, k)
	} else {
		c.known[k] = v
	}
	if x.measure <= MBooster {
		pk := pointDayKey{place: x.place, day: x.day, product: x.product, number: int32(x.number)}
		if v := c.pointDay[pk] + sign; v == 0 {
			delete(c.pointDay, pk)
		} else {
			c.pointDay[pk] = v
		}
	}
	if x.day > c.maxDay {
		c.maxDay = x.day
	}
}

func sexIdx(s string) uint8 {
	switch s {
	case SexMale:
		return 0
	case SexFemale:
		return 1
	}
	return 2
}

func groupIdx(g string) uint8 {
	for i, x := range PriorityGroups {
		if x == g {
			return uint8(i + 1)
		}
	}
	return 0
}

// contribs lists what a person currently contributes to the counters.
func (s *State) contribs(p *PersonState, out []contrib) []contrib {
	boosted := false
	for d := s.FirstDose(p); d != nil; d = s.nextDose(d) {
		if !s.campaignDose(d) {
			continue
		}
		out = s.doseContribs(p, d, boosted, out)
		boosted = boosted || d.Booster()
	}
	return out
}

// doseContribs appends what dose d of p contributes to the counters;
// boosted says an earlier campaign dose of p was a booster already.
func (s *State) doseContribs(p *PersonState, d *DoseState, boosted bool, out []contrib) []contrib {
	day := DateOf(d.At(s))
	base := contrib{
		region:  s.regionIdx[d.Region()],
		product: s.productIdx[d.LotOf(s).Product],
		age:     ageBand(p.BirthDate, day),
		sex:     sexIdx(p.Sex()),
		group:   groupIdx(p.Group()),
		day:     day,
		place:   d.PlaceOf(s),
		number:  d.Number(),
	}
	x := base
	switch {
	case d.Booster():
		x.measure = MBooster
	case d.Number() == 1:
		x.measure = MDose1
	case d.Number() == 2:
		x.measure = MDose2
	default:
		x.measure = MDoseMore
	}
	out = append(out, x)
	if d.Complete() {
		y := base
		y.measure = MFull
		out = append(out, y)
	}
	if d.Booster() && !boosted {
		y := base
		y.measure = MBoosted
		out = append(out, y)
	}
	return out
}

// CampaignDisease is the disease whose coverage the counters track; doses of
// other diseases (routine vaccines imported through FHIR) are kept and
// validated but not counted in campaign coverage.
const CampaignDisease = "COVID-19"

func (s *State) campaignDose(d *DoseState) bool {
	dis := s.products[d.LotOf(s).Product].Disease
	return dis == "" || dis == CampaignDisease
}

// personChange removes p's contribution, runs change, renumbers p's doses and
// adds the new contribution, all at known day `known`.
func (c *Coverage) personChange(s *State, p *PersonState, known Date, change func()) {
	var buf, buf2 [8]contrib
	old := s.contribs(p, buf[:0])
	change()
	s.renumber(p)
	s.trackDue(p) // the due lists (due.go)
	now := s.contribs(p, buf2[:0])
	// only the difference touches the counters (a second dose leaves the
	// first dose's contribution as it was)
	for i := 0; i < len(old); i++ {
		for j := 0; j < len(now); j++ {
			if old[i] == now[j] {
				old = append(old[:i], old[i+1:]...)
				now = append(now[:j], now[j+1:]...)
				i--
				break
			}
		}
	}
	for _, x := range old {
		c.add(x, -1, known)
	}
	for _, x := range now {
		c.add(x, 1, known)
	}
}

// coverageAppendFast turns on personAppend's fast path (tests turn it off
// to compare it with the general path).
var coverageAppendFast = true

// personAppend links d, the record at position pos of the dose table, into
// p's doses (p is at position pp of the people table) and updates the counters and the due list: personChange with
// linkLastAt as the change. When d comes after p's last dose (the common
// case: doses arrive in time order) the earlier doses keep their numbers
// and flags (the rules number each dose from the doses before it), so the
// difference personChange would find is d's own contribution: it is added
// without listing p's contribution before and after.
func (c *Coverage) personAppend(s *State, p *PersonState, pp uint32, d *DoseState, pos uint32, known Date) {
	var last *DoseState
	boosted := false
	for x := s.FirstDose(p); x != nil; x = s.nextDose(x) {
		last = x
		boosted = boosted || (x.Booster() && s.campaignDose(x))
	}
	if !coverageAppendFast || (last != nil && s.compareDoses(last, d) >= 0) {
		c.personChange(s, p, known, func() { s.linkLastAt(p, d, pos) })
		return
	}
	d.nextDose = 0
	if last != nil {
		last.nextDose = pos + 1
	} else {
		p.firstDose = pos + 1
	}
	s.renumber(p)
	s.trackDueAt(p, pp)
	if !s.campaignDose(d) {
		return
	}
	var buf [3]contrib
	for _, x := range s.doseContribs(p, d, boosted, buf[:0]) {
		c.add(x, 1, known)
	}
}

// Series is a daily series of one measure.
type Series struct {
	From   Date    `json:"from"`
	Values []int64 `json:"values"` // per day from From
}

// Daily returns the per-day counts of measure m in region ("" = national),
// optionally one product, from..to inclusive.
func (s *State) Daily(region, product string, m int, from, to Date) []int64 {
	out := make([]int64, max(int(to-from)+1, 0))
	c := s.Cov
	for ri := range c.byProduct {
		if region != "" && s.regionList[ri].Code != region {
			continue
		}
		for pi := range c.byProduct[ri] {
			if product != "" && s.productList[pi].Code != product {
				continue
			}
			addRange(out, c.byProduct[ri][pi][m], from, to)
		}
	}
	return out
}

func addRange(out []int64, series []int64, from, to Date) {
	for d := from; d <= to; d++ {
		i := int(d - CovEpoch)
		if i >= 0 && i < len(series) {
			out[d-from] += series[i]
		}
	}
}

// Cumulative returns the cumulative total of measure m up to and including day
// `to` in region ("" = national).
func (s *State) Cumulative(region string, m int, to Date) int64 {
	var total int64
	c := s.Cov
	end := int(to - CovEpoch)
	for ri := range c.byProduct {
		if region != "" && s.regionList[ri].Code != region {
			continue
		}
		for pi := range c.byProduct[ri] {
			ser := c.byProduct[ri][pi][m]
			for i := 0; i <= end && i < len(ser); i++ {
				total += ser[i]
			}
		}
	}
	return total
}

// CumulativeGroup returns the cumulative count of measure m for a group
// ("adults", an age band like "60+"/"18-29", or a priority group).
func (s *State) CumulativeGroup(region string, m int, group string, to Date) int64 {
	if group == "" {
		return s.Cumulative(region, m, to)
	}
	c := s.Cov
	end := int(to - CovEpoch)
	var total int64
	sum := func(ser []int64) {
		for i := 0; i <= end && i < len(ser); i++ {
			total += ser[i]
		}
	}
	for ri := range c.byAge {
		if region != "" && s.regionList[ri].Code != region {
			continue
		}
		switch {
		case group == "adults" || group == "18+":
			for b := 1; b < 8; b++ {
				sum(c.byAge[ri][m][b])
			}
		case group == "60+":
			for b := 5; b < 8; b++ {
				sum(c.byAge[ri][m][b])
			}
		case validAgeBand(group):
			for b, name := range AgeBands {
				if name == group {
					sum(c.byAge[ri][m][b])
				}
			}
		default:
			if g := groupIdx(group); g > 0 && c.byGroup[ri][m] != nil {
				sum(c.byGroup[ri][m][g])
			}
		}
	}
	return total
}

// KnownCumulative returns the cumulative count of measure m that occurred on
// or before `occurred`, as known at the end of day `known`.
func (s *State) KnownCumulative(region string, m int, occurred, known Date) int64 {
	var ri uint16 = 0xffff
	if region != "" {
		idx, ok := s.regionIdx[region]
		if !ok {
			return 0
		}
		ri = idx
	}
	var total int64
	for k, v := range s.Cov.known {
		if int(k.measure) != m || k.occurred > occurred || k.known > known {
			continue
		}
		if ri != 0xffff && k.region != ri {
			continue
		}
		total += v
	}
	return total
}

// BySex returns totals of measure m by sex (M, F, U) in region ("" national).
func (s *State) BySex(region string, m int) [3]int64 {
	var out [3]int64
	for ri := range s.Cov.bySex {
		if region != "" && s.regionList[ri].Code != region {
			continue
		}
		for i := 0; i < 3; i++ {
			out[i] += s.Cov.bySex[ri][m][i]
		}
	}
	return out
}

// ByAge returns totals of measure m by age band up to day `to`.
func (s *State) ByAge(region string, m int, to Date) []int64 {
	out := make([]int64, len(AgeBands))
	end := int(to - CovEpoch)
	for ri := range s.Cov.byAge {
		if region != "" && s.regionList[ri].Code != region {
			continue
		}
		for b := range AgeBands {
			ser := s.Cov.byAge[ri][m][b]
			for i := 0; i <= end && i < len(ser); i++ {
				out[b] += ser[i]
			}
		}
	}
	return out
}

// LastDay is the latest day with any dose.
func (s *State) LastDay() Date { return s.Cov.maxDay }
