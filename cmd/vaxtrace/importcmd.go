package main

import (
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"vaxtrace"
	"vaxtrace/csvimport"
	"vaxtrace/engine"
	"vaxtrace/fhir"
	"vaxtrace/httpapi"
	"vaxtrace/pii"
)

func init() {
	register("import", "import a CSV file (places, agreements, lots, shipments, receipts, doses; streamed) or FHIR, with a report of every rejection", runImport)
}

// progress draws a one-line progress bar on stderr.
type progress struct {
	label string
	total int64
	start time.Time
	last  time.Time
}

func newProgress(label string, total int64) *progress {
	return &progress{label: label, total: total, start: time.Now()}
}

func (p *progress) set(done int64, force bool) {
	if !force && time.Since(p.last) < 150*time.Millisecond {
		return
	}
	p.last = time.Now()
	const width = 30
	frac := 1.0
	if p.total > 0 {
		frac = min(float64(done)/float64(p.total), 1)
	}
	bar := strings.Repeat("█", int(frac*width)) + strings.Repeat("░", width-int(frac*width))
	fmt.Fprintf(os.Stderr, "\r%-10s %s %5.1f%%  %s", p.label, bar, frac*100, time.Since(p.start).Round(100*time.Millisecond))
	if force {
		fmt.Fprintln(os.Stderr)
	}
}

// importFlags are the flags of the import command.
type importFlags struct {
	storeFlags
	kind, report, actor, token string
	chunk                      int
	fhir                       fhirFlags
}

func runImport(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	var f importFlags
	f.add(fs)
	fs.StringVar(&f.kind, "kind", "", "file kind: "+strings.Join(csvimport.Kinds(), ", ")+", or fhir (a Bundle .json or NDJSON) (default: from the file name)")
	fs.StringVar(&f.report, "report", "", "write every rejected row or entry with its reason to this CSV file (all of them, however many)")
	fs.StringVar(&f.actor, "actor", "cli", "name recorded as the actor in the journal (admin role) when no --token is given")
	fs.StringVar(&f.token, "token", env("VAXTRACE_TOKEN", ""), "import as this API token's principal (env VAXTRACE_TOKEN); a migration token may carry recording times")
	fs.IntVar(&f.chunk, "chunk", csvimport.DefaultChunk, "doses files: rows parsed and submitted at a time (memory is bounded by the chunk, not the file)")
	f.fhir.add(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return vaxtrace.FieldError("file", "give exactly one file to import")
	}
	path := fs.Arg(0)
	if f.kind == "" && (strings.HasSuffix(path, ".ndjson") || strings.HasSuffix(path, ".json")) {
		f.kind = "fhir"
	}
	if f.kind == "" {
		k, ok := csvimport.KindForFile(filepath.Base(path))
		if !ok {
			return vaxtrace.FieldError("kind", "cannot tell the kind from the file name %q; use --kind", filepath.Base(path))
		}
		f.kind = k
	}
	eng, keys, err := f.openOrCreate(ctx, 0)
	if err != nil {
		return err
	}
	defer closeAll(eng)
	principal, err := f.principal(ctx, eng)
	if err != nil {
		return err
	}
	if f.kind == "fhir" {
		return importFHIR(ctx, eng, keys, principal, path, f.report, f.fhir)
	}
	return importCSV(ctx, eng, keys, principal, path, f.kind, f.report, f.chunk)
}

// principal is who the import acts as: the holder of --token, or an admin
// named --actor.
func (f *importFlags) principal(ctx context.Context, eng *engine.Engine) (vaxtrace.Principal, error) {
	if f.token == "" {
		return vaxtrace.Principal{Name: f.actor, Role: vaxtrace.RoleAdmin}, nil
	}
	t, err := eng.Journal().TokenByHash(ctx, httpapi.HashToken(f.token))
	if err != nil || t.Revoked {
		return vaxtrace.Principal{}, vaxtrace.Errorf(vaxtrace.EUNAUTHORIZED, "unknown or revoked token")
	}
	return t.Principal, nil
}

// rejectionReport writes every rejection to a CSV file as it happens.
type rejectionReport struct {
	f *os.File
	w *csv.Writer
}

