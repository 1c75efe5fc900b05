package vaxtrace

import (
	"fmt"
	"reflect"
)

// SetCoverageAppendFast turns personAppend's fast path on or off and
// returns the function that restores the setting.
func SetCoverageAppendFast(on bool) (restore func()) {
	old := coverageAppendFast
	coverageAppendFast = on
	return func() { coverageAppendFast = old }
}

// CoverageDiff describes how the counters, the due lists and the doses'
// derived fields of a and b differ ("" when they agree). a and b hold the
// same events, so places are compared by id.
func CoverageDiff(a, b *State) string {
	type norm struct {
		ByProduct [][][NumMeasures][]int64
		ByAge     [][NumMeasures][8][]int64
		ByGroup   [][NumMeasures][][]int64
		BySex     [][NumMeasures][3]int64
		Known     map[knownKey]int64
		PointDay  map[string]int64
		MaxDay    Date
	}
	trim := func(s []int64) []int64 {
		for len(s) > 0 && s[len(s)-1] == 0 {
			s = s[:len(s)-1]
		}
		if len(s) == 0 {
			return nil
		}
		return s
	}
	of := func(c *Coverage) norm {
		n := norm{BySex: c.bySex, Known: c.known, PointDay: map[string]int64{}, MaxDay: c.maxDay}
		for _, r := range c.byProduct {
			var rr [][NumMeasures][]int64
			for _, p := range r {
				var pp [NumMeasures][]int64
				for m := range p {
					pp[m] = trim(p[m])
				}
				rr = append(rr, pp)
			}
			n.ByProduct = append(n.ByProduct, rr)
		}
		for _, r := range c.byAge {
			var rr [NumMeasures][8][]int64
			for m := range r {
				for g := range r[m] {
					rr[m][g] = trim(r[m][g])
				}
			}
			n.ByAge = append(n.ByAge, rr)
		}
		for _, r := range c.byGroup {
			var rr [NumMeasures][][]int64
			for m := range r {
				for _, g := range r[m] {
					rr[m] = append(rr[m], trim(g))
				}
			}
			n.ByGroup = append(n.ByGroup, rr)
		}
		for k, v := range c.pointDay {
			n.PointDay[fmt.Sprintf("%s/%d/%d/%d", k.place.ID, k.day, k.product, k.number)] = v
		}
		return n
	}
	if x, y := of(a.Cov), of(b.Cov); !reflect.DeepEqual(x, y) {
		return fmt.Sprintf("counters differ:\n%+v\n%+v", x, y)
	}
	if a.people.len() != b.people.len() || a.doses.len() != b.doses.len() {
		return "different registries"
	}
	for i := 0; i < a.people.len(); i++ {
		p := a.people.recs.at(uint32(i))
		da, oka := a.DueOf(p.ID)
		db, okb := b.DueOf(p.ID)
		if da != db || oka != okb {
			return fmt.Sprintf("person %s due %+v %v, %+v %v", p.ID, da, oka, db, okb)
		}
	}
	for i := 0; i < a.doses.len(); i++ {
		x, y := a.doses.recs.at(uint32(i)), b.doses.recs.at(uint32(i))
		if x.ID != y.ID || x.number != y.number || x.flags != y.flags || x.nextDose != y.nextDose || x.Anomaly() != y.Anomaly() {
			return fmt.Sprintf("dose %s: number %d/%d flags %b/%b next %d/%d anomaly %q/%q", x.ID, x.number, y.number, x.flags, y.flags, x.nextDose, y.nextDose, x.Anomaly(), y.Anomaly())
		}
	}
	return ""
}
