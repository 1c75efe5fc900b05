package gen

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"time"

	"vaxtrace"
)

// SeriesRow is one publication of a national series (an OWID row): the
// cumulative figures published that day; -1 where the row leaves a figure
// empty (unknown, not zero).
type SeriesRow struct {
	Day                       vaxtrace.Date
	Total, First, Full, Boost int64
}

// ReadOWID reads an Our World in Data country file
// (location,date,vaccine,source_url,total_vaccinations,people_vaccinated,
// people_fully_vaccinated,total_boosters). When a date repeats, its last
// row stands.
func ReadOWID(r io.Reader) ([]SeriesRow, error) {
	cr := csv.NewReader(r)
	head, err := cr.Read()
	if err != nil {
		return nil, vaxtrace.Errorf(vaxtrace.EINVALID, "OWID file: %v", err)
	}
	col := map[string]int{}
	for i, h := range head {
		col[h] = i
	}
	for _, c := range []string{"date", "total_vaccinations", "people_vaccinated", "people_fully_vaccinated", "total_boosters"} {
		if _, ok := col[c]; !ok {
			return nil, vaxtrace.Errorf(vaxtrace.EINVALID, "OWID file: no %s column", c)
		}
	}
	var out []SeriesRow
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, vaxtrace.Errorf(vaxtrace.EINVALID, "OWID file line %d: %v", line, err)
		}
		d, err := vaxtrace.ParseDate(rec[col["date"]])
		if err != nil {
			return nil, vaxtrace.FieldError(fmt.Sprintf("line %d.date", line), "%s", vaxtrace.ErrorMessage(err))
		}
		num := func(c string) (int64, error) {
			v := rec[col[c]]
			if v == "" {
				return -1, nil
			}
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				return 0, vaxtrace.FieldError(fmt.Sprintf("line %d.%s", line, c), "%q is not a count", v)
			}
			return n, nil
		}
		row := SeriesRow{Day: d}
		for c, p := range map[string]*int64{"total_vaccinations": &row.Total, "people_vaccinated": &row.First, "people_fully_vaccinated": &row.Full, "total_boosters": &row.Boost} {
			if *p, err = num(c); err != nil {
				return nil, err
			}
		}
		if n := len(out); n > 0 && out[n-1].Day == d {
			out[n-1] = row
			continue
		}
		if n := len(out); n > 0 && out[n-1].Day > d {
			return nil, vaxtrace.FieldError(fmt.Sprintf("line %d.date", line), "%s is before the row above (%s)", d, out[n-1].Day)
		}
		out = append(out, row)
	}
}

// MigrationConfig shapes a migration: the published series it replays and
// the places it uses.
type MigrationConfig struct {
	Series []SeriesRow
	// Scale multiplies every figure (1: as published; 0.001 for tests).
	Scale           float64
	Regions         []vaxtrace.Region
	PointsPerRegion int
	// Product is the two-component product used for every dose (its
	// component I for first doses and boosters, II for second doses).
	Product vaxtrace.Product
}

// MigrationDose is one dose of a migration with its person and when the
// source registry knew it (the day of the first publication that counted
// it).
type MigrationDose struct {
	ID       string
	IIN      string
	Family   string
	Given    string
	Birth    vaxtrace.Date
	Sex      string
	Region   string
	At       time.Time
	Recorded vaxtrace.Date
	Place    string
	Lot      string
}

// Migration replays a published national series as person-level doses:
// between two publications the increase of first doses, completed series
// and boosters is spread over the days in between, and every dose is
// recorded on the day of the publication that first counted it. Replayed
// through an import that keeps recording times, the registry's "as
// published" figures on publication days are the series' own (up to the
// rounding of Scale, and second doses or boosters that the schedule rules
// hold back to a later day). It is deterministic and streams: memory is the
// people waiting for a second dose or a booster (8 bytes each).
type Migration struct {
	cfg    MigrationConfig
	points []string
	lots   [2]string
}

// NewMigration checks the configuration.
func NewMigration(cfg MigrationConfig) (*Migration, error) {
	if len(cfg.Series) < 2 {
		return nil, vaxtrace.FieldError("series", "needs at least two publications")
	}
	if cfg.Scale <= 0 {
		cfg.Scale = 1
	}
	if len(cfg.Regions) == 0 || cfg.PointsPerRegion <= 0 {
		return nil, vaxtrace.FieldError("regions", "needs regions and points per region")
	}
	if len(cfg.Product.Components) != 2 {
		return nil, vaxtrace.FieldError("product", "needs a two-component product")
	}
	m := &Migration{cfg: cfg, lots: [2]string{"MIG-" + cfg.Product.Code + "-" + cfg.Product.Components[0].Code, "MIG-" + cfg.Product.Code + "-" + cfg.Product.Components[1].Code}}
	for _, r := range cfg.Regions {
		for i := 0; i < cfg.PointsPerRegion; i++ {
			m.points = append(m.points, MigrationPoint(r.Code, i))
		}
	}
	return m, nil
}

// MigrationPoint is the id of a migration's vaccination point.
func MigrationPoint(region string, i int) string { return fmt.Sprintf("MIG-%s-P%02d", region, i+1) }

