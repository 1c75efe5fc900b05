package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"vaxtrace"
	"vaxtrace/dhis2"
)

func init() {
	register("dhis2", "DHIS2 aggregate exchange: check a mapping, export dataValueSets JSON or ADX, push to a DHIS2 server", runDHIS2)
}

// dhis2Flags configure the DHIS2 exchange (flags win over the environment).
type dhis2Flags struct {
	mapping, url, token, user, password string
	timeout                             time.Duration
}

func (f *dhis2Flags) add(fs *flag.FlagSet) {
	fs.StringVar(&f.mapping, "mapping", env("VAXTRACE_DHIS2_MAPPING", ""), "mapping file (JSON; env VAXTRACE_DHIS2_MAPPING)")
	fs.StringVar(&f.url, "url", env("VAXTRACE_DHIS2_URL", ""), "DHIS2 server, e.g. https://dhis2.example.org (env VAXTRACE_DHIS2_URL)")
	fs.StringVar(&f.token, "token", env("VAXTRACE_DHIS2_TOKEN", ""), "DHIS2 personal access token (env VAXTRACE_DHIS2_TOKEN)")
	fs.StringVar(&f.user, "user", env("VAXTRACE_DHIS2_USER", ""), "DHIS2 user for HTTP Basic when no token (env VAXTRACE_DHIS2_USER)")
	fs.StringVar(&f.password, "password", env("VAXTRACE_DHIS2_PASSWORD", ""), "DHIS2 password (env VAXTRACE_DHIS2_PASSWORD)")
	fs.DurationVar(&f.timeout, "timeout", 2*time.Minute, "how long to wait for DHIS2's answer to one request")
}

func (f *dhis2Flags) load() (*dhis2.Mapping, error) {
	if f.mapping == "" {
		return nil, vaxtrace.FieldError("mapping", "required: the DHIS2 mapping file (see dhis2/testdata/mapping-example.json)")
	}
	fh, err := os.Open(f.mapping)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	m, err := dhis2.ParseMapping(fh)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.mapping, err)
	}
	return m, nil
}

func (f *dhis2Flags) client() *dhis2.Client {
	return &dhis2.Client{BaseURL: f.url, Token: f.token, Username: f.user, Password: f.password, HTTP: &http.Client{Timeout: f.timeout}}
}

