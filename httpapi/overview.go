package httpapi

import (
	"net/http"
	"sort"

	"vaxtrace"
	"vaxtrace/asof"
	"vaxtrace/planning"
)

// overviewRegion is one region's line of the overview.
type overviewRegion struct {
	Code         string            `json:"code"`
	Name         string            `json:"name"`
	Names        map[string]string `json:"names,omitempty"`
	Population   int64             `json:"population"`
	First        int64             `json:"people_first"`
	Full         int64             `json:"people_full"`
	FirstPercent float64           `json:"first_percent"`
	FullPercent  float64           `json:"full_percent"`
	Delivered    int64             `json:"delivered"` // received from the national level, cumulative
	OnHand       int64             `json:"on_hand"`
	AtPoints     int64             `json:"at_points"`
	InTransit    int64             `json:"in_transit"`
	Administered int64             `json:"administered"`
	// WeeksOfSupply is stock on hand over the doses given in the last 7
	// days (nil when none were given).
	WeeksOfSupply *float64 `json:"weeks_of_supply,omitempty"`
}

// componentStock is the stock of one product component by level of the
// chain. Dose says which dose of the series it serves (1, or 2 for the
// second component of a two-component product such as Sputnik V II).
type componentStock struct {
	Product   string `json:"product"`
	Component string `json:"component"`
	Dose      int    `json:"dose"`
	National  int64  `json:"national"`
	Regional  int64  `json:"regional"` // regional warehouses
	Points    int64  `json:"points"`
	InTransit int64  `json:"in_transit"`
	Total     int64  `json:"total"`
}

// expectedSupply is what is still to come to the regions by the end of the
// month: stock in the national warehouses, what is on its way to the
// regions, and the undelivered doses of tranches due by the month's end.
type expectedSupply struct {
	By          vaxtrace.Date `json:"by"`
	National    int64         `json:"national_stock"`
	InTransit   int64         `json:"in_transit"`
	TranchesDue int64         `json:"tranches_due"`
	Total       int64         `json:"total"`
}

// secondDoses is the planner's second-dose reserve figure: people due a
// second dose within WithinDays (overdue included), by second-dose stock
// key, beside the stock of those keys.
type secondDoses struct {
	WithinDays int              `json:"within_days"`
	People     int64            `json:"people"`
	ByKey      map[string]int64 `json:"by_key"`
	OnHand     int64            `json:"on_hand"` // second-dose components in the regions and the national warehouses
}

type overviewResponse struct {
	// JournalSeq is the journal sequence number the figures were computed at.
	JournalSeq uint64         `json:"journal_seq"`
	AsOf       vaxtrace.Date  `json:"as_of"`
	KnownAt    *vaxtrace.Date `json:"known_at,omitempty"`
	LastDay    *vaxtrace.Date `json:"last_day,omitempty"` // latest day with any dose
	// CampaignStart is the first day of the campaign in the ledger.
	CampaignStart      *vaxtrace.Date   `json:"campaign_start,omitempty"`
	Population         int64            `json:"population"`
	Contracted         int64            `json:"contracted"`
	Delivered          int64            `json:"delivered"` // to the national warehouses under agreements
	DeliveredToRegions int64            `json:"delivered_to_regions"`
	Expected           expectedSupply   `json:"expected"`
	Late               int64            `json:"late"` // doses of tranches past their date and not delivered
	NationalWarehouse  int64            `json:"in_national_warehouse"`
	RegionalWarehouses int64            `json:"in_regional_warehouses"`
	AtPoints           int64            `json:"at_vaccination_points"`
	InTransit          int64            `json:"in_transit"`
	Administered       int64            `json:"administered"`
	WrittenOff         int64            `json:"written_off"`
	Stock              []componentStock `json:"stock"`
	SecondDosesDue     secondDoses      `json:"second_doses_due"`
	PeopleFirst        int64            `json:"people_first_dose"`
	PeopleFull         int64            `json:"people_completed_series"`
	PeopleBoosted      int64            `json:"people_boosted"`
	FirstPercent       float64          `json:"first_percent"`
	FullPercent        float64          `json:"full_percent"`
	Targets            []targetProgress `json:"targets"`
	Regions            []overviewRegion `json:"regions"`
}

