package vaxtrace_test

import (
	"slices"
	"strconv"
	"testing"
	"time"

	vt "vaxtrace"
)

// applyAccepted applies p as a journal replay would, without deciding it
// again (an event accepted under earlier rules, or recorded late).
func (w *world) applyAccepted(p vt.Payload, at time.Time) {
	w.seq++
	w.s.Apply(vt.Event{Seq: w.seq, Kind: p.Kind(), Key: p.Kind() + strconv.FormatUint(w.seq, 10), Recorded: at, Hash: vt.ContentHash(p), Data: p})
}

// TestPersonDosesStayInTimeOrder follows a person's doses through late
// records, a void, a correction to another person and a merge: every
// accessor gives the valid doses in time order, numbered 1, 2, ...
func TestPersonDosesStayInTimeOrder(t *testing.T) {
	w := newWorld(t)
	a, b := w.person(1), w.person(2)
	day := func(n int) time.Time { return t0.AddDate(0, 0, n) }
	moveTo := b
	for _, step := range []struct {
		name  string
		do    func()
		wantA []string
		wantB []string
	}{
		{"first dose", func() { w.must(dose("a1", a, day(10), "L-I-A"), day(10)) }, []string{"a1"}, nil},
		{"an earlier dose recorded late", func() { w.applyAccepted(dose("a0", a, day(0), "L-I-A"), day(11)) }, []string{"a0", "a1"}, nil},
		{"a later dose", func() { w.applyAccepted(dose("a2", a, day(31), "L-II-A"), day(31)) }, []string{"a0", "a1", "a2"}, nil},
		{"the middle dose voided", func() { w.must(vt.DoseVoided{Dose: "a1", Reason: "entered in error"}, day(32)) }, []string{"a0", "a2"}, nil},
		{"the first dose moved to another person", func() {
			w.must(vt.DoseCorrected{Dose: "a0", Person: &moveTo, Reason: "wrong person"}, day(33))
		}, []string{"a2"}, []string{"a0"}},
		{"the other person's second dose", func() { w.must(dose("b5", b, day(40), "L-II-A"), day(40)) }, []string{"a2"}, []string{"a0", "b5"}},
		{"merged", func() { w.must(vt.PersonsMerged{Into: a, From: b, Reason: "same person"}, day(41)) }, []string{"a0", "a2", "b5"}, nil},
	} {
		step.do()
		for _, c := range []struct {
			id   vt.PersonID
			want []string
		}{{a, step.wantA}, {b, step.wantB}} {
			p := w.s.Person(c.id)
			var got, iterated []string
			for i, d := range w.s.DosesOf(p) {
				got = append(got, d.ID(w.s))
				if d.Number() != i+1 {
					t.Errorf("%s: dose %s is number %d, want %d", step.name, d.ID(w.s), d.Number(), i+1)
				}
			}
			for d := range w.s.PersonDoses(p) {
				iterated = append(iterated, d.ID(w.s))
			}
			if !slices.Equal(got, c.want) || !slices.Equal(iterated, c.want) {
				t.Fatalf("%s: person %x doses %v, iterated %v, want %v", step.name, c.id[0], got, iterated, c.want)
			}
			if n := w.s.NumDoses(p); n != len(c.want) {
				t.Errorf("%s: NumDoses %d, want %d", step.name, n, len(c.want))
			}
			first, last := w.s.FirstDose(p), w.s.LastDose(p)
			if len(c.want) == 0 {
				if first != nil || last != nil {
					t.Errorf("%s: first %v last %v of no doses", step.name, first, last)
				}
				continue
			}
			if first == nil || first.ID(w.s) != c.want[0] || last == nil || last.ID(w.s) != c.want[len(c.want)-1] {
				t.Errorf("%s: first %v last %v, want %s and %s", step.name, first, last, c.want[0], c.want[len(c.want)-1])
			}
		}
	}
}
