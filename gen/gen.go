// Package gen generates a realistic synthetic national population and
// vaccination campaign for load tests, demos and the scenario runner.
//
// A Gen is deterministic: the same Config (including Seed) always yields the
// same people and doses, in the same order, on every platform (math/rand/v2
// PCG). People have valid, unique IINs (birth date YYMMDD, century/sex digit,
// 4 serial digits, control digit; prefixes that are never issued are
// skipped), plausible Kazakh and Russian names in Cyrillic (the share of
// non-Kazakh names follows the region), an adult age distribution, a sex, a
// home region drawn by population, and for a share of them a priority group
// (front-loaded: early recipients are mostly in priority groups).
//
// First doses follow a daily-rate curve (Ramp: logistic growth from Start,
// an optional decline, fewer doses at weekends, a little day-to-day noise)
// scaled so that People × FirstDoseShare people get a first dose between
// Start and End. With the default ramp and about 19 M people at a
// FirstDoseShare of 0.46 this reproduces Kazakhstan's 2021 rates: a few
// thousand a day in February, about 100 000 a day in July, declining in the
// autumn. SecondDoseShare of the recipients of a two-dose product get their
// second dose after the product's interval plus a small delay (if it falls on
// or before End), usually at the same vaccination point of their region.
//
// Memory: People streams with O(1) memory apart from one small counter per
// (birth date, sex) used to keep IINs unique (at most ~60 000 entries).
// Doses streams in chronological order; it holds one day of doses plus the
// second doses still pending, about 32 bytes each — at full national scale
// (100 000 first doses a day, 21-day interval) roughly 100 MB at the peak.
package gen

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"

	"vaxtrace"
)

// ProductShare says how much of a product was used, and when it was
// available for first doses.
type ProductShare struct {
	Product vaxtrace.Product
	Weight  float64       // relative share among the products available on a day
	From    vaxtrace.Date // first day of use (0: from Start)
	Until   vaxtrace.Date // last day of use for first doses (0: until End)
}

// Ramp is the shape of the daily first-dose rate. Only its shape matters:
// the totals come from Config.People × Config.FirstDoseShare.
type Ramp struct {
	Initial   float64       // daily rate long before Midpoint
	Peak      float64       // daily rate long after Midpoint
	Midpoint  vaxtrace.Date // day of half the growth
	Steepness float64       // logistic growth per day (e.g. 0.08)
	// DeclineFrom starts an exponential decline of the rate towards
	// DeclineFloor × rate with the given half-life (0: no decline).
	DeclineFrom     vaxtrace.Date
	DeclineHalfLife float64
	DeclineFloor    float64
	Saturday        float64 // factor for Saturdays (0 means 1)
	Sunday          float64 // factor for Sundays (0 means 1)
}

// Rate is the relative daily first-dose rate on d.
func (r Ramp) Rate(d vaxtrace.Date) float64 {
	x := r.Initial + (r.Peak-r.Initial)/(1+math.Exp(-r.Steepness*float64(d-r.Midpoint)))
	if r.DeclineFrom != 0 && d > r.DeclineFrom && r.DeclineHalfLife > 0 {
		f := math.Pow(0.5, float64(d-r.DeclineFrom)/r.DeclineHalfLife)
		x *= r.DeclineFloor + (1-r.DeclineFloor)*f
	}
	switch d.Time().Weekday() {
	case time.Saturday:
		if r.Saturday > 0 {
			x *= r.Saturday
		}
	case time.Sunday:
		if r.Sunday > 0 {
			x *= r.Sunday
		}
	}
	return x
}

// KZ2021Ramp approximates Kazakhstan's 2021 first-dose rate (campaign start
// 1 February; ~1–3 k/day in February–March, ~100 k/day in late June–July,
// declining from August).
func KZ2021Ramp() Ramp {
	return Ramp{
		Initial: 2500, Peak: 130000, Midpoint: vaxtrace.MkDate(2021, 6, 12), Steepness: 0.11,
		DeclineFrom: vaxtrace.MkDate(2021, 7, 20), DeclineHalfLife: 25, DeclineFloor: 0.06,
		Saturday: 0.8, Sunday: 0.55,
	}
}

