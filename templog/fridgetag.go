package templog

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The Fridge-tag text export is an indented "key: value" tree (one space
// per level; several pairs on a line are separated by ", "):
//
//	Device: Q-tag Fridge-tag 2
//	Conf:
//	 Serial: 130400191542
//	 Temp unit: C
//	 Alarm:
//	  0:
//	   T AL: -0.5, t AL: 60
//	  1:
//	   T AL: +8.0, t AL: 600
//	Hist:
//	 1:
//	  Date: 2023-02-14
//	  Min T: +18.0, TS Min T: 00:00
//	  Max T: +18.8, TS Max T: 04:57
//	  Avrg T: +18.5
//	  Alarm:
//	   0:
//	    t Acc: 0
//	   1:
//	    t Acc: 366, TS A: 00:00, C A: 0
//
// A logging model (Fridge-tag 2 L) adds a tab-separated "Data:" section:
// "\t2022-05-02 04:44\t26.3\tx" (time, temperature, out of limits). The
// parser reads the device, serial, alarm configuration, the daily history
// and the logged readings, and ignores the rest (certificate, events).

func looksFridgeTag(b []byte) bool {
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	return bytes.HasPrefix(b, []byte("Device:")) && bytes.Contains(b, []byte("\nConf:"))
}

type pair struct{ k, v string }

// pairs splits "T AL: -0.5, t AL: 60" into its key/value pairs.
func pairs(s string) []pair {
	var out []pair
	for _, part := range strings.Split(s, ", ") {
		k, v, ok := strings.Cut(part, ":")
		if !ok {
			out = append(out, pair{strings.TrimSpace(part), ""})
			continue
		}
		out = append(out, pair{strings.TrimSpace(k), strings.TrimSpace(v)})
	}
	return out
}

func parseTemp(s string, fahrenheit bool) (float64, error) {
	f, err := strconv.ParseFloat(strings.TrimPrefix(s, "+"), 64)
	if err != nil || f != f || f > 1e6 || f < -1e6 {
		return 0, fmt.Errorf("temperature %q is not a number", s)
	}
	if fahrenheit {
		f = (f - 32) * 5 / 9
	}
	return f, nil
}

// ParseFridgeTag parses a Fridge-tag text export.
func ParseFridgeTag(b []byte, o Options) (*File, error) {
	if !looksFridgeTag(b) {
		return nil, ErrNotRecorderFile
	}
	loc := o.loc()
	f := &File{Format: FormatFridgeTag}
	type level struct {
		indent int
		key    string
	}
	var path []level
	var day *Day
	var dayAlarm *DayAlarm
	fahrenheit := false
	inData := false
	flushDay := func() {
		if day == nil {
			return
		}
		if day.Date.IsZero() {
			f.Errors = append(f.Errors, RowError{Line: day.Line, Message: "history entry without a Date"})
		} else {
			f.Days = append(f.Days, *day)
		}
		day, dayAlarm = nil, nil
	}
	dayFail := func(line int, msg string) {
		f.Errors = append(f.Errors, RowError{Line: line, Message: msg})
		day, dayAlarm = nil, nil
	}
	clock := func(hm string) (time.Duration, bool) {
		t, err := time.Parse("15:04", hm)
		if err != nil {
			return 0, false
		}
		return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute, true
	}
	lines := strings.Split(strings.TrimPrefix(string(b), "\xef\xbb\xbf"), "\n")
	for i, raw := range lines {
		ln := i + 1
		raw = strings.TrimRight(raw, "\r")
		if strings.TrimSpace(raw) == "" {
			continue
		}
		if inData && strings.HasPrefix(raw, "\t") {
			cols := strings.Split(strings.TrimPrefix(raw, "\t"), "\t")
			if len(cols) < 2 || strings.HasPrefix(cols[0], "yyyy") {
				continue // the column header
			}
			at, err := time.ParseInLocation("2006-01-02 15:04", strings.TrimSpace(cols[0]), loc)
			if err != nil {
				f.Errors = append(f.Errors, RowError{Line: ln, Message: fmt.Sprintf("time %q is not yyyy-MM-dd hh:mm", cols[0])})
				continue
			}
			c, err := parseTemp(strings.TrimSpace(cols[1]), fahrenheit)
			if err != nil {
				f.Errors = append(f.Errors, RowError{Line: ln, Message: err.Error()})
				continue
			}
			f.Readings = append(f.Readings, Row{Line: ln, At: at.UTC(), C: c})
			continue
		}
		indent := len(raw) - len(strings.TrimLeft(raw, " "))
		content := strings.TrimSpace(raw)
		for len(path) > 0 && path[len(path)-1].indent >= indent {
			path = path[:len(path)-1]
		}
		ps := pairs(content)
		if len(ps) == 1 && ps[0].v == "" && strings.HasSuffix(content, ":") {
			key := ps[0].k
			if len(path) == 0 {
				inData = key == "Data"
			}
			if len(path) == 1 && path[0].key == "Hist" {
				flushDay()
				if _, err := strconv.Atoi(key); err == nil {
					day = &Day{Line: ln}
				}
			}
			if day != nil && len(path) == 3 && path[2].key == "Alarm" {
				if n, err := strconv.Atoi(key); err == nil {
					day.Alarms = append(day.Alarms, DayAlarm{Index: n})
					dayAlarm = &day.Alarms[len(day.Alarms)-1]
				}
			}
			path = append(path, level{indent, key})
			continue
		}
		keys := make([]string, len(path))
		for j, p := range path {
			keys[j] = p.key
		}
		where := strings.Join(keys, "/")
		switch {
		case where == "":
			if ps[0].k == "Device" {
				f.Device = ps[0].v
			}
			if len(path) == 0 && ps[0].k != "" {
				inData = false
			}
		case where == "Conf":
			switch ps[0].k {
			case "Serial":
				f.Serial = ps[0].v
			case "Temp unit":
				fahrenheit = strings.EqualFold(ps[0].v, "F")
			}
		case len(path) == 3 && keys[0] == "Conf" && keys[1] == "Alarm":
			idx, err := strconv.Atoi(keys[2])
			if err != nil {
				f.Errors = append(f.Errors, RowError{Line: ln, Message: fmt.Sprintf("alarm %q is not numbered", keys[2])})
				continue
			}
			a := AlarmConfig{Index: idx}
			var bad string
			for _, p := range ps {
				switch p.k {
				case "T AL":
					c, err := parseTemp(p.v, fahrenheit)
					if err != nil {
						bad = err.Error()
					}
					a.LimitC = c
				case "t AL":
					n, err := strconv.Atoi(p.v)
					if err != nil || n < 0 {
						bad = fmt.Sprintf("alarm delay %q is not a number of minutes", p.v)
					}
					a.Minutes = n
				}
			}
			if bad != "" {
				f.Errors = append(f.Errors, RowError{Line: ln, Message: bad})
				continue
			}
			f.Alarms = append(f.Alarms, a)
		case day != nil && len(path) == 2 && keys[0] == "Hist":
			for _, p := range ps {
				var err error
				switch p.k {
				case "Date":
					var d time.Time
					d, err = time.ParseInLocation("2006-01-02", p.v, loc)
					if err == nil {
						day.Date = d
					}
				case "Min T":
					day.MinC, err = parseTemp(p.v, fahrenheit)
				case "Max T":
					day.MaxC, err = parseTemp(p.v, fahrenheit)
				case "Avrg T":
					day.AvgC, err = parseTemp(p.v, fahrenheit)
				case "TS Min T", "TS Max T":
					d, ok := clock(p.v)
					if !ok {
						err = fmt.Errorf("time %q is not hh:mm", p.v)
					} else if day.Date.IsZero() {
						err = fmt.Errorf("%s before the day's Date", p.k)
					} else if p.k == "TS Min T" {
						day.MinAt = day.Date.Add(d).UTC()
					} else {
						day.MaxAt = day.Date.Add(d).UTC()
					}
				}
				if err != nil {
					dayFail(ln, err.Error())
					break
				}
			}
		case day != nil && dayAlarm != nil && len(path) == 4 && keys[0] == "Hist" && keys[2] == "Alarm":
			for _, p := range ps {
				switch p.k {
				case "t Acc":
					n, err := strconv.Atoi(p.v)
					if err != nil || n < 0 || n > 24*60 {
						dayFail(ln, fmt.Sprintf("minutes beyond the limit %q are not 0…1440", p.v))
						break
					}
					dayAlarm.Minutes = n
				case "TS A":
					d, ok := clock(p.v)
					if !ok || day.Date.IsZero() {
						dayFail(ln, fmt.Sprintf("alarm time %q is not hh:mm", p.v))
						break
					}
					t := day.Date.Add(d).UTC()
					dayAlarm.Triggered = &t
				}
				if day == nil {
					break
				}
			}
		}
	}
	flushDay()
	if f.Serial == "" {
		return nil, fmt.Errorf("Fridge-tag file without a serial number (Conf/Serial)")
	}
	return f, nil
}
