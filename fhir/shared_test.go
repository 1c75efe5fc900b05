package fhir

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const sharedFHIR = "../../shared/testdata/fhir"

func sharedFile(t *testing.T, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(sharedFHIR, rel))
	if err != nil {
		t.Skipf("shared test data not available: %v", err)
	}
	return b
}

func summarize(rep Report) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "entries %d: accepted %d, rejected %d, duplicates %d, skipped %d\n", rep.Entries, rep.Accepted, rep.Rejected, rep.Duplicates, rep.Skipped)
	for _, r := range rep.Results {
		if r.Outcome == Skipped {
			continue
		}
		fmt.Fprintf(&sb, "  [%d] %s %s %s %s %s\n", r.Index, r.ResourceType, r.Outcome, r.Code, r.Field, r.Reason)
	}
	return sb.String()
}

func fixtureEngine(t *testing.T) (*Fixture, *Importer, func(format string, data []byte) Report) {
	ctx := context.Background()
	keys := testKeys(t)
	eng := newEngine(t)
	f, err := ImportFixture(ctx, eng, admin, "KZ-FHIRTEST", RoutineProducts(), map[string]string{"PT123F": "cvx-104"}, 100)
	if err != nil {
		t.Fatal(err)
	}
	im := f.Importer()
	return &f, im, func(format string, data []byte) Report {
		rep, err := im.Import(ctx, eng, keys, admin, bytes.NewReader(data), format)
		if err != nil {
			t.Fatalf("import: %v", err)
		}
		return rep
	}
}

func TestRoutineProductsValid(t *testing.T) {
	ps := RoutineProducts()
	if len(ps) < 10 {
		t.Fatalf("%d routine products", len(ps))
	}
	seen := map[string]bool{}
	for _, p := range ps {
		if err := p.Validate(); err != nil {
			t.Errorf("%s: %v", p.Code, err)
		}
		if p.Codes.CVX == "" || seen[p.Codes.CVX] {
			t.Errorf("%s: missing or duplicate CVX %q", p.Code, p.Codes.CVX)
		}
		seen[p.Codes.CVX] = true
	}
}

// TestImportSynthea imports the three Synthea bundles. Their Patients are
// registered under synthetic ids; their Immunizations (childhood and adult
// routine vaccines, no lotNumber, no location, no performer) go through
// the engine with the fixture's defaults. Each disease is its own series
// in the engine's schedule rules, so every routine dose imports: a child's
// Hep B, Hib and DTaP doses on one day are three series, not duplicates.
func TestImportSynthea(t *testing.T) {
	_, _, imp := fixtureEngine(t)
	want := map[string][4]int{ // accepted, rejected, skipped, duplicates
		"Enda_Schaefer_dd760206-6c4e-4e25-a799-f5c563e489a1.json": {18, 0, 71, 0},
		"Luigi_Wiegand_e27d88b0-c5e5-4042-ad49-184f6a900ee3.json": {13, 0, 48, 0},
		"Ned_Hintz_e4b9259d-0f54-48d1-a35d-b526729a4dfe.json":     {8, 0, 63, 0},
	}
	for name, w := range want {
		rep := imp("bundle", sharedFile(t, "synthea-r4/"+name))
		t.Logf("%s\n%s", name, summarize(rep))
		got := [4]int{rep.Accepted, rep.Rejected, rep.Skipped, rep.Duplicates}
		if got != w {
			t.Errorf("%s: got accepted/rejected/skipped/duplicates %v, want %v", name, got, w)
		}
		for _, r := range rep.Results {
			if r.Outcome == Rejected && r.Reason == "" {
				t.Errorf("%s entry %d rejected without a reason", name, r.Index)
			}
		}
		// a second import is all duplicates (and skips)
		rep2 := imp("bundle", sharedFile(t, "synthea-r4/"+name))
		if rep2.Accepted != 0 || rep2.Duplicates != w[0] {
			t.Errorf("%s re-import: %s", name, summarize(rep2))
		}
	}
}

// TestImportSpecExamples imports the R4 spec examples as NDJSON: Patient
// "example" first, then each Immunization example.
func TestImportSpecExamples(t *testing.T) {
	_, _, imp := fixtureEngine(t)
	files := []string{"Patient-example.json", "Immunization-example.json", "Immunization-historical.json", "Immunization-notGiven.json", "Immunization-protocol.json", "Immunization-subpotent.json", "ImmunizationEvaluation-example.json"}
	var nd bytes.Buffer
	for _, f := range files {
		var c bytes.Buffer
		if err := json.Compact(&c, sharedFile(t, "r4-spec-examples/"+f)); err != nil {
			t.Fatal(err)
		}
		nd.Write(c.Bytes())
		nd.WriteByte('\n')
	}
	rep := imp("ndjson", nd.Bytes())
	t.Logf("\n%s", summarize(rep))
	type exp struct{ outcome, field string }
	want := []exp{
		{Accepted, ""},                 // Patient/example (synthetic id from its MR identifier, default region)
		{Rejected, "vaccineCode"},      // FLUVAX: Australian code system, no CVX
		{Rejected, "occurrenceString"}, // "January 2012"
		{Rejected, "status"},           // not-done
		{Accepted, ""},                 // CVX 104 lot PT123F
		{Rejected, "vaccineCode"},      // GNHEP: Australian code system
		{Skipped, ""},                  // ImmunizationEvaluation
	}
	if len(rep.Results) != len(want) {
		t.Fatalf("%d results, want %d", len(rep.Results), len(want))
	}
	for i, w := range want {
		r := rep.Results[i]
		if r.Outcome != w.outcome || r.Field != w.field {
			t.Errorf("entry %d (%s/%s): %s %s %q, want %s %s", i, r.ResourceType, r.ID, r.Outcome, r.Field, r.Reason, w.outcome, w.field)
		}
	}
	// Without the Patient the protocol example has no resolvable patient.
	_, _, imp2 := fixtureEngine(t)
	var c bytes.Buffer
	json.Compact(&c, sharedFile(t, "r4-spec-examples/Immunization-protocol.json"))
	rep = imp2("ndjson", c.Bytes())
	if rep.Rejected != 1 || rep.Results[0].Field != "patient" {
		t.Errorf("protocol example without its patient: %s", summarize(rep))
	}
}
