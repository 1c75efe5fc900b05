package monitor_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"vaxtrace"
	"vaxtrace/engine"
	"vaxtrace/monitor"
	"vaxtrace/scenario"
	"vaxtrace/sqlite"
	"vaxtrace/templog"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

var admin = vaxtrace.Principal{Name: "test", Role: vaxtrace.RoleAdmin}

// ledger is scenario.Minimal with two freezers at VP-AKM-0001: Z1 (device
// D1) holds lot FIX-I, Z2 (device D2) holds FIX-II. VP-AKM-0002 holds both
// lots in no monitored equipment.
func ledger(t *testing.T) (*engine.Engine, string) {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "m.db")
	j, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	eng, err := engine.Open(ctx, j, engine.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close(); j.Close() })
	if err := scenario.Minimal(ctx, eng, 2, 500); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2021, 1, 11, 4, 0, 0, 0, time.UTC)
	pt := scenario.PointID(1)
	z := func(id, dev string) vaxtrace.Equipment {
		return vaxtrace.Equipment{ID: id, Place: pt, Type: vaxtrace.EquipFreezer, PQS: "E003/070", MinC: -25, MaxC: -18, NetLitres: 50, Status: vaxtrace.StatusWorking, Device: dev}
	}
	submit(t, eng,
		vaxtrace.EquipmentDefined{Equipment: z("Z1", "D1"), Occurred: at},
		vaxtrace.EquipmentDefined{Equipment: z("Z2", "D2"), Occurred: at},
		vaxtrace.StockPlaced{Place: pt, Lot: "FIX-I", Equipment: "Z1", Occurred: at},
		vaxtrace.StockPlaced{Place: pt, Lot: "FIX-II", Equipment: "Z2", Occurred: at},
	)
	return eng, path
}

func submit(t *testing.T, eng *engine.Engine, ps ...vaxtrace.Payload) {
	t.Helper()
	for i, p := range ps {
		r := eng.Submit(context.Background(), engine.Command{Key: p.Kind() + time.Now().String() + string(rune('a'+i)), Actor: admin, Data: p, Recorded: time.Date(2021, 3, 1, 0, 0, 0, 0, time.UTC)})
		if r.Err != nil {
			t.Fatalf("%s: %v", p.Kind(), r.Err)
		}
	}
}

// readings every 10 minutes from `from`, at the temperatures given.
func readings(from time.Time, cs ...float64) []vaxtrace.Reading {
	out := make([]vaxtrace.Reading, len(cs))
	for i, c := range cs {
		out[i] = vaxtrace.Reading{At: from.Add(time.Duration(i) * 10 * time.Minute), C: c}
	}
	return out
}

func repeat(c float64, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = c
	}
	return out
}

func held(t *testing.T, eng *engine.Engine, place string) map[string]string {
	t.Helper()
	out := map[string]string{}
	eng.Read(func(s *vaxtrace.State) {
		st, _ := s.PlaceStock(place)
		for _, l := range st {
			out[l.Lot] = l.Held
		}
	})
	return out
}

