package plan

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
)

func TestParseOWIDFile(t *testing.T) {
	rows := loadOWID(t)
	if len(rows) < 440 || rows[0].Date != Date(2021, time.January, 31) || rows[len(rows)-1].Date != Date(2023, time.April, 30) {
		t.Fatalf("got %d rows %s..%s", len(rows), rows[0].Date, rows[len(rows)-1].Date)
	}
	last := rows[len(rows)-1]
	if !last.TotalVaccinations.Known || last.PeopleVaccinated.Known || last.TotalBoosters.Known {
		t.Errorf("empty cells must be unknown: %+v", last)
	}
	if r := rows[0]; !r.PeopleVaccinated.Known || r.PeopleVaccinated.N != 0 || r.TotalBoosters.Known {
		t.Errorf("first row: %+v", r)
	}
}

func TestParseOWIDErrors(t *testing.T) {
	head := "location,date,vaccine,total_vaccinations,people_vaccinated,people_fully_vaccinated,total_boosters\n"
	tests := []struct {
		name, in string
		line     int
		column   string
	}{
		{"bad count", head + "KZ,2021-03-01,\"A, B\",10,5,5,\nKZ,2021-03-02,A,11,x,5,\n", 3, "people_vaccinated"},
		{"negative", head + "KZ,2021-03-01,A,10,5,-5,\n", 2, "people_fully_vaccinated"},
		{"bad date", head + "KZ,2021-13-01,A,10,5,5,\n", 2, "date"},
		{"missing date column", "location,total_vaccinations\nKZ,1\n", 1, "date"},
		{"fraction", head + "KZ,2021-03-01,A,10.5,5,5,\n", 2, "total_vaccinations"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseOWID(strings.NewReader(tc.in))
			var pe *ParseError
			var ie *InputError
			if !errors.As(err, &pe) || pe.Line != tc.line || pe.Column != tc.column || !errors.As(err, &ie) || ie.Field != tc.column {
				t.Fatalf("err = %v, want line %d column %s", err, tc.line, tc.column)
			}
		})
	}
	rows, err := ParseOWID(strings.NewReader(head + "KZ,2021-03-02,A,,7,,\nKZ,2021-03-01,A,1.0,1,0,\nKZ,2021-03-02,A,9,8,1,\n"))
	if err != nil || len(rows) != 2 || rows[1].PeopleVaccinated.N != 8 || rows[0].TotalVaccinations.N != 1 {
		t.Fatalf("rows=%+v err=%v (last row of a date must stand, sorted by date)", rows, err)
	}
}

func FuzzParseOWID(f *testing.F) {
	f.Add([]byte("date,people_vaccinated\n2021-03-01,5\n"))
	f.Add([]byte("location,date,vaccine,total_vaccinations,people_vaccinated,people_fully_vaccinated,total_boosters\nKZ,2021-03-01,\"A, B\",10,5,5,\n"))
	f.Add([]byte("date\n\n2021-01-01\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, err := ParseOWID(bytes.NewReader(data))
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Line < 1 {
				t.Fatalf("error without line: %v", err)
			}
			return
		}
		for i := 1; i < len(rows); i++ {
			if rows[i].Date <= rows[i-1].Date {
				t.Fatalf("rows not sorted and unique")
			}
		}
		for _, r := range rows {
			for j := 0; j < 4; j++ {
				if c := r.field(j); c.N < 0 || (!c.Known && c.N != 0) {
					t.Fatalf("bad count %+v", c)
				}
			}
		}
	})
}

// A perfectly linear campaign (10,000 first doses a day, everyone back for
// the second dose after 21 days) must be forecast almost exactly; a broken
// uptake model or second-dose schedule fails this.
func TestBacktestSyntheticLinear(t *testing.T) {
	start := Date(2021, time.February, 1)
	var rows []OWIDRow
	var b strings.Builder
	b.WriteString("date,total_vaccinations,people_vaccinated,people_fully_vaccinated,total_boosters\n")
	for d := 0; d < 300; d++ {
		first := int64(10_000 * d)
		full := int64(10_000 * max(0, d-21))
		if d%5 == 3 { // gaps: days without a report
			continue
		}
		fmt.Fprintf(&b, "%s,%d,%d,%d,\n", start+Day(d), first+full, first, full)
	}
	rows, err := ParseOWID(strings.NewReader(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	opts := BacktestOptions{Eligible: []EligibleFrom{{0, 1e9}}, Periods: []Period{{"all", 0, start + 400}}}
	rep, err := BacktestWith(rows, CutoffDates(start+60, start+250, 7), []int{14, 28}, opts)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Cutoffs < 25 {
		t.Fatalf("cut-offs %d", rep.Cutoffs)
	}
	for _, k := range []string{KindFirst, KindCompleted, KindAll} {
		for _, h := range []int{14, 28} {
			r, ok := rep.Result("all", h, k)
			if !ok || r.Model.N < 10 || math.IsNaN(r.Model.WAPE) || r.Model.WAPE > 0.5 || math.Abs(r.Model.Bias) > 0.5 {
				t.Errorf("h=%d %s: model error %+v, want ≈0", h, k, r.Model)
			}
		}
	}
}
