package vaxtrace

import (
	"fmt"
	"os"
	"sync/atomic"
	"time"
	_ "time/tzdata" // the zone database travels in the binary: no zoneinfo needed
)

// DefaultZone is the deployment time zone unless VAXTRACE_TZ or --tz names
// another: Kazakhstan's days follow Asia/Almaty (UTC+6 until 1 March 2024,
// UTC+5 since).
const DefaultZone = "Asia/Almaty"

// ZoneEnv is the environment variable that names the deployment time zone.
const ZoneEnv = "VAXTRACE_TZ"

// zoneTable is a time zone's offsets as a list of periods, so that DateOf
// (called for every event on replay) finds the offset without time.In.
type zoneTable struct {
	loc   *time.Location
	start []int64 // Unix second each period starts, ascending; start[0] = min
	off   []int64 // its UTC offset in seconds
}

var zone atomic.Pointer[zoneTable]

func init() {
	loc, err := time.LoadLocation(DefaultZone)
	if err != nil {
		panic(err) // time/tzdata is embedded: cannot happen
	}
	SetZone(loc)
}

// Zone returns the deployment time zone: it decides every day boundary
// (occurred and recorded days, coverage, as-known series, exports,
// certificates).
func Zone() *time.Location { return zone.Load().loc }

// SetZone sets the deployment time zone. Call it at start-up, before any
// state is built: days already computed are not recomputed.
func SetZone(loc *time.Location) {
	z := &zoneTable{loc: loc}
	t := time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)
	limit := time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
	for range 10000 { // bounded: a zone with a rule for ever stops at limit
		_, off := t.In(loc).Zone()
		s := t.Unix()
		if len(z.start) == 0 {
			s = -1 << 63
		}
		if n := len(z.off); n == 0 || z.off[n-1] != int64(off) {
			z.start = append(z.start, s)
			z.off = append(z.off, int64(off))
		}
		_, end := t.In(loc).ZoneBounds()
		if end.IsZero() || !end.Before(limit) {
			break
		}
		if !end.After(t) { // no progress: step over it
			end = t.Add(time.Hour)
		}
		t = end
	}
	zone.Store(z)
}

// LoadZone returns the named IANA time zone ("" means DefaultZone).
func LoadZone(name string) (*time.Location, error) {
	if name == "" {
		name = DefaultZone
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, FieldError("tz", "unknown time zone %q (an IANA name such as Asia/Almaty)", name)
	}
	return loc, nil
}

// ZoneFromEnv sets the deployment time zone from VAXTRACE_TZ, if set.
func ZoneFromEnv() error {
	name := os.Getenv(ZoneEnv)
	if name == "" {
		return nil
	}
	loc, err := LoadZone(name)
	if err != nil {
		return fmt.Errorf("%s: %w", ZoneEnv, err)
	}
	SetZone(loc)
	return nil
}

// offset returns the deployment zone's UTC offset at Unix second u.
func (z *zoneTable) offset(u int64) int64 {
	lo, hi := 0, len(z.start)-1
	for lo < hi { // last period with start <= u
		mid := (lo + hi + 1) / 2
		if z.start[mid] <= u {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return z.off[lo]
}

// DateOf returns the day t falls on in the deployment time zone (Zone), so
// a dose at 01:00 in Almaty counts on that Almaty day whatever offset t
// carries.
func DateOf(t time.Time) Date {
	u := t.Unix()
	u += zone.Load().offset(u)
	d := u / 86400
	if u%86400 < 0 {
		d--
	}
	return Date(d)
}

// civilDate returns the calendar date of t as seen in t's own location.
func civilDate(t time.Time) Date {
	y, m, d := t.Date()
	return MkDate(y, m, d)
}

// InZone returns t in the deployment time zone (for display and exports).
func InZone(t time.Time) time.Time { return t.In(Zone()) }
