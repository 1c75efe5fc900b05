package plan

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

// Count is a cumulative count that may be unknown (an empty OWID cell).
type Count struct {
	N     int64
	Known bool
}

// OWIDRow is one day of the Our World in Data vaccination series.
type OWIDRow struct {
	Date                  Day
	TotalVaccinations     Count
	PeopleVaccinated      Count // at least one dose ("first")
	PeopleFullyVaccinated Count // primary series complete ("full")
	TotalBoosters         Count
}

var owidColumns = []string{"total_vaccinations", "people_vaccinated", "people_fully_vaccinated", "total_boosters"}

func (r *OWIDRow) field(i int) *Count {
	switch i {
	case 0:
		return &r.TotalVaccinations
	case 1:
		return &r.PeopleVaccinated
	case 2:
		return &r.PeopleFullyVaccinated
	}
	return &r.TotalBoosters
}

// ParseOWID reads an OWID country vaccination CSV. Columns are found by
// header name: "date" is required, the four count columns are optional and
// other columns (location, vaccine, source_url) are ignored. Empty cells are
// unknown, not zero. When a date repeats the last row stands. Rows are
// returned sorted by date. A bad cell yields a *ParseError naming the line
// and column (it unwraps to an *InputError).
func ParseOWID(r io.Reader) ([]OWIDRow, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &ParseError{Line: 1, Err: inputErr("header", "empty input")}
		}
		return nil, &ParseError{Line: 1, Err: fmt.Errorf("read header: %w", err)}
	}
	dateCol := -1
	cols := make([]int, len(owidColumns))
	for i := range cols {
		cols[i] = -1
	}
	for i, h := range header {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		if h == "date" {
			if dateCol >= 0 {
				return nil, &ParseError{Line: 1, Column: h, Err: inputErr(h, "duplicate column")}
			}
			dateCol = i
		}
		for j, c := range owidColumns {
			if h == c {
				if cols[j] >= 0 {
					return nil, &ParseError{Line: 1, Column: h, Err: inputErr(h, "duplicate column")}
				}
				cols[j] = i
			}
		}
	}
	if dateCol < 0 {
		return nil, &ParseError{Line: 1, Column: "date", Err: inputErr("date", "missing column")}
	}
	byDate := map[Day]int{}
	var out []OWIDRow
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.StartLine
			}
			return nil, &ParseError{Line: line, Err: fmt.Errorf("read record: %w", err)}
		}
		if line2, _ := cr.FieldPos(0); line2 > 0 {
			line = line2
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		cell := func(i int) string {
			if i < 0 || i >= len(rec) {
				return ""
			}
			return strings.TrimSpace(rec[i])
		}
		var row OWIDRow
		ds := cell(dateCol)
		if ds == "" {
			return nil, &ParseError{Line: line, Column: "date", Err: inputErr("date", "empty")}
		}
		d, err := ParseDay(ds)
		if err != nil {
			return nil, &ParseError{Line: line, Column: "date", Err: inputErr("date", "%q is not a YYYY-MM-DD date", ds)}
		}
		row.Date = d
		for j, c := range cols {
			v := cell(c)
			if v == "" {
				continue
			}
			n, err := parseCount(v)
			if err != nil {
				return nil, &ParseError{Line: line, Column: owidColumns[j], Err: inputErr(owidColumns[j], "%v", err)}
			}
			*row.field(j) = Count{N: n, Known: true}
		}
		if i, ok := byDate[d]; ok {
			out[i] = row
			continue
		}
		byDate[d] = len(out)
		out = append(out, row)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Date < out[j].Date })
	return out, nil
}

// parseCount accepts a non-negative integer, also written with a zero
// fraction ("123.0") as some OWID exports do.
func parseCount(s string) (int64, error) {
	if i := strings.IndexByte(s, '.'); i >= 0 {
		if strings.Trim(s[i+1:], "0") != "" {
			return 0, fmt.Errorf("%q is not a whole number", s)
		}
		s = s[:i]
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a whole number", s)
	}
	if n < 0 {
		return 0, fmt.Errorf("%d is negative", n)
	}
	if n > 1<<40 {
		return 0, fmt.Errorf("%d is implausibly large", n)
	}
	return n, nil
}
