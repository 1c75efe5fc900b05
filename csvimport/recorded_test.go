package csvimport

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"vaxtrace"
)

const doseHeader = "id,iin,family,given,birth_date,sex,region,group,at,place,lot,vaccinator,override,recorded\n"

func doseLine(id, iin, at, recorded string) string {
	return fmt.Sprintf("%s,%s,Nurlanov,Arman,1985-03-15,M,KZ-AKM,,%s,VP1,L1,nurse,,%s\n", id, iin, at, recorded)
}

// TestRecordedColumn: doses, receipts and shipments may carry when the
// source registry knew them; only the migration role may submit them, never
// in the future and never before the record occurred.
func TestRecordedColumn(t *testing.T) {
	iin1, _ := vaxtrace.CompleteIIN("85031530012")
	iin2, _ := vaxtrace.CompleteIIN("85031530013")
	iin3, _ := vaxtrace.CompleteIIN("85031540014")
	body := doseHeader +
		doseLine("D1", iin1, "2021-03-01T10:00:00+06:00", "2021-03-04") + // a date: known on that day
		doseLine("D2", iin2, "2021-03-01T10:00:00+06:00", "2021-03-01") + // the same day: recorded when given
		doseLine("D3", iin3, "2021-03-02T10:00:00+06:00", "") + // none: now
		doseLine("D4", iin3, "2021-03-23T10:00:00+06:00", "3 April")
	f := parse(t, KindDoses, body)
	if len(f.RowErrors) != 1 || f.RowErrors[0].Line != 5 || f.RowErrors[0].Field != "recorded" {
		t.Fatalf("row errors %v, want one on row 5 recorded", f.RowErrors)
	}
	rec := map[string]time.Time{}
	for _, r := range f.Rows {
		for _, c := range r.Cmds {
			rec[c.Key] = c.Recorded
		}
	}
	if got := rec["dose:D1"]; !got.Equal(time.Date(2021, 3, 4, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("D1 recorded %v", got)
	}
	if got := rec["dose:D2"]; !got.Equal(time.Date(2021, 3, 1, 4, 0, 0, 0, time.UTC)) {
		t.Errorf("D2 recorded %v, want the time it was given", got)
	}
	if got := rec["dose:D3"]; !got.IsZero() {
		t.Errorf("D3 recorded %v, want zero (now)", got)
	}

	now := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	admin := vaxtrace.Principal{Name: "ops", Role: vaxtrace.RoleAdmin}
	mig := vaxtrace.Principal{Name: "moh", Role: vaxtrace.RoleMigration}

	byAdmin := parse(t, KindDoses, body)
	byAdmin.Authorize(admin, now)
	if len(byAdmin.Rows) != 1 || byAdmin.Rows[0].Cmds[len(byAdmin.Rows[0].Cmds)-1].Key != "dose:D3" {
		t.Fatalf("admin kept %d rows, want only D3 (no recording time)", len(byAdmin.Rows))
	}
	var forbidden int
	for _, e := range byAdmin.RowErrors {
		if e.Field == "recorded" && e.Err().(*vaxtrace.Error).Code == vaxtrace.EFORBIDDEN && strings.Contains(e.Message, "migration") {
			forbidden++
		}
	}
	if forbidden != 2 {
		t.Errorf("admin: %d forbidden rows, want 2: %v", forbidden, byAdmin.RowErrors)
	}

	byMig := parse(t, KindDoses, body)
	byMig.Authorize(mig, now)
	if len(byMig.Rows) != 3 {
		t.Errorf("migration kept %d rows, want 3: %v", len(byMig.Rows), byMig.RowErrors)
	}

	bad := parse(t, KindDoses, doseHeader+
		doseLine("B1", iin1, "2021-03-10T10:00:00Z", "2021-03-09")+
		doseLine("B2", iin2, "2021-03-10T10:00:00Z", "2099-01-01"))
	bad.Authorize(mig, now)
	if len(bad.Rows) != 0 || len(bad.RowErrors) != 2 ||
		!strings.Contains(bad.RowErrors[0].Message, "before the record occurred") || !strings.Contains(bad.RowErrors[1].Message, "future") {
		t.Errorf("bad recording times: rows %d, errors %v", len(bad.Rows), bad.RowErrors)
	}

	rc := parse(t, KindReceipts, "receipt,place,lot,doses,agreement,tranche,occurred,recorded\nW1,N,L1,100,,,2021-02-01,2021-02-03\n")
	if c := rc.Rows[0].Cmds[0]; !c.Recorded.Equal(time.Date(2021, 2, 3, 0, 0, 0, 0, time.UTC)) || !c.Occurred.Equal(time.Date(2021, 2, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("receipt recorded %v occurred %v", c.Recorded, c.Occurred)
	}
	sh := parse(t, KindShipments, "shipment,from,to,dispatched,lot,doses,recorded\nS1,N,R,2021-02-01,L1,10,2021-02-02\nS1,N,R,2021-02-01,L2,10,2021-02-05\n")
	if len(sh.Rows) != 0 || len(sh.RowErrors) != 2 || sh.RowErrors[1].Field != "recorded" {
		t.Errorf("a shipment whose rows disagree on recorded: %v", sh.RowErrors)
	}
}

// TestParseChunks: a doses file is handed over in chunks of bounded size,
// with the line numbers of the whole file, each person registered once per
// chunk; every data line is accounted for exactly once.
func TestParseChunks(t *testing.T) {
	var b strings.Builder
	b.WriteString(doseHeader)
	const n = 25
	for i := 0; i < n; i++ {
		iin, _ := vaxtrace.CompleteIIN(fmt.Sprintf("850315300%02d", i%7+10))
		at := time.Date(2021, 3, 1+i, 10, 0, 0, 0, time.UTC).Format(time.RFC3339)
		if i == 13 {
			at = "never"
		}
		b.WriteString(doseLine(fmt.Sprintf("D%02d", i), iin, at, ""))
	}
	var files []*File
	err := ParseChunks(KindDoses, strings.NewReader(b.String()), testKeys(t), 10, func(f *File) error {
		files = append(files, f)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 3 {
		t.Fatalf("%d chunks, want 3 (10+10+5)", len(files))
	}
	seen := map[int]bool{}
	lines := 0
	for i, f := range files {
		checkAccounted(t, f)
		lines += f.DataLines
		registered := map[string]string{}
		for _, r := range f.Rows {
			for _, l := range r.Lines {
				seen[l] = true
			}
			for _, c := range r.Cmds {
				if pr, ok := c.Data.(vaxtrace.PersonRegistered); ok {
					if s, ok := registered[c.Key]; ok && s != pr.Person.IINSealed {
						t.Errorf("chunk %d registers %s with two different contents", i, c.Key)
					}
					registered[c.Key] = pr.Person.IINSealed
				}
			}
		}
		for _, e := range f.RowErrors {
			seen[e.Line] = true
		}
	}
	if lines != n || len(seen) != n || !seen[2] || !seen[n+1] {
		t.Errorf("lines %d, distinct %d, want %d covering lines 2..%d", lines, len(seen), n, n+1)
	}
	if e := files[1].RowErrors; len(e) != 1 || e[0].Line != 15 || e[0].Field != "at" {
		t.Errorf("the bad row (file line 15) should be reported in chunk 2 with its file line: %v", e)
	}
	// a structural error in a later chunk stops the parse with the line
	err = ParseChunks(KindDoses, strings.NewReader(b.String()+"x,y\n"), testKeys(t), 10, func(*File) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "line 27") {
		t.Errorf("structural error: %v", err)
	}
}

// TestReleasedAndReceivedColumns: a migration carries a lot's release and a
// shipment's arrival in the same files (optional columns), so that a whole
// history loads from CSV.
func TestReleasedAndReceivedColumns(t *testing.T) {
	lots := parse(t, KindLots, "lot,product,component,manufacturer,manufactured,expiry,origin,agreement,tranche,doses_per_vial,released\n"+
		"L1,sputnik-v,I,KPC,2021-01-01,2021-07-01,domestic,,,5,2021-01-20\n"+
		"L2,sputnik-v,I,KPC,2021-01-01,2021-07-01,domestic,,,5,\n"+
		"L3,sputnik-v,I,KPC,2021-01-01,2021-07-01,domestic,,,5,2020-12-01\n")
	if len(lots.Rows) != 2 || len(lots.Rows[0].Cmds) != 2 || len(lots.Rows[1].Cmds) != 1 {
		t.Fatalf("lots rows %+v", lots.Rows)
	}
	if r, ok := lots.Rows[0].Cmds[1].Data.(vaxtrace.LotReleased); !ok || r.Occurred != vaxtrace.MkDate(2021, 1, 20) || lots.Rows[0].Cmds[1].Key != "release:L1" {
		t.Errorf("release command %+v", lots.Rows[0].Cmds[1])
	}
	if len(lots.RowErrors) != 1 || lots.RowErrors[0].Field != "released" {
		t.Errorf("a release before manufacture: %v", lots.RowErrors)
	}
	sh := parse(t, KindShipments, "shipment,from,to,dispatched,lot,doses,received\nS1,N,R,2021-02-01,L1,10,2021-02-02T10:00:00Z\nS2,N,R,2021-02-03,L1,10,2021-02-02\n")
	if len(sh.Rows) != 1 || len(sh.Rows[0].Cmds) != 2 {
		t.Fatalf("shipment rows %+v", sh.Rows)
	}
	if r, ok := sh.Rows[0].Cmds[1].Data.(vaxtrace.ShipmentReceived); !ok || r.Shipment != "S1" || len(r.Lines) != 0 {
		t.Errorf("arrival %+v", sh.Rows[0].Cmds[1])
	}
	if len(sh.RowErrors) != 1 || sh.RowErrors[0].Field != "received" {
		t.Errorf("an arrival before dispatch: %v", sh.RowErrors)
	}
}
