package vaxtrace

import (
	"context"
	"math"
	"time"
)

// Temperature readings are high-volume (thousands per second from tens of
// thousands of devices), so they are not events: each store keeps them in
// a table of their own beside the journal (device, time in seconds, value
// in hundredths of a degree), written in batches off the event write path.
// What the alarm rules conclude from them is journaled (alarm.opened …).

// Plausible readings: anything outside is a broken sensor, not weather.
const (
	ReadingMinC = -90
	ReadingMaxC = 60
	// ReadingSkew is how far ahead of the receiving clock a reading may be
	// stamped (device clock drift).
	ReadingSkew = 5 * time.Minute
)

// Reading is one temperature measurement of a device.
type Reading struct {
	Device string    `json:"device"`
	At     time.Time `json:"at"`
	C      float64   `json:"c"`
}

// Point is a stored reading of a known device: Unix seconds and hundredths
// of a degree Celsius (what the stores keep).
type Point struct {
	T  int64 `json:"t"`
	CC int16 `json:"cc"`
}

// C returns the value in degrees Celsius.
func (p Point) C() float64 { return float64(p.CC) / 100 }

// Time returns the time of the reading.
func (p Point) Time() time.Time { return time.Unix(p.T, 0).UTC() }

// ToPoint rounds a reading to what is stored.
func ToPoint(at time.Time, c float64) Point {
	return Point{T: at.Unix(), CC: int16(math.Round(c * 100))}
}

// ReadingStore keeps readings. The SQLite and PostgreSQL journals implement
// it (tables devices and readings) and pass the same conformance tests.
type ReadingStore interface {
	// AppendReadings stores readings in one transaction; a reading whose
	// device and second are already stored is skipped (counted as a
	// duplicate, not an error). It returns how many were new.
	AppendReadings(ctx context.Context, rs []Reading) (inserted int, err error)
	// Readings streams a device's readings with from <= t < to, in time order.
	Readings(ctx context.Context, device string, from, to time.Time, fn func(Point) error) error
	// LastReadings returns the latest reading of every device.
	LastReadings(ctx context.Context) (map[string]Point, error)
	// LastReading returns a device's latest reading (ok false if none).
	LastReading(ctx context.Context, device string) (p Point, ok bool, err error)
	// ReadingCount returns how many readings are stored.
	ReadingCount(ctx context.Context) (int64, error)
}

// Reasons a reading is refused (counted by the ingest, reported per row by
// an import).
const (
	RefuseMalformed     = "malformed"
	RefuseUnknownDevice = "unknown_device"
	RefuseOutOfRange    = "out_of_range"
	RefuseFuture        = "future"
	RefuseOutOfOrder    = "out_of_order"
	RefuseDuplicate     = "duplicate"
)

// RefuseReasons lists every reason, in a fixed order.
var RefuseReasons = []string{RefuseMalformed, RefuseUnknownDevice, RefuseOutOfRange, RefuseFuture, RefuseOutOfOrder, RefuseDuplicate}

// CheckReading says why a reading cannot be accepted ("" if it can): its
// value must be a plausible temperature, its time not in the future and
// after the device's last accepted reading (last; zero if none).
func CheckReading(at time.Time, c float64, last, now time.Time) (reason, message string) {
	switch {
	case math.IsNaN(c) || math.IsInf(c, 0):
		return RefuseMalformed, "temperature is not a number"
	case c < ReadingMinC || c > ReadingMaxC:
		return RefuseOutOfRange, "temperature " + ftoa(c) + " °C lies outside " + itoa(ReadingMinC) + "…+" + itoa(ReadingMaxC) + " °C"
	case at.IsZero() || at.Year() < 2000:
		return RefuseMalformed, "time missing or before 2000"
	case at.After(now.Add(ReadingSkew)):
		return RefuseFuture, "time " + at.UTC().Format(time.RFC3339) + " lies in the future"
	}
	if !last.IsZero() {
		as, ls := at.Unix(), last.Unix()
		if as == ls {
			return RefuseDuplicate, "a reading at " + at.UTC().Format(time.RFC3339) + " was already received"
		}
		if as < ls {
			return RefuseOutOfOrder, "time " + at.UTC().Format(time.RFC3339) + " is before the last reading (" + last.UTC().Format(time.RFC3339) + ")"
		}
	}
	return "", ""
}