// MigrationWarehouse is the national warehouse of a migration.
const MigrationWarehouse = "MIG-NW"

// Lots returns the two lots (component I, component II).
func (m *Migration) Lots() [2]string { return m.lots }

// Points returns the vaccination points.
func (m *Migration) Points() []string { return m.points }

// targets returns the cumulative targets of a publication, carrying
// unknown figures forward; an unknown split of a known total goes to
// boosters (late in a campaign most new doses are boosters).
func targets(r SeriesRow, prev [3]int64, scale float64) [3]int64 {
	t := prev
	sc := func(v int64) int64 { return int64(float64(v)*scale + 0.5) }
	if r.First >= 0 {
		t[0] = max(sc(r.First), prev[0])
	}
	if r.Full >= 0 {
		t[1] = max(sc(r.Full), prev[1])
	}
	switch {
	case r.Boost >= 0:
		t[2] = max(sc(r.Boost), prev[2])
	case r.Total >= 0:
		t[2] = max(sc(r.Total)-t[0]-t[1], prev[2])
	}
	t[1] = min(t[1], t[0])
	return t
}

type waiting struct {
	person int32
	day    vaxtrace.Date
}

// Doses streams the doses in the order they were given.
func (m *Migration) Doses(yield func(MigrationDose) bool) {
	var done [3]int64 // first, second, booster doses given so far
	var second, booster []waiting
	persons := int32(0)
	interval := vaxtrace.Date(max(m.cfg.Product.IntervalDays, 1))
	boostAfter := vaxtrace.Date(max(m.cfg.Product.BoosterIntervalDays, vaxtrace.DefaultBoosterIntervalDays))
	series := m.cfg.Series
	prev := targets(series[0], [3]int64{}, m.cfg.Scale)
	pub := series[0].Day
	// doses counted by the first publication are given on its day
	spans := []struct {
		from, to vaxtrace.Date
		target   [3]int64
	}{{pub, pub, prev}}
	for _, r := range series[1:] {
		t := targets(r, prev, m.cfg.Scale)
		spans = append(spans, struct {
			from, to vaxtrace.Date
			target   [3]int64
		}{pub + 1, r.Day, t})
		prev, pub = t, r.Day
	}
	seq := 0
	for _, sp := range spans {
		days := int(sp.to-sp.from) + 1
		start := done
		for i := 0; i < days; i++ {
			day := sp.from + vaxtrace.Date(i)
			for k := 0; k < 3; k++ {
				want := start[k] + (sp.target[k]-start[k])*int64(i+1)/int64(days)
			due:
				for done[k] < want {
					var p int32
					var kind int
					switch k {
					case 0:
						p, kind = persons, 0
						persons++
						second = append(second, waiting{p, day})
					case 1:
						if len(second) == 0 || second[0].day+interval > day {
							break due // nobody due yet: these doses come later
						}
						p, kind = second[0].person, 1
						second = second[1:]
						booster = append(booster, waiting{p, day})
					default:
						if len(booster) == 0 || booster[0].day+boostAfter > day {
							break due
						}
						p, kind = booster[0].person, 2
						booster = append(booster[1:], waiting{p, day}) // a later booster may follow
					}
					done[k]++
					seq++
					if !yield(m.dose(p, kind, day, sp.to, seq)) {
						return
					}
				}
			}
		}
	}
}

var migFamilies = []string{"Абенов", "Ахметова", "Иванов", "Сейткали", "Нурланова", "Ким", "Жумабаев", "Петрова"}
var migGiven = []string{"Арман", "Айгерим", "Сергей", "Дана", "Ерлан", "Мадина", "Олег", "Асель"}

// person details are a function of the person's number: nothing is kept.
func (m *Migration) dose(p int32, kind int, day, recorded vaxtrace.Date, seq int) MigrationDose {
	n := int(p)
	regions := m.cfg.Regions
	region := regions[n%len(regions)].Code
	point := m.points[(n%len(regions))*m.cfg.PointsPerRegion+(n/len(regions))%m.cfg.PointsPerRegion]
	// birth dates 1941..2002, one IIN serial per person of that day and sex
	birth := vaxtrace.MkDate(1941, 1, 1) + vaxtrace.Date(n%22645)
	female := n%2 == 1
	iin := migrationIIN(birth, female, n/22645)
	sex := vaxtrace.SexMale
	if female {
		sex = vaxtrace.SexFemale
	}
	lot := m.lots[0]
	if kind == 1 {
		lot = m.lots[1]
	}
	at := day.Time().Add(time.Duration(3+seq%9)*time.Hour + time.Duration(seq%60)*time.Minute)
	return MigrationDose{ID: fmt.Sprintf("mig-%d-%d-%d", p, kind+1, seq), IIN: iin, Family: migFamilies[n%len(migFamilies)], Given: migGiven[(n/7)%len(migGiven)],
		Birth: birth, Sex: sex, Region: region, At: at, Recorded: recorded, Place: point, Lot: lot}
}

