package vaxtrace_test

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	vt "vaxtrace"
)

// Late records change "as known today" but never "as known then", and the
// as-published series reproduces what a daily publication showed each day.
func TestAsKnownOnAndPublishedSeries(t *testing.T) {
	w := newWorld(t)
	start := vt.DateOf(t0)
	days := 12
	published := map[vt.Date]int64{}
	person := byte(10)
	pending := map[int][]vt.DoseAdministered{} // recording day offset -> doses arriving then
	for i := 0; i < days; i++ {
		day := start.AddDays(i)
		// each day: 3 doses on time, 2 that will arrive 3 days late
		for k := 0; k < 5; k++ {
			person++
			p := w.person(person)
			d := dose(fmt.Sprintf("d%d-%d", i, k), p, day.Start().Add(5*time.Hour+time.Duration(k)*time.Minute), "L-I-A")
			if k < 3 {
				pending[i] = append(pending[i], d)
			} else {
				pending[i+3] = append(pending[i+3], d)
			}
		}
		for _, d := range pending[i] {
			w.must(d, day.Start().Add(20*time.Hour))
		}
		// the publication at the end of day i
		published[day] = w.s.Cumulative("", vt.MDose1, day)
	}
	end := start.AddDays(days - 1)
	series := w.s.KnownSeries("", vt.MDose1, start, end, func(d vt.Date) vt.Date { return d })
	for i, v := range series {
		d := start.AddDays(i)
		if v != published[d] {
			t.Fatalf("as published on %s = %d, the publication showed %d", d, v, published[d])
		}
		// the slow direct sum agrees
		if direct := w.s.KnownCumulative("", vt.MDose1, d, d); direct != v {
			t.Fatalf("direct %d != series %d", direct, v)
		}
	}
	// the OWID export in "as published" mode reproduces the publications
	rows := w.s.OWIDRows(end, func(d vt.Date) vt.Date { return d }, "Kazakhstan", "")
	for _, row := range rows {
		d, _ := vt.ParseDate(row[1])
		if d < start {
			continue
		}
		if row[5] != fmt.Sprint(published[d]) {
			t.Fatalf("OWID as published %s people_vaccinated = %s, publication showed %d", row[1], row[5], published[d])
		}
	}
	if len(rows) == 0 {
		t.Fatal("no OWID rows")
	}
	// as known today counts the late records
	today := w.s.KnownSeries("", vt.MDose1, start, end, func(vt.Date) vt.Date { return end.AddDays(100) })
	if today[3] <= series[3] {
		t.Fatalf("late records should raise 'as known today' (%d) above 'as published' (%d)", today[3], series[3])
	}
	if today[3] != 4*5 { // every dose of days 0..3 is known by now... except those of days 10,11 arriving after end: not day 3's
		t.Fatalf("as known today on day 3 = %d, want 20", today[3])
	}
	// importing more late records for day 2 later changes today, never then
	then := w.s.KnownCumulative("", vt.MDose1, start.AddDays(2), start.AddDays(2))
	person++
	p := w.person(person)
	w.must(dose("very-late", p, start.AddDays(2).Time().Add(6*time.Hour), "L-I-A"), end.Time().Add(30*time.Hour))
	if after := w.s.KnownCumulative("", vt.MDose1, start.AddDays(2), start.AddDays(2)); after != then {
		t.Fatalf("as known on day 2 changed from %d to %d", then, after)
	}
	rep := w.s.LateRecords("", start, end)
	if rep.Late == 0 || rep.Places[0].Late == 0 {
		t.Fatalf("late report found no late records: %+v", rep)
	}
	if rep.Revisions[2].Change <= 0 {
		t.Fatalf("day 2 published figure should have been revised upward: %+v", rep.Revisions[2])
	}
}

func TestTalliesReconcile(t *testing.T) {
	w := newWorld(t)
	day := vt.DateOf(t0)
	w.must(vt.TallySubmitted{Place: "VP-AKM-1", Date: day, Product: "sputnik-v", DoseNumber: 1, Count: 3}, t0.Add(20*time.Hour))
	lines := w.s.Tallies("", day)
	if len(lines) != 1 || lines[0].Gap != 3 || lines[0].Closed {
		t.Fatalf("tally %+v", lines)
	}
	for i := byte(1); i <= 2; i++ {
		w.must(dose(fmt.Sprintf("t%d", i), w.person(i), t0.Add(time.Duration(i)*time.Minute), "L-I-A"), t0.Add(30*time.Hour))
	}
	pl, gap := w.s.TallyEstimate("", day)
	if pl != 2 || gap != 1 {
		t.Fatalf("person-level %d gap %d, want 2 and 1 (never counted twice)", pl, gap)
	}
	w.must(dose("t3", w.person(3), t0.Add(3*time.Minute), "L-I-A"), t0.Add(31*time.Hour))
	w.must(dose("t4", w.person(4), t0.Add(4*time.Minute), "L-I-A"), t0.Add(31*time.Hour))
	lines = w.s.Tallies("", day)
	if !lines[0].Exceeded || lines[0].Gap != 0 || !lines[0].Closed {
		t.Fatalf("exceeded tally not flagged: %+v", lines[0])
	}
	wantErr(t, w.do(vt.TallySubmitted{Place: "VP-AKM-1", Date: day, Product: "sputnik-v", DoseNumber: 1, Count: 5}, t0.Add(40*time.Hour)), vt.ECONFLICT, "", "closed")
	if err := w.do(vt.TallySubmitted{Place: "VP-AKM-1", Date: day, Product: "sputnik-v", DoseNumber: 1, Count: 5, Reopen: true}, t0.Add(40*time.Hour)); err != nil {
		t.Fatal(err)
	}
	wantErr(t, w.do(vt.TallySubmitted{Place: "VP-AKM-1", Date: day, Product: "sputnik-v", DoseNumber: 1, Count: -1}, t0.Add(40*time.Hour)), vt.EINVALID, "count", "")
	wantErr(t, w.do(vt.TallySubmitted{Place: "NOPE", Date: day, Product: "sputnik-v", DoseNumber: 1, Count: 1}, t0.Add(40*time.Hour)), vt.ENOTFOUND, "place", "")
}

// A receipt recorded late changes stock as known today, never as known then.
func TestStockAsKnown(t *testing.T) {
	w := newWorld(t)
	day := vt.DateOf(t0)
	then := w.s.StockPositionKnown("", day, day)
	w.must(vt.LotRegistered{Lot: vt.Lot{ID: "LATE", Product: "sputnik-v", Component: "I", Manufacturer: "KPC", Manufactured: vt.MkDate(2021, 1, 1), Expiry: vt.MkDate(2021, 9, 1), Origin: vt.OriginDomestic}}, t0.Add(72*time.Hour))
	w.must(vt.StockReceived{Receipt: "RL", Place: "NW", Lot: "LATE", Doses: 777, Occurred: t0}, t0.Add(72*time.Hour))
	if got := w.s.StockPositionKnown("", day, day); !reflect.DeepEqual(got, then) {
		t.Fatalf("stock as known on %s changed after a late receipt", day)
	}
	sum := func(ls []vt.StockLine) (n int64) {
		for _, l := range ls {
			n += l.Received
		}
		return
	}
	now := w.s.StockPositionKnown("", day, day.AddDays(10))
	if sum(now)-sum(then) != 777 {
		t.Fatalf("as known later: received %d, want %d more", sum(now), 777)
	}
	if sum(w.s.StockPosition("", day)) != sum(now) {
		t.Fatal("as known today must equal the current position")
	}
}
