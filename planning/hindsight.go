package planning

import (
	"bytes"
	"math"
	"sort"
	"sync"

	"vaxtrace"
	"vaxtrace/plan"
)

// HindsightJSON puts what actually happened (the published national
// series) beside what the model said for a national target, and gives the
// reasons for the difference.
type HindsightJSON struct {
	Source string `json:"source"`
	// Points are the published cumulative figures from the cut-off to a
	// week after the window, each beside the forecast for that day.
	Points []HindsightPoint `json:"points"`
	// Actual is the doses of the target's kind given in the window per the
	// series; Estimated says that an end of the window fell in a gap of the
	// series and was interpolated between FromKnown and ToKnown.
	Actual    int           `json:"actual"`
	Estimated bool          `json:"estimated"`
	FromKnown vaxtrace.Date `json:"from_known"`
	ToKnown   vaxtrace.Date `json:"to_known"`
	Forecast  int           `json:"forecast"`
	BandLow   int           `json:"band_low"`
	BandHigh  int           `json:"band_high"`
	// Verdict is "inside", "above" or "below" the band.
	Verdict string         `json:"verdict"`
	Reasons []plan.Message `json:"reasons"`
}

// HindsightPoint is one published figure and the forecast for its day.
type HindsightPoint struct {
	Date     vaxtrace.Date `json:"date"`
	Actual   int           `json:"actual"`
	Forecast int           `json:"forecast"`
}

var (
	owidOnce sync.Once
	owidRows []plan.OWIDRow
)

func embeddedOWID() []plan.OWIDRow {
	owidOnce.Do(func() {
		rows, err := plan.ParseOWID(bytes.NewReader(owidCSV))
		if err == nil {
			owidRows = rows
		}
	})
	return owidRows
}

// event is something that happened after a cut-off and changed the
// campaign, which the ledger could not know on that day.
type event struct {
	date vaxtrace.Date
	msg  plan.Message
}

// events2021 are the turning points of the 2021 campaign from the shared
// reference (kazakhstan-2021.yaml, campaign timeline, with its sources).
var events2021 = []event{
	{vaxtrace.MkDate(2021, 4, 2), plan.Explain("On %s vaccination was opened to all eligible adults; until then only priority groups were vaccinated (inform.kz a3789149).", "2021-04-02")},
	{vaxtrace.MkDate(2021, 4, 12), plan.Explain("On %s the Ministry reported %s doses delivered to the regions since 1 February, %s more the next day and %s more expected in April: more than the agreements in the ledger held (inform.kz a3775140).", "2021-04-12", plan.N(611_000), plan.N(300_000), plan.N(1_400_000))},
	{vaxtrace.MkDate(2021, 4, 12), plan.Explain("On %s %s vaccination centres were open, with sites in malls and markets (inform.kz a3775140).", "2021-04-12", plan.N(916))},
	{vaxtrace.MkDate(2021, 4, 26), plan.Explain("QazVac vaccination started on %s with %s doses (inform.kz a3780770).", "2021-04-26", plan.N(50_000))},
	{vaxtrace.MkDate(2021, 4, 27), plan.Explain("On %s %s doses of Hayat-Vax were bought, %s of them for April (kt.kz).", "2021-04-27", plan.N(1_000_000), plan.N(400_000))},
	{vaxtrace.MkDate(2021, 5, 5), plan.Explain("By early May the pace had risen from about %s doses a day on 1 April to %s, with %s vaccination rooms (inform.kz a3784748).", plan.N(11_000), plan.N(135_000), plan.N(1_400))},
	{vaxtrace.MkDate(2021, 6, 15), plan.Explain("By %s component I stock at vaccination points had risen to %s, from %s on 1 June (inform.kz a3801021, a3795134).", "2021-06-15", plan.N(1_200_000), plan.N(330_000))},
}

