package plan

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
)

// AllocOptions tunes Propose. The zero value is usable.
type AllocOptions struct {
	Uptake           UptakeModel
	SupplyPeriodDays int     // period the allocation must last; default 30
	LeadTimeDays     int     // national warehouse to region; default 3
	MinFactor        float64 // safety stock as a share of the period need; default 0.25 (WHO)
	// DueWithinDays: second doses falling due within this many days are
	// reserved; default SupplyPeriodDays + LeadTimeDays.
	DueWithinDays int
}

// Purposes of proposal lines.
const (
	PurposeSecondDoses = "second-dose reserve"
	PurposeMinMax      = "min/max"
)

// ProposalLine sends Doses of one lot (Lot "" = stock without lot data) to
// a region.
type ProposalLine struct {
	Region      string
	Product     string
	Component   string
	Lot         string
	Doses       int
	Purpose     string
	Explanation string    // Why in English, in one string
	Why         []Message // the explanation part by part (for translation)
}

// PointLine splits a region's line to one of its vaccination points.
type PointLine struct {
	Region, Point      string
	Product, Component string
	Lot                string
	Doses              int
}

// RegionNeed is the WHO min/max computation for one region.
type RegionNeed struct {
	Region    string
	Q         int // forecast first-dose and booster need over the supply period
	Min, Max  int // 0.25·Q and Q + Min
	Stock     int // first-dose stock usable for new doses (net of its second-dose reserve)
	Priority  bool
	SecondDue map[string]int // second doses due within DueWithinDays, by product
	DailyRate float64
	Allocated int // first-dose/booster doses allocated
	Unfilled  int // doses the region could take but no usable lot was left
}

// Proposal is an allocation of national stock to regions.
type Proposal struct {
	AsOf        Day
	Lines       []ProposalLine
	Points      []PointLine
	Needs       []RegionNeed
	Unallocated map[string]int // available doses left at the national warehouse, by key
}

type lotSlot struct {
	id   string
	key  string
	prod string
	comp string
	exp  Day
	left int
}

// Defaults of AllocOptions: second doses falling due within
// DefaultSupplyPeriodDays + DefaultLeadTimeDays are reserved.
const (
	DefaultSupplyPeriodDays = 30
	DefaultLeadTimeDays     = 3
)