// A freezer warming above −18 °C for an hour raises a heat alarm whose
// excursion quarantines exactly the lot in that freezer; back below −18
// the alarm clears; the excursion stays until resolved.
func TestFreezerAlarmQuarantinesItsLots(t *testing.T) {
	eng, _ := ledger(t)
	ctx := context.Background()
	t0 := time.Date(2021, 3, 20, 8, 0, 0, 0, time.UTC)
	m, err := monitor.New(eng, monitor.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	// 2 h at −20, then 60 min above −18 (7 readings: 0, 10, …, 60 min), then −21
	cs := append(repeat(-20, 12), repeat(-16.5, 7)...)
	if refused := m.Ingest("D1", readings(t0, cs...), "mqtt"); refused[0] != "" || refused[len(refused)-1] != "" {
		t.Fatalf("refused %v", refused)
	}
	if err := m.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	start := t0.Add(2 * time.Hour)
	id := vaxtrace.AlarmID("D1", vaxtrace.AlarmHeat, start)
	var a *vaxtrace.AlarmState
	eng.Read(func(s *vaxtrace.State) {
		if x := s.Alarm(id); x != nil {
			cp := *x
			a = &cp
		}
	})
	if a == nil || a.Excursion == "" || !a.Detected.Equal(start.Add(time.Hour)) || a.Minutes != 60 || a.Place != scenario.PointID(1) {
		t.Fatalf("alarm %s: %+v", id, a)
	}
	if h := held(t, eng, scenario.PointID(1)); h["FIX-I"] != a.Excursion || h["FIX-II"] != "" {
		t.Fatalf("held at the point: %v", h)
	}
	if h := held(t, eng, scenario.PointID(2)); h["FIX-I"] != "" {
		t.Fatalf("the same lot at another point was held: %v", h)
	}
	// back in range: cleared, the excursion stays open
	m.Ingest("D1", readings(start.Add(70*time.Minute), -21), "mqtt")
	if err := m.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	eng.Read(func(s *vaxtrace.State) {
		x := s.Alarm(id)
		if !x.Cleared || x.Minutes != 70 || x.MaxC != -16.5 {
			t.Errorf("after clearing: %+v", x)
		}
	})
	if h := held(t, eng, scenario.PointID(1)); h["FIX-I"] != a.Excursion {
		t.Fatal("clearing the alarm released the lot")
	}
	if m.Stats.Opened.Load() != 1 || m.Stats.Cleared.Load() != 1 || m.Stats.Stored.Load() != int64(len(cs)+1) {
		t.Fatalf("stats: opened %d cleared %d stored %d", m.Stats.Opened.Load(), m.Stats.Cleared.Load(), m.Stats.Stored.Load())
	}
	rep, err := eng.Check(ctx)
	if err != nil || !rep.OK() {
		t.Fatalf("conservation: %v %v", err, rep.Breaches)
	}
}

func TestIngestRefusals(t *testing.T) {
	eng, _ := ledger(t)
	now := time.Date(2021, 3, 20, 12, 0, 0, 0, time.UTC)
	m, _ := monitor.New(eng, monitor.Options{Logger: quiet, Now: func() time.Time { return now }})
	t0 := now.Add(-time.Hour)
	got := m.Ingest("D2", []vaxtrace.Reading{
		{At: t0, C: -20},
		{At: t0, C: -20},                      // duplicate
		{At: t0.Add(-time.Minute), C: -20},    // out of order
		{At: t0.Add(time.Minute), C: -95},     // impossible
		{At: t0.Add(2 * time.Minute), C: 61},  // impossible
		{At: now.Add(time.Hour), C: -20},      // future
		{At: t0.Add(3 * time.Minute), C: -19}, // fine
	}, "mqtt")
	want := []string{"", vaxtrace.RefuseDuplicate, vaxtrace.RefuseOutOfOrder, vaxtrace.RefuseOutOfRange, vaxtrace.RefuseOutOfRange, vaxtrace.RefuseFuture, ""}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("reading %d: %q, want %q", i, got[i], want[i])
		}
	}
	if r := m.Ingest("NO-SUCH", readings(t0, 4), "mqtt"); r[0] != vaxtrace.RefuseUnknownDevice {
		t.Errorf("unknown device: %q", r[0])
	}
	c := m.Stats.Refused()
	if c[vaxtrace.RefuseDuplicate] != 1 || c[vaxtrace.RefuseOutOfOrder] != 1 || c[vaxtrace.RefuseOutOfRange] != 2 || c[vaxtrace.RefuseFuture] != 1 || c[vaxtrace.RefuseUnknownDevice] != 1 {
		t.Fatalf("refusal counts %v", c)
	}
	if err := m.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n, _ := m.Store().ReadingCount(context.Background()); n != 2 {
		t.Fatalf("%d readings stored, want 2", n)
	}
}

