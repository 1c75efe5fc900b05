package vaxtrace

import (
	"strconv"
	"time"
)

// Date is a civil date (no time zone) stored as days since 1970-01-01.
// It marshals to and from JSON as "YYYY-MM-DD". The zero Date is 1970-01-01;
// use a pointer or a separate flag where "no date" matters.
type Date int32

// MkDate builds a Date from year, month, day.
func MkDate(y int, m time.Month, d int) Date {
	return Date(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

// ParseDate parses "YYYY-MM-DD" strictly.
func ParseDate(s string) (Date, error) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return 0, Errorf(EINVALID, "date %q must be YYYY-MM-DD", s)
	}
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		return 0, Errorf(EINVALID, "date %q is not a valid calendar date", s)
	}
	return civilDate(t), nil
}

// Time returns midnight UTC of d: a label for the day (its date parts are
// d), not the instant the day starts in the deployment zone (see Start).
func (d Date) Time() time.Time { return time.Unix(int64(d)*86400, 0).UTC() }

// Start returns the instant d begins in the deployment time zone.
func (d Date) Start() time.Time {
	y, m, dd := d.Time().Date()
	return time.Date(y, m, dd, 0, 0, 0, 0, Zone())
}

// String formats d as YYYY-MM-DD.
func (d Date) String() string {
	y, m, dd := d.Time().Date()
	var b [10]byte
	b[0] = byte('0' + y/1000%10)
	b[1] = byte('0' + y/100%10)
	b[2] = byte('0' + y/10%10)
	b[3] = byte('0' + y%10)
	b[4] = '-'
	b[5] = byte('0' + int(m)/10)
	b[6] = byte('0' + int(m)%10)
	b[7] = '-'
	b[8] = byte('0' + dd/10)
	b[9] = byte('0' + dd%10)
	return string(b[:])
}

// AddDays returns d+n.
func (d Date) AddDays(n int) Date { return d + Date(n) }

// MarshalJSON implements json.Marshaler.
func (d Date) MarshalJSON() ([]byte, error) { return []byte(strconv.Quote(d.String())), nil }

// UnmarshalJSON implements json.Unmarshaler.
func (d *Date) UnmarshalJSON(b []byte) error {
	s, err := strconv.Unquote(string(b))
	if err != nil {
		return Errorf(EINVALID, "date must be a string YYYY-MM-DD")
	}
	v, err := ParseDate(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// ParseTime parses an RFC 3339 timestamp, a local date and time without an
// offset (a wall-clock time in the deployment zone, as a clinic enters it),
// or a plain date (taken as 00:00 UTC, a time on that day in the deployment
// zone and in UTC for zones east of Greenwich).
func ParseTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	if len(s) == 16 || len(s) == 19 { // "2021-03-19T10:00" or with seconds
		layout := "2006-01-02T15:04"
		if len(s) == 19 {
			layout = "2006-01-02T15:04:05"
		}
		if t, err := time.ParseInLocation(layout, s, Zone()); err == nil {
			return t.UTC(), nil
		}
	}
	d, err := ParseDate(s)
	if err != nil {
		return time.Time{}, Errorf(EINVALID, "time %q must be RFC 3339 (2021-03-19T10:00:00+06:00) or YYYY-MM-DD", s)
	}
	return d.Time(), nil
}
