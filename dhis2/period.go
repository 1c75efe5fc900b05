package dhis2

import (
	"strconv"
	"time"

	"vaxtrace"
)

// Period types.
const (
	Daily  = "daily"
	Weekly = "weekly"
)

// Periods is a run of consecutive DHIS2 periods of one type.
type Periods struct {
	Type     string
	From, To vaxtrace.Date // first and last day covered (whole periods)
}

// NewPeriods returns the periods of type typ covering from..to; weekly
// periods are widened to whole ISO weeks (Monday to Sunday), so that a
// push never overwrites a complete week with part of it.
func NewPeriods(typ string, from, to vaxtrace.Date) (Periods, error) {
	if to < from {
		return Periods{}, vaxtrace.FieldError("to", "%s is before from %s", to, from)
	}
	switch typ {
	case Daily:
	case Weekly:
		from = monday(from)
		to = monday(to) + 6
	default:
		return Periods{}, vaxtrace.FieldError("period", "must be daily or weekly (got %q)", typ)
	}
	if to-from > 20*366 {
		return Periods{}, vaxtrace.FieldError("to", "at most 20 years at a time")
	}
	return Periods{Type: typ, From: from, To: to}, nil
}

// monday returns the Monday of d's ISO week.
func monday(d vaxtrace.Date) vaxtrace.Date {
	wd := int(d.Time().Weekday()) // Sunday = 0
	return d - vaxtrace.Date((wd+6)%7)
}

// Len is the number of periods.
func (p Periods) Len() int {
	if p.Type == Weekly {
		return int(p.To-p.From+1) / 7
	}
	return int(p.To-p.From) + 1
}

// Index returns the period a day falls in, or -1 outside.
func (p Periods) Index(d vaxtrace.Date) int {
	if d < p.From || d > p.To {
		return -1
	}
	if p.Type == Weekly {
		return int(d-p.From) / 7
	}
	return int(d - p.From)
}

// Bounds returns the first and last day of period i.
func (p Periods) Bounds(i int) (vaxtrace.Date, vaxtrace.Date) {
	if p.Type == Weekly {
		s := p.From + vaxtrace.Date(7*i)
		return s, s + 6
	}
	d := p.From + vaxtrace.Date(i)
	return d, d
}

// ID returns DHIS2's identifier of period i: yyyyMMdd for a day, yyyyWn for
// an ISO week (the ISO year, week without leading zero: 2021W1, 2021W11).
func (p Periods) ID(i int) string {
	start, _ := p.Bounds(i)
	t := start.Time()
	if p.Type == Weekly {
		y, w := t.ISOWeek()
		return strconv.Itoa(y) + "W" + strconv.Itoa(w)
	}
	return t.Format("20060102")
}

// ADX returns ADX's ISO 8601 form of period i: start/duration.
func (p Periods) ADX(i int) string {
	start, _ := p.Bounds(i)
	if p.Type == Weekly {
		return start.String() + "/P7D"
	}
	return start.String() + "/P1D"
}

// ParsePeriodID parses a DHIS2 daily (yyyyMMdd) or ISO weekly (yyyyWn)
// period id and returns its type and first day.
func ParsePeriodID(s string) (string, vaxtrace.Date, error) {
	if len(s) == 8 {
		if t, err := time.Parse("20060102", s); err == nil && t.Year() >= 1900 {
			return Daily, vaxtrace.DateOf(t), nil
		}
	}
	if len(s) >= 6 && len(s) <= 7 && s[4] == 'W' {
		y, err1 := strconv.Atoi(s[:4])
		w, err2 := strconv.Atoi(s[5:])
		if err1 == nil && err2 == nil && y >= 1900 && w >= 1 && w <= 53 && s[5] != '0' {
			// ISO week 1 holds 4 January
			jan4 := vaxtrace.MkDate(y, 1, 4)
			d := monday(jan4) + vaxtrace.Date(7*(w-1))
			if yy, ww := d.Time().ISOWeek(); yy == y && ww == w {
				return Weekly, d, nil
			}
		}
	}
	return "", 0, vaxtrace.FieldError("period", "%q is not a DHIS2 daily (20210319) or weekly (2021W11) period", s)
}