// KZ2021Mix returns the 2021 product mix for the products of catalog that
// were used in Kazakhstan (approximate shares and first-use dates).
func KZ2021Mix(catalog []vaxtrace.Product) []ProductShare {
	type use struct {
		w           float64
		from, until vaxtrace.Date
	}
	known := map[string]use{
		"sputnik-v":      {0.70, vaxtrace.MkDate(2021, 2, 1), 0},
		"qazvac":         {0.10, vaxtrace.MkDate(2021, 4, 26), 0},
		"hayat-vax":      {0.12, vaxtrace.MkDate(2021, 5, 1), 0},
		"coronavac":      {0.03, vaxtrace.MkDate(2021, 9, 1), 0},
		"sinopharm-bibp": {0.02, vaxtrace.MkDate(2021, 6, 1), 0},
		"comirnaty":      {0.03, vaxtrace.MkDate(2021, 10, 20), 0},
	}
	var out []ProductShare
	for _, p := range catalog {
		if u, ok := known[p.Code]; ok {
			out = append(out, ProductShare{Product: p, Weight: u.w, From: u.from, Until: u.until})
		}
	}
	return out
}

// Config parameterises the generator.
type Config struct {
	People          int   // people to generate
	Seed            int64 // same seed, same output
	Start, End      vaxtrace.Date
	Regions         []vaxtrace.Region // weighted by Population; regions valid only after End are ignored
	Products        []ProductShare
	FirstDoseShare  float64 // share of People given a first dose between Start and End
	SecondDoseShare float64 // share of two-dose-product recipients given a second dose
	PriorityShare   float64 // share of the vaccinated in a priority group (front-loaded)
	PointsPerRegion int     // vaccination points per region (see PointID)
	Vaccinators     int     // vaccinators per point
	MinAge, MaxAge  int     // age at Start
	MeanDelayDays   float64 // mean delay of a second dose beyond the interval
	MaxDelayDays    int     // cap of that delay
	SamePointShare  float64 // share of second doses given at the first dose's point
	DayNoise        float64 // relative day-to-day noise of the first-dose rate (e.g. 0.1)
	Ramp            Ramp
	IDPrefix        string // dose ids are IDPrefix + person seq + "-" + dose number
}

// DefaultConfig returns a configuration resembling Kazakhstan's 2021
// campaign for people people (1 February to 31 December 2021, 46% first
// doses, 92% of them completing a two-dose series).
func DefaultConfig(people int, regions []vaxtrace.Region, catalog []vaxtrace.Product) Config {
	return Config{
		People: people, Seed: 2021,
		Start: vaxtrace.MkDate(2021, 2, 1), End: vaxtrace.MkDate(2021, 12, 31),
		Regions: regions, Products: KZ2021Mix(catalog),
		FirstDoseShare: 0.46, SecondDoseShare: 0.92, PriorityShare: 0.15,
		PointsPerRegion: 20, Vaccinators: 4, MinAge: 18, MaxAge: 90,
		MeanDelayDays: 3, MaxDelayDays: 21, SamePointShare: 0.9, DayNoise: 0.08,
		Ramp: KZ2021Ramp(), IDPrefix: "gen-",
	}
}

// Person is a generated person. The IIN is in clear: callers derive the
// registry's person id and sealed IIN with package pii.
type Person struct {
	Seq       int // 0-based generation order
	IIN       string
	Family    string
	Given     string
	BirthDate vaxtrace.Date
	Sex       string
	Region    string
	Group     string
}

// Registry returns the registry record of p for its id and sealed IIN.
func (p *Person) Registry(id vaxtrace.PersonID, sealed string) vaxtrace.Person {
	return vaxtrace.Person{ID: id, IINSealed: sealed, Family: p.Family, Given: p.Given, BirthDate: p.BirthDate, Sex: p.Sex, Region: p.Region, Group: p.Group}
}

