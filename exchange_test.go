package vaxtrace_test

import (
	"fmt"
	"testing"
	"time"

	vt "vaxtrace"
)

func TestCheckRecorded(t *testing.T) {
	now := time.Date(2024, 1, 10, 12, 0, 0, 0, time.UTC)
	occ := time.Date(2021, 3, 19, 10, 0, 0, 0, time.UTC)
	mig := vt.Principal{Name: "moh-migration", Role: vt.RoleMigration}
	tests := []struct {
		name     string
		p        vt.Principal
		occurred time.Time
		recorded time.Time
		code     string
		contains string
	}{
		{"no recording time: anybody", vt.Principal{Role: vt.RolePoint}, occ, time.Time{}, "", ""},
		{"migration, recorded later", mig, occ, occ.Add(48 * time.Hour), "", ""},
		{"migration, recorded the same moment", mig, occ, occ, "", ""},
		{"admin may not", vt.Principal{Role: vt.RoleAdmin}, occ, occ.Add(time.Hour), vt.EFORBIDDEN, "migration role"},
		{"point may not", vt.Principal{Role: vt.RolePoint}, occ, occ.Add(time.Hour), vt.EFORBIDDEN, "migration role"},
		{"in the future", mig, occ, now.Add(time.Hour), vt.EINVALID, "future"},
		{"before it occurred", mig, occ, occ.Add(-time.Minute), vt.EINVALID, "before the record occurred"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := vt.CheckRecorded(tc.p, "row 7.recorded", tc.occurred, tc.recorded, now)
			if tc.code == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantErr(t, err, tc.code, "row 7.recorded", tc.contains)
		})
	}
}