func newRejectionReport(path string, header ...string) (*rejectionReport, error) {
	if path == "" {
		return nil, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	r := &rejectionReport{f: f, w: csv.NewWriter(f)}
	return r, r.w.Write(header)
}

func (r *rejectionReport) write(rec ...string) error {
	if r == nil {
		return nil
	}
	return r.w.Write(rec)
}

func (r *rejectionReport) close() error {
	if r == nil {
		return nil
	}
	r.w.Flush()
	return errors.Join(r.w.Error(), r.f.Close())
}

// importCSV streams a CSV file through the engine: a doses file is parsed
// and submitted chunk by chunk (memory bounded by the chunk), every rejected
// row is printed (the first 20) and written to the report as it happens.
func importCSV(ctx context.Context, eng *engine.Engine, keys *pii.Keys, principal vaxtrace.Principal, path, kind, reportPath string, chunk int) error {
	fh, err := os.Open(path)
	if err != nil {
		return err
	}
	defer fh.Close()
	st, _ := fh.Stat()
	report, err := newRejectionReport(reportPath, "line", "field", "code", "message")
	if err != nil {
		return err
	}
	cr := csvimport.NewCountingReader(fh)
	bar := newProgress("importing", st.Size())
	var acc, dup, rej int
	shown := 0
	reject := func(line int, e error) error {
		rej++
		if shown < 20 {
			shown++
			fmt.Fprintf(os.Stderr, "\r\033[K  line %d: %s\n", line, describe(e))
		}
		return report.write(fmt.Sprint(line), vaxtrace.ErrorField(e), vaxtrace.ErrorCode(e), vaxtrace.ErrorMessage(e))
	}
	const batch = 10000
	// the next chunk is parsed while the engine commits this one
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	files := make(chan *csvimport.File, 1)
	var parseErr error
	go func() {
		defer close(files)
		parseErr = csvimport.ParseChunks(kind, cr, keys, chunk, func(f *csvimport.File) error {
			select {
			case files <- f:
				return nil
			case <-pctx.Done():
				return pctx.Err()
			}
		})
	}()
	submitChunk := func(file *csvimport.File) error {
		file.Authorize(principal, time.Now())
		for _, re := range file.RowErrors {
			if err := reject(re.Line, re.Err()); err != nil {
				return err
			}
		}
		// people registered by earlier chunks (or before the import) are
		// not registered again
		eng.Read(func(s *vaxtrace.State) {
			for i := range file.Rows {
				r := &file.Rows[i]
				kept := r.Cmds[:0]
				for _, c := range r.Cmds {
					if pr, ok := c.Data.(vaxtrace.PersonRegistered); ok && s.Person(pr.Person.ID) != nil {
						continue
					}
					kept = append(kept, c)
				}
				r.Cmds = kept
			}
		})
		for start := 0; start < len(file.Rows); {
			var cmds []engine.Command
			var owners []int
			end := start
			for end < len(file.Rows) && (len(cmds) == 0 || len(cmds)+len(file.Rows[end].Cmds) <= batch) {
				for j, c := range file.Rows[end].Cmds {
					cmds = append(cmds, engine.Command{Key: c.Key, Actor: principal, Data: c.Data, Recorded: c.Recorded, Atomic: c.Atomic && j > 0})
					owners = append(owners, end)
				}
				end++
			}
			status := make([]string, end-start)
			errs := make([]error, end-start)
			for i, r := range eng.SubmitBatch(ctx, cmds) {
				k := owners[i] - start
				switch {
				case r.Err != nil:
					// a person already registered (same IIN, other details) is not a failure of the dose row
					if strings.HasPrefix(cmds[i].Key, "person:") && vaxtrace.ErrorCode(r.Err) == vaxtrace.ECONFLICT {
						continue
					}
					if errs[k] == nil {
						errs[k] = r.Err
					}
				case r.Duplicate && cmds[i].Data.Kind() != vaxtrace.KindPersonRegistered:
					status[k] = "duplicate"
				}
			}
			for k := range status {
				switch {
				case errs[k] != nil:
					if err := reject(file.Rows[start+k].Line, errs[k]); err != nil {
						return err
					}
				case status[k] == "duplicate":
					dup++
				default:
					acc++
				}
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			bar.set(cr.N(), false)
			start = end
		}
		return nil
	}
	var perr error
	for file := range files {
		if perr == nil {
			if perr = submitChunk(file); perr != nil {
				cancel() // stop the parser; drain what it already sent
			}
		}
	}
	if perr == nil {
		perr = parseErr
	}
	bar.set(st.Size(), true)
	if cerr := report.close(); perr == nil {
		perr = cerr
	}
	fmt.Printf("%s (%s): %d rows accepted, %d already imported (unchanged), %d rejected\n", path, kind, acc, dup, rej)
	if rej > 20 {
		fmt.Printf("  ... %d more rejected rows (all of them in --report)\n", rej-20)
	}
	if perr != nil {
		return fmt.Errorf("%s: import stopped: %w", path, perr)
	}
	if rej > 0 {
		return fmt.Errorf("%d rows rejected; fix them and import the file again (accepted rows are not imported twice)", rej)
	}
	return nil
}

// fhirFlags are the lenient options for foreign FHIR data.
type fhirFlags struct {
	region, place, vaccinator string
	lots                      lotFlag
}

func (f *fhirFlags) add(fs *flag.FlagSet) {
	fs.StringVar(&f.region, "default-region", "", "fhir: region for Patients whose address.state is not a region code (foreign data)")
	fs.StringVar(&f.place, "default-place", "", "fhir: vaccination point for Immunizations whose location is not a vaxtrace place")
	fs.StringVar(&f.vaccinator, "default-vaccinator", "", "fhir: vaccinator for Immunizations without a performer")
	fs.Var(&f.lots, "default-lot", "fhir: product=lot, the lot for Immunizations of that product WITHOUT a lotNumber (repeatable; an unknown lotNumber is always rejected)")
}

func (f *fhirFlags) importer() *fhir.Importer {
	return &fhir.Importer{DefaultRegion: f.region, DefaultPlace: f.place, DefaultVaccinator: f.vaccinator, DefaultLots: f.lots.m}
}

// lotFlag collects product=lot pairs.
type lotFlag struct{ m map[string]string }

func (l *lotFlag) String() string {
	var parts []string
	for k, v := range l.m {
		parts = append(parts, k+"="+v)
	}
	return strings.Join(parts, ",")
}

func (l *lotFlag) Set(v string) error {
	for _, pair := range strings.Split(v, ",") {
		prod, lot, ok := strings.Cut(strings.TrimSpace(pair), "=")
		if !ok || prod == "" || lot == "" {
			return vaxtrace.FieldError("default-lot", "%q must be product=lot", pair)
		}
		if l.m == nil {
			l.m = map[string]string{}
		}
		l.m[prod] = lot
	}
	return nil
}

// importFHIR imports a FHIR R4 Bundle (.json) or NDJSON file through the
// same validation as every other dose, and prints a per-entry report.
func importFHIR(ctx context.Context, eng *engine.Engine, keys *pii.Keys, principal vaxtrace.Principal, path, reportPath string, ff fhirFlags) error {
	fh, err := os.Open(path)
	if err != nil {
		return err
	}
	defer fh.Close()
	format := "bundle"
	if strings.HasSuffix(path, ".ndjson") {
		format = "ndjson"
	}
	report, err := newRejectionReport(reportPath, "entry", "resourceType", "id", "field", "code", "reason")
	if err != nil {
		return err
	}
	im := ff.importer()
	shown := 0
	im.Rejected = func(r fhir.EntryResult) error {
		if shown < 20 {
			shown++
			fmt.Printf("  entry %d %s/%s: %s: %s\n", r.Index, r.ResourceType, r.ID, r.Field, r.Reason)
		}
		return report.write(fmt.Sprint(r.Index), r.ResourceType, r.ID, r.Field, r.Code, r.Reason)
	}
	rep, err := im.Import(ctx, eng, keys, principal, fh, format)
	if cerr := report.close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	fmt.Printf("%s (FHIR %s): %d entries: %d accepted, %d already imported, %d rejected, %d skipped (resource types vaxtrace does not hold)\n", path, format, rep.Entries, rep.Accepted, rep.Duplicates, rep.Rejected, rep.Skipped)
	if rep.Rejected > 20 {
		fmt.Printf("  ... %d more rejected entries (all of them in --report)\n", rep.Rejected-20)
	}
	if rep.Rejected > 0 {
		return fmt.Errorf("%d entries rejected", rep.Rejected)
	}
	return nil
}