// Propose splits the available national stock (by key) across regions.
//
// First, second-dose components: each region gets enough of a two-dose
// product's second-dose component for its people whose second dose falls
// due within DueWithinDays, minus what it holds. When stock is short the
// reserve is shared in proportion to the regions' needs. Then first-dose
// stock (all products' first-dose keys, what is left of a single-component
// product after the reserve) is split by the WHO min/max method: Q is the
// forecast first-dose plus booster consumption over the supply period (the
// Forecast uptake model, capped by remaining eligible people), min = 0.25·Q,
// max = Q + min. Regions below min are brought to min first; then every
// region is brought towards max in proportion to its remaining need.
//
// Lots are picked first-expiry-first-out, and a lot is sent to a region
// only for as many doses as the region can use before the lot expires at
// its consumption rate, after the lead time and after the stock it already
// holds. Region allocations are split to vaccination points in proportion
// to their need (RecentDaily over the period, less their stock).
func Propose(s State, available map[string]int, opts AllocOptions) (Proposal, error) {
	if opts.SupplyPeriodDays == 0 {
		opts.SupplyPeriodDays = DefaultSupplyPeriodDays
	}
	if opts.LeadTimeDays == 0 {
		opts.LeadTimeDays = DefaultLeadTimeDays
	}
	if opts.MinFactor == 0 {
		opts.MinFactor = 0.25
	}
	switch {
	case opts.SupplyPeriodDays < 1 || opts.SupplyPeriodDays > MaxHorizon:
		return Proposal{}, inputErr("options.supplyPeriodDays", "%d out of range 1..%d", opts.SupplyPeriodDays, MaxHorizon)
	case opts.LeadTimeDays < 0 || opts.LeadTimeDays > 90:
		return Proposal{}, inputErr("options.leadTimeDays", "%d out of range 0..90", opts.LeadTimeDays)
	case opts.MinFactor < 0 || opts.MinFactor > 1 || math.IsNaN(opts.MinFactor):
		return Proposal{}, inputErr("options.minFactor", "%v out of range 0..1", opts.MinFactor)
	case opts.DueWithinDays < 0 || opts.DueWithinDays > MaxHorizon:
		return Proposal{}, inputErr("options.dueWithinDays", "%d out of range 0..%d", opts.DueWithinDays, MaxHorizon)
	}
	if opts.DueWithinDays == 0 {
		opts.DueWithinDays = opts.SupplyPeriodDays + opts.LeadTimeDays
	}
	if err := s.Validate(); err != nil {
		return Proposal{}, fmt.Errorf("propose: %w", err)
	}
	if err := checkAvailable(&s, available); err != nil {
		return Proposal{}, fmt.Errorf("propose: %w", err)
	}
	P := opts.SupplyPeriodDays
	lead := Day(opts.LeadTimeDays)
	prop := Proposal{AsOf: s.AsOf, Unallocated: map[string]int{}}
	// National lots, FEFO, limited to the available quantity per key.
	slots := map[string][]*lotSlot{}
	{
		idx := make([]int, 0, len(s.Lots))
		for i, l := range s.Lots {
			if l.Region == "" {
				idx = append(idx, i)
			}
		}
		sort.SliceStable(idx, func(a, b int) bool { return s.Lots[idx[a]].Expiry < s.Lots[idx[b]].Expiry })
		left := map[string]int{}
		for k, v := range available {
			left[k] = v
		}
		for _, i := range idx {
			l := s.Lots[i]
			n := min(l.OnHand, left[l.Key()])
			if n > 0 {
				slots[l.Key()] = append(slots[l.Key()], &lotSlot{id: l.ID, key: l.Key(), prod: l.Product, comp: l.Component, exp: l.Expiry, left: n})
				left[l.Key()] -= n
			}
		}
		keys := make([]string, 0, len(left))
		for k := range left {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if left[k] > 0 {
				p, c := splitKey(&s, k)
				slots[k] = append(slots[k], &lotSlot{key: k, prod: p, comp: c, exp: NoExpiry, left: left[k]})
			}
		}
	}
	R := len(s.Regions)
	needs := make([]RegionNeed, R)
	proj := make([]float64, 0, P)
	for r, rs := range s.Regions {
		nd := RegionNeed{Region: rs.Code, SecondDue: map[string]int{}}
		lim := rs.Eligible
		if lim == 0 {
			lim = rs.Population
		}
		q := 0.0
		proj = opts.Uptake.Project(rs.DailyFirst, P, proj)
		for _, v := range proj {
			q += v
		}
		if lim > 0 {
			q = math.Min(q, float64(max(0, lim-rs.PeopleFirst)))
		}
		proj = opts.Uptake.Project(rs.DailyBooster, P, proj)
		qb := 0.0
		for _, v := range proj {
			qb += v
		}
		q += math.Min(qb, float64(max(0, rs.PeopleFull-rs.PeopleBooster)))
		nd.Q = int(math.Round(q))
		nd.Min = int(math.Round(opts.MinFactor * q))
		nd.Max = nd.Q + nd.Min
		nd.DailyRate = q / float64(P)
		for _, c := range rs.Waiting {
			p, _ := s.product(c.Product)
			if c.FirstDose+Day(p.IntervalDays) <= s.AsOf+Day(opts.DueWithinDays) {
				nd.SecondDue[c.Product] += c.People
			}
		}
		needs[r] = nd
	}
	// Phase A: second-dose reserve.
	ownAfterReserve := make([]map[string]int, R) // own stock per key net of second doses due
	for r, rs := range s.Regions {
		ownAfterReserve[r] = map[string]int{}
		for k, v := range rs.OnHand {
			ownAfterReserve[r][k] = v
		}
	}
	for _, p := range s.Products {
		if p.Doses < 2 {
			continue
		}
		k2 := p.SecondKey()
		claims := make([]int, R)
		for r, rs := range s.Regions {
			due := needs[r].SecondDue[p.Code]
			have := rs.OnHand[k2]
			claims[r] = max(0, due-have)
			ownAfterReserve[r][k2] = max(0, have-due)
		}
		total := 0
		for _, sl := range slots[k2] {
			total += sl.left
		}
		share := make([]int, R)
		apportionInts(claims, total, share)
		for r, rs := range s.Regions {
			due := needs[r].SecondDue[p.Code]
			if due == 0 {
				continue
			}
			have := rs.OnHand[k2]
			rate := math.Max(float64(due)/float64(opts.DueWithinDays), 1)
			sent, unusable := pickLots(slots[k2], share[r], have, rate, s.AsOf+lead)
			why := []Message{Explain("%s: %s second doses of %s due by %s, has %s of %s", rs.Code, N(due), p.Code, s.AsOf+Day(opts.DueWithinDays), N(have), k2)}
			switch {
			case claims[r] == 0:
				why = append(why, Explain("no reserve needed"))
			case share[r] < claims[r]:
				why = append(why, Explain("needs %s, national stock short: gets %s (pro rata)", N(claims[r]), N(share[r])))
			default:
				why = append(why, Explain("reserve %s", N(claims[r])))
			}
			if unusable > 0 {
				why = append(why, Explain("%s not sent: no lot usable before expiry", N(unusable)))
			}
			for _, ln := range sent {
				ln.Region, ln.Purpose, ln.Explanation, ln.Why = rs.Code, PurposeSecondDoses, JoinText(why, " → "), why
				prop.Lines = append(prop.Lines, ln)
			}
		}
	}
	// Phase B: first-dose stock by min/max.
	var firstKeys []string
	seen := map[string]bool{}
	for _, p := range s.Products {
		if k := p.FirstKey(); !seen[k] {
			seen[k] = true
			firstKeys = append(firstKeys, k)
		}
	}
	var pool []*lotSlot
	totalFirst := 0
	for _, k := range firstKeys {
		for _, sl := range slots[k] {
			if sl.left > 0 {
				pool = append(pool, sl)
				totalFirst += sl.left
			}
		}
	}
	sort.SliceStable(pool, func(i, j int) bool { return pool[i].exp < pool[j].exp })
	for r := range needs {
		for _, k := range firstKeys {
			needs[r].Stock += ownAfterReserve[r][k]
		}
		needs[r].Priority = needs[r].Stock < needs[r].Min
	}
	stage1 := make([]int, R)
	claims := make([]int, R)
	for r, nd := range needs {
		if nd.Priority {
			claims[r] = nd.Min - nd.Stock
		}
	}
	apportionInts(claims, totalFirst, stage1)
	left := totalFirst
	for _, v := range stage1 {
		left -= v
	}
	stage2 := make([]int, R)
	for r, nd := range needs {
		claims[r] = max(0, nd.Max-nd.Stock-stage1[r])
	}
	apportionInts(claims, left, stage2)
	order := make([]int, R)
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool {
		if needs[order[a]].Priority != needs[order[b]].Priority {
			return needs[order[a]].Priority
		}
		return needs[order[a]].DailyRate > needs[order[b]].DailyRate
	})
	for _, r := range order {
		nd := &needs[r]
		quota := stage1[r] + stage2[r]
		if quota == 0 {
			continue
		}
		sent, unusable := pickLots(pool, quota, nd.Stock, math.Max(nd.DailyRate, 1e-9), s.AsOf+lead)
		nd.Unfilled = unusable
		why := []Message{Explain("%s: need %s over %d days (min %s, max %s), usable stock %s", nd.Region, N(nd.Q), P, N(nd.Min), N(nd.Max), N(nd.Stock))}
		if nd.Priority {
			why = append(why, Explain("below min, priority"))
		}
		if quota < nd.Max-nd.Stock {
			why = append(why, Explain("allocate %s of %s wanted (national stock short)", N(quota-unusable), N(nd.Max-nd.Stock)))
		} else {
			why = append(why, Explain("allocate %s", N(quota-unusable)))
		}
		if unusable > 0 {
			why = append(why, Explain("%s not sent: remaining lots would expire before use", N(unusable)))
		}
		for _, ln := range sent {
			ln.Region, ln.Purpose, ln.Explanation, ln.Why = nd.Region, PurposeMinMax, JoinText(why, " → "), why
			prop.Lines = append(prop.Lines, ln)
			nd.Allocated += ln.Doses
		}
	}
	for k, sls := range slots {
		for _, sl := range sls {
			if sl.left > 0 {
				prop.Unallocated[k] += sl.left
			}
		}
	}
	prop.Needs = needs
	prop.Points = splitToPoints(&s, prop.Lines, P)
	return prop, nil
}

