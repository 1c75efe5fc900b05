package vaxtrace

import (
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// OWIDHeader is the column order of Our World in Data's country files
// (shared/reference/owid/Kazakhstan.csv).
var OWIDHeader = []string{"location", "date", "vaccine", "source_url", "total_vaccinations", "people_vaccinated", "people_fully_vaccinated", "total_boosters"}

// OWIDDefaultSource is the source_url written when none is configured: the
// Ministry of Health's COVID-19 page, which OWID itself cites for
// Kazakhstan's daily rows.
const OWIDDefaultSource = "https://www.coronavirus2020.kz/"

// CheckSourceURL validates a configured OWID source_url: OWID's files hold
// an absolute http(s) URL in that column.
func CheckSourceURL(field, s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return FieldError(field, "%q is not an absolute http(s) URL (OWID's source_url column holds the page the figures come from)", s)
	}
	return nil
}

// OWIDName is the product's name in OWID's vaccine vocabulary
// (Product.Codes.OWID), or its own name when the catalog gives none.
func OWIDName(p *Product) string {
	if p.Codes.OWID != "" {
		return p.Codes.OWID
	}
	return p.Name
}

// OWIDRows returns the national series in the OWID format, one row per day
// from the first dose to `to`. known picks the recording day each row is
// computed as known at: nil = everything known now; func(d) d = "as
// published" (each day's row is what a publication that day showed); a
// constant = as known on that day.
//
// The rows are written as OWID writes them: the vaccine column lists, in
// alphabetical order, OWID's names of the vaccines in use up to that day
// (each name once: Hayat-Vax and Sinopharm BIBP are both
// "Sinopharm/Beijing"); source_url is source (OWIDDefaultSource when
// empty); total_boosters is empty, not 0, until the first booster is
// counted, as OWID leaves a figure that was not yet reported.
func (s *State) OWIDRows(to Date, known func(Date) Date, location, source string) [][]string {
	if source == "" {
		source = OWIDDefaultSource
	}
	from := CovEpoch
	if to < from {
		return nil
	}
	n := int(to-from) + 1
	doseMeasures := []int{MDose1, MDose2, MDoseMore, MBooster}
	firstUse := map[string]int{} // OWID name -> first day index it was used
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
			name := OWIDName(p)
			if d, ok := firstUse[name]; !ok || day < d {
				firstUse[name] = day
			}
			first = min(first, day)
		}
	}
	used := make([]string, 0, len(firstUse))
	for name := range firstUse {
		used = append(used, name)
	}
	sort.Strings(used)
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
			if firstUse[u] <= i {
				names = append(names, u)
			}
		}
		c := func(m int) int64 { return series[m][i] }
		total := c(MDose1) + c(MDose2) + c(MDoseMore) + c(MBooster)
		boosters := ""
		if c(MBooster) != 0 {
			boosters = strconv.FormatInt(c(MBooster), 10)
		}
		rows = append(rows, []string{location, (from + Date(i)).String(), strings.Join(names, ", "), source,
			strconv.FormatInt(total, 10), strconv.FormatInt(c(MDose1), 10), strconv.FormatInt(c(MFull), 10), boosters})
	}
	return rows
}