// Dose is a generated dose. Lots are not chosen by the generator: the caller
// picks a lot of Product/Component in stock at Place.
type Dose struct {
	ID         string
	Person     int // the person's Seq
	IIN        string
	Number     int // 1 or 2 (informational: the registry derives it)
	At         time.Time
	Place      string
	Product    string
	Component  string
	Vaccinator string
	// New is the person, set on a first dose: register them before it.
	New *Person
}

// Administered returns the registry payload of d for the person's id and a lot.
func (d *Dose) Administered(id vaxtrace.PersonID, lot string) vaxtrace.DoseAdministered {
	return vaxtrace.DoseAdministered{ID: d.ID, Person: id, At: d.At, Place: d.Place, Lot: lot, Product: d.Product, Component: d.Component, Vaccinator: d.Vaccinator}
}

// PointID is the id of the n-th (0-based) vaccination point of a region,
// e.g. "KZ-AKM-P001".
func PointID(region string, n int) string { return fmt.Sprintf("%s-P%03d", region, n+1) }

// WarehouseID is the id of a region's warehouse, e.g. "KZ-AKM-RW".
func WarehouseID(region string) string { return region + "-RW" }

// Points returns the ids of perRegion vaccination points in each region.
func Points(regions []vaxtrace.Region, perRegion int) []string {
	out := make([]string, 0, len(regions)*perRegion)
	for _, r := range regions {
		for i := range perRegion {
			out = append(out, PointID(r.Code, i))
		}
	}
	return out
}

// Places returns a regional warehouse per region, supplied by national, and
// perRegion vaccination points supplied by it, ready for PlaceDefined.
func Places(national string, regions []vaxtrace.Region, perRegion int) []vaxtrace.Place {
	var out []vaxtrace.Place
	for _, r := range regions {
		w := WarehouseID(r.Code)
		out = append(out, vaxtrace.Place{ID: w, Kind: vaxtrace.PlaceRegional, Name: r.Name("en") + " warehouse", Region: r.Code, Parent: national})
		for i := range perRegion {
			out = append(out, vaxtrace.Place{ID: PointID(r.Code, i), Kind: vaxtrace.PlacePoint, Name: fmt.Sprintf("%s vaccination point %d", r.Name("en"), i+1), Region: r.Code, Parent: w})
		}
	}
	return out
}

// Gen generates people and doses.
type Gen struct {
	cfg        Config
	regions    []vaxtrace.Region
	regionCum  []float64
	points     [][]string   // per region
	vacc       [][][]string // per region, point
	ageCum     []float64    // cumulative weights of ages MinAge..MaxAge
	vaccinated int
	counts     []int // first doses per day from Start
	maxWait    int   // longest interval + delay
}

// priority groups and their relative sizes among the vaccinated.
var groupNames = []string{"health_worker", "teacher", "police", "student", "institution", "security", "civil_service", "chronic"}
var groupCum = cumulative([]float64{0.22, 0.20, 0.06, 0.12, 0.04, 0.04, 0.08, 0.24})

// adult age bands (Kazakhstan 2021, approximate).
var ageBands = []struct {
	lo, hi int
	w      float64
}{{18, 24, 0.12}, {25, 34, 0.24}, {35, 44, 0.20}, {45, 54, 0.16}, {55, 64, 0.15}, {65, 74, 0.09}, {75, 89, 0.035}, {90, 110, 0.005}}

func cumulative(w []float64) []float64 {
	out := make([]float64, len(w))
	s := 0.0
	for i, x := range w {
		s += x
		out[i] = s
	}
	for i := range out {
		out[i] /= s
	}
	return out
}

// pick returns the index drawn from cumulative weights.
func pick(r *rand.Rand, cum []float64) int {
	u := r.Float64()
	i, _ := slices.BinarySearch(cum, u)
	if i >= len(cum) {
		i = len(cum) - 1
	}
	// skip zero-weight entries that share a cumulative value
	for i > 0 && cum[i-1] == cum[i] {
		i--
	}
	return i
}

