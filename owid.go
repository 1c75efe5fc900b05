package vaxtrace

import (
	"sort"
	"strconv"
	"strings"
)

// OWIDHeader is the column order of Our World in Data's country files
// (shared/reference/owid/Kazakhstan.csv).
var OWIDHeader = []string{"location", "date", "vaccine", "source_url", "total_vaccinations", "people_vaccinated", "people_fully_vaccinated", "total_boosters"}

// OWIDRows returns the national series in the OWID format, one row per day
// from the first dose to `to`. known picks the recording day each row is
// computed as known at: nil = everything known now; func(d) d = "as
// published" (each day's row is what a publication that day showed); a
// constant = as known on that day.
func (s *State) OWIDRows(to Date, known func(Date) Date, location, source string) [][]string {
	from := CovEpoch
	if to < from {
		return nil
	}
	n := int(to-from) + 1
	doseMeasures := []int{MDose1, MDose2, MDoseMore, MBooster}
	type firstUse struct {
		name string
		day  int
	}
	var used []firstUse
	first := n
	for _, p := range s.Products() {
		day := n
		for _, m := range doseMeasures {
			for i, v := range s.Daily("", p.Code, m, from, to) {
				if v != 0 && i < day {
					day = i
					break
				}
			}
		}
		if day < n {
			used = append(used, firstUse{p.Name, day})
			first = min(first, day)
		}
	}
	sort.Slice(used, func(i, j int) bool { return used[i].name < used[j].name })
	var series [NumMeasures][]int64
	for m := range series {
		if known == nil {
			series[m] = s.Daily("", "", m, from, to)
			for i := 1; i < n; i++ {
				series[m][i] += series[m][i-1]
			}
		} else {
			series[m] = s.KnownSeries("", m, from, to, known)
		}
	}
	var rows [][]string
	for i := first; i < n; i++ {
		var names []string
		for _, u := range used {
			if u.day <= i {
				names = append(names, u.name)
			}
		}
		c := func(m int) int64 { return series[m][i] }
		total := c(MDose1) + c(MDose2) + c(MDoseMore) + c(MBooster)
		rows = append(rows, []string{location, (from + Date(i)).String(), strings.Join(names, ", "), source,
			strconv.FormatInt(total, 10), strconv.FormatInt(c(MDose1), 10), strconv.FormatInt(c(MFull), 10), strconv.FormatInt(c(MBooster), 10)})
	}
	return rows
}
