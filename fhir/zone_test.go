package fhir

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"vaxtrace"
	"vaxtrace/engine"
)

// A dose given at 01:00 in Almaty is exported with its Almaty date and
// counts on that day after an import into another store (issue 13: a round
// trip through UTC moved it to the day before). Both sides of 1 March 2024
// (UTC+6, then UTC+5).
func TestRoundTripKeepsTheAlmatyDay(t *testing.T) {
	ctx := context.Background()
	keys := testKeys(t)
	for _, tc := range []struct {
		at, wantPrefix string
		day            vaxtrace.Date
	}{
		{"2021-03-19T01:00:00+06:00", `"occurrenceDateTime":"2021-03-19T01:00:00+06:00"`, vaxtrace.MkDate(2021, 3, 19)},
		{"2021-06-30T00:00:00+06:00", `"occurrenceDateTime":"2021-06-30T00:00:00+06:00"`, vaxtrace.MkDate(2021, 6, 30)},
	} {
		t.Run(tc.at, func(t *testing.T) {
			at, err := time.Parse(time.RFC3339, tc.at)
			if err != nil {
				t.Fatal(err)
			}
			src := newEngine(t)
			seedBase(t, src, 10)
			id, sealed, err := keys.Person(iinFor(1))
			if err != nil {
				t.Fatal(err)
			}
			submit(t, src, []engine.Command{
				cmd("person:"+id.String(), vaxtrace.PersonRegistered{Person: vaxtrace.Person{ID: id, IINSealed: sealed, Family: "Night", BirthDate: vaxtrace.MkDate(1980, 1, 1), Sex: vaxtrace.SexFemale, Region: "KZ-ALA"}}),
				cmd("dose:night", vaxtrace.DoseAdministered{ID: "night", Person: id, At: at, Place: "p-ala", Lot: "SV1-0121", Vaccinator: "nurse"}),
			})
			out := bufs{}
			if err := ExportNDJSON(ctx, src, keys, "", out.w, nil); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out["Immunization"].String(), tc.wantPrefix) {
				t.Fatalf("export: want %s in\n%s", tc.wantPrefix, out["Immunization"])
			}
			dst := newEngine(t)
			seedBase(t, dst, 10)
			for _, rt := range []string{"Patient", "Immunization"} {
				rep, err := Import(ctx, dst, keys, migration, bytes.NewReader(out[rt].Bytes()), "ndjson")
				if err != nil || rep.Accepted != 1 {
					t.Fatalf("import %s: %+v, %v", rt, rep, err)
				}
			}
			dst.Read(func(s *vaxtrace.State) {
				if got := s.Cumulative("", vaxtrace.MDose1, tc.day-1); got != 0 {
					t.Errorf("after the round trip %d first doses counted on %s, the day before", got, tc.day-1)
				}
				if got := s.Cumulative("", vaxtrace.MDose1, tc.day); got != 1 {
					t.Errorf("after the round trip %d first doses by %s, want 1", got, tc.day)
				}
			})
		})
	}
}
