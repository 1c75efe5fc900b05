package vaxtrace

import "time"

// CheckRecorded validates a recording time a caller asks for: only the
// migration role may give one, it must not lie in the future (now, with the
// clock skew allowed for devices) and not before the record's occurrence
// (the registry cannot have learned of a dose before it was given). field
// names the input that carried it ("recorded", "row 7.recorded").
func CheckRecorded(p Principal, field string, occurred, recorded, now time.Time) error {
	if recorded.IsZero() {
		return nil
	}
	if p.Role != RoleMigration {
		return &Error{Code: EFORBIDDEN, Field: field, Message: "a recording time may be given only by the migration role (vaxtrace token --role migration); role " + p.Role + " records at the time of the request"}
	}
	if recorded.After(now.Add(maxSkew)) {
		return FieldError(field, "%s lies in the future", recorded.UTC().Format(time.RFC3339))
	}
	if !occurred.IsZero() && recorded.Before(occurred) {
		return FieldError(field, "%s is before the record occurred (%s): nothing can be recorded before it happened", recorded.UTC().Format(time.RFC3339), occurred.UTC().Format(time.RFC3339))
	}
	return nil
}

// ParseRecorded parses a recording time given in a file: RFC 3339, or a
// plain date meaning "known on that day". A plain date is taken as 00:00 UTC
// of that day, or as the occurrence itself when the record occurred later
// on that same day, so that a dose given and recorded on one day passes the
// rule that nothing is recorded before it happened.
func ParseRecorded(s string, occurred time.Time) (time.Time, error) {
	if len(s) == 10 {
		d, err := ParseDate(s)
		if err != nil {
			return time.Time{}, err
		}
		t := d.Time()
		if DateOf(occurred.UTC()) == d && occurred.After(t) {
			t = occurred.UTC()
		}
		return t, nil
	}
	return ParseTime(s)
}
