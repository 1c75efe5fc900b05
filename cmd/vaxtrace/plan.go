package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"text/tabwriter"

	"vaxtrace"
	"vaxtrace/planning"
)

func init() {
	register("plan", "campaign planning: forecast, reach (is a target reachable?), allocate, backtest", runPlan)
}

const planUsage = `usage: vaxtrace plan forecast|reach|allocate|backtest [flags]

  forecast  day-by-day campaign forecast: limits per week, targets, stock-outs, expiring lots
  reach     is a target reachable? (--target, e.g. T-2021-04-1M)
  allocate  propose an allocation of national stock to regions (not recorded)
  backtest  the uptake model against the OWID Kazakhstan series`

func runPlan(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintln(os.Stderr, planUsage)
		if len(args) == 0 {
			return fmt.Errorf("a subcommand is required")
		}
		return flag.ErrHelp
	}
	sub := args[0]
	switch sub {
	case "forecast", "reach", "allocate", "backtest":
	default:
		fmt.Fprintln(os.Stderr, planUsage)
		return vaxtrace.FieldError("subcommand", "unknown plan subcommand %q", sub)
	}
	fs := flag.NewFlagSet("plan "+sub, flag.ContinueOnError)
	var sf storeFlags
	sf.add(fs)
	asOf := fs.String("as-of", "", "planning day (YYYY-MM-DD); default: the day after the last dose")
	horizon := fs.Int("horizon", 0, "forecast horizon in days (forecast: default 120; reach: default to the end of the target window)")
	target := fs.String("target", "", "target id (reach)")
	period := fs.Int("period", 0, "allocate: supply period in days (default 30)")
	owid := fs.String("owid", "", "backtest: OWID Kazakhstan.csv (default: the embedded copy)")
	format := fs.String("format", "table", "table or json")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *format != "table" && *format != "json" {
		return vaxtrace.FieldError("format", "must be table or json")
	}
	var day vaxtrace.Date
	if *asOf != "" {
		d, err := vaxtrace.ParseDate(*asOf)
		if err != nil {
			return vaxtrace.WithField(err, "as-of")
		}
		day = d
	}
	w := os.Stdout
	if sub == "backtest" {
		rc, err := planning.OWID(*owid)
		if err != nil {
			return err
		}
		defer rc.Close()
		out, _, err := planning.Backtest(rc, planning.BacktestFrom, planning.BacktestTo, 7, []int{14, 28})
		if err != nil {
			return err
		}
		if *format == "json" {
			return writeJSONOut(w, out)
		}
		return printBacktest(w, out)
	}
	eng, _, err := sf.open(ctx, 0)
	if err != nil {
		return err
	}
	defer closeAll(eng)
	p := planning.NewPlanner(eng, planning.Options{})
	switch sub {
	case "reach":
		if *target == "" {
			return vaxtrace.FieldError("target", "required (e.g. --target T-2021-04-1M)")
		}
		r, err := p.Reach(*target, day, *horizon)
		if err != nil {
			return err
		}
		if *format == "json" {
			return writeJSONOut(w, r)
		}
		return printReach(w, r)
	case "forecast":
		h := *horizon
		if h == 0 {
			h = planning.DefaultHorizon
		}
		f, err := p.RunForecast(day, h)
		if err != nil {
			return err
		}
		out := planning.ForecastJSONOf(f)
		if *format == "json" {
			return writeJSONOut(w, out)
		}
		return printForecast(w, out)
	case "allocate":
		req := planning.ProposeRequest{PeriodDays: *period}
		if day != 0 {
			req.AsOf = &day
		}
		pr, err := p.Propose(req, "cli")
		if err != nil {
			return err
		}
		if *format == "json" {
			return writeJSONOut(w, pr)
		}
		fmt.Fprintf(w, "Allocation proposal as of %s (not recorded: accept it through the API, POST /api/v1/plan/allocations/{id}/accept)\n\n", pr.AsOf)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "region\tkey\tlot\tdoses\tpurpose\t")
		for _, l := range pr.Lines {
			fmt.Fprintf(tw, "%s\t%s/%s\t%s\t%s\t%s\t\n", l.Region, l.Product, l.Component, l.Lot, n(int64(l.Doses)), l.Purpose)
		}
		tw.Flush()
		fmt.Fprintf(w, "\ntotal %s doses, of which second-dose reserve %s (%.0f%%)\n\nWhy:\n", n(int64(pr.Summary.Doses)), n(int64(pr.Summary.SecondDoseReserve)), 100*pr.Summary.SecondDoseShare)
		seen := map[string]bool{}
		for _, l := range pr.Lines {
			if !seen[l.Explanation] {
				seen[l.Explanation] = true
				fmt.Fprintf(w, "  %s\n", l.Explanation)
			}
		}
		return nil
	}
	return nil
}

