package gen

import (
	"encoding/json"
	"hash/fnv"
	"math"
	"os"
	"testing"
	"time"

	"vaxtrace"
)

type scenario struct {
	Regions  []vaxtrace.Region  `json:"regions"`
	Products []vaxtrace.Product `json:"products"`
}

func loadScenario(t testing.TB) scenario {
	t.Helper()
	b, err := os.ReadFile("../scenario/data/kz2021.json")
	if err != nil {
		t.Skip("no scenario data:", err)
	}
	var s scenario
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	return s
}

func newGen(t testing.TB, people int, seed int64) *Gen {
	t.Helper()
	s := loadScenario(t)
	cfg := DefaultConfig(people, s.Regions, s.Products)
	cfg.Seed = seed
	g, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestIINsValidAndUnique(t *testing.T) {
	g := newGen(t, 100000, 1)
	seen := make(map[string]bool, 100000)
	n := 0
	for p := range g.People {
		if p.Seq != n {
			t.Fatalf("seq %d at position %d", p.Seq, n)
		}
		n++
		if err := vaxtrace.ValidateIIN(p.IIN); err != nil {
			t.Fatalf("person %d: %v", p.Seq, err)
		}
		if seen[p.IIN] {
			t.Fatalf("duplicate IIN at person %d", p.Seq)
		}
		seen[p.IIN] = true
		// the IIN encodes the birth date and sex
		if p.IIN[:6] != p.BirthDate.String()[2:4]+p.BirthDate.String()[5:7]+p.BirthDate.String()[8:10] {
			t.Fatalf("IIN date digits do not match birth date %s", p.BirthDate)
		}
		c := p.IIN[6]
		female := c == '2' || c == '4' || c == '6'
		if female != (p.Sex == vaxtrace.SexFemale) {
			t.Fatalf("sex digit %c for sex %s", c, p.Sex)
		}
		if y := p.BirthDate.Time().Year(); (y >= 1900 && y < 2000) != (c == '3' || c == '4') {
			t.Fatalf("century digit %c for %d", c, y)
		}
		if p.Family == "" || p.Given == "" || p.Region == "" {
			t.Fatalf("incomplete person %+v", p)
		}
		reg := p.Registry(vaxtrace.PersonID{1}, "sealed")
		if err := reg.Validate(); err != nil {
			t.Fatalf("person %d: %v", p.Seq, err)
		}
	}
	if n != 100000 {
		t.Fatalf("%d people", n)
	}
}

// TestIINsNarrowDates forces many people onto few birth dates, exercising
// serial exhaustion.
func TestIINsNarrowDates(t *testing.T) {
	s := loadScenario(t)
	cfg := DefaultConfig(30000, s.Regions, s.Products)
	cfg.MinAge, cfg.MaxAge = 40, 40
	cfg.Start, cfg.End = vaxtrace.MkDate(2021, 3, 1), vaxtrace.MkDate(2021, 3, 1)
	cfg.Ramp = Ramp{Initial: 1, Peak: 1}
	cfg.Products = KZ2021Mix(s.Products)[:1]
	cfg.Products[0].From = 0
	g, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for p := range g.People {
		if err := vaxtrace.ValidateIIN(p.IIN); err != nil || seen[p.IIN] {
			t.Fatalf("person %d: invalid or duplicate IIN (%v)", p.Seq, err)
		}
		seen[p.IIN] = true
	}
}

func hashPeople(g *Gen, limit int) uint64 {
	h := fnv.New64a()
	n := 0
	for p := range g.People {
		b, _ := json.Marshal(p)
		h.Write(b)
		if n++; n == limit {
			break
		}
	}
	return h.Sum64()
}

func hashDoses(g *Gen, limit int) uint64 {
	h := fnv.New64a()
	n := 0
	for d := range g.Doses {
		b, _ := json.Marshal(d)
		h.Write(b)
		if n++; n == limit {
			break
		}
	}
	return h.Sum64()
}

func TestDeterministic(t *testing.T) {
	a, b, c := newGen(t, 20000, 7), newGen(t, 20000, 7), newGen(t, 20000, 8)
	if hashPeople(a, 0) != hashPeople(b, 0) {
		t.Error("same seed, different people")
	}
	if hashDoses(a, 0) != hashDoses(b, 0) {
		t.Error("same seed, different doses")
	}
	if hashPeople(a, 0) == hashPeople(c, 0) || hashDoses(a, 0) == hashDoses(c, 0) {
		t.Error("different seeds, same output")
	}
	// iterating twice on the same Gen gives the same stream
	if hashDoses(a, 5000) != hashDoses(a, 5000) {
		t.Error("a second pass differs")
	}
}

func TestRegionalShares(t *testing.T) {
	g := newGen(t, 100000, 3)
	total := 0
	for _, r := range g.Regions() {
		total += r.Population
		if r.ValidFrom != nil {
			t.Errorf("region %s valid only from %s used for a 2021 campaign", r.Code, r.ValidFrom)
		}
	}
	count := map[string]int{}
	n := 0
	for p := range g.People {
		count[p.Region]++
		n++
	}
	for _, r := range g.Regions() {
		want := float64(r.Population) / float64(total)
		got := float64(count[r.Code]) / float64(n)
		sigma := math.Sqrt(want * (1 - want) / float64(n))
		if math.Abs(got-want) > 5*sigma {
			t.Errorf("%s: share %.4f, want %.4f ± %.4f", r.Code, got, want, 5*sigma)
		}
	}
}

func TestDoses(t *testing.T) {
	g := newGen(t, 50000, 11)
	cfg := g.Config()
	products := map[string]vaxtrace.Product{}
	for _, p := range cfg.Products {
		products[p.Product.Code] = p.Product
	}
	people := map[int]Person{}
	for p := range g.People {
		people[p.Seq] = p
	}
	type firstDose struct {
		d   Dose
		got bool
	}
	firsts := map[int]Dose{}
	seconds := 0
	var last time.Time
	ids := map[string]bool{}
	for d := range g.Doses {
		if d.At.Before(last) {
			t.Fatalf("dose %s at %s before the previous %s", d.ID, d.At, last)
		}
		last = d.At
		if ids[d.ID] || len(d.ID) > 64 {
			t.Fatalf("bad or duplicate dose id %q", d.ID)
		}
		ids[d.ID] = true
		day := vaxtrace.DateOf(d.At)
		if day < cfg.Start || day > cfg.End {
			t.Fatalf("dose %s on %s outside the campaign", d.ID, day)
		}
		p := people[d.Person]
		if d.IIN != p.IIN {
			t.Fatalf("dose %s: IIN does not match person %d", d.ID, d.Person)
		}
		if want := p.Region + "-P"; d.Place[:len(want)] != want {
			t.Fatalf("dose %s at %s, outside the home region %s", d.ID, d.Place, p.Region)
		}
		if d.Vaccinator[:len(d.Place)] != d.Place {
			t.Fatalf("vaccinator %s not of point %s", d.Vaccinator, d.Place)
		}
		prod := products[d.Product]
		if d.Component != prod.ComponentFor(d.Number) {
			t.Fatalf("dose %s: component %s for dose %d of %s", d.ID, d.Component, d.Number, d.Product)
		}
		switch d.Number {
		case 1:
			if d.New == nil || *d.New != p {
				t.Fatalf("first dose %s does not carry its person", d.ID)
			}
			if _, dup := firsts[d.Person]; dup {
				t.Fatalf("two first doses for person %d", d.Person)
			}
			firsts[d.Person] = d
			if p.Group != "" && d.At.After(cfg.End.Time()) {
				t.Fatal("impossible")
			}
		case 2:
			seconds++
			f, ok := firsts[d.Person]
			if !ok {
				t.Fatalf("second dose %s before any first dose", d.ID)
			}
			if d.New != nil {
				t.Fatalf("second dose %s carries a person", d.ID)
			}
			if f.Product != d.Product {
				t.Fatalf("series mixed products %s and %s", f.Product, d.Product)
			}
			if gap := int(vaxtrace.DateOf(d.At) - vaxtrace.DateOf(f.At)); gap < prod.IntervalDays || gap > prod.IntervalDays+cfg.MaxDelayDays {
				t.Fatalf("person %d: %d days between doses of %s (interval %d)", d.Person, gap, d.Product, prod.IntervalDays)
			}
		default:
			t.Fatalf("dose number %d", d.Number)
		}
	}
	if len(firsts) != g.Vaccinated() {
		t.Errorf("%d first doses, want %d", len(firsts), g.Vaccinated())
	}
	// second-dose share among two-dose recipients vaccinated early enough
	eligible, done := 0, 0
	seconded := map[int]bool{}
	for d := range g.Doses {
		if d.Number == 2 {
			seconded[d.Person] = true
		}
	}
	for seq, f := range firsts {
		prod := products[f.Product]
		if prod.SeriesDoses < 2 || vaxtrace.DateOf(f.At).AddDays(prod.IntervalDays+cfg.MaxDelayDays) > cfg.End {
			continue
		}
		eligible++
		if seconded[seq] {
			done++
		}
	}
	share := float64(done) / float64(eligible)
	if math.Abs(share-cfg.SecondDoseShare) > 0.01 {
		t.Errorf("second-dose share %.3f of %d, want %.2f", share, eligible, cfg.SecondDoseShare)
	}
	if seconds == 0 {
		t.Error("no second doses")
	}
}

func TestPopulation(t *testing.T) {
	g := newGen(t, 50000, 5)
	cfg := g.Config()
	var vaccinated, grouped, earlyGrouped, early int
	female := 0
	for p := range g.People {
		age := cfg.Start.Time().Year() - p.BirthDate.Time().Year()
		if age < cfg.MinAge || age > cfg.MaxAge+2 {
			t.Fatalf("person %d aged %d", p.Seq, age)
		}
		if p.Sex == vaxtrace.SexFemale {
			female++
		}
		if p.Seq < g.Vaccinated() {
			vaccinated++
			if p.Group != "" {
				grouped++
				if p.Seq < g.Vaccinated()/10 {
					earlyGrouped++
				}
			}
			if p.Seq < g.Vaccinated()/10 {
				early++
			}
		} else if p.Group != "" {
			t.Fatalf("unvaccinated person %d in group %s", p.Seq, p.Group)
		}
	}
	if s := float64(grouped) / float64(vaccinated); math.Abs(s-cfg.PriorityShare) > 0.01 {
		t.Errorf("priority share %.3f, want %.2f", s, cfg.PriorityShare)
	}
	if float64(earlyGrouped)/float64(early) < 0.5 {
		t.Errorf("priority groups are not front-loaded: %d of the first %d", earlyGrouped, early)
	}
	if s := float64(female) / float64(cfg.People); s < 0.5 || s > 0.56 {
		t.Errorf("female share %.3f", s)
	}
}

// TestNationalRamp checks the absolute daily rates at national scale (no
// people are generated).
func TestNationalRamp(t *testing.T) {
	g := newGen(t, 19000000, 1)
	daily := g.DailyFirstDoses()
	sum := 0
	for _, n := range daily {
		sum += n
	}
	if sum != g.Vaccinated() {
		t.Fatalf("days sum to %d, want %d", sum, g.Vaccinated())
	}
	start := g.Config().Start
	avg := func(from, to vaxtrace.Date) float64 {
		s := 0
		for d := from; d <= to; d++ {
			s += daily[d-start]
		}
		return float64(s) / float64(to-from+1)
	}
	if a := avg(vaxtrace.MkDate(2021, 2, 1), vaxtrace.MkDate(2021, 2, 28)); a < 1000 || a > 3500 {
		t.Errorf("February average %.0f/day, want ~1–3k", a)
	}
	if a := avg(vaxtrace.MkDate(2021, 7, 1), vaxtrace.MkDate(2021, 7, 21)); a < 80000 || a > 150000 {
		t.Errorf("July average %.0f/day, want ~100k", a)
	}
	// weekends are quieter
	if sun, mon := daily[vaxtrace.MkDate(2021, 7, 4)-start], daily[vaxtrace.MkDate(2021, 7, 5)-start]; sun >= mon {
		t.Errorf("Sunday %d >= Monday %d", sun, mon)
	}
}

func TestEarlyStop(t *testing.T) {
	g := newGen(t, 10000, 1)
	n := 0
	for range g.Doses {
		if n++; n == 10 {
			break
		}
	}
	n = 0
	for range g.People {
		if n++; n == 10 {
			break
		}
	}
	if n != 10 {
		t.Fatal(n)
	}
}

func TestPlaces(t *testing.T) {
	s := loadScenario(t)
	pts := Points(s.Regions[:2], 3)
	if len(pts) != 6 || pts[0] != "KZ-AKM-P001" || pts[5] != "KZ-AKT-P003" {
		t.Errorf("points %v", pts)
	}
	pl := Places("KZ-NAT", s.Regions[:2], 3)
	if len(pl) != 8 {
		t.Fatalf("%d places", len(pl))
	}
	for _, p := range pl {
		if err := p.Validate(); err != nil {
			t.Errorf("%s: %v", p.ID, err)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	s := loadScenario(t)
	base := DefaultConfig(100, s.Regions, s.Products)
	for name, mod := range map[string]func(*Config){
		"negative people":  func(c *Config) { c.People = -1 },
		"end before start": func(c *Config) { c.End = c.Start - 1 },
		"share":            func(c *Config) { c.SecondDoseShare = 1.5 },
		"no regions":       func(c *Config) { c.Regions = nil },
		"no products":      func(c *Config) { c.Products = nil },
		"ages":             func(c *Config) { c.MinAge, c.MaxAge = 50, 40 },
	} {
		c := base
		mod(&c)
		if _, err := New(c); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	c := base
	c.FirstDoseShare = 0
	g, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	for range g.Doses {
		t.Fatal("doses with FirstDoseShare 0")
	}
}

func BenchmarkGenerate(b *testing.B) {
	g := newGen(b, 100000, 1)
	for b.Loop() {
		n := 0
		for range g.Doses {
			n++
		}
		if n == 0 {
			b.Fatal("no doses")
		}
	}
}

func BenchmarkPeople(b *testing.B) {
	g := newGen(b, 100000, 1)
	for b.Loop() {
		for range g.People {
		}
	}
}
