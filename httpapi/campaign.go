package httpapi

import (
	"encoding/csv"
	"net/http"

	"vaxtrace"
)

// maxSeriesDays bounds a requested daily series.
const maxSeriesDays = 3660

// targetMeasure maps a target measure to the coverage measure it counts.
func targetMeasure(m string) int {
	switch m {
	case vaxtrace.MeasureFull:
		return vaxtrace.MFull
	case vaxtrace.MeasureBooster:
		return vaxtrace.MBoosted
	}
	return vaxtrace.MDose1
}

type dayValue struct {
	Date  vaxtrace.Date `json:"date"`
	Value int64         `json:"value"`
}

type targetProgress struct {
	vaxtrace.Target
	Achieved int64      `json:"achieved"` // people reaching the measure between From and min(To, as_of)
	Percent  float64    `json:"percent"`  // of Value
	Progress []dayValue `json:"progress,omitempty"`
	// DaysLeft are the days of the window after as_of; RateNeeded the
	// people a day it takes from then on to meet the target, RateRecent
	// the mean of the last 7 days up to as_of.
	DaysLeft   int     `json:"days_left"`
	RateNeeded float64 `json:"rate_needed"`
	RateRecent float64 `json:"rate_recent"`
}

func progressOf(st *vaxtrace.State, t *vaxtrace.Target, asOf vaxtrace.Date, daily bool) targetProgress {
	m := targetMeasure(t.Measure)
	base := st.CumulativeGroup(t.Region, m, t.Group, t.From-1)
	end := min(t.To, asOf)
	tp := targetProgress{Target: *t}
	if end >= t.From {
		tp.Achieved = st.CumulativeGroup(t.Region, m, t.Group, end) - base
		if daily {
			for d := t.From; d <= end; d++ {
				tp.Progress = append(tp.Progress, dayValue{Date: d, Value: st.CumulativeGroup(t.Region, m, t.Group, d) - base})
			}
		}
	}
	if t.Value > 0 {
		tp.Percent = round2(float64(tp.Achieved) * 100 / float64(t.Value))
	}
	if t.To > asOf {
		tp.DaysLeft = int(t.To - max(asOf, t.From-1))
		tp.RateNeeded = round2(float64(max(0, t.Value-tp.Achieved)) / float64(tp.DaysLeft))
	}
	week := st.CumulativeGroup(t.Region, m, t.Group, asOf) - st.CumulativeGroup(t.Region, m, t.Group, asOf-7)
	tp.RateRecent = round2(float64(week) / 7)
	return tp
}

func round2(f float64) float64 { return float64(int64(f*100+0.5)) / 100 }

func (s *Server) listTargets(w http.ResponseWriter, r *http.Request) error {
	if err := s.checkDays(r, "as_of"); err != nil {
		return err
	}
	asOf, err := dateParam(r, "as_of", s.today())
	if err != nil {
		return err
	}
	var out []targetProgress
	_ = s.read(func(st *vaxtrace.State) error {
		for _, t := range st.Targets() {
			out = append(out, progressOf(st, t, asOf, true))
		}
		return nil
	})
	writeJSON(w, http.StatusOK, map[string]any{"as_of": asOf, "targets": nonNil(out)})
	return nil
}

func (s *Server) setTarget(w http.ResponseWriter, r *http.Request) error {
	var t vaxtrace.Target
	if err := s.decode(w, r, &t); err != nil {
		return err
	}
	return s.write(w, r, http.StatusCreated, "", vaxtrace.TargetSet{Target: t})
}

// population of a region, or of the country ("") on day d.
func population(st *vaxtrace.State, region string, d vaxtrace.Date) int64 {
	if region != "" {
		if rg := st.Region(region); rg != nil {
			return int64(rg.Population)
		}
		return 0
	}
	var n int64
	for _, rg := range st.Regions() {
		if rg.ValidFrom == nil || *rg.ValidFrom <= d {
			n += int64(rg.Population)
		}
	}
	return n
}

func pct(n, of int64) float64 {
	if of <= 0 {
		return 0
	}
	return round2(float64(n) * 100 / float64(of))
}

type measureSeries struct {
	Daily      []int64   `json:"daily"`
	Cumulative []int64   `json:"cumulative"`
	Percent    []float64 `json:"percent,omitempty"` // of the population, for people measures
}

type coverageResponse struct {
	Region     string                   `json:"region,omitempty"`
	Product    string                   `json:"product,omitempty"`
	From       vaxtrace.Date            `json:"from"`
	To         vaxtrace.Date            `json:"to"`
	KnownAt    *vaxtrace.Date           `json:"known_at,omitempty"`
	Population int64                    `json:"population"`
	Measures   map[string]measureSeries `json:"measures"`
}

// peopleMeasure reports whether m counts people (and so has a percentage).
func peopleMeasure(m int) bool {
	return m == vaxtrace.MDose1 || m == vaxtrace.MFull || m == vaxtrace.MBoosted
}

func checkRegionProduct(st *vaxtrace.State, region, product string) error {
	if region != "" && st.Region(region) == nil {
		return vaxtrace.NotFound("region", "unknown region %q", region)
	}
	if product != "" && st.Product(product) == nil {
		return vaxtrace.NotFound("product", "unknown product %q", product)
	}
	return nil
}

