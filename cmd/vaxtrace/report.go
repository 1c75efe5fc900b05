package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"text/tabwriter"
	"time"

	"vaxtrace"
	"vaxtrace/engine"
)

func init() {
	register("report", "stock and supply position on a day, as a table or JSON", runReport)
	register("check", "prove stock conservation for every lot from the journal (--snapshot: prove a snapshot plus the tail equals a full replay)", runCheck)
}

// Position is the JSON form of the report.
type Position struct {
	AsOf        vaxtrace.Date            `json:"as_of"`
	Supply      []vaxtrace.AgreementLine `json:"supply"`
	National    vaxtrace.StockLine       `json:"national"`
	Regions     []RegionPosition         `json:"regions"`
	Totals      RegionPosition           `json:"totals"`
	PeopleFirst int64                    `json:"people_first_dose"`
	PeopleFull  int64                    `json:"people_completed_series"`
	DosesGiven  int64                    `json:"doses_administered"`
	Lines       []vaxtrace.StockLine     `json:"lines"`
}

// RegionPosition sums a region's lines.
type RegionPosition struct {
	Region       string `json:"region"`
	Name         string `json:"name"`
	Population   int    `json:"population"`
	Delivered    int64  `json:"delivered"`
	OnHand       int64  `json:"on_hand"`
	AtPoints     int64  `json:"at_points"`
	InTransit    int64  `json:"in_transit"`
	Administered int64  `json:"administered"`
	WrittenOff   int64  `json:"written_off"`
	First        int64  `json:"people_first_dose"`
	Full         int64  `json:"people_completed_series"`
}

func position(s *vaxtrace.State, region string, day vaxtrace.Date) Position {
	p := Position{AsOf: day, Supply: s.SupplyPosition(day)}
	lines := s.StockPosition(region, day)
	p.Lines = lines
	by := map[string]*RegionPosition{}
	for _, ln := range lines {
		if ln.Region == "" {
			p.National.OnHand += ln.OnHand
			p.National.Received += ln.Received
			p.National.WrittenOff += ln.WrittenOff
			continue
		}
		r := by[ln.Region]
		if r == nil {
			r = &RegionPosition{Region: ln.Region}
			by[ln.Region] = r
		}
		r.Delivered += ln.Delivered
		r.OnHand += ln.OnHand
		r.AtPoints += ln.AtPoints
		r.InTransit += ln.InTransit
		r.Administered += ln.Administered
		r.WrittenOff += ln.WrittenOff
	}
	for _, g := range s.Regions() {
		if region != "" && g.Code != region {
			continue
		}
		r := by[g.Code]
		if r == nil {
			if g.ValidFrom != nil && g.ValidFrom.Time().After(day.Time()) {
				continue
			}
			r = &RegionPosition{Region: g.Code}
		}
		r.Name, r.Population = g.Name("en"), g.Population
		r.First = s.Cumulative(g.Code, vaxtrace.MDose1, day)
		r.Full = s.Cumulative(g.Code, vaxtrace.MFull, day)
		p.Regions = append(p.Regions, *r)
	}
	sort.Slice(p.Regions, func(i, j int) bool { return p.Regions[i].Region < p.Regions[j].Region })
	t := &p.Totals
	t.Region = "total"
	for _, r := range p.Regions {
		t.Population += r.Population
		t.Delivered += r.Delivered
		t.OnHand += r.OnHand
		t.AtPoints += r.AtPoints
		t.InTransit += r.InTransit
		t.Administered += r.Administered
		t.WrittenOff += r.WrittenOff
		t.First += r.First
		t.Full += r.Full
	}
	p.PeopleFirst = s.Cumulative(region, vaxtrace.MDose1, day)
	p.PeopleFull = s.Cumulative(region, vaxtrace.MFull, day)
	for m := vaxtrace.MDose1; m <= vaxtrace.MBooster; m++ {
		p.DosesGiven += s.Cumulative(region, m, day)
	}
	return p
}

func n(v int64) string {
	s := fmt.Sprint(v)
	neg := v < 0
	if neg {
		s = s[1:]
	}
	out := ""
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			out += ","
		}
		out += string(c)
	}
	if neg {
		return "-" + out
	}
	return out
}

