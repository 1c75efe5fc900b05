package dhis2

import (
	"fmt"
	"io"
	"syscall"
	"testing"
	"time"

	"vaxtrace"
)

// synthetic is a Source of a national year: points spread over regions,
// each giving perDay doses a day (first doses, second doses three weeks
// later, some boosters), across products, sexes and ages. It generates the
// facts as it iterates (no memory held), like the registry's own pass.
type synthetic struct {
	regions []*vaxtrace.Region
	points  []string
	region  []string // region of each point
	from    vaxtrace.Date
	days    int
	perDay  int
}

func newSynthetic(regions, points, days, perDay int) *synthetic {
	s := &synthetic{from: vaxtrace.MkDate(2021, 1, 4), days: days, perDay: perDay}
	for r := 0; r < regions; r++ {
		s.regions = append(s.regions, &vaxtrace.Region{Code: fmt.Sprintf("KZ-R%02d", r)})
	}
	for p := 0; p < points; p++ {
		s.points = append(s.points, fmt.Sprintf("VP-%04d", p))
		s.region = append(s.region, s.regions[p%regions].Code)
	}
	return s
}

var synthProducts = []string{"sputnik-v", "qazvac", "sinopharm-bibp", "hayat-vax", "coronavac"}
var synthSex = []string{vaxtrace.SexFemale, vaxtrace.SexMale, vaxtrace.SexFemale, vaxtrace.SexMale, vaxtrace.SexUnknown}

func (s *synthetic) EachDoseFact(fn func(vaxtrace.DoseFact) bool) {
	k := 0
	for d := 0; d < s.days; d++ {
		day := s.from + vaxtrace.Date(d)
		for p, pt := range s.points {
			for i := 0; i < s.perDay; i++ {
				k++
				f := vaxtrace.DoseFact{Place: pt, Region: s.region[p], Day: day, Known: day, Product: synthProducts[k%5], Component: "1",
					Number: 1 + k%2, AgeBand: uint8(k % 8), Sex: synthSex[k%5]}
				if k%7 == 0 {
					f.Number, f.Booster = 3, true
				}
				f.Complete = f.Number == 2
				if !fn(f) {
					return
				}
			}
		}
	}
}

func (s *synthetic) Daily(region, product string, m int, from, to vaxtrace.Date) []int64 {
	return make([]int64, int(to-from)+1)
}
func (s *synthetic) StockPosition(string, vaxtrace.Date) []vaxtrace.StockLine { return nil }
func (s *synthetic) Regions() []*vaxtrace.Region                              { return s.regions }
func (s *synthetic) Place(string) *vaxtrace.PlaceState                        { return nil }
func (s *synthetic) Products() []*vaxtrace.Product                            { return nil }

// nationalMapping: doses by dose number (first, second, booster) at every
// point and region, first doses and completed series by region and age
// band, doses by sex by region.
func nationalMapping(s *synthetic) *Mapping {
	m := &Mapping{DataSet: "dsCOVAC0001", OrgUnits: map[string]string{}}
	for _, r := range s.regions {
		m.OrgUnits[r.Code] = "ou" + r.Code
	}
	for _, p := range s.points {
		m.OrgUnits[p] = "ou" + p
	}
	dose := Dimension{Name: DimDose, Category: "DOSE", Options: []Option{{Code: "D1", Values: []string{"1"}}, {Code: "D2", Values: []string{"2"}}, {Code: "B", Values: []string{"booster", "*"}}}}
	sex := Dimension{Name: DimSex, Category: "SEX", Options: []Option{{Code: "F"}, {Code: "M"}, {Code: "U"}}}
	age := Dimension{Name: DimAgeBand, Category: "AGE", Options: []Option{{Code: "Y", Values: []string{"0-17"}}, {Code: "A", Values: []string{"18-29", "30-39", "40-49", "50-59"}}, {Code: "O", Values: []string{"60-69", "70-79", "80+"}}}}
	entry := func(measure, de, level string, dims ...Dimension) Entry {
		e := Entry{Measure: measure, DataElement: de, Level: level, Dimensions: dims, CategoryOptionCombos: map[string]string{}}
		for _, k := range e.comboKeys() {
			e.CategoryOptionCombos[k] = "coc" + k
		}
		return e
	}
	m.Entries = []Entry{
		entry(MeasureDoses, "deDosesPt01", LevelPoint, dose),
		entry(MeasureDoses, "deDosesRg01", LevelRegion, dose, sex),
		entry(MeasurePeopleFirst, "deFirstRg01", LevelRegion, age),
		entry(MeasurePeopleFull, "deFullRg001", LevelRegion, age),
	}
	if err := m.Validate(); err != nil {
		panic(err)
	}
	return m
}

// BenchmarkYearOfDailyValues: a year of daily data values for 17 regions
// and 3,000 points, computed and encoded as a dataValueSets payload. perDay
// is doses per point per day: 16 is Kazakhstan's 2021 pace (about 17.5
// million doses in the year), 1 a quiet year.
func BenchmarkYearOfDailyValues(b *testing.B) {
	for _, perDay := range []int{1, 16} {
		b.Run(fmt.Sprintf("doses-per-point-day=%d", perDay), func(b *testing.B) {
			src := newSynthetic(17, 3000, 365, perDay)
			m := nationalMapping(src)
			p, _ := NewPeriods(Daily, src.from, src.from+364)
			var values int
			c0 := cpuTime()
			for i := 0; i < b.N; i++ {
				r := Compute(src, m, p)
				if err := EncodeJSON(io.Discard, r, r.Values); err != nil {
					b.Fatal(err)
				}
				values = len(r.Values)
			}
			// the work is one goroutine's: on a shared machine its CPU time
			// is what an idle machine's wall time would be
			b.ReportMetric(float64((cpuTime()-c0).Milliseconds())/float64(b.N), "cpu-ms/op")
			b.ReportMetric(float64(values), "values")
			b.ReportMetric(float64(src.days*len(src.points)*src.perDay), "doses")
		})
	}
}

// cpuTime is the CPU time (user + system) the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