// pickLots takes up to quota doses from slots (FEFO), never more of a lot
// than can be used before it expires at rate doses/day after the stock
// already ahead of it. It returns the lines and the doses it could not
// place.
func pickLots(slots []*lotSlot, quota, ahead int, rate float64, arrive Day) ([]ProposalLine, int) {
	var out []ProposalLine
	for _, sl := range slots {
		if quota == 0 {
			break
		}
		if sl.left == 0 {
			continue
		}
		n := min(quota, sl.left)
		if sl.exp != NoExpiry {
			usable := int(math.Floor(float64(sl.exp-arrive+1)*rate)) - ahead
			n = min(n, max(0, usable))
		}
		if n == 0 {
			continue
		}
		sl.left -= n
		quota -= n
		ahead += n
		out = append(out, ProposalLine{Product: sl.prod, Component: sl.comp, Lot: sl.id, Doses: n})
	}
	return out, quota
}

func splitToPoints(s *State, lines []ProposalLine, period int) []PointLine {
	var out []PointLine
	byRegion := map[string]*RegionState{}
	for i := range s.Regions {
		byRegion[s.Regions[i].Code] = &s.Regions[i]
	}
	claims, share := []int{}, []int{}
	for _, ln := range lines {
		rs := byRegion[ln.Region]
		if len(rs.Points) == 0 {
			continue
		}
		key := Key(ln.Product, ln.Component)
		claims = claims[:0]
		for _, pt := range rs.Points {
			need := int(math.Round(pt.RecentDaily*float64(period)*1.25)) - pt.OnHand[key]
			claims = append(claims, max(0, need))
		}
		sum := 0
		for _, c := range claims {
			sum += c
		}
		if sum < ln.Doses { // everyone is full: split by recent consumption
			for i, pt := range rs.Points {
				claims[i] += int(math.Round(pt.RecentDaily*float64(period))) + 1
			}
		}
		share = append(share[:0], make([]int, len(claims))...)
		apportionInts(claims, ln.Doses, share)
		for i, pt := range rs.Points {
			if share[i] > 0 {
				out = append(out, PointLine{Region: ln.Region, Point: pt.ID, Product: ln.Product, Component: ln.Component, Lot: ln.Lot, Doses: share[i]})
			}
		}
	}
	return out
}

