// Package templog reads the files of 30-day electronic temperature
// recorders: the text export of a Berlinger Fridge-tag (Fridge-tag 2, 2 L,
// UL: the .txt the device writes to USB) and a plain CSV of readings. It
// only parses: every malformed row is reported with its line number and the
// rest of the file is still read; what the rows mean for alarms and stock
// is decided by package monitor with the same rules as live readings.
package templog

import (
	"errors"
	"time"
)

// Row is one reading of a file.
type Row struct {
	Line   int       `json:"line"`
	Device string    `json:"device,omitempty"` // CSV files may name a device per row
	At     time.Time `json:"at"`
	C      float64   `json:"c"`
}

// RowError is a line that could not be read.
type RowError struct {
	Line    int    `json:"line"`
	Message string `json:"message"`
}

// AlarmConfig is one alarm a recorder was configured with: beyond LimitC
// for Minutes (a Fridge-tag 2 ships with −0.5 °C for 60 minutes and +8 °C
// for 600, the WHO PQS defaults).
type AlarmConfig struct {
	Index   int     `json:"index"`
	LimitC  float64 `json:"limit_c"`
	Minutes int     `json:"minutes"`
}

// High reports whether a is the upper alarm of the recorder's set: the one
// with the highest limit when there are several, else one above 0 °C.
func (a AlarmConfig) High(all []AlarmConfig) bool {
	if len(all) < 2 {
		return a.LimitC > 0
	}
	for _, b := range all {
		if b.LimitC > a.LimitC {
			return false
		}
	}
	return true
}

// DayAlarm is what a recorder says about one alarm on one day: minutes
// spent beyond its limit, and when the alarm was triggered if it was.
type DayAlarm struct {
	Index     int        `json:"index"`
	Minutes   int        `json:"minutes"`             // t Acc
	Triggered *time.Time `json:"triggered,omitempty"` // TS A
}

// Day is a recorder's summary of one day (Fridge-tag "Hist" entries).
type Day struct {
	Line   int        `json:"line"`
	Date   time.Time  `json:"date"` // midnight, in the file's zone
	MinC   float64    `json:"min_c"`
	MinAt  time.Time  `json:"min_at"`
	MaxC   float64    `json:"max_c"`
	MaxAt  time.Time  `json:"max_at"`
	AvgC   float64    `json:"avg_c"`
	Alarms []DayAlarm `json:"alarms,omitempty"`
}

// File is a parsed recorder file.
type File struct {
	Format   string        `json:"format"` // fridge-tag or csv
	Device   string        `json:"device,omitempty"`
	Serial   string        `json:"serial,omitempty"`
	Alarms   []AlarmConfig `json:"alarms,omitempty"`
	Days     []Day         `json:"days,omitempty"`     // Fridge-tag history, newest first as in the file
	Readings []Row         `json:"readings,omitempty"` // logged readings, in file order
	Errors   []RowError    `json:"errors,omitempty"`
}

// Formats.
const (
	FormatFridgeTag = "fridge-tag"
	FormatCSV       = "csv"
)

// ErrNotRecorderFile is returned for a file that is neither format.
var ErrNotRecorderFile = errors.New("not a Fridge-tag text export or a CSV of readings (device,time,temperature_c)")

// MaxFileSize bounds what Parse reads (a year of 1-minute readings is far less).
const MaxFileSize = 32 << 20

// Options tune parsing.
type Options struct {
	// Location is the zone of times written without one (a Fridge-tag's
	// clock is set to local time); nil means UTC.
	Location *time.Location
	// Device names the device of a CSV without a device column.
	Device string
}

func (o Options) loc() *time.Location {
	if o.Location == nil {
		return time.UTC
	}
	return o.Location
}

// Parse detects the format and parses b.
func Parse(b []byte, o Options) (*File, error) {
	if len(b) > MaxFileSize {
		return nil, errors.New("file larger than 32 MiB")
	}
	if looksFridgeTag(b) {
		return ParseFridgeTag(b, o)
	}
	return ParseCSV(b, o)
}