// New checks cfg and prepares a generator.
func New(cfg Config) (*Gen, error) {
	switch {
	case cfg.People < 0:
		return nil, errors.New("gen: People must not be negative")
	case cfg.End < cfg.Start:
		return nil, errors.New("gen: End is before Start")
	case cfg.FirstDoseShare < 0 || cfg.FirstDoseShare > 1:
		return nil, errors.New("gen: FirstDoseShare must be within [0, 1]")
	case cfg.SecondDoseShare < 0 || cfg.SecondDoseShare > 1:
		return nil, errors.New("gen: SecondDoseShare must be within [0, 1]")
	case cfg.PriorityShare < 0 || cfg.PriorityShare > 1:
		return nil, errors.New("gen: PriorityShare must be within [0, 1]")
	case cfg.SamePointShare < 0 || cfg.SamePointShare > 1:
		return nil, errors.New("gen: SamePointShare must be within [0, 1]")
	case cfg.DayNoise < 0 || cfg.DayNoise >= 1:
		return nil, errors.New("gen: DayNoise must be within [0, 1)")
	case cfg.MeanDelayDays < 0 || cfg.MaxDelayDays < 0:
		return nil, errors.New("gen: delays must not be negative")
	}
	if cfg.PointsPerRegion <= 0 {
		cfg.PointsPerRegion = 1
	}
	if cfg.Vaccinators <= 0 {
		cfg.Vaccinators = 1
	}
	if cfg.MinAge == 0 && cfg.MaxAge == 0 {
		cfg.MinAge, cfg.MaxAge = 18, 90
	}
	if cfg.MinAge < 0 || cfg.MaxAge < cfg.MinAge || cfg.MaxAge > 110 {
		return nil, errors.New("gen: need 0 <= MinAge <= MaxAge <= 110")
	}
	if cfg.IDPrefix == "" {
		cfg.IDPrefix = "gen-"
	}
	g := &Gen{cfg: cfg}
	var w []float64
	for _, r := range cfg.Regions {
		if r.ValidFrom != nil && *r.ValidFrom > cfg.End {
			continue
		}
		if r.Population <= 0 {
			continue
		}
		g.regions = append(g.regions, r)
		w = append(w, float64(r.Population))
	}
	if len(g.regions) == 0 {
		return nil, errors.New("gen: no region with a population")
	}
	g.regionCum = cumulative(w)
	for _, r := range g.regions {
		var ps []string
		var vs [][]string
		for i := range cfg.PointsPerRegion {
			p := PointID(r.Code, i)
			ps = append(ps, p)
			var v []string
			for j := range cfg.Vaccinators {
				v = append(v, fmt.Sprintf("%s-V%02d", p, j+1))
			}
			vs = append(vs, v)
		}
		g.points = append(g.points, ps)
		g.vacc = append(g.vacc, vs)
	}
	aw := make([]float64, cfg.MaxAge-cfg.MinAge+1)
	for a := cfg.MinAge; a <= cfg.MaxAge; a++ {
		for _, b := range ageBands {
			if a >= b.lo && a <= b.hi {
				aw[a-cfg.MinAge] = b.w / float64(b.hi-b.lo+1)
			}
		}
		if aw[a-cfg.MinAge] == 0 {
			aw[a-cfg.MinAge] = 0.01 / 18 // under 18, when asked for
		}
	}
	g.ageCum = cumulative(aw)
	for _, p := range cfg.Products {
		if p.Weight < 0 {
			return nil, fmt.Errorf("gen: product %s has a negative weight", p.Product.Code)
		}
		if p.Product.SeriesDoses > 1 {
			if p.Product.IntervalDays <= 0 {
				return nil, fmt.Errorf("gen: product %s needs an interval", p.Product.Code)
			}
			g.maxWait = max(g.maxWait, p.Product.IntervalDays+cfg.MaxDelayDays)
		}
	}
	if len(cfg.Products) > 255 {
		return nil, errors.New("gen: at most 255 products")
	}
	g.vaccinated = int(math.Round(float64(cfg.People) * cfg.FirstDoseShare))
	if err := g.planDays(); err != nil {
		return nil, err
	}
	return g, nil
}

