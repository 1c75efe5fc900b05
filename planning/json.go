package planning

import (
	"strings"

	"vaxtrace"
	"vaxtrace/plan"
)

// The JSON forms of the planner's results. Dates are "YYYY-MM-DD".

// DayJSON is one forecast day.
type DayJSON struct {
	Date          vaxtrace.Date `json:"date"`
	First         int           `json:"first"`
	Second        int           `json:"second"`
	Booster       int           `json:"booster"`
	FirstDemand   int           `json:"first_demand"`
	SecondDue     int           `json:"second_due"`
	SecondUnmet   int           `json:"second_unmet,omitempty"`
	ShortSupply   int           `json:"short_supply,omitempty"`
	ShortReserve  int           `json:"short_reserve,omitempty"`
	PeopleFirst   int           `json:"people_first"`
	PeopleFull    int           `json:"people_full"`
	PeopleBooster int           `json:"people_booster"`
	Stock         []int         `json:"stock,omitempty"` // by ForecastJSON.Keys
}

// SeriesJSON is the day series of a region ("" = national).
type SeriesJSON struct {
	Region string    `json:"region"`
	Days   []DayJSON `json:"days"`
}

// LimitJSON is what limited first doses in a region over a week.
type LimitJSON struct {
	Region       string        `json:"region"`
	From         vaxtrace.Date `json:"from"`
	To           vaxtrace.Date `json:"to"`
	FirstDemand  int           `json:"first_demand"`
	First        int           `json:"first"`
	ShortSupply  int           `json:"short_supply"`
	ShortReserve int           `json:"short_reserve"`
	Limit        string        `json:"limit"`
}

// TargetJSON is a target evaluated against the forecast.
type TargetJSON struct {
	ID                 string        `json:"id"`
	Region             string        `json:"region"`
	From               vaxtrace.Date `json:"from"`
	To                 vaxtrace.Date `json:"to"`
	Measure            string        `json:"measure"`
	Value              int           `json:"value"`
	Reached            bool          `json:"reached"`
	Date               vaxtrace.Date `json:"date,omitzero"`
	Forecast           int           `json:"forecast"`
	Shortfall          int           `json:"shortfall"`
	BeyondHorizon      bool          `json:"beyond_horizon"`
	Binding            string        `json:"binding"`
	SupplyMax          int           `json:"supply_max"`
	UptakeOnly         int           `json:"uptake_only"`
	Optimistic         int           `json:"optimistic"`
	Pessimistic        int           `json:"pessimistic"`
	FirstDoseStock     int           `json:"first_dose_stock"`
	FirstDoseArrivals  int           `json:"first_dose_arrivals"`
	WindowShortSupply  int           `json:"window_short_supply"`
	WindowShortReserve int           `json:"window_short_reserve"`
	// BandLow..BandHigh is the honest range of the forecast (arrival
	// scenarios widened by the model's measured errors, ErrorBand).
	BandLow   int               `json:"band_low"`
	BandHigh  int               `json:"band_high"`
	ErrorBand *ErrorBandJSON    `json:"error_band,omitempty"`
	Regions   []WindowLimitJSON `json:"regions,omitempty"`
}

// WindowLimitJSON is what limited one region over a target's window, by
// the same rule as the target's binding limit.
type WindowLimitJSON struct {
	Region       string `json:"region"`
	FirstDemand  int    `json:"first_demand"`
	First        int    `json:"first"`
	ShortSupply  int    `json:"short_supply"`
	ShortReserve int    `json:"short_reserve"`
	Limit        string `json:"limit"`
}

// StockOutJSON is the first day a place could not meet demand for a key.
type StockOutJSON struct {
	Region string        `json:"region"`
	Key    string        `json:"key"`
	Date   vaxtrace.Date `json:"date"`
	Unmet  int           `json:"unmet"`
}

// ExpiryJSON is a lot forecast to expire with doses left.
type ExpiryJSON struct {
	Lot    string        `json:"lot"`
	Region string        `json:"region"`
	Key    string        `json:"key"`
	Expiry vaxtrace.Date `json:"expiry"`
	Doses  int           `json:"doses"`
}

// ForecastJSON is the response of GET /api/v1/plan/forecast.
type ForecastJSON struct {
	AsOf      vaxtrace.Date  `json:"as_of"`
	Horizon   int            `json:"horizon"`
	Scenario  string         `json:"scenario"`
	Keys      []string       `json:"keys"`
	National  SeriesJSON     `json:"national"`
	Regions   []SeriesJSON   `json:"regions"`
	Limits    []LimitJSON    `json:"limits"`
	Targets   []TargetJSON   `json:"targets"`
	StockOuts []StockOutJSON `json:"stock_outs"`
	Expiries  []ExpiryJSON   `json:"expiring_lots"`
}

