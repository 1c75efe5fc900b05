package plan

// Reachability answers "is this target reachable?" in words and numbers.
type Reachability struct {
	Target    Target
	Reachable bool
	Date      Day // day the forecast reaches the target (if reachable)
	Forecast  int // forecast value at the end of the window
	// FirstDoseSupply is first-dose component stock at AsOf plus what the
	// pipeline delivers by Target.To.
	FirstDoseSupply int
	SupplyMax       int    // most the supply allows with second doses reserved (unlimited demand)
	UptakeOnly      int    // what the uptake trend gives with unlimited supply
	Binding         string // LimitSupply, LimitUptake or LimitSecondDoses
	BandLow         int    // honest range of the forecast (TargetResult.BandLow)
	BandHigh        int
	// Explanation is the answer sentence by sentence; Text is the same in
	// English, in one string.
	Explanation []Message
	Text        string
}

// ReachabilityReport explains a target of the forecast (matched by ID, or
// by value if the ID is empty). The target must have been in
// State.Targets when the forecast was made.
func ReachabilityReport(f ForecastResult, target Target) (Reachability, error) {
	var tr *TargetResult
	for i := range f.Targets {
		t := f.Targets[i].Target
		if (target.ID != "" && t.ID == target.ID) || (target.ID == "" && t.ID == "" && t.From == target.From && t.To == target.To && t.Measure == target.Measure && t.Value == target.Value && t.Region == target.Region) {
			tr = &f.Targets[i]
			break
		}
	}
	if tr == nil {
		return Reachability{}, inputErr("target", "target %q was not part of the forecast state", target.ID)
	}
	t := tr.Target
	r := Reachability{Target: t, Reachable: tr.Reached, Date: tr.Date, Forecast: tr.Value,
		FirstDoseSupply: tr.FirstDoseStock + tr.FirstDoseArrivals, SupplyMax: tr.SupplyMax, UptakeOnly: tr.DemandOnly, Binding: tr.Binding,
		BandLow: tr.BandLow, BandHigh: tr.BandHigh}
	var ms []Message
	add := func(m Message) { ms = append(ms, m) }
	region := t.Region
	if region == "" {
		region = "national"
	}
	switch {
	case tr.Reached && t.Cumulative:
		add(Explain("Yes: %s %s (%s) by %s is forecast to be reached on %s.", N(t.Value), t.Measure, region, t.To, tr.Date))
	case tr.Reached:
		add(Explain("Yes: %s %s doses (%s) from %s to %s are forecast to be reached on %s (%s by %s).", N(t.Value), t.Measure, region, t.From, t.To, tr.Date, N(tr.Value), t.To))
	case t.Cumulative:
		add(Explain("No: %s %s (%s) by %s is short by %s (forecast %s).", N(t.Value), t.Measure, region, t.To, N(tr.Shortfall), N(tr.Value)))
	default:
		add(Explain("No: %s %s doses (%s) from %s to %s are short by %s (forecast %s).", N(t.Value), t.Measure, region, t.From, t.To, N(tr.Shortfall), N(tr.Value)))
	}
	if tr.ErrorBand != nil {
		add(Explain("Likely range %s to %s: the forecast widened by the model's measured errors over %d-day windows (10th to 90th percentile of %d backtest forecasts) and by arrival delays.",
			N(tr.BandLow), N(tr.BandHigh), tr.ErrorBand.Horizon, tr.ErrorBand.N))
	} else if tr.BandLow != tr.BandHigh {
		add(Explain("Arrival band %s (p90 delays) to %s (on schedule).", N(tr.BandLow), N(tr.BandHigh)))
	}
	if t.Measure == MeasureFirst || t.Measure == MeasureBooster {
		add(Explain("First-dose components: %s on hand and %s delivered by the pipeline by %s.", N(tr.FirstDoseStock), N(tr.FirstDoseArrivals), t.To))
	}
	if f.Reserve == ReserveNone {
		add(Explain("Without a second-dose reserve at most %s can be given; the uptake trend alone gives %s.", N(tr.SupplyMax), N(tr.DemandOnly)))
	} else {
		add(Explain("With second doses reserved at most %s can be given; the uptake trend alone gives %s.", N(tr.SupplyMax), N(tr.DemandOnly)))
	}
	switch tr.Binding {
	case LimitSupply:
		add(Explain("Binding limit: supply (%s doses of first-dose demand unmet for lack of stock, %s held for second doses).", N(tr.WindowShortSupply), N(tr.WindowShortReserve)))
	case LimitSecondDoses:
		add(Explain("Binding limit: second-dose obligations (%s doses of first-dose demand held back for people due their second dose, %s unmet for lack of stock).", N(tr.WindowShortReserve), N(tr.WindowShortSupply)))
	default:
		add(Explain("Binding limit: uptake (people coming forward); stock covers the demand."))
	}
	if tr.BeyondHorizon {
		add(Explain("The window ends after the forecast horizon, so values are at the horizon end."))
	}
	r.Explanation = ms
	r.Text = JoinText(ms, " ")
	return r, nil
}
