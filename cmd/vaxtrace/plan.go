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
		out, err := planning.Backtest(rc, vaxtrace.MkDate(2021, 2, 28), vaxtrace.MkDate(2022, 12, 31), 7, []int{14, 28})
		if err != nil {
			return err
		}
		if *format == "json" {
			return writeJSONOut(w, out)
		}
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintf(w, "Backtest on %d weekly cut-offs (%d skipped). %s\n\n", out.Cutoffs, out.Skipped, out.Attribution)
		fmt.Fprintln(tw, "horizon\tmetric\tn\tmodel MAPE %\tmodel bias\tnaive MAPE %\tnaive bias\t")
		for _, r := range out.Results {
			fmt.Fprintf(tw, "%d\t%s\t%d\t%.2f\t%.0f\t%.2f\t%.0f\t\n", r.Horizon, r.Metric, r.Model.N, r.Model.MAPE, r.Model.Bias, r.Naive.MAPE, r.Naive.Bias)
		}
		return tw.Flush()
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
		fmt.Fprintf(w, "Is target %s reachable? (as of %s, %d-day forecast)\n\n%s\n\n", r.Target.ID, r.AsOf, r.Horizon, r.Answer)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintf(tw, "target\t%s %s %s..%s\t\n", n(int64(r.Target.Value)), r.Target.Measure, r.Target.From, r.Target.To)
		fmt.Fprintf(tw, "forecast\t%s\t\n", n(int64(r.Forecast)))
		fmt.Fprintf(tw, "first-dose supply (stock + pipeline)\t%s\t\n", n(int64(r.FirstDoseSupply)))
		fmt.Fprintf(tw, "most the supply allows\t%s\t\n", n(int64(r.SupplyMax)))
		fmt.Fprintf(tw, "uptake trend alone\t%s\t\n", n(int64(r.UptakeOnly)))
		fmt.Fprintf(tw, "arrival band (p90 delays .. on schedule)\t%s .. %s\t\n", n(int64(r.Target.Pessimistic)), n(int64(r.Target.Optimistic)))
		fmt.Fprintf(tw, "binding limit\t%s\t\n", r.Binding)
		return tw.Flush()
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