// available returns the cumulative product weights for day d (nil if none).
func (g *Gen) available(d vaxtrace.Date) []float64 {
	w := make([]float64, len(g.cfg.Products))
	any := false
	for i, p := range g.cfg.Products {
		if (p.From == 0 || p.From <= d) && (p.Until == 0 || d <= p.Until) && p.Weight > 0 {
			w[i] = p.Weight
			any = true
		}
	}
	if !any {
		return nil
	}
	return cumulative(w)
}

// planDays spreads the vaccinated over the days in proportion to the ramp
// (largest remainder rounding, so the total is exact).
func (g *Gen) planDays() error {
	days := int(g.cfg.End-g.cfg.Start) + 1
	noise := rand.New(rand.NewPCG(uint64(g.cfg.Seed), 0xda7a))
	w := make([]float64, days)
	sum := 0.0
	for i := range w {
		d := g.cfg.Start.AddDays(i)
		n := 1 + g.cfg.DayNoise*(2*noise.Float64()-1)
		if g.available(d) == nil {
			continue
		}
		w[i] = math.Max(0, g.cfg.Ramp.Rate(d)*n)
		sum += w[i]
	}
	g.counts = make([]int, days)
	if g.vaccinated == 0 {
		return nil
	}
	if sum == 0 {
		return errors.New("gen: no first doses possible: no product available, or a zero ramp, between Start and End")
	}
	type rem struct {
		i int
		r float64
	}
	rs := make([]rem, days)
	total := 0
	for i := range w {
		x := w[i] / sum * float64(g.vaccinated)
		g.counts[i] = int(x)
		total += g.counts[i]
		rs[i] = rem{i, x - float64(g.counts[i])}
	}
	slices.SortStableFunc(rs, func(a, b rem) int {
		switch {
		case a.r > b.r:
			return -1
		case a.r < b.r:
			return 1
		}
		return a.i - b.i
	})
	for k := 0; total < g.vaccinated; k++ {
		g.counts[rs[k%days].i]++
		total++
	}
	return nil
}

// Config returns the configuration with defaults filled.
func (g *Gen) Config() Config { return g.cfg }

// Regions returns the regions people are drawn from.
func (g *Gen) Regions() []vaxtrace.Region { return g.regions }

// DailyFirstDoses returns the number of first doses planned for each day
// from Start to End.
func (g *Gen) DailyFirstDoses() []int { return slices.Clone(g.counts) }

// Vaccinated returns how many people get a first dose.
func (g *Gen) Vaccinated() int { return g.vaccinated }

// plan is the vaccination of one person.
type plan struct {
	first   time.Time
	product int
	point   int
	vacc    int
	second  bool
	at2     time.Time
	point2  int
	vacc2   int
}

type state struct {
	g       *Gen
	r       *rand.Rand
	serials map[uint32]uint16
	seq     int
}

func (g *Gen) newState() *state {
	return &state{g: g, r: rand.New(rand.NewPCG(uint64(g.cfg.Seed), 0x5eed)), serials: map[uint32]uint16{}}
}

// run is the single generation path shared by People and Doses, so both see
// identical people. It calls day(i, d) before the people first vaccinated on
// day i (and once more after the last day), person for each person (with the
// vaccination plan, nil for the unvaccinated) and returns false if a callback
// stopped it.
func (g *Gen) run(day func(i int, d vaxtrace.Date) bool, person func(p *Person, region int, pl *plan) bool) bool {
	s := g.newState()
	var p Person
	var pl plan
	for i, n := range g.counts {
		d := g.cfg.Start.AddDays(i)
		if day != nil && !day(i, d) {
			return false
		}
		if n == 0 {
			continue
		}
		prods := g.available(d)
		for range n {
			ri := s.person(&p, true)
			s.plan(&pl, d, ri, prods)
			if !person(&p, ri, &pl) {
				return false
			}
		}
	}
	if day != nil && !day(len(g.counts), g.cfg.End+1) {
		return false
	}
	for s.seq < g.cfg.People {
		ri := s.person(&p, false)
		if !person(&p, ri, nil) {
			return false
		}
	}
	return true
}