// reportDays reads as_of (default today) and known_at (optional) and checks
// them: real dates, not before the campaign, not in the future, known_at
// not before as_of.
func (s *Server) reportDays(r *http.Request, st *vaxtrace.State) (asOf vaxtrace.Date, known *vaxtrace.Date, err error) {
	today := s.today()
	start := asof.Start(st)
	q := r.URL.Query()
	if asOf, err = asof.Parse("as_of", q.Get("as_of"), today); err != nil {
		return 0, nil, err
	}
	if q.Get("as_of") != "" {
		if err = asof.Check("as_of", asOf, start, today); err != nil {
			return 0, nil, err
		}
	}
	if q.Get("known_at") == "" {
		return asOf, nil, nil
	}
	k, err := asof.Parse("known_at", q.Get("known_at"), 0)
	if err == nil {
		err = asof.Check("known_at", k, start, today)
	}
	if err == nil {
		err = asof.Known(k, asOf)
	}
	if err != nil {
		return 0, nil, err
	}
	return asOf, &k, nil
}

// overview is the national dashboard summary: the week's questions at one
// glance. It reads counters kept at write time only (flows, coverage,
// agreements), never people or doses, so its cost does not grow with them.
// With known_at, people and stock figures are as they were known at the
// end of that day (supply figures are as recorded).
func (s *Server) overview(w http.ResponseWriter, r *http.Request) error {
	lang := r.URL.Query().Get("lang")
	var out overviewResponse
	err := s.read(func(st *vaxtrace.State) error {
		asOf, known, err := s.reportDays(r, st)
		if err != nil {
			return err
		}
		out = buildOverview(st, asOf, known, lang)
		return nil
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func buildOverview(st *vaxtrace.State, asOf vaxtrace.Date, known *vaxtrace.Date, lang string) overviewResponse {
	out := overviewResponse{JournalSeq: st.Seq, AsOf: asOf, KnownAt: known, Targets: []targetProgress{}, Regions: []overviewRegion{}, Stock: []componentStock{}}
	if start := asof.Start(st); start != 0 {
		out.CampaignStart = &start
	}
	monthEnd := vaxtrace.DateOf(asOf.Time().AddDate(0, 1, -asOf.Time().Day()))
	out.Expected.By = monthEnd
	for _, a := range st.SupplyPosition(asOf) {
		out.Contracted += a.Contracted
		out.Delivered += a.Delivered
		out.Late += a.Late
		for _, t := range a.Tranches {
			if t.Status != vaxtrace.TrancheLate && t.Expected <= monthEnd && t.Delivered < t.Doses {
				out.Expected.TranchesDue += t.Doses - t.Delivered
			}
		}
	}
	// people
	cum := func(region string, m int) int64 {
		if known != nil {
			return st.KnownCumulative(region, m, asOf, *known)
		}
		return st.Cumulative(region, m, asOf)
	}
	rows := map[string]*overviewRegion{}
	for _, rg := range st.Regions() {
		if rg.ValidFrom != nil && *rg.ValidFrom > asOf {
			continue
		}
		row := overviewRegion{Code: rg.Code, Name: rg.Name(lang), Names: rg.Names, Population: int64(rg.Population),
			First: cum(rg.Code, vaxtrace.MDose1), Full: cum(rg.Code, vaxtrace.MFull)}
		row.FirstPercent, row.FullPercent = pct(row.First, row.Population), pct(row.Full, row.Population)
		out.Regions = append(out.Regions, row)
	}
	for i := range out.Regions {
		rows[out.Regions[i].Code] = &out.Regions[i]
	}
	// stock by level and component
	lines := st.StockPosition("", asOf)
	if known != nil {
		lines = st.StockPositionKnown("", asOf, *known)
	}
	comps := map[[2]string]*componentStock{}
	comp := func(ln vaxtrace.StockLine) *componentStock {
		k := [2]string{ln.Product, ln.Component}
		c := comps[k]
		if c == nil {
			c = &componentStock{Product: ln.Product, Component: ln.Component, Dose: doseOf(st, ln.Product, ln.Component)}
			comps[k] = c
		}
		return c
	}
	for _, ln := range lines {
		out.InTransit += ln.InTransit
		out.Administered += ln.Administered
		out.WrittenOff += ln.WrittenOff
		c := comp(ln)
		c.InTransit += ln.InTransit
		if ln.Region == "" {
			out.NationalWarehouse += ln.OnHand
			c.National += ln.OnHand
			continue
		}
		out.DeliveredToRegions += ln.Delivered
		out.RegionalWarehouses += ln.OnHand - ln.AtPoints
		out.AtPoints += ln.AtPoints
		c.Regional += ln.OnHand - ln.AtPoints
		c.Points += ln.AtPoints
		if row := rows[ln.Region]; row != nil {
			row.Delivered += ln.Delivered
			row.OnHand += ln.OnHand
			row.AtPoints += ln.AtPoints
			row.InTransit += ln.InTransit
			row.Administered += ln.Administered
		}
	}
	for _, c := range comps {
		c.Total = c.National + c.Regional + c.Points + c.InTransit
		out.Stock = append(out.Stock, *c)
	}
	sort.Slice(out.Stock, func(i, j int) bool {
		a, b := out.Stock[i], out.Stock[j]
		if a.Product != b.Product {
			return a.Product < b.Product
		}
		return a.Component < b.Component
	})
	out.Expected.National = out.NationalWarehouse
	out.Expected.InTransit = out.InTransit
	out.Expected.Total = out.Expected.National + out.Expected.InTransit + out.Expected.TranchesDue
	// weeks of supply: stock over the last week's doses
	for i := range out.Regions {
		row := &out.Regions[i]
		if given := dosesGiven(st, row.Code, asOf-6, asOf); given > 0 {
			w := float64(int64(float64(row.OnHand)/float64(given)*10+0.5)) / 10
			row.WeeksOfSupply = &w
		}
	}
	// second doses due, as the planner reserves them
	due := planning.SecondDosesDue(st, "", asOf)
	out.SecondDosesDue = secondDoses{WithinDays: planning.ReserveDays, ByKey: map[string]int64{}}
	for k, n := range due {
		out.SecondDosesDue.ByKey[k] += int64(n)
		out.SecondDosesDue.People += int64(n)
	}
	for _, c := range out.Stock {
		if c.Dose == 2 {
			out.SecondDosesDue.OnHand += c.National + c.Regional + c.Points
		}
	}
	if ld := st.LastDay(); ld > 0 {
		out.LastDay = &ld
	}
	out.Population = population(st, "", asOf)
	out.PeopleFirst = cum("", vaxtrace.MDose1)
	out.PeopleFull = cum("", vaxtrace.MFull)
	out.PeopleBoosted = cum("", vaxtrace.MBoosted)
	out.FirstPercent, out.FullPercent = pct(out.PeopleFirst, out.Population), pct(out.PeopleFull, out.Population)
	for _, t := range st.Targets() {
		out.Targets = append(out.Targets, progressOf(st, t, asOf, false))
	}
	return out
}

// doseOf says which dose of its product's series a component serves: 2 for
// the second component of a product whose doses use different components
// (Sputnik V's II), 1 otherwise.
func doseOf(st *vaxtrace.State, product, component string) int {
	p := st.Product(product)
	if p == nil || len(p.Components) < 2 {
		return 1
	}
	for i, c := range p.Components {
		if c.Code == component && i == 1 {
			return 2
		}
	}
	return 1
}

// doseMeasures are the coverage measures that count doses.
var doseMeasures = []int{vaxtrace.MDose1, vaxtrace.MDose2, vaxtrace.MDoseMore, vaxtrace.MBooster}

// dosesGiven is the doses given in region ("" national) from..to.
func dosesGiven(st *vaxtrace.State, region string, from, to vaxtrace.Date) int64 {
	var n int64
	for _, m := range doseMeasures {
		for _, v := range st.Daily(region, "", m, from, to) {
			n += v
		}
	}
	return n
}
