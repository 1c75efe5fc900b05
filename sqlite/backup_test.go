package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"vaxtrace"
	"vaxtrace/engine"
	"vaxtrace/scenario"
	"vaxtrace/sqlite"
)

// An online backup (VACUUM INTO) taken while writes go on restores to a
// store whose reports equal the original's at the backup's sequence.
func TestBackupRestoreGivesSameReports(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	j, err := sqlite.Open(filepath.Join(dir, "live.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	eng, err := engine.Open(ctx, j, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	if err := scenario.Minimal(ctx, eng, 3, 500); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2021, 3, 1, 5, 0, 0, 0, time.UTC)
	for i := 0; i < 50; i++ {
		var id vaxtrace.PersonID
		id[0], id[15] = byte(i), 1
		eng.Submit(ctx, engine.Command{Key: "p" + string(rune('a'+i)), Actor: scenario.Admin, Recorded: at, Data: vaxtrace.PersonRegistered{Person: vaxtrace.Person{ID: id, Family: "F", BirthDate: vaxtrace.MkDate(1980, 1, 1), Sex: "F", Region: "KZ-AKM"}}})
		r := eng.Submit(ctx, engine.Command{Key: fmt.Sprintf("dose:b%02d", i), Actor: scenario.Admin, Data: vaxtrace.DoseAdministered{ID: fmt.Sprintf("b%02d", i), Person: id, At: at, Place: scenario.PointID(1 + i%3), Lot: "FIX-I", Vaccinator: "n"}})
		if r.Err != nil {
			t.Fatal(r.Err)
		}
	}
	backup := filepath.Join(dir, "backup.db")
	if err := j.Backup(ctx, backup); err != nil {
		t.Fatal(err)
	}
	// writes after the backup are not in it
	var id vaxtrace.PersonID
	id[0], id[15] = 200, 1
	eng.Submit(ctx, engine.Command{Key: "late", Actor: scenario.Admin, Recorded: at, Data: vaxtrace.PersonRegistered{Person: vaxtrace.Person{ID: id, Family: "F", BirthDate: vaxtrace.MkDate(1980, 1, 1), Sex: "F", Region: "KZ-AKM"}}})

	b, err := sqlite.Open(backup)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	restored, err := engine.Open(ctx, b, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer restored.Close()
	report := func(e *engine.Engine) (any, uint64) {
		var out []any
		var seq uint64
		e.Read(func(s *vaxtrace.State) {
			day := vaxtrace.DateOf(at)
			out = append(out, s.StockPosition("", day), s.SupplyPosition(day), s.Cumulative("", vaxtrace.MDose1, day))
			seq = s.Seq
		})
		return out, seq
	}
	got, seq := report(restored)
	if seq == 0 {
		t.Fatal("empty backup")
	}
	// the original, rebuilt only up to the backup's sequence
	ref := vaxtrace.NewState()
	j.Replay(ctx, 0, func(ev vaxtrace.Event) error {
		if ev.Seq <= seq {
			ref.Apply(ev)
		}
		return nil
	})
	day := vaxtrace.DateOf(at)
	want := []any{ref.StockPosition("", day), ref.SupplyPosition(day), ref.Cumulative("", vaxtrace.MDose1, day)}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("restored reports differ:\n%v\n%v", got, want)
	}
	rep, err := restored.Check(ctx)
	if err != nil || !rep.OK() {
		t.Fatalf("check on the restored store: %v %v", err, rep.Breaches)
	}
}
