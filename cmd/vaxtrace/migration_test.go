package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"vaxtrace"
	"vaxtrace/fhir"
	"vaxtrace/gen"
)

const owidSeries = "../../../shared/reference/owid/Kazakhstan.csv"

// TestMigrationCSVEqualsFHIR: the national series replayed as a migration
// through CSV (with recording times, the migration role, in chunks) and the
// same events imported through FHIR (Immunization.recorded) give the same
// "as published" OWID export, which follows the publications (not zeros);
// without the migration role the recording times are refused row by row,
// every rejection in the report file.
func TestMigrationCSVEqualsFHIR(t *testing.T) {
	if _, err := os.Stat(owidSeries); err != nil {
		t.Skip("shared OWID series not available:", err)
	}
	ctx := context.Background()
	dir := t.TempDir()
	const scale = 0.0002
	mig := vaxtrace.Principal{Name: "moh-migration", Role: vaxtrace.RoleMigration}

	// store A: the migration through CSV, as the CLI does it
	sfA := storeFlags{db: filepath.Join(dir, "a.db")}
	if err := generateMigration(ctx, sfA, owidSeries, dir, scale, 1); err != nil {
		t.Fatal(err)
	}
	engA, keysA, err := sfA.open(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer closeAll(engA)
	for _, f := range gen.MigrationFiles {
		kind := strings.TrimSuffix(f, ".csv")
		if err := importCSV(ctx, engA, keysA, mig, filepath.Join(dir, f), kind, filepath.Join(dir, kind+"-rejected.csv"), 1000); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
	}

	// store B: the same supply through CSV, the same doses through FHIR
	sfB := storeFlags{db: filepath.Join(dir, "b.db")}
	if err := generateMigration(ctx, sfB, owidSeries, filepath.Join(dir, "b"), scale, 1); err != nil {
		t.Fatal(err)
	}
	engB, keysB, err := sfB.open(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer closeAll(engB)
	for _, f := range gen.MigrationFiles[:4] {
		kind := strings.TrimSuffix(f, ".csv")
		if err := importCSV(ctx, engB, keysB, mig, filepath.Join(dir, "b", f), kind, "", 0); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
	}
	nd := filepath.Join(dir, "doses.ndjson")
	n := writeFHIR(t, filepath.Join(dir, "doses.csv"), nd)
	if err := importFHIR(ctx, engB, keysB, mig, nd, filepath.Join(dir, "fhir-rejected.csv"), fhirFlags{}); err != nil {
		t.Fatal(err)
	}

	var a, b [][]string
	var last vaxtrace.Date
	published := func(d vaxtrace.Date) vaxtrace.Date { return d }
	engA.Read(func(s *vaxtrace.State) { last = s.LastDay(); a = s.OWIDRows(last, published, "Kazakhstan", "") })
	engB.Read(func(s *vaxtrace.State) { b = s.OWIDRows(last, published, "Kazakhstan", "") })
	if len(a) < 700 || len(a) != len(b) {
		t.Fatalf("%d and %d rows (%d doses)", len(a), len(b), n)
	}
	for i := range a {
		if strings.Join(a[i], ",") != strings.Join(b[i], ",") {
			t.Fatalf("as published differs on row %d:\nCSV  %v\nFHIR %v", i, a[i], b[i])
		}
	}
	// the as-published series follows the publications: 2021-02-11 showed
	// 14,000 people with a first dose (14000 x scale), known only then
	row := func(day string) []string {
		for _, r := range a {
			if r[1] == day {
				return r
			}
		}
		t.Fatalf("no row for %s", day)
		return nil
	}
	if r := row("2021-02-10"); r[5] != "0" {
		t.Errorf("as published on 2021-02-10: %v (the doses were known on the 11th only)", r)
	}
	if r := row("2021-02-11"); r[5] != "3" {
		t.Errorf("as published on 2021-02-11: %v, want people_vaccinated 3 (14000 x %g)", r, scale)
	}
	engA.Read(func(s *vaxtrace.State) {
		known := s.OWIDRows(last, nil, "Kazakhstan", "")
		differ := 0
		for i := range known {
			if strings.Join(known[i], ",") != strings.Join(a[i], ",") {
				differ++
			}
		}
		if differ < 100 {
			t.Errorf("as known now differs from as published on %d of %d days; the recording times were lost", differ, len(a))
		}
	})

	// an admin may not migrate: every row refused, every refusal reported
	sfC := storeFlags{db: filepath.Join(dir, "c.db")}
	if err := generateMigration(ctx, sfC, owidSeries, filepath.Join(dir, "c"), scale, 1); err != nil {
		t.Fatal(err)
	}
	engC, keysC, err := sfC.open(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer closeAll(engC)
	admin := vaxtrace.Principal{Name: "ops", Role: vaxtrace.RoleAdmin}
	report := filepath.Join(dir, "admin-rejected.csv")
	err = importCSV(ctx, engC, keysC, admin, filepath.Join(dir, "c", "doses.csv"), "doses", report, 1000)
	if err == nil {
		t.Fatal("an admin imported recording times")
	}
	f, _ := os.Open(report)
	recs, _ := csv.NewReader(f).ReadAll()
	f.Close()
	if len(recs) != n+1 || recs[1][1] != "row 2.recorded" || recs[1][2] != vaxtrace.EFORBIDDEN {
		t.Errorf("report has %d rows for %d doses; first %v", len(recs)-1, n, recs[1])
	}
}

// writeFHIR turns the migration's doses.csv into NDJSON Patients and
// Immunizations carrying the same events (Immunization.recorded is the
// recording time the CSV gives, read as the CSV import reads it).
func writeFHIR(t *testing.T, csvPath, out string) int {
	f, err := os.Open(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cr := csv.NewReader(f)
	head, _ := cr.Read()
	col := map[string]int{}
	for i, h := range head {
		col[h] = i
	}
	o, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	w := bufio.NewWriter(o)
	defer w.Flush()
	enc := json.NewEncoder(w)
	seen := map[string]bool{}
	n := 0
	for {
		r, err := cr.Read()
		if err != nil {
			break
		}
		get := func(c string) string { return r[col[c]] }
		iin := get("iin")
		if !seen[iin] {
			seen[iin] = true
			g := map[string]string{"M": "male", "F": "female"}[get("sex")]
			enc.Encode(fhir.Patient{ResourceType: "Patient", Identifier: []fhir.Identifier{{System: fhir.IINSystem, Value: iin}},
				Name: []fhir.HumanName{{Family: get("family"), Given: []string{get("given")}}}, Gender: g, BirthDate: get("birth_date"), Address: []fhir.Address{{State: get("region")}}})
		}
		at, _ := time.Parse(time.RFC3339, get("at"))
		rec, err := vaxtrace.ParseRecorded(get("recorded"), at)
		if err != nil {
			t.Fatal(err)
		}
		enc.Encode(fhir.Immunization{ResourceType: "Immunization", Identifier: []fhir.Identifier{{System: fhir.DoseSystem, Value: get("id")}}, Status: "completed",
			VaccineCode: &fhir.CodeableConcept{Coding: []fhir.Coding{{System: fhir.ProductSystem, Code: "sputnik-v"}}},
			Patient:     &fhir.Reference{Identifier: &fhir.Identifier{System: fhir.IINSystem, Value: iin}}, OccurrenceDateTime: at.Format(time.RFC3339),
			Recorded: rec.Format(time.RFC3339), Location: &fhir.Reference{Identifier: &fhir.Identifier{System: fhir.PlaceSystem, Value: get("place")}},
			LotNumber: get("lot"), Performer: []fhir.Performer{{Actor: fhir.Reference{Display: get("vaccinator")}}}})
		n++
	}
	return n
}