func seriesJSON(s plan.Series) SeriesJSON {
	out := SeriesJSON{Region: s.Region, Days: make([]DayJSON, len(s.Days))}
	for i, d := range s.Days {
		out.Days[i] = DayJSON{Date: Date(d.Date), First: d.First, Second: d.Second, Booster: d.Booster, FirstDemand: d.FirstDemand,
			SecondDue: d.SecondDue, SecondUnmet: d.SecondUnmet, ShortSupply: d.ShortSupply, ShortReserve: d.ShortReserve,
			PeopleFirst: d.PeopleFirst, PeopleFull: d.PeopleFull, PeopleBooster: d.PeopleBooster, Stock: d.Stock}
	}
	return out
}

func targetJSON(t plan.TargetResult) TargetJSON {
	out := TargetJSON{ID: t.Target.ID, Region: t.Target.Region, From: Date(t.Target.From), To: Date(t.Target.To), Measure: t.Target.Measure,
		Value: t.Target.Value, Reached: t.Reached, Date: Date(t.Date), Forecast: t.Value, Shortfall: t.Shortfall, BeyondHorizon: t.BeyondHorizon,
		Binding: t.Binding, SupplyMax: t.SupplyMax, UptakeOnly: t.DemandOnly, Optimistic: t.Optimistic, Pessimistic: t.Pessimistic,
		FirstDoseStock: t.FirstDoseStock, FirstDoseArrivals: t.FirstDoseArrivals, WindowShortSupply: t.WindowShortSupply, WindowShortReserve: t.WindowShortReserve,
		BandLow: t.BandLow, BandHigh: t.BandHigh}
	if b := t.ErrorBand; b != nil {
		out.ErrorBand = &ErrorBandJSON{Kind: b.Kind, Horizon: b.Horizon, Lo: round2(b.Lo), Hi: round2(b.Hi), N: b.N}
	}
	for _, w := range t.Regions {
		out.Regions = append(out.Regions, WindowLimitJSON{Region: w.Region, FirstDemand: w.FirstDemand, First: w.First, ShortSupply: w.ShortSupply, ShortReserve: w.ShortReserve, Limit: w.Limit})
	}
	return out
}

// forecastJSON converts f, keeping only what visible allows (a region code;
// "" keeps national rows).
func forecastJSON(f plan.ForecastResult, visible func(region string) bool) ForecastJSON {
	out := ForecastJSON{AsOf: Date(f.AsOf), Horizon: f.Horizon, Scenario: f.Scenario.String(), Keys: f.Keys, National: seriesJSON(f.National),
		Regions: []SeriesJSON{}, Limits: []LimitJSON{}, Targets: []TargetJSON{}, StockOuts: []StockOutJSON{}, Expiries: []ExpiryJSON{}}
	for _, r := range f.Regions {
		if visible(r.Region) {
			out.Regions = append(out.Regions, seriesJSON(r))
		}
	}
	for _, p := range f.Periods {
		if visible(p.Region) {
			out.Limits = append(out.Limits, LimitJSON{Region: p.Region, From: Date(p.From), To: Date(p.To), FirstDemand: p.FirstDemand,
				First: p.First, ShortSupply: p.ShortSupply, ShortReserve: p.ShortReserve, Limit: p.Limit})
		}
	}
	for _, t := range f.Targets {
		if visible(t.Target.Region) {
			out.Targets = append(out.Targets, targetJSON(t))
		}
	}
	for _, s := range f.StockOuts {
		if visible(s.Region) {
			out.StockOuts = append(out.StockOuts, StockOutJSON{Region: s.Region, Key: s.Key, Date: Date(s.Date), Unmet: s.Unmet})
		}
	}
	for _, e := range f.Expiries {
		if visible(e.Region) {
			out.Expiries = append(out.Expiries, ExpiryJSON{Lot: e.Lot, Region: e.Region, Key: e.Key, Expiry: Date(e.Expiry), Doses: e.Doses})
		}
	}
	return out
}

