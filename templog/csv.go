package templog

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// A plain CSV of readings has a header naming its columns: a time column
// (time, timestamp, datetime, date_time or at), a temperature column
// (temperature_c, temperature, temp_c or c) and optionally a device column
// (device, sensor or serial; else Options.Device names the device). The
// separator is a comma, or a semicolon (then a decimal comma is accepted,
// as spreadsheets in Kazakhstan and Russia write it). Times are RFC 3339,
// or "2006-01-02 15:04[:05]" / "02.01.2006 15:04[:05]" in Options.Location.

var (
	timeCols   = map[string]bool{"time": true, "timestamp": true, "datetime": true, "date_time": true, "at": true}
	tempCols   = map[string]bool{"temperature_c": true, "temperature": true, "temp_c": true, "temp": true, "c": true}
	deviceCols = map[string]bool{"device": true, "sensor": true, "serial": true}
)

var localLayouts = []string{"2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02T15:04:05", "2006-01-02T15:04", "02.01.2006 15:04:05", "02.01.2006 15:04"}

func parseWhen(s string, loc *time.Location) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	for _, l := range localLayouts {
		if t, err := time.ParseInLocation(l, s, loc); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("time %q is not RFC 3339 or YYYY-MM-DD hh:mm[:ss]", s)
}

// ParseCSV parses a CSV of readings.
func ParseCSV(b []byte, o Options) (*File, error) {
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	first, _, _ := bytes.Cut(b, []byte("\n"))
	sep := ','
	if bytes.Count(first, []byte(";")) > bytes.Count(first, []byte(",")) {
		sep = ';'
	}
	r := csv.NewReader(bytes.NewReader(b))
	r.Comma = sep
	r.FieldsPerRecord = -1
	r.ReuseRecord = true
	header, err := r.Read()
	if err != nil {
		return nil, ErrNotRecorderFile
	}
	ti, ci, di := -1, -1, -1
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		switch {
		case timeCols[h] && ti < 0:
			ti = i
		case tempCols[h] && ci < 0:
			ci = i
		case deviceCols[h] && di < 0:
			di = i
		}
	}
	if ti < 0 || ci < 0 {
		return nil, ErrNotRecorderFile
	}
	if di < 0 && o.Device == "" {
		return nil, errors.New("the CSV has no device column: name the device")
	}
	f := &File{Format: FormatCSV, Device: o.Device}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				f.Errors = append(f.Errors, RowError{Line: pe.Line, Message: pe.Err.Error()})
				continue
			}
			return nil, err
		}
		line, _ := r.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		if ti >= len(rec) || ci >= len(rec) || (di >= 0 && di >= len(rec)) {
			f.Errors = append(f.Errors, RowError{Line: line, Message: fmt.Sprintf("%d columns, the header has %d", len(rec), len(header))})
			continue
		}
		at, err := parseWhen(strings.TrimSpace(rec[ti]), o.loc())
		if err != nil {
			f.Errors = append(f.Errors, RowError{Line: line, Message: err.Error()})
			continue
		}
		v := strings.TrimSpace(rec[ci])
		if sep == ';' {
			v = strings.Replace(v, ",", ".", 1)
		}
		c, err := strconv.ParseFloat(strings.TrimPrefix(v, "+"), 64)
		if err != nil || c != c {
			f.Errors = append(f.Errors, RowError{Line: line, Message: fmt.Sprintf("temperature %q is not a number", rec[ci])})
			continue
		}
		row := Row{Line: line, At: at, C: c}
		if di >= 0 {
			row.Device = strings.TrimSpace(rec[di])
			if row.Device == "" {
				row.Device = o.Device
			}
			if row.Device == "" {
				f.Errors = append(f.Errors, RowError{Line: line, Message: "no device"})
				continue
			}
		}
		f.Readings = append(f.Readings, row)
	}
	return f, nil
}