func (s *Server) coverage(w http.ResponseWriter, r *http.Request) error {
	if err := s.checkDays(r, "to", "known_at"); err != nil {
		return err
	}
	q := r.URL.Query()
	region, product := q.Get("region"), q.Get("product")
	to, err := dateParam(r, "to", s.today())
	if err != nil {
		return err
	}
	from, err := dateParam(r, "from", to-89)
	if err != nil {
		return err
	}
	if to < from {
		return vaxtrace.FieldError("to", "is before from")
	}
	if to-from >= maxSeriesDays {
		return vaxtrace.FieldError("from", "at most %d days per request", maxSeriesDays)
	}
	if from < vaxtrace.CovEpoch {
		return vaxtrace.FieldError("from", "series start on %s", vaxtrace.CovEpoch)
	}
	out := coverageResponse{Region: region, Product: product, From: from, To: to, Measures: map[string]measureSeries{}}
	if q.Get("known_at") != "" {
		k, err := dateParam(r, "known_at", 0)
		if err != nil {
			return err
		}
		if product != "" {
			return vaxtrace.FieldError("known_at", "cannot be combined with product")
		}
		out.KnownAt = &k
	}
	n := int(to-from) + 1
	err = s.read(func(st *vaxtrace.State) error {
		if err := checkRegionProduct(st, region, product); err != nil {
			return err
		}
		out.Population = population(st, region, to)
		for m, name := range vaxtrace.MeasureNames {
			all := st.Daily(region, product, m, vaxtrace.CovEpoch, to)
			ms := measureSeries{Daily: all[len(all)-n:], Cumulative: make([]int64, n)}
			var run int64
			for _, v := range all[:len(all)-n] {
				run += v
			}
			for i, v := range ms.Daily {
				run += v
				ms.Cumulative[i] = run
			}
			if out.KnownAt != nil {
				k := *out.KnownAt
				ms.Cumulative = st.KnownSeries(region, m, from, to, func(vaxtrace.Date) vaxtrace.Date { return k })
			}
			if peopleMeasure(m) {
				ms.Percent = make([]float64, n)
				for i, c := range ms.Cumulative {
					ms.Percent[i] = pct(c, out.Population)
				}
			}
			out.Measures[name] = ms
		}
		return nil
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

type ageRow struct {
	Band   string           `json:"band"`
	Counts map[string]int64 `json:"counts"`
}

type demographicsResponse struct {
	Region string                      `json:"region,omitempty"`
	AsOf   vaxtrace.Date               `json:"as_of"`
	ByAge  []ageRow                    `json:"by_age"`
	BySex  map[string]map[string]int64 `json:"by_sex"` // sex -> measure -> count (current totals)
}

func (s *Server) demographics(w http.ResponseWriter, r *http.Request) error {
	if err := s.checkDays(r, "as_of"); err != nil {
		return err
	}
	region := r.URL.Query().Get("region")
	asOf, err := dateParam(r, "as_of", s.today())
	if err != nil {
		return err
	}
	out := demographicsResponse{Region: region, AsOf: asOf, BySex: map[string]map[string]int64{}}
	for _, b := range vaxtrace.AgeBands {
		out.ByAge = append(out.ByAge, ageRow{Band: b, Counts: map[string]int64{}})
	}
	sexes := []string{vaxtrace.SexMale, vaxtrace.SexFemale, vaxtrace.SexUnknown}
	for _, x := range sexes {
		out.BySex[x] = map[string]int64{}
	}
	err = s.read(func(st *vaxtrace.State) error {
		if err := checkRegionProduct(st, region, ""); err != nil {
			return err
		}
		for m, name := range vaxtrace.MeasureNames {
			for b, n := range st.ByAge(region, m, asOf) {
				out.ByAge[b].Counts[name] = n
			}
			for i, n := range st.BySex(region, m) {
				out.BySex[sexes[i]][name] = n
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// exportOWID writes the national series in the OWID country CSV format, one
// row per day from the first dose to as_of. With known_at, figures are as
// they were known at the end of that day.
func (s *Server) exportOWID(w http.ResponseWriter, r *http.Request) error {
	var known *vaxtrace.Date
	if r.URL.Query().Get("known_at") != "" {
		k, err := dateParam(r, "known_at", 0)
		if err != nil {
			return err
		}
		known = &k
	}
	def := s.today()
	if known != nil {
		def = *known
	}
	asOf, err := dateParam(r, "as_of", def)
	if err != nil {
		return err
	}
	if asOf < vaxtrace.CovEpoch {
		return vaxtrace.FieldError("as_of", "before %s", vaxtrace.CovEpoch)
	}
	if asOf-vaxtrace.CovEpoch >= maxSeriesDays {
		return vaxtrace.FieldError("as_of", "too far after %s", vaxtrace.CovEpoch)
	}
	mode := r.URL.Query().Get("mode")
	if mode != "" && mode != "published" && mode != "known" {
		return vaxtrace.FieldError("mode", "must be published (each day as its own publication showed it) or known (as known now or at known_at)")
	}
	var rows [][]string
	s.eng.Read(func(st *vaxtrace.State) {
		if r.URL.Query().Get("as_of") == "" && known == nil && st.LastDay() < asOf {
			asOf = max(st.LastDay(), vaxtrace.CovEpoch)
		}
		var kf func(vaxtrace.Date) vaxtrace.Date
		switch {
		case mode == "published":
			kf = func(d vaxtrace.Date) vaxtrace.Date { return d }
		case known != nil:
			k := *known
			kf = func(vaxtrace.Date) vaxtrace.Date { return k }
		}
		rows = st.OWIDRows(asOf, kf, "Kazakhstan", s.opts.SourceURL)
	})
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="Kazakhstan.csv"`)
	cw := csv.NewWriter(w)
	_ = cw.Write(vaxtrace.OWIDHeader)
	_ = cw.WriteAll(rows)
	return cw.Error()
}