// A device that stops reporting raises its own alarm; its next reading clears it.
func TestSilentDevice(t *testing.T) {
	eng, _ := ledger(t)
	ctx := context.Background()
	now := time.Date(2021, 3, 20, 12, 0, 0, 0, time.UTC)
	m, _ := monitor.New(eng, monitor.Options{Logger: quiet, Now: func() time.Time { return now }, SilentAfter: time.Hour})
	last := now.Add(-59 * time.Minute)
	m.Ingest("D2", readings(last, -20), "mqtt")
	m.CheckSilent()
	_ = m.Flush(ctx)
	if m.Stats.Opened.Load() != 0 {
		t.Fatal("silent after 59 minutes")
	}
	now = now.Add(time.Minute)
	m.CheckSilent()
	_ = m.Flush(ctx)
	id := vaxtrace.AlarmID("D2", vaxtrace.AlarmSilent, last)
	eng.Read(func(s *vaxtrace.State) {
		a := s.Alarm(id)
		if a == nil || a.Excursion != "" || a.AlarmKind != vaxtrace.AlarmSilent {
			t.Fatalf("silent alarm: %+v", a)
		}
	})
	m.Ingest("D2", readings(now, -20), "mqtt")
	_ = m.Flush(ctx)
	eng.Read(func(s *vaxtrace.State) {
		if a := s.Alarm(id); !a.Cleared {
			t.Fatalf("the next reading did not clear it: %+v", a)
		}
	})
}

// A restarted monitor resumes every device's rule from the stored readings:
// an excursion that began before the restart alarms at the right moment and
// with the same id, and nothing is opened twice.
func TestResume(t *testing.T) {
	eng, _ := ledger(t)
	ctx := context.Background()
	t0 := time.Date(2021, 3, 20, 8, 0, 0, 0, time.UTC)
	m1, _ := monitor.New(eng, monitor.Options{Logger: quiet})
	m1.Ingest("D1", readings(t0, append(repeat(-20, 3), repeat(-15, 4)...)...), "mqtt") // 30 min above
	_ = m1.Flush(ctx)
	m2, _ := monitor.New(eng, monitor.Options{Logger: quiet})
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if err := m2.Start(rctx); err != nil {
		t.Fatal(err)
	}
	if r := m2.Ingest("D1", readings(t0.Add(70*time.Minute), -15), "mqtt"); r[0] != "" {
		t.Fatalf("refused %q", r[0])
	}
	if r := m2.Ingest("D1", readings(t0.Add(50*time.Minute), -15), "mqtt"); r[0] != vaxtrace.RefuseOutOfOrder {
		t.Fatalf("a reading older than the stored ones: %q", r[0])
	}
	m2.Ingest("D1", readings(t0.Add(90*time.Minute), -15), "mqtt") // 60 min above since 08:30
	_ = m2.Flush(ctx)
	id := vaxtrace.AlarmID("D1", vaxtrace.AlarmHeat, t0.Add(30*time.Minute))
	eng.Read(func(s *vaxtrace.State) {
		if a := s.Alarm(id); a == nil {
			t.Fatalf("no alarm %s after the restart", id)
		}
	})
	// a third start replays the alarm's readings again: nothing new
	m3, _ := monitor.New(eng, monitor.Options{Logger: quiet})
	if err := m3.Start(rctx); err != nil {
		t.Fatal(err)
	}
	eng.Read(func(s *vaxtrace.State) {
		if n := len(s.Alarms("", false)); n != 1 {
			t.Fatalf("%d alarms after replaying twice", n)
		}
	})
}