// Hindsight compares a national target's forecast with the published
// series (the embedded OWID file), where it covers the window; nil
// otherwise.
func Hindsight(f plan.ForecastResult, tr plan.TargetResult) *HindsightJSON {
	t := tr.Target
	if t.Region != "" || t.Cumulative || t.Group != "" {
		return nil
	}
	rows := embeddedOWID()
	get := func(r *plan.OWIDRow) plan.Count {
		switch t.Measure {
		case plan.MeasureFull:
			return r.PeopleFullyVaccinated
		case plan.MeasureBooster:
			return r.TotalBoosters
		}
		return r.PeopleVaccinated
	}
	var known []plan.OWIDRow
	for _, r := range rows {
		if get(&r).Known {
			known = append(known, r)
		}
	}
	if len(known) < 2 || known[len(known)-1].Date < t.To || known[0].Date > t.From-1 {
		return nil
	}
	// value at d, interpolated between the known figures around it
	at := func(d plan.Day) (float64, plan.Day, plan.Day) {
		i := sort.Search(len(known), func(i int) bool { return known[i].Date >= d })
		if known[i].Date == d || i == 0 {
			return float64(get(&known[i]).N), known[i].Date, known[i].Date
		}
		a, b := known[i-1], known[i]
		va, vb := float64(get(&a).N), float64(get(&b).N)
		return va + (vb-va)*float64(d-a.Date)/float64(b.Date-a.Date), a.Date, b.Date
	}
	v0, lo0, hi0 := at(t.From - 1)
	v1, lo1, hi1 := at(t.To)
	h := &HindsightJSON{Source: OWIDAttribution, Actual: int(math.Round(v1 - v0)), Forecast: tr.Value, BandLow: tr.BandLow, BandHigh: tr.BandHigh,
		Estimated: lo0 != hi0 || lo1 != hi1, FromKnown: Date(lo0), ToKnown: Date(hi1), Reasons: []plan.Message{}}
	// published figures from the cut-off to a week after the window
	for _, r := range known {
		if r.Date < f.AsOf || r.Date > t.To+7 || int(r.Date-f.AsOf) >= len(f.National.Days) {
			continue
		}
		dp := f.National.Days[r.Date-f.AsOf]
		fc := dp.PeopleFirst
		switch t.Measure {
		case plan.MeasureFull:
			fc = dp.PeopleFull
		case plan.MeasureBooster:
			fc = dp.PeopleBooster
		}
		h.Points = append(h.Points, HindsightPoint{Date: Date(r.Date), Actual: int(get(&r).N), Forecast: fc})
	}
	add := func(m plan.Message) { h.Reasons = append(h.Reasons, m) }
	switch {
	case h.Actual > tr.BandHigh:
		h.Verdict = "above"
		add(plan.Explain("%s doses were given in the window, above the forecast's range of %s to %s.", plan.N(h.Actual), plan.N(tr.BandLow), plan.N(tr.BandHigh)))
		if h.Actual > tr.SupplyMax {
			add(plan.Explain("That is more than the %s the stock and the pipeline known on %s allowed: more doses arrived, or arrived earlier, than the agreements recorded in the ledger.", plan.N(tr.SupplyMax), f.AsOf))
		}
		if h.Actual > tr.DemandOnly {
			add(plan.Explain("It is also more than the %s the uptake trend gave: more people came forward than the recent rate.", plan.N(tr.DemandOnly)))
		}
	case h.Actual < tr.BandLow:
		h.Verdict = "below"
		add(plan.Explain("%s doses were given in the window, below the forecast's range of %s to %s: fewer people came forward, or stock arrived later, than the model expected.", plan.N(h.Actual), plan.N(tr.BandLow), plan.N(tr.BandHigh)))
	default:
		h.Verdict = "inside"
		add(plan.Explain("%s doses were given in the window, inside the forecast's range of %s to %s.", plan.N(h.Actual), plan.N(tr.BandLow), plan.N(tr.BandHigh)))
	}
	if h.Estimated {
		add(plan.Explain("The series has gaps: the figures at the ends of the window are interpolated between the published ones of %s and %s.", Date(lo0), Date(hi1)))
	}
	if h.Verdict != "inside" {
		for _, e := range events2021 {
			if Day(e.date) >= f.AsOf && Day(e.date) <= t.To+7 {
				add(e.msg)
			}
		}
	}
	return h
}