func apportionInts(claims []int, total int, out []int) {
	(&sim{}).apportion(claims, total, out)
}

func splitKey(s *State, k string) (string, string) {
	for _, p := range s.Products {
		comps := p.Components
		if len(comps) == 0 {
			comps = []string{""}
		}
		for _, c := range comps {
			if Key(p.Code, c) == k {
				return p.Code, c
			}
		}
	}
	return k, ""
}

func checkAvailable(s *State, available map[string]int) error {
	keys := map[string]bool{}
	for _, k := range s.keys() {
		keys[k] = true
	}
	for k, v := range available {
		f := "available[" + k + "]"
		if !keys[k] {
			return inputErr(f, "unknown product/component")
		}
		if v < 0 {
			return inputErr(f, "negative %d", v)
		}
		if s.National != nil && v > s.National[k] {
			return inputErr(f, "%d exceeds national stock %d", v, s.National[k])
		}
	}
	return nil
}

// Validate checks a (possibly hand-edited) proposal against the state and
// the available national stock: known regions, products and points, no
// negative doses, per lot no more than the lot holds, per key no more than
// available, point lines within their region's lines. All problems are
// returned, joined; each is an *InputError naming the line.
func Validate(s State, available map[string]int, p Proposal) error {
	if err := checkAvailable(&s, available); err != nil {
		return err
	}
	var errs []error
	regions := map[string]*RegionState{}
	for i := range s.Regions {
		regions[s.Regions[i].Code] = &s.Regions[i]
	}
	keys := map[string]bool{}
	for _, k := range s.keys() {
		keys[k] = true
	}
	lots := map[string]Lot{}
	for _, l := range s.Lots {
		if l.Region == "" {
			lots[l.ID] = l
		}
	}
	perKey, perLot := map[string]int{}, map[string]int{}
	regionKeyLot := map[[3]string]int{}
	for i, ln := range p.Lines {
		f := fmt.Sprintf("lines[%d]", i)
		key := Key(ln.Product, ln.Component)
		switch {
		case regions[ln.Region] == nil:
			errs = append(errs, inputErr(f+".region", "unknown region %q", ln.Region))
			continue
		case !keys[key]:
			errs = append(errs, inputErr(f+".product", "unknown product/component %q", key))
			continue
		case ln.Doses < 0:
			errs = append(errs, inputErr(f+".doses", "negative %d", ln.Doses))
			continue
		}
		if ln.Lot != "" {
			l, ok := lots[ln.Lot]
			if !ok {
				errs = append(errs, inputErr(f+".lot", "unknown national lot %q", ln.Lot))
				continue
			}
			if l.Key() != key {
				errs = append(errs, inputErr(f+".lot", "lot %q holds %s, not %s", ln.Lot, l.Key(), key))
				continue
			}
			if l.Expiry < s.AsOf {
				errs = append(errs, inputErr(f+".lot", "lot %q expired on %s", ln.Lot, l.Expiry))
			}
			perLot[ln.Lot] += ln.Doses
		}
		perKey[key] += ln.Doses
		regionKeyLot[[3]string{ln.Region, key, ln.Lot}] += ln.Doses
	}
	for _, id := range sortedKeys(perLot) {
		if n, l := perLot[id], lots[id]; n > l.OnHand {
			errs = append(errs, inputErr("lines", "lot %q: %d doses allocated, lot holds %d", id, n, l.OnHand))
		}
	}
	for _, k := range sortedKeys(perKey) {
		if perKey[k] > available[k] {
			errs = append(errs, inputErr("lines", "%s: %d doses allocated, %d available", k, perKey[k], available[k]))
		}
	}
	pointSum := map[[3]string]int{}
	for i, pl := range p.Points {
		f := fmt.Sprintf("points[%d]", i)
		rs := regions[pl.Region]
		if rs == nil {
			errs = append(errs, inputErr(f+".region", "unknown region %q", pl.Region))
			continue
		}
		found := false
		for _, pt := range rs.Points {
			found = found || pt.ID == pl.Point
		}
		if !found {
			errs = append(errs, inputErr(f+".point", "unknown point %q in %s", pl.Point, pl.Region))
			continue
		}
		if pl.Doses < 0 {
			errs = append(errs, inputErr(f+".doses", "negative %d", pl.Doses))
			continue
		}
		pointSum[[3]string{pl.Region, Key(pl.Product, pl.Component), pl.Lot}] += pl.Doses
	}
	ids := make([][3]string, 0, len(pointSum))
	for id := range pointSum {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool {
		a, b := ids[i], ids[j]
		return a[0]+"\x00"+a[1]+"\x00"+a[2] < b[0]+"\x00"+b[1]+"\x00"+b[2]
	})
	for _, id := range ids {
		if n := pointSum[id]; n > regionKeyLot[id] {
			errs = append(errs, inputErr("points", "%s %s lot %q: %d doses to points, %d to the region", id[0], id[1], id[2], n, regionKeyLot[id]))
		}
	}
	return errors.Join(errs...)
}

func sortedKeys(m map[string]int) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// thousands formats n with comma separators: 21340 → "21,340".
func thousands(n int) string {
	s := strconv.Itoa(n)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	var b []byte
	for i := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b = append(b, ',')
		}
		b = append(b, s[i])
	}
	if neg {
		return "-" + string(b)
	}
	return string(b)
}
