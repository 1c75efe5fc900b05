package vaxtrace_test

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"testing"
	"time"

	vt "vaxtrace"
)

// TestDueIndexFollowsDoses records first doses (many on the same day, so
// that buckets hold many people), second doses, voids and corrections in a
// random order, and after every step compares the due list with one made
// by walking every person: each person due appears once, under the right
// due day, and no one else does.
func TestDueIndexFollowsDoses(t *testing.T) {
	w := newWorld(t)
	rng := rand.New(rand.NewPCG(14, 2))
	var people []vt.PersonID
	for i := 1; i <= 60; i++ {
		people = append(people, w.person(byte(i)))
	}
	base := t0.AddDate(0, 0, 1)
	doses := map[vt.PersonID][]string{}
	n := 0
	check := func(step string) {
		t.Helper()
		got := w.s.Due(vt.DueFilter{Place: "VP-AKM-1", AsOf: vt.DateOf(base), Ahead: 365, Limit: 1000})
		reg := w.s.Due(vt.DueFilter{Region: "KZ-AKM", AsOf: vt.DateOf(base), Ahead: 365, Limit: 1000})
		var want, have, haveRegion []string
		w.s.EachPerson(func(p *vt.PersonState) bool {
			if ds := w.s.DosesOf(p); len(ds) == 1 {
				want = append(want, fmt.Sprint(p.ID, vt.DateOf(ds[0].At(w.s)).AddDays(21)))
			}
			return true
		})
		for _, d := range got.People {
			have = append(have, fmt.Sprint(d.Person, d.DueFrom))
		}
		for _, d := range reg.People {
			haveRegion = append(haveRegion, fmt.Sprint(d.Person, d.DueFrom))
		}
		sort.Strings(want)
		sort.Strings(have)
		sort.Strings(haveRegion)
		if fmt.Sprint(have) != fmt.Sprint(want) || fmt.Sprint(haveRegion) != fmt.Sprint(want) || got.Total != len(want) {
			t.Fatalf("after %s: point list %d people, region %d, walked %d\n got %v\nwant %v", step, len(have), len(haveRegion), len(want), have, want)
		}
		for i := 1; i < len(got.People); i++ {
			if got.People[i].DueFrom < got.People[i-1].DueFrom {
				t.Fatalf("after %s: the list is not in due-day order", step)
			}
		}
	}
	for step := 0; step < 400; step++ {
		p := people[rng.IntN(len(people))]
		ds := doses[p]
		n++
		id := fmt.Sprintf("d%d", n)
		var err error
		var what string
		switch k := rng.IntN(10); {
		case len(ds) == 0:
			what = "first dose"
			err = w.do(dose(id, p, base.Add(time.Duration(rng.IntN(3))*24*time.Hour), "L-I-A"), base.Add(time.Hour))
		case len(ds) == 1 && k < 4:
			what = "second dose"
			err = w.do(dose(id, p, base.AddDate(0, 0, 25), "L-II-A"), base.AddDate(0, 0, 25))
		case k < 7:
			what = "void"
			id = ds[len(ds)-1]
			err = w.do(vt.DoseVoided{Dose: id, Reason: "test"}, base.AddDate(0, 0, 30))
		default:
			what = "correction"
			id = ds[0]
			at := base.Add(time.Duration(rng.IntN(4)) * 24 * time.Hour)
			err = w.do(vt.DoseCorrected{Dose: id, At: &at, Reason: "test"}, base.AddDate(0, 0, 30))
		}
		if err != nil {
			continue // refused by the rules (e.g. a correction past the second dose): nothing changed
		}
		switch what {
		case "first dose", "second dose":
			doses[p] = append(ds, id)
		case "void":
			doses[p] = ds[:len(ds)-1]
		}
		check(fmt.Sprintf("step %d (%s of %s)", step, what, id))
	}
	if len(w.s.Due(vt.DueFilter{Place: "VP-AKM-1", AsOf: vt.DateOf(base), Ahead: 365}).Counts) == 0 {
		t.Fatal("no one left due: the walk did not exercise the index")
	}
}
