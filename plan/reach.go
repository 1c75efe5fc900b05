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
	add(answer(tr))
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

// answer is the first sentence: yes or no, in the words of the target's
// measure. The region is its code, or "KZ" for the whole country.
func answer(tr *TargetResult) Message {
	t := tr.Target
	region := t.Region
	if region == "" {
		region = "KZ"
	}
	v, short, fc := N(t.Value), N(tr.Shortfall), N(tr.Value)
	switch {
	case t.Cumulative && tr.Reached:
		switch t.Measure {
		case MeasureFull:
			return Explain("Yes: %s people with a completed series (%s) by %s is forecast to be reached on %s.", v, region, t.To, tr.Date)
		case MeasureBooster:
			return Explain("Yes: %s people boosted (%s) by %s is forecast to be reached on %s.", v, region, t.To, tr.Date)
		}
		return Explain("Yes: %s people with a first dose (%s) by %s is forecast to be reached on %s.", v, region, t.To, tr.Date)
	case t.Cumulative:
		switch t.Measure {
		case MeasureFull:
			return Explain("No: %s people with a completed series (%s) by %s is short by %s (forecast %s).", v, region, t.To, short, fc)
		case MeasureBooster:
			return Explain("No: %s people boosted (%s) by %s is short by %s (forecast %s).", v, region, t.To, short, fc)
		}
		return Explain("No: %s people with a first dose (%s) by %s is short by %s (forecast %s).", v, region, t.To, short, fc)
	case tr.Reached:
		switch t.Measure {
		case MeasureFull:
			return Explain("Yes: %s completed series (%s) from %s to %s are forecast to be reached on %s (%s by %s).", v, region, t.From, t.To, tr.Date, fc, t.To)
		case MeasureBooster:
			return Explain("Yes: %s boosters (%s) from %s to %s are forecast to be reached on %s (%s by %s).", v, region, t.From, t.To, tr.Date, fc, t.To)
		}
		return Explain("Yes: %s first doses (%s) from %s to %s are forecast to be reached on %s (%s by %s).", v, region, t.From, t.To, tr.Date, fc, t.To)
	}
	switch t.Measure {
	case MeasureFull:
		return Explain("No: %s completed series (%s) from %s to %s are short by %s (forecast %s).", v, region, t.From, t.To, short, fc)
	case MeasureBooster:
		return Explain("No: %s boosters (%s) from %s to %s are short by %s (forecast %s).", v, region, t.From, t.To, short, fc)
	}
	return Explain("No: %s first doses (%s) from %s to %s are short by %s (forecast %s).", v, region, t.From, t.To, short, fc)
}
