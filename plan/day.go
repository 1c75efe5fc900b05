package plan

import (
	"fmt"
	"time"
)

// Day is a civil date: the number of days since 1970-01-01 in the proleptic
// Gregorian calendar. It has no time zone; day arithmetic is integer
// arithmetic (d+7 is a week later).
type Day int32

// Date returns the Day of the given calendar date. Out-of-range months and
// days are normalised as time.Date does.
func Date(year int, month time.Month, day int) Day {
	return DayOf(time.Date(year, month, day, 0, 0, 0, 0, time.UTC))
}

// DayOf returns the calendar day of t as seen in t's own location.
func DayOf(t time.Time) Day {
	y, m, d := t.Date()
	u := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	return Day(u.Unix() / 86400)
}

// Time returns midnight UTC of d.
func (d Day) Time() time.Time { return time.Unix(int64(d)*86400, 0).UTC() }

// String formats d as YYYY-MM-DD.
func (d Day) String() string { return d.Time().Format(time.DateOnly) }

// ParseDay parses a YYYY-MM-DD date.
func ParseDay(s string) (Day, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return 0, fmt.Errorf("plan: parse day %q: %w", s, err)
	}
	return DayOf(t), nil
}

// MonthEnd returns the last day of d's month.
func (d Day) MonthEnd() Day {
	t := d.Time()
	return Date(t.Year(), t.Month()+1, 0)
}

// NoExpiry is the expiry used for stock without a known expiry date.
const NoExpiry Day = 1<<31 - 1