// person fills p with the next person and returns their region index.
func (s *state) person(p *Person, vaccinated bool) int {
	g, r := s.g, s.r
	ri := pick(r, g.regionCum)
	region := g.regions[ri].Code
	female := r.Float64() < 0.53 // adults: slightly more women
	age := g.cfg.MinAge + pick(r, g.ageCum)
	birth := g.cfg.Start.AddDays(-age*365 - int(float64(age)/4) - r.IntN(365))
	other := r.Float64() < shareOther(region)
	var fam family
	var given string
	if other {
		fam = otherFamilies[r.IntN(len(otherFamilies))]
		if female {
			given = otherFemale[r.IntN(len(otherFemale))]
		} else {
			given = otherMale[r.IntN(len(otherMale))]
		}
	} else {
		fam = kazakhFamilies[r.IntN(len(kazakhFamilies))]
		if female {
			given = kazakhFemale[r.IntN(len(kazakhFemale))]
		} else {
			given = kazakhMale[r.IntN(len(kazakhMale))]
		}
	}
	group := ""
	u := r.Float64()
	if vaccinated && g.vaccinated > 0 {
		c := float64(s.seq) / float64(g.vaccinated)
		if u < priorityProb(g.cfg.PriorityShare, c) {
			group = groupNames[pick(r, groupCum)]
		}
	}
	*p = Person{Seq: s.seq, Family: fam.m, Given: given, BirthDate: birth, Sex: vaxtrace.SexMale, Region: region, Group: group}
	if female {
		p.Family, p.Sex = fam.f, vaxtrace.SexFemale
	}
	p.IIN, p.BirthDate = s.iin(p.BirthDate, female)
	s.seq++
	return ri
}

func shareOther(region string) float64 {
	if v, ok := otherShare[region]; ok {
		return v
	}
	return 0.25
}

// priorityProb is the chance that the vaccinated person at cumulative
// position c (0..1) is in a priority group; it integrates to share over
// [0, 1] and falls with c.
func priorityProb(share, c float64) float64 {
	if share <= 0.5 {
		return math.Max(0, 1-c/(2*share))
	}
	return 1 - 2*c*(1-share)
}

// iin returns a unique IIN for birth date and sex; if all serials of that
// date are used the birth date moves a day later.
func (s *state) iin(birth vaxtrace.Date, female bool) (string, vaxtrace.Date) {
	for {
		t := birth.Time()
		y := t.Year()
		c := 0
		switch {
		case y < 1900:
			c = 1
		case y < 2000:
			c = 3
		default:
			c = 5
		}
		if female {
			c++
		}
		key := uint32(int32(birth))<<1 | uint32(c&1)
		offset := int((uint64(key) * 2654435761) % 10000)
		var b [11]byte
		yy, mm, dd := y%100, int(t.Month()), t.Day()
		b[0], b[1] = byte('0'+yy/10), byte('0'+yy%10)
		b[2], b[3] = byte('0'+mm/10), byte('0'+mm%10)
		b[4], b[5] = byte('0'+dd/10), byte('0'+dd%10)
		b[6] = byte('0' + c)
		for k := int(s.serials[key]); k < 10000; k++ {
			serial := (offset + k*7919) % 10000
			b[7], b[8], b[9], b[10] = byte('0'+serial/1000), byte('0'+serial/100%10), byte('0'+serial/10%10), byte('0'+serial%10)
			if iin, ok := vaxtrace.CompleteIIN(string(b[:])); ok {
				s.serials[key] = uint16(k + 1)
				return iin, birth
			}
		}
		s.serials[key] = 10000
		birth++
	}
}