func printReport(w io.Writer, eng *engine.Engine, region string, day vaxtrace.Date, format string) error {
	var p Position
	eng.Read(func(s *vaxtrace.State) { p = position(s, region, day) })
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(p)
	}
	fmt.Fprintf(w, "\nStock and supply position at the end of %s\n\n", day)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "agreement\tsupplier\tcontracted\tdelivered\towed\tlate\ttranches\t")
	for _, a := range p.Supply {
		st := ""
		for i, t := range a.Tranches {
			if i > 0 {
				st += " "
			}
			st += fmt.Sprintf("%s:%s", t.ID, t.Status)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", a.ID, a.Supplier, n(a.Contracted), n(a.Delivered), n(a.Owed), n(a.Late), st)
	}
	tw.Flush()
	fmt.Fprintf(w, "\nnational level: received %s doses into the chain, %s on hand in national warehouses\n\n", n(p.National.Received), n(p.National.OnHand))
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "region\tname\tdelivered\ton hand\tat points\tin transit\tadministered\twritten off\tfirst dose\tcompleted\t")
	for _, r := range append(p.Regions, p.Totals) {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", r.Region, r.Name, n(r.Delivered), n(r.OnHand), n(r.AtPoints), n(r.InTransit), n(r.Administered), n(r.WrittenOff), n(r.First), n(r.Full))
	}
	tw.Flush()
	fmt.Fprintf(w, "\npeople with a first dose: %s; with a completed series: %s; doses administered: %s\n", n(p.PeopleFirst), n(p.PeopleFull), n(p.DosesGiven))
	return nil
}

func runReport(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	var sf storeFlags
	sf.add(fs)
	asOf := fs.String("as-of", "", "day (YYYY-MM-DD); default: the latest day with activity")
	region := fs.String("region", "", "one region (ISO code, e.g. KZ-AKM); default: all")
	format := fs.String("format", "table", "table or json")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *format != "table" && *format != "json" {
		return vaxtrace.FieldError("format", "must be table or json")
	}
	eng, _, err := sf.open(ctx, 0)
	if err != nil {
		return err
	}
	defer closeAll(eng)
	var day vaxtrace.Date
	if *asOf != "" {
		day, err = vaxtrace.ParseDate(*asOf)
		if err != nil {
			return vaxtrace.WithField(err, "as-of")
		}
	} else {
		eng.Read(func(s *vaxtrace.State) { day = s.LastDay() })
		if day == 0 {
			day = vaxtrace.DateOf(time.Now())
		}
	}
	if *region != "" {
		var ok bool
		eng.Read(func(s *vaxtrace.State) { ok = s.Region(*region) != nil })
		if !ok {
			return vaxtrace.NotFound("region", "unknown region %q", *region)
		}
	}
	return printReport(os.Stdout, eng, *region, day, *format)
}

func runCheck(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	var sf storeFlags
	sf.add(fs)
	asJSON := fs.Bool("json", false, "print the report as JSON")
	var snap optionalFile
	fs.Var(&snap, "snapshot", "instead: prove that the newest snapshot (or the one given: --snapshot FILE) plus the journal's tail equals a full replay (snapshot.go)")
	snapDir := fs.String("snapshot-dir", env(snapshotDirEnv, ""), "with --snapshot: the snapshot directory (env "+snapshotDirEnv+"; default <db>.snapshots beside a SQLite file)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if snap.set {
		file := snap.path
		if file == "" && fs.NArg() == 1 {
			file = fs.Arg(0)
		} else if fs.NArg() > 0 {
			return fmt.Errorf("unexpected arguments %q", fs.Args())
		}
		dir := snapshotDir(sf, *snapDir)
		if file == "" && dir == "" {
			return vaxtrace.FieldError("snapshot-dir", "required")
		}
		return checkSnapshot(ctx, sf, file, dir)
	}
	eng, _, err := sf.open(ctx, 0)
	if err != nil {
		return err
	}
	defer closeAll(eng)
	rep, err := eng.Check(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		enc.Encode(rep)
	} else {
		fmt.Printf("checked %d events, %d lots, %d places\nreleased %s = on hand %s + in transit %s + administered %s + written off %s\n",
			rep.Events, rep.Lots, rep.Places, n(rep.Released), n(rep.OnHand), n(rep.Transit), n(rep.Given), n(rep.Written))
		for _, b := range rep.Breaches {
			fmt.Println("BREACH:", b)
		}
	}
	if !rep.OK() {
		return fmt.Errorf("%d conservation breaches", len(rep.Breaches))
	}
	fmt.Println("OK: every lot balances")
	return nil
}