// ReachJSON is the response of GET /api/v1/plan/reachability.
type ReachJSON struct {
	AsOf            vaxtrace.Date `json:"as_of"`
	Horizon         int           `json:"horizon"`
	Target          TargetJSON    `json:"target"`
	Reachable       bool          `json:"reachable"`
	Date            vaxtrace.Date `json:"date,omitzero"`
	Forecast        int           `json:"forecast"`
	FirstDoseSupply int           `json:"first_dose_supply"`
	SupplyMax       int           `json:"supply_max"`
	UptakeOnly      int           `json:"uptake_only"`
	Binding         string        `json:"binding"`
	BandLow         int           `json:"band_low"`
	BandHigh        int           `json:"band_high"`
	// Answer is the explanation in English; Explanation the same sentence
	// by sentence with templates and parameters (for translation).
	Answer      string         `json:"answer"`
	Explanation []plan.Message `json:"explanation"`
	// Hindsight is what actually happened, where the published national
	// series covers the window, beside what the model said.
	Hindsight *HindsightJSON `json:"hindsight,omitempty"`
}

// LineJSON is one line of an allocation proposal.
type LineJSON struct {
	Region      string         `json:"region"`
	Product     string         `json:"product"`
	Component   string         `json:"component"`
	Lot         string         `json:"lot,omitempty"`
	Doses       int            `json:"doses"`
	Purpose     string         `json:"purpose,omitempty"`
	Explanation string         `json:"explanation,omitempty"`
	Why         []plan.Message `json:"why,omitempty"` // the explanation part by part, for translation
}

// PointLineJSON splits a region's line to a vaccination point (advisory).
type PointLineJSON struct {
	Region    string `json:"region"`
	Point     string `json:"point"`
	Product   string `json:"product"`
	Component string `json:"component"`
	Lot       string `json:"lot,omitempty"`
	Doses     int    `json:"doses"`
}

// NeedJSON is the WHO min/max computation of one region.
type NeedJSON struct {
	Region    string         `json:"region"`
	Q         int            `json:"q"`
	Min       int            `json:"min"`
	Max       int            `json:"max"`
	Stock     int            `json:"usable_stock"`
	Priority  bool           `json:"priority"`
	SecondDue map[string]int `json:"second_due"`
	DailyRate float64        `json:"daily_rate"`
	Allocated int            `json:"allocated"`
	Unfilled  int            `json:"unfilled"`
}

func linesJSON(ls []plan.ProposalLine) []LineJSON {
	out := make([]LineJSON, len(ls))
	for i, l := range ls {
		out[i] = LineJSON{Region: l.Region, Product: l.Product, Component: l.Component, Lot: l.Lot, Doses: l.Doses, Purpose: l.Purpose, Explanation: l.Explanation, Why: l.Why}
	}
	return out
}

func linesPlan(ls []LineJSON) []plan.ProposalLine {
	out := make([]plan.ProposalLine, len(ls))
	for i, l := range ls {
		out[i] = plan.ProposalLine{Region: l.Region, Product: l.Product, Component: l.Component, Lot: l.Lot, Doses: l.Doses, Purpose: l.Purpose, Explanation: l.Explanation, Why: l.Why}
	}
	return out
}

// ForecastJSONOf converts a forecast to its JSON form, all regions included.
func ForecastJSONOf(f plan.ForecastResult) ForecastJSON {
	return forecastJSON(f, func(string) bool { return true })
}

// forProduct keeps the stock keys, stock-outs and expiring lots of one
// product (the day series keep their doses, which are not by product).
func (f ForecastJSON) forProduct(product string) ForecastJSON {
	var keep []int
	var keys []string
	for i, k := range f.Keys {
		if k == product || strings.HasPrefix(k, product+"/") {
			keep = append(keep, i)
			keys = append(keys, k)
		}
	}
	pick := func(v []int) []int {
		if v == nil {
			return nil
		}
		out := make([]int, len(keep))
		for j, i := range keep {
			out[j] = v[i]
		}
		return out
	}
	filter := func(se *SeriesJSON) {
		for i := range se.Days {
			se.Days[i].Stock = pick(se.Days[i].Stock)
		}
	}
	filter(&f.National)
	for i := range f.Regions {
		filter(&f.Regions[i])
	}
	f.Keys = keys
	var so []StockOutJSON
	for _, x := range f.StockOuts {
		if x.Key == product || strings.HasPrefix(x.Key, product+"/") {
			so = append(so, x)
		}
	}
	var ex []ExpiryJSON
	for _, x := range f.Expiries {
		if x.Key == product || strings.HasPrefix(x.Key, product+"/") {
			ex = append(ex, x)
		}
	}
	f.StockOuts, f.Expiries = nonNil(so), nonNil(ex)
	return f
}

func nonNil[T any](v []T) []T {
	if v == nil {
		return []T{}
	}
	return v
}
