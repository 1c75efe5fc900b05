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
)

func init() {
	register("import", "import a CSV file (places, agreements, lots, shipments, receipts, doses) with a per-row report", runImport)
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

func runImport(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	var sf storeFlags
	sf.add(fs)
	kind := fs.String("kind", "", "file kind: "+strings.Join(csvimport.Kinds(), ", ")+", or fhir (a Bundle .json or NDJSON) (default: from the file name)")
	report := fs.String("report", "", "write the rejected rows with their reasons to this CSV file")
	actor := fs.String("actor", "cli", "name recorded as the actor in the journal")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return vaxtrace.FieldError("file", "give exactly one CSV file to import")
	}
	path := fs.Arg(0)
	if *kind == "" && (strings.HasSuffix(path, ".ndjson") || strings.HasSuffix(path, ".json")) {
		*kind = "fhir"
	}
	if *kind == "fhir" {
		return importFHIR(ctx, sf, path, *actor)
	}
	if *kind == "" {
		k, ok := csvimport.KindForFile(filepath.Base(path))
		if !ok {
			return vaxtrace.FieldError("kind", "cannot tell the kind from the file name %q; use --kind", filepath.Base(path))
		}
		*kind = k
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, _ := f.Stat()
	eng, keys, err := sf.openOrCreate(ctx, 0)
	if err != nil {
		return err
	}
	defer closeAll(eng)

	cr := csvimport.NewCountingReader(f)
	bar := newProgress("parsing", st.Size())
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(150 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				bar.set(cr.N(), false)
			}
		}
	}()
	file, err := csvimport.Parse(*kind, cr, keys)
	close(done)
	bar.set(st.Size(), true)
	if err != nil {
		return fmt.Errorf("%s: nothing imported: %w", path, err)
	}
	principal := vaxtrace.Principal{Name: *actor, Role: vaxtrace.RoleAdmin}
	type rowResult struct {
		line   int
		status string
		err    error
	}
	results := make([]rowResult, 0, len(file.Rows)+len(file.RowErrors))
	for _, re := range file.RowErrors {
		results = append(results, rowResult{line: re.Line, status: "rejected", err: re.Err()})
	}
	var total int64
	for _, r := range file.Rows {
		total += int64(len(r.Cmds))
	}
	bar = newProgress("importing", total)
	var sent int64
	const chunk = 10000
	var cmds []engine.Command
	var owners []int
	flush := func() {
		if len(cmds) == 0 {
			return
		}
		res := eng.SubmitBatch(ctx, cmds)
		for i, r := range res {
			rr := &results[owners[i]]
			if r.Err != nil && rr.err == nil {
				// a person already registered (same IIN, other details) is not a failure of the dose row
				if strings.HasPrefix(cmds[i].Key, "person:") && vaxtrace.ErrorCode(r.Err) == vaxtrace.ECONFLICT {
					continue
				}
				rr.status, rr.err = "rejected", r.Err
			} else if r.Duplicate && rr.status == "accepted" && cmds[i].Data.Kind() != vaxtrace.KindPersonRegistered {
				rr.status = "duplicate"
			}
		}
		sent += int64(len(cmds))
		bar.set(sent, false)
		cmds, owners = cmds[:0], owners[:0]
	}
	for _, r := range file.Rows {
		idx := len(results)
		results = append(results, rowResult{line: r.Line, status: "accepted"})
		if len(cmds)+len(r.Cmds) > chunk {
			flush()
		}
		for _, c := range r.Cmds {
			cmds = append(cmds, engine.Command{Key: c.Key, Actor: principal, Data: c.Data})
			owners = append(owners, idx)
		}
	}
	flush()
	bar.set(total, true)
	var acc, dup, rej int
	var rejected []rowResult
	for _, r := range results {
		switch r.status {
		case "accepted":
			acc++
		case "duplicate":
			dup++
		default:
			rej++
			rejected = append(rejected, r)
		}
	}
	fmt.Printf("%s (%s): %d rows accepted, %d already imported (unchanged), %d rejected\n", path, *kind, acc, dup, rej)
	for i, r := range rejected {
		if i == 20 {
			fmt.Printf("  ... %d more (see --report)\n", len(rejected)-20)
			break
		}
		fmt.Printf("  line %d: %s\n", r.line, describe(r.err))
	}
	if *report != "" {
		out, err := os.Create(*report)
		if err != nil {
			return err
		}
		w := csv.NewWriter(out)
		w.Write([]string{"line", "field", "code", "message"})
		for _, r := range rejected {
			w.Write([]string{fmt.Sprint(r.line), vaxtrace.ErrorField(r.err), vaxtrace.ErrorCode(r.err), vaxtrace.ErrorMessage(r.err)})
		}
		w.Flush()
		if err := errors.Join(w.Error(), out.Close()); err != nil {
			return err
		}
	}
	if rej > 0 {
		return fmt.Errorf("%d rows rejected; fix them and import the file again (accepted rows are not imported twice)", rej)
	}
	return nil
}

// importFHIR imports a FHIR R4 Bundle (.json) or NDJSON file through the
// same validation as every other dose, and prints a per-entry report.
func importFHIR(ctx context.Context, sf storeFlags, path, actor string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	eng, keys, err := sf.openOrCreate(ctx, 0)
	if err != nil {
		return err
	}
	defer closeAll(eng)
	format := "bundle"
	if strings.HasSuffix(path, ".ndjson") {
		format = "ndjson"
	}
	rep, err := fhir.Import(ctx, eng, keys, vaxtrace.Principal{Name: actor, Role: vaxtrace.RoleAdmin}, f, format)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	fmt.Printf("%s (FHIR %s): %d entries: %d accepted, %d already imported, %d rejected, %d skipped (resource types vaxtrace does not hold)\n", path, format, rep.Entries, rep.Accepted, rep.Duplicates, rep.Rejected, rep.Skipped)
	for _, r := range rep.Results {
		if r.Outcome == "rejected" {
			fmt.Printf("  entry %d %s/%s: %s: %s\n", r.Index, r.ResourceType, r.ID, r.Field, r.Reason)
		}
	}
	if rep.Rejected > 0 {
		return fmt.Errorf("%d entries rejected", rep.Rejected)
	}
	return nil
}