func runDHIS2(ctx context.Context, args []string) error {
	if len(args) == 0 || (args[0] != "check" && args[0] != "export" && args[0] != "push") {
		return vaxtrace.FieldError("action", "give check, export or push")
	}
	what := args[0]
	fs := flag.NewFlagSet("dhis2 "+what, flag.ContinueOnError)
	var sf storeFlags
	sf.add(fs)
	var df dhis2Flags
	df.add(fs)
	period := fs.String("period", dhis2.Daily, "daily or weekly (ISO weeks, widened to whole weeks)")
	from := fs.String("from", "", "first day (default: 6 days before --to)")
	to := fs.String("to", "", "last day (default: the latest day with doses)")
	format := fs.String("format", "json", "export: json (dataValueSets) or adx (ADX XML)")
	out := fs.String("out", "", "export: output file (default stdout)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	m, err := df.load()
	if err != nil {
		return err
	}
	eng, _, err := sf.open(ctx, 0)
	if err != nil {
		return err
	}
	defer closeAll(eng)
	var res *dhis2.Result
	eng.Read(func(s *vaxtrace.State) {
		if err = m.Check(s); err != nil || what == "check" {
			return
		}
		var p dhis2.Periods
		if p, err = periodsFlags(s, *period, *from, *to); err == nil {
			res = dhis2.Compute(s, m, p)
		}
	})
	if err != nil {
		return err
	}
	if what == "check" {
		fmt.Printf("%s: %d entries, %d organisation units: valid for this store\n", df.mapping, len(m.Entries), len(m.OrgUnits))
		return nil
	}
	report := func(w io.Writer) {
		fmt.Fprintf(w, "%d data values for %s periods %s..%s", len(res.Values), res.Periods.Type, res.Periods.From, res.Periods.To)
		if len(res.UnmappedOrgUnits) > 0 {
			var n int64
			for _, v := range res.UnmappedOrgUnits {
				n += v
			}
			fmt.Fprintf(w, "; %d counts of %d regions or points without a DHIS2 organisation unit were not sent", n, len(res.UnmappedOrgUnits))
		}
		if res.UnmappedValues > 0 {
			fmt.Fprintf(w, "; %d facts fell in no category option", res.UnmappedValues)
		}
		fmt.Fprintln(w)
	}
	if what == "export" {
		var w io.Writer = os.Stdout
		if *out != "" {
			fh, err := os.Create(*out)
			if err != nil {
				return err
			}
			defer fh.Close()
			w = fh
		}
		switch *format {
		case "json":
			err = dhis2.EncodeJSON(w, res, res.Values)
		case "adx":
			err = dhis2.EncodeADX(w, res, time.Now())
		default:
			err = vaxtrace.FieldError("format", "must be json or adx")
		}
		if err == nil {
			report(os.Stderr)
		}
		return err
	}
	report(os.Stdout)
	pr, err := df.client().Push(ctx, res)
	printPush(os.Stdout, pr)
	if err != nil {
		return fmt.Errorf("push stopped after %d of its requests: %w", pr.Requests, err)
	}
	if pr.Status == "ERROR" {
		return fmt.Errorf("DHIS2 reported an error")
	}
	return nil
}

// periodsFlags reads --period, --from and --to against the store.
func periodsFlags(s *vaxtrace.State, typ, from, to string) (dhis2.Periods, error) {
	end := s.LastDay()
	if end < vaxtrace.CovEpoch {
		end = vaxtrace.DateOf(time.Now().UTC())
	}
	var err error
	if to != "" {
		if end, err = vaxtrace.ParseDate(to); err != nil {
			return dhis2.Periods{}, vaxtrace.WithField(err, "to")
		}
	}
	start := end.AddDays(-6)
	if from != "" {
		if start, err = vaxtrace.ParseDate(from); err != nil {
			return dhis2.Periods{}, vaxtrace.WithField(err, "from")
		}
	}
	return dhis2.NewPeriods(typ, start, end)
}

func printPush(w io.Writer, pr dhis2.PushResult) {
	c := pr.Count
	fmt.Fprintf(w, "DHIS2: %s — %d imported, %d updated, %d ignored, %d deleted, %d conflicts (%d values in %d requests, %s)\n",
		pr.Status, c.Imported, c.Updated, c.Ignored, c.Deleted, len(pr.Conflict), pr.Values, pr.Requests, pr.Took.Round(time.Millisecond))
	for i, cf := range pr.Conflict {
		if i == 20 {
			fmt.Fprintf(w, "  ... %d more conflicts\n", len(pr.Conflict)-20)
			break
		}
		extra := ""
		if cf.ErrorCode != "" {
			extra = " [" + cf.ErrorCode + "]"
		}
		fmt.Fprintf(w, "  conflict: %s: %s%s\n", cf.Object, cf.Value, extra)
	}
	if len(pr.Messages) > 0 {
		b, _ := json.Marshal(pr.Messages)
		fmt.Fprintf(w, "  messages: %s\n", strings.Trim(string(b), "[]"))
	}
}

// dhis2Config builds the API's DHIS2 configuration from the environment.
func dhis2Config() (dhis2.Config, error) {
	var df dhis2Flags
	df.add(flag.NewFlagSet("env", flag.ContinueOnError))
	if df.mapping == "" {
		return dhis2.Config{}, nil
	}
	m, err := df.load()
	if err != nil {
		return dhis2.Config{}, err
	}
	return dhis2.Config{Mapping: m, Client: df.client()}, nil
}
