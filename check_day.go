package vaxtrace

import (
	"fmt"
	"sort"
)

// datedMove is one change of a place's stock of a lot, on the day it
// happened (not the order it was recorded in).
type datedMove struct {
	day Date
	n   int64
	seq uint64
}

func (c *Checker) dated(k [2]string, n int64, day Date, seq uint64) {
	if c.byDay == nil {
		c.byDay = map[[2]string][]datedMove{}
	}
	c.byDay[k] = append(c.byDay[k], datedMove{day, n, seq})
}

// negativeOnADay replays every place's stock of every lot in the order of
// the days things happened and reports the first day it was below zero at
// the end of the day: stock "as of" that day was negative (a dose dated
// before the lot reached the point, a dispatch dated before the receipt).
func (c *Checker) negativeOnADay() []string {
	var out []string
	keys := make([][2]string, 0, len(c.byDay))
	for k := range c.byDay {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i][0] != keys[j][0] {
			return keys[i][0] < keys[j][0]
		}
		return keys[i][1] < keys[j][1]
	})
	for _, k := range keys {
		ms := c.byDay[k]
		sort.SliceStable(ms, func(i, j int) bool { return ms[i].day < ms[j].day })
		var n int64
		for i, m := range ms {
			n += m.n
			if (i == len(ms)-1 || ms[i+1].day != m.day) && n < 0 {
				out = append(out, fmt.Sprintf("place %s lot %s: stock as of %s was %d (event %d)", k[0], k[1], m.day, n, m.seq))
				break
			}
		}
	}
	return out
}