func writeJSONOut(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func printForecast(w io.Writer, f planning.ForecastJSON) error {
	fmt.Fprintf(w, "Campaign forecast from %s, %d days (%s arrivals)\n\n", f.AsOf, f.Horizon, f.Scenario)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "week from\tfirst\tsecond\tbooster\tfirst demand\tshort (supply)\tshort (reserve)\tlimit\tpeople first\tpeople full\t")
	var wk []planning.LimitJSON
	for _, l := range f.Limits {
		if l.Region == "" {
			wk = append(wk, l)
		}
	}
	days := f.National.Days
	for _, l := range wk {
		var sec, boo int
		last := planning.DayJSON{}
		for _, d := range days {
			if d.Date >= l.From && d.Date <= l.To {
				sec += d.Second
				boo += d.Booster
				last = d
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", l.From, n(int64(l.First)), n(int64(sec)), n(int64(boo)), n(int64(l.FirstDemand)),
			n(int64(l.ShortSupply)), n(int64(l.ShortReserve)), l.Limit, n(int64(last.PeopleFirst)), n(int64(last.PeopleFull)))
	}
	tw.Flush()
	fmt.Fprintln(w, "\nTargets:")
	for _, t := range f.Targets {
		state := "not reached"
		if t.Reached {
			state = "reached on " + t.Date.String()
		}
		fmt.Fprintf(w, "  %s: %s %s %s..%s → forecast %s, %s (binding: %s)\n", t.ID, n(int64(t.Value)), t.Measure, t.From, t.To, n(int64(t.Forecast)), state, t.Binding)
	}
	if len(f.StockOuts) > 0 {
		fmt.Fprintln(w, "\nStock-outs:")
		for _, s := range f.StockOuts {
			where := s.Region
			if where == "" {
				where = "national"
			}
			fmt.Fprintf(w, "  %s %s from %s (%s doses of demand unmet)\n", where, s.Key, s.Date, n(int64(s.Unmet)))
		}
	}
	if len(f.Expiries) > 0 {
		fmt.Fprintln(w, "\nLots expiring with doses left:")
		for _, e := range f.Expiries {
			where := e.Region
			if where == "" {
				where = "national"
			}
			fmt.Fprintf(w, "  %s %s lot %s expires %s: %s doses\n", where, e.Key, e.Lot, e.Expiry, n(int64(e.Doses)))
		}
	}
	return nil
}

func printBacktest(w io.Writer, out planning.BacktestJSON) error {
	fmt.Fprintf(w, "Backtest on %d weekly cut-offs from %s to %s (%d skipped: no published value within 14 days).\n%s\n%s\n\n",
		out.Cutoffs, out.From, out.To, out.Skipped, out.Method, out.Attribution)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "period\thorizon\tdoses\twindows\tmodel WAPE %\tnaive WAPE %\tgain %\tmodel bias %\tnaive bias %\t")
	for _, r := range out.Results {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%d\t%.1f\t%.1f\t%+.1f\t%+.1f\t%+.1f\t\n", r.Period, r.Horizon, r.Kind, r.N, r.ModelWAPE, r.NaiveWAPE, r.Gain, r.ModelBias, r.NaiveBias)
	}
	return tw.Flush()
}

func printReach(w io.Writer, r planning.ReachJSON) error {
	fmt.Fprintf(w, "Is target %s reachable? (as of %s, %d-day forecast)\n\n", r.Target.ID, r.AsOf, r.Horizon)
	for _, m := range r.Explanation {
		fmt.Fprintf(w, "  %s\n", m.Text)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "target\t%s %s %s..%s\t\n", n(int64(r.Target.Value)), r.Target.Measure, r.Target.From, r.Target.To)
	fmt.Fprintf(tw, "forecast\t%s\t\n", n(int64(r.Forecast)))
	fmt.Fprintf(tw, "likely range\t%s .. %s\t\n", n(int64(r.BandLow)), n(int64(r.BandHigh)))
	fmt.Fprintf(tw, "first-dose supply (stock + pipeline)\t%s\t\n", n(int64(r.FirstDoseSupply)))
	fmt.Fprintf(tw, "most the supply allows\t%s\t\n", n(int64(r.SupplyMax)))
	fmt.Fprintf(tw, "uptake trend alone\t%s\t\n", n(int64(r.UptakeOnly)))
	fmt.Fprintf(tw, "binding limit\t%s\t\n", r.Binding)
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(r.Target.Regions) > 0 {
		fmt.Fprintln(w, "\nWhat limits each region in the window:")
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "region\tdemand\tfirst doses\tshort (supply)\tshort (2nd-dose reserve)\tlimit\t")
		for _, x := range r.Target.Regions {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t\n", x.Region, n(int64(x.FirstDemand)), n(int64(x.First)), n(int64(x.ShortSupply)), n(int64(x.ShortReserve)), x.Limit)
		}
		tw.Flush()
	}
	if h := r.Hindsight; h != nil {
		fmt.Fprintf(w, "\nWhat actually happened (%s):\n", h.Source)
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "date\tpublished\tforecast\t")
		for _, p := range h.Points {
			fmt.Fprintf(tw, "%s\t%s\t%s\t\n", p.Date, n(int64(p.Actual)), n(int64(p.Forecast)))
		}
		tw.Flush()
		for _, m := range h.Reasons {
			fmt.Fprintf(w, "  %s\n", m.Text)
		}
	}
	return nil
}
