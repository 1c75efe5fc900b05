package monitor

import (
	"context"
	"fmt"
	"math"
	"sort"
	"time"

	"vaxtrace"
	"vaxtrace/templog"
)

// A 30-day recorder file is judged by the same rules as live readings:
//
//   - logged readings (a Fridge-tag 2 L's Data section, a CSV) are checked
//     one by one like MQTT readings (known device, plausible value, not in
//     the future, after the previous row), stored, and fed in order to a
//     fresh copy of the equipment's alarm rule;
//   - a recorder that logs only daily summaries (Fridge-tag 2) has applied
//     the rule itself: when its alarm configuration is the equipment's rule
//     (e.g. +8 °C for 600 minutes and −0.5 °C for 60), a day on which it
//     triggered an alarm opens that alarm, dated from the trigger time back
//     by the alarm delay; its daily minimum and maximum are stored as
//     readings at the times it gives. A configuration that differs is
//     reported and raises nothing.
//
// Every line gets a row in the report. Alarm ids are deterministic, so
// importing a file twice opens nothing twice and stores nothing twice.

// ImportRow is the report of one line of a file.
type ImportRow struct {
	Line    int      `json:"line"`
	Kind    string   `json:"kind"` // reading, day or line
	Device  string   `json:"device,omitempty"`
	At      string   `json:"at,omitempty"`
	C       *float64 `json:"c,omitempty"`
	Status  string   `json:"status"` // stored, duplicate, refused, day
	Reason  string   `json:"reason,omitempty"`
	Message string   `json:"message,omitempty"`
	Alarm   string   `json:"alarm,omitempty"`       // opened or cleared at this line
	Event   string   `json:"alarm_event,omitempty"` // opened or cleared
}

// Row statuses.
const (
	RowStored    = "stored"
	RowDuplicate = "duplicate"
	RowRefused   = "refused"
	RowDay       = "day"
)

// ImportReport is what an import did, line by line.
type ImportReport struct {
	File       string      `json:"file"`
	Format     string      `json:"format"`
	Devices    []string    `json:"devices"`
	Stored     int         `json:"stored"`
	Duplicates int         `json:"duplicates"`
	Refused    int         `json:"refused"`
	Days       int         `json:"days"`
	Outcomes   []Outcome   `json:"outcomes"`
	Warnings   []string    `json:"warnings,omitempty"`
	Rows       []ImportRow `json:"rows"`
}

// Import stores a parsed recorder file and journals the alarms its
// readings raise.
func (m *Monitor) Import(ctx context.Context, name string, f *templog.File) (*ImportReport, error) {
	rep := &ImportReport{File: name, Format: f.Format, Outcomes: []Outcome{}, Rows: []ImportRow{}}
	for _, e := range f.Errors {
		rep.Rows = append(rep.Rows, ImportRow{Line: e.Line, Kind: "line", Status: RowRefused, Reason: vaxtrace.RefuseMalformed, Message: e.Message})
	}
	now := m.opts.Now()
	// readings by device, in file order
	byDev := map[string][]templog.Row{}
	var order []string
	for _, r := range f.Readings {
		dev := r.Device
		if dev == "" {
			dev = f.Device
		}
		if f.Format == templog.FormatFridgeTag {
			dev = f.Serial
		}
		if _, ok := byDev[dev]; !ok {
			order = append(order, dev)
		}
		byDev[dev] = append(byDev[dev], r)
	}
	var changes []change
	rowAlarm := map[int]*ImportRow{}
	for _, dev := range order {
		rows, chs, err := m.importReadings(ctx, dev, byDev[dev], now, "file:"+name)
		if err != nil {
			return nil, err
		}
		rep.Devices = append(rep.Devices, dev)
		rep.Rows = append(rep.Rows, rows...)
		changes = append(changes, chs...)
	}
	if f.Format == templog.FormatFridgeTag && len(f.Readings) == 0 {
		rows, chs, warn, err := m.importDays(ctx, f, now, "file:"+name)
		if err != nil {
			return nil, err
		}
		rep.Devices = append(rep.Devices, f.Serial)
		rep.Rows = append(rep.Rows, rows...)
		rep.Warnings = append(rep.Warnings, warn...)
		changes = append(changes, chs...)
	}
	sort.SliceStable(rep.Rows, func(i, j int) bool { return rep.Rows[i].Line < rep.Rows[j].Line })
	for i := range rep.Rows {
		r := &rep.Rows[i]
		switch r.Status {
		case RowStored:
			rep.Stored++
		case RowDuplicate:
			rep.Duplicates++
		case RowRefused:
			rep.Refused++
		case RowDay:
			rep.Days++
		}
		rowAlarm[r.Line] = r
	}
	if len(changes) > 0 {
		outs := m.submit(ctx, changes)
		rep.Outcomes = append(rep.Outcomes, outs...)
		for k, ch := range changes {
			if r := rowAlarm[ch.line]; r != nil && k < len(outs) && outs[k].Alarm != "" {
				r.Alarm, r.Event = outs[k].Alarm, "cleared"
				if ch.c.Opened {
					r.Event = "opened"
				}
			}
		}
	}
	return rep, nil
}

