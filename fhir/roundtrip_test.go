package fhir

import (
	"bytes"
	"context"
	"sort"
	"strings"
	"testing"
)

func sortedLines(b *bytes.Buffer) string {
	lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

func TestRoundTrip(t *testing.T) {
	ctx := context.Background()
	keys := testKeys(t)
	src := newEngine(t)
	seedBase(t, src, 1000)
	seedPeople(t, src, keys, 60)

	first := bufs{}
	if err := ExportNDJSON(ctx, src, keys, "", first.w, nil); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(first["Patient"].String(), "\n"); n != 60 {
		t.Fatalf("exported %d patients, want 60", n)
	}
	if !strings.Contains(first["Immunization"].String(), `"status":"entered-in-error"`) {
		t.Fatal("the voided dose is missing from the export")
	}

	dst := newEngine(t)
	seedBase(t, dst, 1000)
	for _, rt := range []string{"Patient", "Immunization"} {
		rep, err := Import(ctx, dst, keys, migration, bytes.NewReader(first[rt].Bytes()), "ndjson")
		if err != nil {
			t.Fatal(err)
		}
		if rep.Rejected != 0 || rep.Accepted != strings.Count(first[rt].String(), "\n") {
			for _, r := range rep.Results {
				if r.Outcome != Accepted {
					t.Errorf("%s line %d: %s %s: %s", rt, r.Index, r.Outcome, r.Field, r.Reason)
				}
			}
			t.Fatalf("%s: %+v", rt, rep.Entries)
		}
	}
	second := bufs{}
	if err := ExportNDJSON(ctx, dst, keys, "", second.w, nil); err != nil {
		t.Fatal(err)
	}
	for _, rt := range []string{"Patient", "Immunization"} {
		if a, b := sortedLines(first[rt]), sortedLines(second[rt]); a != b {
			t.Errorf("%s differs after the round trip:\n%s\n----\n%s", rt, a, b)
		}
		// deterministic order, not only the same set
		if first[rt].String() != second[rt].String() {
			t.Errorf("%s: same resources but a different order", rt)
		}
	}

	// importing again changes nothing: everything is a duplicate
	for _, rt := range []string{"Patient", "Immunization"} {
		rep, err := Import(ctx, dst, keys, migration, bytes.NewReader(first[rt].Bytes()), "ndjson")
		if err != nil {
			t.Fatal(err)
		}
		if rep.Duplicates != rep.Entries || rep.Entries == 0 {
			t.Errorf("%s re-import: %d entries, %d duplicates, %d rejected (%+v)", rt, rep.Entries, rep.Duplicates, rep.Rejected, rep.Results[:min(3, len(rep.Results))])
		}
	}
}

func TestExportRegion(t *testing.T) {
	ctx := context.Background()
	keys := testKeys(t)
	eng := newEngine(t)
	seedBase(t, eng, 1000)
	seedPeople(t, eng, keys, 20)
	b := bufs{}
	var calls int
	if err := ExportNDJSON(ctx, eng, keys, "KZ-AST", b.w, func(done, total int) { calls++ }); err != nil {
		t.Fatal(err)
	}
	if calls == 0 {
		t.Error("progress never called")
	}
	pts := strings.Count(b["Patient"].String(), "\n")
	if pts != 4 { // every fifth person
		t.Errorf("KZ-AST export has %d patients, want 4", pts)
	}
	if strings.Contains(b["Immunization"].String(), `"p-ala"`) {
		t.Error("KZ-AST export contains a dose given in KZ-ALA")
	}
}