func parse(t *testing.T, name string, o templog.Options) *templog.File {
	t.Helper()
	b, err := os.ReadFile("../templog/testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	f, err := templog.Parse(b, o)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// A Fridge-tag 2 L file of a freezer: its logged readings are stored and
// judged by the freezer's rule; the 90 minutes above −18 °C on 19 March
// open an alarm that quarantines the freezer's lot; malformed rows are
// reported by line; importing it again adds nothing.
func TestImportLoggingRecorder(t *testing.T) {
	eng, _ := ledger(t)
	ctx := context.Background()
	at := time.Date(2021, 1, 12, 4, 0, 0, 0, time.UTC)
	submit(t, eng, vaxtrace.EquipmentChanged{Equipment: vaxtrace.Equipment{ID: "Z1", Place: scenario.PointID(1), Type: vaxtrace.EquipFreezer, PQS: "E003/070", MinC: -25, MaxC: -18, NetLitres: 50, Status: vaxtrace.StatusWorking, Device: "130500900042"}, Reason: "30-day recorder fitted", Occurred: at})
	m, _ := monitor.New(eng, monitor.Options{Logger: quiet})
	rep, err := m.Import(ctx, "fridgetag-2l.txt", parse(t, "fridgetag-2l.txt", templog.Options{}))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Stored != 288 || rep.Refused != 2 || rep.Duplicates != 0 {
		t.Fatalf("stored %d refused %d duplicates %d", rep.Stored, rep.Refused, rep.Duplicates)
	}
	var opened []monitor.Outcome
	for _, o := range rep.Outcomes {
		if o.Opened {
			opened = append(opened, o)
		}
	}
	want := vaxtrace.AlarmID("130500900042", vaxtrace.AlarmHeat, time.Date(2021, 3, 19, 13, 10, 0, 0, time.UTC))
	if len(opened) != 1 || opened[0].Alarm != want || opened[0].Lots != 1 || opened[0].Error != "" {
		t.Fatalf("outcomes %+v (want alarm %s)", rep.Outcomes, want)
	}
	var alarmRow *monitor.ImportRow
	for i, r := range rep.Rows {
		if r.Alarm == want && r.Event == "opened" {
			alarmRow = &rep.Rows[i]
		}
	}
	if alarmRow == nil || alarmRow.At != "2021-03-19T14:10:00Z" {
		t.Fatalf("the row that raised the alarm: %+v", alarmRow)
	}
	if h := held(t, eng, scenario.PointID(1)); h["FIX-I"] == "" || h["FIX-II"] != "" {
		t.Fatalf("held %v", h)
	}
	again, err := m.Import(ctx, "fridgetag-2l.txt", parse(t, "fridgetag-2l.txt", templog.Options{}))
	if err != nil {
		t.Fatal(err)
	}
	if again.Stored != 0 || again.Duplicates != 288 {
		t.Fatalf("second import stored %d, duplicates %d", again.Stored, again.Duplicates)
	}
	for _, o := range again.Outcomes {
		if !o.Existing {
			t.Fatalf("second import changed the journal: %+v", o)
		}
	}
}

// A Fridge-tag 2 (daily summaries only) with the WHO default alarms: the
// day its heat alarm triggered opens the alarm in the refrigerator, the day
// back within range clears it; a malformed day is reported.
func TestImportFridgeTagHistory(t *testing.T) {
	eng, _ := ledger(t)
	ctx := context.Background()
	at := time.Date(2021, 1, 12, 4, 0, 0, 0, time.UTC)
	submit(t, eng, vaxtrace.EquipmentDefined{Equipment: vaxtrace.Equipment{ID: "F1", Place: scenario.PointID(2), Type: vaxtrace.EquipRefrigerator, PQS: "E003/045", MinC: 2, MaxC: 8, NetLitres: 40, Status: vaxtrace.StatusWorking, Device: "130400900021"}, Occurred: at})
	m, _ := monitor.New(eng, monitor.Options{Logger: quiet})
	almaty := time.FixedZone("UTC+6", 6*3600)
	rep, err := m.Import(ctx, "fridgetag-2.txt", parse(t, "fridgetag-2.txt", templog.Options{Location: almaty}))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Days != 9 || rep.Refused != 1 || len(rep.Warnings) != 0 {
		t.Fatalf("days %d refused %d warnings %v", rep.Days, rep.Refused, rep.Warnings)
	}
	trig := time.Date(2021, 3, 16, 14, 20, 0, 0, almaty)
	id := vaxtrace.AlarmID("130400900021", vaxtrace.AlarmHeat, trig.Add(-600*time.Minute))
	eng.Read(func(s *vaxtrace.State) {
		a := s.Alarm(id)
		if a == nil || !a.Detected.Equal(trig) || a.MaxC != 11.6 || !a.Cleared || !a.Ended.Equal(time.Date(2021, 3, 18, 0, 0, 0, 0, almaty)) {
			t.Fatalf("alarm %s: %+v", id, a)
		}
	})
	// a refrigerator whose rule differs from the recorder's configuration: reported, nothing raised
	submit(t, eng, vaxtrace.EquipmentChanged{Equipment: vaxtrace.Equipment{ID: "F1", Place: scenario.PointID(2), Type: vaxtrace.EquipRefrigerator, MinC: 2, MaxC: 8, NetLitres: 40, Status: vaxtrace.StatusWorking, Device: "130400900021", HeatMinutes: 120}, Reason: "stricter rule", Occurred: at})
	rep, _ = m.Import(ctx, "fridgetag-2.txt", parse(t, "fridgetag-2.txt", templog.Options{Location: almaty}))
	if len(rep.Warnings) != 1 {
		t.Fatalf("warnings %v", rep.Warnings)
	}
}

func TestImportCSV(t *testing.T) {
	eng, _ := ledger(t)
	m, _ := monitor.New(eng, monitor.Options{Logger: quiet})
	f, err := templog.Parse([]byte("device,time,temperature_c\nD2,2021-03-20T10:00:00Z,-20\nD9,2021-03-20T10:00:00Z,-20\nD2,2021-03-20T10:10:00Z,-19.5\nD2,2021-03-20T10:05:00Z,-19\nD2,2021-03-20T10:20:00Z,-120\n"), templog.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := m.Import(context.Background(), "x.csv", f)
	if err != nil {
		t.Fatal(err)
	}
	status := map[int]string{}
	for _, r := range rep.Rows {
		status[r.Line] = r.Status + "/" + r.Reason
	}
	want := map[int]string{2: "stored/", 3: "refused/unknown_device", 4: "stored/", 5: "refused/out_of_order", 6: "refused/out_of_range"}
	for l, w := range want {
		if status[l] != w {
			t.Errorf("line %d: %s, want %s", l, status[l], w)
		}
	}
}

// A device fitted to other equipment, or given a new range, is judged by
// its new equipment's rule; a device taken off its equipment is refused.
func TestEquipmentChangesFollowed(t *testing.T) {
	eng, _ := ledger(t)
	ctx := context.Background()
	t0 := time.Date(2021, 3, 20, 8, 0, 0, 0, time.UTC)
	m, _ := monitor.New(eng, monitor.Options{Logger: quiet})
	m.Ingest("D2", readings(t0, -20), "mqtt")
	// Z2 becomes a freezer alarming above −15 °C
	at := time.Date(2021, 1, 13, 4, 0, 0, 0, time.UTC)
	submit(t, eng, vaxtrace.EquipmentChanged{Equipment: vaxtrace.Equipment{ID: "Z2", Place: scenario.PointID(1), Type: vaxtrace.EquipFreezer, MinC: -25, MaxC: -15, NetLitres: 50, Status: vaxtrace.StatusWorking, Device: "D2"}, Reason: "reclassified", Occurred: at})
	monitor.Refresh(m)
	m.Ingest("D2", readings(t0.Add(10*time.Minute), repeat(-16, 8)...), "mqtt") // above −18, below −15
	_ = m.Flush(ctx)
	if m.Stats.Opened.Load() != 0 {
		t.Fatal("alarm under the old range")
	}
	// D2 taken off its equipment
	submit(t, eng, vaxtrace.EquipmentChanged{Equipment: vaxtrace.Equipment{ID: "Z2", Place: scenario.PointID(1), Type: vaxtrace.EquipFreezer, MinC: -25, MaxC: -15, NetLitres: 50, Status: vaxtrace.StatusWorking}, Reason: "logger removed", Occurred: at})
	monitor.Refresh(m)
	if r := m.Ingest("D2", readings(t0.Add(3*time.Hour), -20), "mqtt"); r[0] != vaxtrace.RefuseUnknownDevice {
		t.Fatalf("reading of a removed device: %q", r[0])
	}
}
