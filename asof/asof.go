// Package asof parses and checks the days a report is asked for: the day
// figures stand at (as_of) and the day they were known on (known_at). A day
// must be a real YYYY-MM-DD date, not before the campaign began and not in
// the future; errors name the field and say why, in the domain's error
// form (so the dashboard can show them in the user's language).
package asof

import (
	"strings"

	"vaxtrace"
)

// Start is the first day of the campaign in the ledger: the day the first
// supply agreement was signed or the first dose was given, whichever is
// earlier; 0 for an empty ledger. It reads counters only.
func Start(s *vaxtrace.State) vaxtrace.Date {
	var start vaxtrace.Date
	if ags := s.SupplyPosition(vaxtrace.MkDate(9999, 12, 31)); len(ags) > 0 {
		start = ags[0].Signed // sorted by signing day
	}
	if last := s.LastDay(); last >= vaxtrace.CovEpoch {
		for i, n := range s.Daily("", "", vaxtrace.MDose1, vaxtrace.CovEpoch, last) {
			if n > 0 {
				if d := vaxtrace.CovEpoch + vaxtrace.Date(i); start == 0 || d < start {
					start = d
				}
				break
			}
		}
	}
	return start
}

// Check refuses a day before start (when start is known) or after today.
func Check(field string, d, start, today vaxtrace.Date) error {
	if start != 0 && d < start {
		return vaxtrace.FieldError(field, "%s is before the campaign began on %s", d, start)
	}
	if today != 0 && d > today {
		return vaxtrace.FieldError(field, "%s is in the future (today is %s)", d, today)
	}
	return nil
}

// Parse parses the value of field: def when it is empty, a field error when
// it is not a valid YYYY-MM-DD date.
func Parse(field, value string, def vaxtrace.Date) (vaxtrace.Date, error) {
	value = strings.TrimSpace(value)
	if value == "" {
		return def, nil
	}
	d, err := vaxtrace.ParseDate(value)
	if err != nil {
		return 0, vaxtrace.WithField(err, field)
	}
	return d, nil
}

// Known checks an "as known on" day against the day the figures stand at:
// figures cannot be known before they happen.
func Known(known, asOf vaxtrace.Date) error {
	if known < asOf {
		return vaxtrace.FieldError("known_at", "%s is before as_of %s: figures cannot be known before the day they describe", known, asOf)
	}
	return nil
}
