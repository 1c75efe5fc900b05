package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"vaxtrace"
	"vaxtrace/fhir"
)

func init() {
	register("export", "export open data: owid (CSV, as known now / as published / as known on a day), fhir (NDJSON bulk export) or ddcc (a certificate as a WHO DDCC:VS document)", runExport)
}

func runExport(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return vaxtrace.FieldError("format", "give owid, fhir or ddcc")
	}
	what := args[0]
	fs := flag.NewFlagSet("export "+what, flag.ContinueOnError)
	var sf storeFlags
	sf.add(fs)
	out := fs.String("out", "", "output file (owid; default stdout) or directory (fhir)")
	asOf := fs.String("as-of", "", "last day (default: the latest day with doses)")
	mode := fs.String("mode", "known", "owid: known (as known now or at --known-at) or published (each day as its publication showed it)")
	knownAt := fs.String("known-at", "", "owid: figures as known at the end of this day")
	region := fs.String("region", "", "fhir: only this region")
	hcid := fs.String("hcid", "", "ddcc: the certificate's UVCI (vaxtrace cert issue)")
	source := fs.String("source-url", env("VAXTRACE_OWID_SOURCE_URL", vaxtrace.OWIDDefaultSource), "owid: the source_url column (env VAXTRACE_OWID_SOURCE_URL): the page the figures are published on")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if what == "owid" {
		if err := vaxtrace.CheckSourceURL("source-url", *source); err != nil {
			return err
		}
	}
	eng, keys, err := sf.open(ctx, 0)
	if err != nil {
		return err
	}
	defer closeAll(eng)
	switch what {
	case "owid":
		var w io.Writer = os.Stdout
		if *out != "" {
			f, err := os.Create(*out)
			if err != nil {
				return err
			}
			defer f.Close()
			w = f
		}
		var kf func(vaxtrace.Date) vaxtrace.Date
		switch *mode {
		case "published":
			kf = func(d vaxtrace.Date) vaxtrace.Date { return d }
		case "known":
			if *knownAt != "" {
				k, err := vaxtrace.ParseDate(*knownAt)
				if err != nil {
					return vaxtrace.WithField(err, "known-at")
				}
				kf = func(vaxtrace.Date) vaxtrace.Date { return k }
			}
		default:
			return vaxtrace.FieldError("mode", "must be known or published")
		}
		var rows [][]string
		eng.Read(func(s *vaxtrace.State) {
			to := s.LastDay()
			if *asOf != "" {
				if d, err2 := vaxtrace.ParseDate(*asOf); err2 == nil {
					to = d
				} else {
					err = vaxtrace.WithField(err2, "as-of")
				}
			}
			rows = s.OWIDRows(to, kf, "Kazakhstan", *source)
		})
		if err != nil {
			return err
		}
		cw := csv.NewWriter(w)
		cw.Write(vaxtrace.OWIDHeader)
		cw.WriteAll(rows)
		return cw.Error()
	case "fhir":
		if *out == "" {
			return vaxtrace.FieldError("out", "a directory is required for the FHIR export")
		}
		if err := os.MkdirAll(*out, 0o755); err != nil {
			return err
		}
		files := map[string]*os.File{}
		defer func() {
			for _, f := range files {
				f.Close()
			}
		}()
		var ferr error
		bar := newProgress("exporting", 0)
		err := fhir.ExportNDJSON(ctx, eng, keys, *region, func(rt string) io.Writer {
			if f := files[rt]; f != nil {
				return f
			}
			f, err := os.Create(filepath.Join(*out, rt+".ndjson"))
			if err != nil {
				ferr = err
				return io.Discard
			}
			files[rt] = f
			return f
		}, func(done, total int) {
			bar.total = int64(total)
			bar.set(int64(done), false)
		})
		bar.set(bar.total, true)
		if err != nil {
			return err
		}
		if ferr != nil {
			return ferr
		}
		for rt := range files {
			fmt.Println("wrote", filepath.Join(*out, rt+".ndjson"))
		}
		return nil
	case "ddcc":
		if *hcid == "" {
			return vaxtrace.FieldError("hcid", "required: the UVCI of an issued certificate")
		}
		var sealed string
		eng.Read(func(s *vaxtrace.State) {
			if c := s.Certificate(*hcid); c != nil {
				if p := s.Person(c.Person); p != nil {
					sealed = p.IINSealed
				}
			}
		})
		iin := ""
		if sealed != "" {
			if iin, err = keys.Open(sealed); err != nil {
				return err
			}
		}
		var doc fhir.Bundle
		eng.Read(func(s *vaxtrace.State) { doc, err = fhir.HealthCertificate(s, *hcid, iin) })
		if err != nil {
			return err
		}
		var w io.Writer = os.Stdout
		if *out != "" {
			f, err := os.Create(*out)
			if err != nil {
				return err
			}
			defer f.Close()
			w = f
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", " ")
		return enc.Encode(doc)
	}
	return vaxtrace.FieldError("format", "unknown export %q (owid, fhir or ddcc)", what)
}