func TestParseRecorded(t *testing.T) {
	occ := time.Date(2021, 3, 19, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Time
	}{
		{"2021-03-19", occ}, // the same day: recorded when it occurred
		{"2021-03-22", time.Date(2021, 3, 22, 0, 0, 0, 0, time.UTC)},
		{"2021-03-22T08:30:00+06:00", time.Date(2021, 3, 22, 2, 30, 0, 0, time.UTC)},
	}
	for _, tc := range tests {
		got, err := vt.ParseRecorded(tc.in, occ)
		if err != nil || !got.Equal(tc.want) {
			t.Errorf("ParseRecorded(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	if _, err := vt.ParseRecorded("22.03.2021", occ); err == nil {
		t.Error("a date in another format was accepted")
	}
}

func TestMigrationRoleScope(t *testing.T) {
	w := newWorld(t)
	mig := vt.Principal{Name: "m", Role: vt.RoleMigration}
	if !vt.ValidRole(vt.RoleMigration) {
		t.Fatal("migration is not a valid role")
	}
	p := w.person(1)
	for _, v := range []vt.Payload{
		dose("m1", p, t0, "L-I-A"),
		vt.PlaceDefined{Place: vt.Place{ID: "VP-KAR-9", Kind: vt.PlacePoint, Name: "x", Region: "KZ-KAR", Parent: "RW-KAR"}},
		vt.StockAdjusted{Place: "NW", Lot: "L-I-B", Delta: -1, Reason: vt.ReasonDamaged, Occurred: t0},
	} {
		if err := vt.Authorize(mig, w.s, v); err != nil {
			t.Errorf("migration may not %s: %v", v.Kind(), err)
		}
	}
	wantErr(t, vt.Authorize(mig, w.s, vt.CertificateRevoked{UVCI: "x", Reason: "y"}), vt.EFORBIDDEN, "", "certificates")
	if !mig.CanReadRegion(w.s, "KZ-KAR") || !mig.CanReadPlace(w.s, "VP-AKM-1") {
		t.Error("migration cannot read what it loaded")
	}
}

func TestEachDoseFact(t *testing.T) {
	w := newWorld(t)
	day := func(n int) time.Time { return t0.AddDate(0, 0, n) }
	var people []vt.PersonID
	for i := 0; i < 4; i++ {
		people = append(people, w.person(byte(20+i)))
	}
	w.must(dose("a1", people[0], day(0), "L-I-A"), day(0))
	w.must(dose("a2", people[0], day(21), "L-II-A"), day(23)) // recorded two days late
	w.must(dose("b1", people[1], day(1), "L-I-A"), day(1))
	w.must(dose("c1", people[2], day(2), "L-I-A"), day(2))
	w.must(vt.DoseVoided{Dose: "c1", Reason: "wrong person"}, day(3))
	got := map[string]vt.DoseFact{}
	w.s.EachDoseFact(func(f vt.DoseFact) bool {
		got[fmt.Sprint(f.Day, f.Number)+f.Place] = f
		return true
	})
	if len(got) != 3 {
		t.Fatalf("%d facts, want 3 (the voided dose is not one): %v", len(got), got)
	}
	second := got[fmt.Sprint(vt.DateOf(day(21)), 2)+"VP-AKM-1"]
	want := vt.DoseFact{Place: "VP-AKM-1", Region: "KZ-AKM", Day: vt.DateOf(day(21)), Known: vt.DateOf(day(23)), Product: "sputnik-v", Component: "II",
		Number: 2, Complete: true, AgeBand: 4, Sex: vt.SexFemale}
	if second != want {
		t.Errorf("second dose fact\n got %+v\nwant %+v", second, want)
	}
	// the facts add up to the coverage counters
	var first int64
	w.s.EachDoseFact(func(f vt.DoseFact) bool {
		if f.Number == 1 {
			first++
		}
		return true
	})
	if c := w.s.Cumulative("", vt.MDose1, vt.DateOf(day(30))); c != first {
		t.Errorf("first doses: facts %d, counters %d", first, c)
	}
	n := 0
	w.s.EachDoseFact(func(vt.DoseFact) bool { n++; return false })
	if n != 1 {
		t.Errorf("iteration went on after fn returned false (%d calls)", n)
	}
}

func TestOWIDRowsAsOWIDWritesThem(t *testing.T) {
	w := newWorld(t)
	hayat := vt.Product{Code: "hayat-vax", Name: "Hayat-Vax", Components: []vt.Component{{Code: "1"}}, SeriesDoses: 2, IntervalDays: 21, Presentations: []vt.Presentation{{DosesPerVial: 1}}, Codes: vt.ProductCodes{OWID: "Sinopharm/Beijing"}}
	bibp := vt.Product{Code: "sinopharm-bibp", Name: "Sinopharm BIBP", Components: []vt.Component{{Code: "1"}}, SeriesDoses: 2, IntervalDays: 21, Presentations: []vt.Presentation{{DosesPerVial: 1}}, Codes: vt.ProductCodes{OWID: "Sinopharm/Beijing"}}
	sv := sputnik
	sv.Name, sv.Codes.OWID = "Sputnik V (Gam-COVID-Vac)", "Sputnik V"
	for _, p := range []vt.Product{sv, hayat, bibp} {
		w.must(vt.ProductDefined{Product: p}, t0)
	}
	at := t0.AddDate(0, -2, 0)
	for _, id := range []string{"HV-1", "SP-1"} {
		prod := map[string]string{"HV-1": "hayat-vax", "SP-1": "sinopharm-bibp"}[id]
		w.must(vt.LotRegistered{Lot: vt.Lot{ID: id, Product: prod, Component: "1", Manufacturer: "x", Manufactured: vt.MkDate(2021, 1, 1), Expiry: vt.MkDate(2022, 1, 1), Origin: vt.OriginDomestic}}, at)
		w.must(vt.StockReceived{Receipt: "R-" + id, Place: "NW", Lot: id, Doses: 100, Occurred: at}, at)
		w.must(vt.LotReleased{Lot: id, Occurred: vt.DateOf(at)}, at)
		w.must(vt.ShipmentDispatched{Shipment: "S-" + id, From: "NW", To: "VP-AKM-1", Occurred: at, Lines: []vt.ShipmentLine{{Lot: id, Doses: 100}}}, at)
		w.must(vt.ShipmentReceived{Shipment: "S-" + id, Occurred: at}, at)
	}
	w.must(dose("d1", w.person(1), t0, "L-I-A"), t0)
	w.must(dose("d2", w.person(2), t0.AddDate(0, 0, 1), "HV-1"), t0.AddDate(0, 0, 1))
	w.must(dose("d3", w.person(3), t0.AddDate(0, 0, 2), "SP-1"), t0.AddDate(0, 0, 2))
	rows := w.s.OWIDRows(vt.DateOf(t0).AddDays(2), nil, "Kazakhstan", "")
	if len(rows) != 3 {
		t.Fatalf("%d rows: %v", len(rows), rows)
	}
	wantVaccine := []string{"Sputnik V", "Sinopharm/Beijing, Sputnik V", "Sinopharm/Beijing, Sputnik V"}
	for i, r := range rows {
		if r[2] != wantVaccine[i] {
			t.Errorf("row %s vaccine = %q, want %q", r[1], r[2], wantVaccine[i])
		}
		if r[3] != vt.OWIDDefaultSource {
			t.Errorf("source_url = %q, want the default %q", r[3], vt.OWIDDefaultSource)
		}
		if r[7] != "" {
			t.Errorf("total_boosters = %q before any booster; OWID leaves it empty", r[7])
		}
	}
	if got := w.s.OWIDRows(vt.DateOf(t0), nil, "Kazakhstan", "https://example.org/kz")[0][3]; got != "https://example.org/kz" {
		t.Errorf("configured source_url not used: %q", got)
	}
	for _, bad := range []string{"vaxtrace", "", "ftp://x/y", "/relative"} {
		if vt.CheckSourceURL("source-url", bad) == nil {
			t.Errorf("source_url %q accepted", bad)
		}
	}
	if err := vt.CheckSourceURL("source-url", "https://www.coronavirus2020.kz/"); err != nil {
		t.Error(err)
	}
}