func (m *Monitor) importReadings(ctx context.Context, dev string, rows []templog.Row, now time.Time, source string) ([]ImportRow, []change, error) {
	out := make([]ImportRow, 0, len(rows))
	var eq *vaxtrace.EquipmentState
	m.eng.Read(func(s *vaxtrace.State) {
		if e := s.EquipmentByDevice(dev); e != nil {
			cp := *e
			eq = &cp
		}
	})
	row := func(r templog.Row) ImportRow {
		c := r.C
		return ImportRow{Line: r.Line, Kind: "reading", Device: dev, At: r.At.UTC().Format(time.RFC3339), C: &c}
	}
	if eq == nil {
		for _, r := range rows {
			ir := row(r)
			ir.Status, ir.Reason, ir.Message = RowRefused, vaxtrace.RefuseUnknownDevice, fmt.Sprintf("no equipment has device %q: fit the recorder to its equipment first", dev)
			out = append(out, ir)
		}
		return out, nil, nil
	}
	// what the store already has over the file's span
	var first, lastT time.Time
	for _, r := range rows {
		if first.IsZero() || r.At.Before(first) {
			first = r.At
		}
		if r.At.After(lastT) {
			lastT = r.At
		}
	}
	have := map[int64]bool{}
	if err := m.store.Readings(ctx, dev, first, lastT.Add(time.Second), func(p vaxtrace.Point) error { have[p.T] = true; return nil }); err != nil {
		return nil, nil, err
	}
	machine := vaxtrace.DeviceMachine{Rule: vaxtrace.AlarmRuleFor(&eq.Equipment)}
	var batch []vaxtrace.Reading
	var changes []change
	var prev time.Time
	for _, r := range rows {
		ir := row(r)
		if reason, msg := vaxtrace.CheckReading(r.At, r.C, prev, now); reason != "" {
			ir.Status, ir.Reason, ir.Message = RowRefused, reason, msg
			out = append(out, ir)
			continue
		}
		prev = r.At
		if have[r.At.Unix()] {
			ir.Status = RowDuplicate
		} else {
			ir.Status = RowStored
			batch = append(batch, vaxtrace.Reading{Device: dev, At: r.At, C: r.C})
		}
		out = append(out, ir)
		for _, ch := range machine.Feed(r.At, r.C, nil) {
			changes = append(changes, change{device: dev, equipment: eq.ID, c: ch, source: source, line: r.Line})
		}
	}
	if _, err := m.store.AppendReadings(ctx, batch); err != nil {
		return nil, nil, err
	}
	return out, changes, nil
}

