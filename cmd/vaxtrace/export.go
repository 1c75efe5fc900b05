package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"vaxtrace"
	"vaxtrace/fhir"
)

func init() {
	register("export", "export open data: owid (CSV, as known now / as published / as known on a day), fhir (person-level NDJSON bulk export, without IINs unless --include-iin) or ddcc (a certificate as a WHO DDCC:VS document)", runExport)
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
	includeIIN := fs.Bool("include-iin", false, "fhir: write each person's IIN in clear (Patient.identifier) for a transfer to another health information system; personal data, never open data. Run by the store's administrator (it opens the personal-data keys); the files are mode 0600 in a mode 0700 directory either way")
	hcid := fs.String("hcid", "", "ddcc: the certificate's UVCI (vaxtrace cert issue)")
	source := fs.String("source-url", env("VAXTRACE_OWID_SOURCE_URL", vaxtrace.OWIDDefaultSource), "owid: the source_url column (env VAXTRACE_OWID_SOURCE_URL): the page the figures are published on")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *includeIIN && what != "fhir" {
		return vaxtrace.FieldError("include-iin", "only for the fhir export")
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
		if err := privateDir(*out); err != nil {
			return err
		}
		files := map[string]*os.File{}
		defer func() {
			for _, f := range files {
				f.Close()
			}
		}()
		exportKeys := keys // the IIN is opened only on request
		if !*includeIIN {
			exportKeys = nil
		} else {
			slog.Warn("the FHIR export holds IINs in clear: personal data, keep the files private", "dir", *out)
		}
		var ferr error
		bar := newProgress("exporting", 0)
		err := fhir.ExportNDJSON(ctx, eng, exportKeys, *region, func(rt string) io.Writer {
			if f := files[rt]; f != nil {
				return f
			}
			f, err := privateFile(filepath.Join(*out, rt+".ndjson"))
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
		for rt, f := range files {
			if err := f.Sync(); err != nil {
				return err
			}
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
					sealed = s.PersonText(p).IINSealed()
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

// privateDir makes dir (mode 0700) or accepts an existing directory that
// only its owner can enter: person-level exports are personal data.
func privateDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	st, err := os.Stat(dir)
	if err != nil {
		return err
	}
	if !st.IsDir() {
		return vaxtrace.FieldError("out", "%s is not a directory", dir)
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 {
		return vaxtrace.FieldError("out", "%s is open to group or others (mode %04o): export person-level data into a new directory, or chmod 700 %s", dir, perm, dir)
	}
	return nil
}

// privateFile creates or truncates path with mode 0600 (also when it
// existed with a wider mode).
func privateFile(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, err
	}
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}