// plan draws the vaccination of a person first vaccinated on day d.
func (s *state) plan(pl *plan, d vaxtrace.Date, ri int, prods []float64) {
	g, r := s.g, s.r
	off := time.Duration(utcOffset(g.regions[ri].Code)) * time.Hour
	at := func(day vaxtrace.Date) time.Time {
		// 08:00–20:00 local time
		return day.Time().Add(8*time.Hour - off + time.Duration(r.IntN(12*3600))*time.Second)
	}
	*pl = plan{first: at(d), product: pick(r, prods), point: r.IntN(g.cfg.PointsPerRegion), vacc: r.IntN(g.cfg.Vaccinators)}
	prod := &g.cfg.Products[pl.product].Product
	// draw everything unconditionally so the stream does not depend on End
	u := r.Float64()
	delay := int(r.ExpFloat64() * g.cfg.MeanDelayDays)
	if delay > g.cfg.MaxDelayDays {
		delay = g.cfg.MaxDelayDays
	}
	same := r.Float64() < g.cfg.SamePointShare
	other := r.IntN(g.cfg.PointsPerRegion)
	vacc2 := r.IntN(g.cfg.Vaccinators)
	second := at(d.AddDays(prod.IntervalDays + delay))
	if prod.SeriesDoses < 2 || u >= g.cfg.SecondDoseShare || vaxtrace.DateOf(second) > g.cfg.End {
		return
	}
	pl.second, pl.at2, pl.vacc2 = true, second, vacc2
	pl.point2 = other
	if same {
		pl.point2 = pl.point
	}
}

// People yields every person, those vaccinated first (in the order of their
// first dose day), then the unvaccinated. Use it as `for p := range g.People`.
func (g *Gen) People(yield func(Person) bool) {
	g.run(nil, func(p *Person, _ int, _ *plan) bool { return yield(*p) })
}

// pending is a compact second dose waiting for its day.
type pending struct {
	at     int64 // unix seconds
	seq    uint32
	iin    [12]byte
	region uint16
	point  uint16
	vacc   uint16
	prod   uint8
}

// Doses yields every dose in chronological order (ties by person). A first
// dose carries the person in Dose.New. Use it as `for d := range g.Doses`.
func (g *Gen) Doses(yield func(Dose) bool) {
	window := g.maxWait + 2
	buckets := make([][]pending, window)
	var today []Dose
	flush := func() bool {
		slices.SortFunc(today, func(a, b Dose) int {
			if c := a.At.Compare(b.At); c != 0 {
				return c
			}
			return a.Person - b.Person
		})
		for _, d := range today {
			if !yield(d) {
				return false
			}
		}
		return true
	}
	first := true
	g.run(func(i int, d vaxtrace.Date) bool {
		if !first && !flush() {
			return false
		}
		first = false
		today = today[:0]
		if i >= len(g.counts) {
			return false // the unvaccinated have no doses
		}
		b := &buckets[i%window]
		for _, p := range *b {
			today = append(today, g.secondDose(p))
		}
		*b = (*b)[:0]
		return true
	}, func(p *Person, ri int, pl *plan) bool {
		np := *p
		prod := &g.cfg.Products[pl.product].Product
		today = append(today, Dose{New: &np,
			ID: g.cfg.IDPrefix + strconv.Itoa(p.Seq) + "-1", Person: p.Seq, IIN: p.IIN, Number: 1, At: pl.first,
			Place: g.points[ri][pl.point], Product: prod.Code, Component: prod.ComponentFor(1), Vaccinator: g.vacc[ri][pl.point][pl.vacc],
		})
		if pl.second {
			day := int(vaxtrace.DateOf(pl.at2) - g.cfg.Start)
			q := pending{at: pl.at2.Unix(), seq: uint32(p.Seq), region: uint16(ri), point: uint16(pl.point2), vacc: uint16(pl.vacc2), prod: uint8(pl.product)}
			copy(q.iin[:], p.IIN)
			buckets[day%window] = append(buckets[day%window], q)
		}
		return true
	})
}

// secondDose expands a pending second dose.
func (g *Gen) secondDose(p pending) Dose {
	prod := &g.cfg.Products[p.prod].Product
	seq := int(p.seq)
	return Dose{
		ID: g.cfg.IDPrefix + strconv.Itoa(seq) + "-2", Person: seq, IIN: string(p.iin[:]), Number: 2,
		At: time.Unix(p.at, 0).UTC(), Place: g.points[p.region][p.point], Product: prod.Code,
		Component: prod.ComponentFor(2), Vaccinator: g.vacc[p.region][p.point][p.vacc],
	}
}