// importDays reads a Fridge-tag's daily history (no logged readings).
func (m *Monitor) importDays(ctx context.Context, f *templog.File, now time.Time, source string) ([]ImportRow, []change, []string, error) {
	dev := f.Serial
	var eq *vaxtrace.EquipmentState
	m.eng.Read(func(s *vaxtrace.State) {
		if e := s.EquipmentByDevice(dev); e != nil {
			cp := *e
			eq = &cp
		}
	})
	days := append([]templog.Day(nil), f.Days...)
	sort.Slice(days, func(i, j int) bool { return days[i].Date.Before(days[j].Date) })
	var out []ImportRow
	if eq == nil {
		for _, d := range days {
			out = append(out, ImportRow{Line: d.Line, Kind: "day", Device: dev, At: d.Date.Format("2006-01-02"), Status: RowRefused, Reason: vaxtrace.RefuseUnknownDevice,
				Message: fmt.Sprintf("no equipment has device %q: fit the recorder to its equipment first", dev)})
		}
		return out, nil, nil, nil
	}
	rule := vaxtrace.AlarmRuleFor(&eq.Equipment)
	// which of the recorder's alarms is the rule's heat and cold alarm
	kinds := map[int]string{}
	var warnings []string
	for _, a := range f.Alarms {
		if a.High(f.Alarms) {
			if same(a.LimitC, rule.HeatAboveC) && time.Duration(a.Minutes)*time.Minute == rule.HeatFor {
				kinds[a.Index] = vaxtrace.AlarmHeat
			} else {
				warnings = append(warnings, fmt.Sprintf("the recorder's high alarm (%+.1f °C for %d min) is not the rule of %s (above %+.1f °C for %d min): its high alarms are not used", a.LimitC, a.Minutes, eq.ID, rule.HeatAboveC, int(rule.HeatFor/time.Minute)))
			}
		} else if rule.ColdFor > 0 {
			if same(a.LimitC, rule.ColdAtOrBelowC) && time.Duration(a.Minutes)*time.Minute == rule.ColdFor {
				kinds[a.Index] = vaxtrace.AlarmCold
			} else {
				warnings = append(warnings, fmt.Sprintf("the recorder's low alarm (%+.1f °C for %d min) is not the rule of %s (at or below %+.1f °C for %d min): its low alarms are not used", a.LimitC, a.Minutes, eq.ID, rule.ColdAtOrBelowC, int(rule.ColdFor/time.Minute)))
			}
		}
	}
	minutes := map[int]int{}
	for _, a := range f.Alarms {
		minutes[a.Index] = a.Minutes
	}
	var batch []vaxtrace.Reading
	var changes []change
	open := map[int]*vaxtrace.AlarmChange{} // alarms running over several days
	for _, d := range days {
		ir := ImportRow{Line: d.Line, Kind: "day", Device: dev, At: d.Date.Format("2006-01-02"), Status: RowDay,
			Message: fmt.Sprintf("min %+.1f °C, max %+.1f °C, mean %+.1f °C", d.MinC, d.MaxC, d.AvgC)}
		for _, p := range []struct {
			at time.Time
			c  float64
		}{{d.MinAt, d.MinC}, {d.MaxAt, d.MaxC}} {
			if p.at.IsZero() {
				continue
			}
			if reason, msg := vaxtrace.CheckReading(p.at, p.c, time.Time{}, now); reason != "" {
				ir.Status, ir.Reason, ir.Message = RowRefused, reason, msg
				break
			}
			batch = append(batch, vaxtrace.Reading{Device: dev, At: p.at, C: p.c})
		}
		if ir.Status == RowRefused {
			out = append(out, ir)
			continue
		}
		for _, a := range d.Alarms {
			kind, ok := kinds[a.Index]
			if !ok {
				continue
			}
			if o := open[a.Index]; o != nil {
				if a.Minutes == 0 { // back within range: cleared by the start of this day
					changes = append(changes, change{device: dev, equipment: eq.ID, source: source, line: d.Line,
						c: vaxtrace.AlarmChange{Kind: kind, Opened: false, Started: o.Started, At: d.Date.UTC(), MinC: o.MinC, MaxC: o.MaxC, Minutes: int(d.Date.Sub(o.Started) / time.Minute)}})
					delete(open, a.Index)
				} else {
					o.MinC, o.MaxC = math.Min(o.MinC, d.MinC), math.Max(o.MaxC, d.MaxC)
				}
				continue
			}
			if a.Triggered == nil {
				continue
			}
			delay := time.Duration(minutes[a.Index]) * time.Minute
			ch := vaxtrace.AlarmChange{Kind: kind, Opened: true, Started: a.Triggered.Add(-delay), At: *a.Triggered, MinC: d.MinC, MaxC: d.MaxC, Minutes: int(delay / time.Minute)}
			changes = append(changes, change{device: dev, equipment: eq.ID, c: ch, source: source, line: d.Line})
			cp := ch
			open[a.Index] = &cp
			ir.Message += fmt.Sprintf("; the recorder's %s alarm triggered at %s", kind, a.Triggered.Format("15:04 MST"))
		}
		out = append(out, ir)
	}
	sort.Slice(batch, func(i, j int) bool { return batch[i].At.Before(batch[j].At) })
	if _, err := m.store.AppendReadings(ctx, batch); err != nil {
		return nil, nil, nil, err
	}
	return out, changes, warnings, nil
}

func same(a, b float64) bool { return math.Abs(a-b) < 0.05 }