// migrationIIN returns a valid IIN of a birth date and sex for a serial
// below 1000 (ten four-digit serial numbers per serial, the first whose
// check digit is ever issued).
func migrationIIN(birth vaxtrace.Date, female bool, serial int) string {
	t := birth.Time()
	century := 3 // born 1900-1999, male
	if t.Year() >= 2000 {
		century = 5
	}
	if female {
		century++
	}
	// ten serial numbers per person: one of them has an issued check digit
	for k := serial * 10; ; k++ {
		prefix := fmt.Sprintf("%02d%02d%02d%d%04d", t.Year()%100, int(t.Month()), t.Day(), century, k%10000)
		if iin, ok := vaxtrace.CompleteIIN(prefix); ok {
			return iin
		}
	}
}

// Stock counts the doses each point gives of each lot, for the shipments
// that must precede them (one pass over the doses).
func (m *Migration) Stock() map[string][2]int64 {
	out := map[string][2]int64{}
	m.Doses(func(d MigrationDose) bool {
		c := out[d.Place]
		if d.Lot == m.lots[1] {
			c[1]++
		} else {
			c[0]++
		}
		out[d.Place] = c
		return true
	})
	return out
}

// MigrationFiles are the CSV files WriteMigrationCSV writes, in the order
// they are imported.
var MigrationFiles = []string{"places.csv", "lots.csv", "receipts.csv", "shipments.csv", "doses.csv"}

// WriteMigrationCSV writes a migration as the CSV files vaxtrace imports
// (csvimport), into create(name): the places (a national warehouse and the
// points), the two lots (released), their receipt, one shipment to each
// point (received at once), and the doses with their recording times. The
// store must already hold the regions and the product.
func (m *Migration) WriteMigrationCSV(create func(name string) (io.WriteCloser, error)) (doses int64, err error) {
	stock := m.Stock()
	t0 := m.cfg.Series[0].Day.Time().AddDate(0, 0, -10)
	day := func(t time.Time) string { return vaxtrace.DateOf(t).String() }
	write := func(name string, header []string, rows func(w *csv.Writer) error) error {
		f, err := create(name)
		if err != nil {
			return err
		}
		w := csv.NewWriter(f)
		if err := w.Write(header); err != nil {
			f.Close()
			return err
		}
		if err := rows(w); err != nil {
			f.Close()
			return err
		}
		w.Flush()
		if err := w.Error(); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	}
	var total [2]int64
	for _, c := range stock {
		total[0] += c[0]
		total[1] += c[1]
	}
	err = write("places.csv", []string{"id", "kind", "name", "region", "parent"}, func(w *csv.Writer) error {
		w.Write([]string{MigrationWarehouse, vaxtrace.PlaceNational, "National warehouse (migration)", "", ""})
		for i, pt := range m.points {
			r := m.cfg.Regions[i/m.cfg.PointsPerRegion].Code
			w.Write([]string{pt, vaxtrace.PlacePoint, "Vaccination point " + pt + " (migration)", r, MigrationWarehouse})
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	err = write("lots.csv", []string{"lot", "product", "component", "manufacturer", "manufactured", "expiry", "origin", "agreement", "tranche", "doses_per_vial", "released"}, func(w *csv.Writer) error {
		for i, l := range m.lots {
			w.Write([]string{l, m.cfg.Product.Code, m.cfg.Product.Components[i].Code, "migration", day(t0), "2030-12-31", vaxtrace.OriginDomestic, "", "", "", day(t0)})
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	err = write("receipts.csv", []string{"receipt", "place", "lot", "doses", "agreement", "tranche", "occurred", "recorded"}, func(w *csv.Writer) error {
		for i, l := range m.lots {
			if total[i] > 0 {
				w.Write([]string{"MIG-GRN-" + l, MigrationWarehouse, l, strconv.FormatInt(total[i], 10), "", "", t0.Add(time.Hour).Format(time.RFC3339), day(t0)})
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	err = write("shipments.csv", []string{"shipment", "from", "to", "dispatched", "lot", "doses", "recorded", "received"}, func(w *csv.Writer) error {
		for _, pt := range m.points {
			for i, l := range m.lots {
				if n := stock[pt][i]; n > 0 {
					at := t0.Add(2 * time.Hour).Format(time.RFC3339)
					w.Write([]string{"MIG-SH-" + pt + "-" + strconv.Itoa(i+1), MigrationWarehouse, pt, at, l, strconv.FormatInt(n, 10), day(t0), t0.Add(3 * time.Hour).Format(time.RFC3339)})
				}
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	err = write("doses.csv", []string{"id", "iin", "family", "given", "birth_date", "sex", "region", "group", "at", "place", "lot", "vaccinator", "override", "recorded"}, func(w *csv.Writer) error {
		var werr error
		m.Doses(func(d MigrationDose) bool {
			doses++
			werr = w.Write([]string{d.ID, d.IIN, d.Family, d.Given, d.Birth.String(), d.Sex, d.Region, "", d.At.Format(time.RFC3339), d.Place, d.Lot, "migration", "", d.Recorded.String()})
			return werr == nil
		})
		return werr
	})
	return doses, err
}
