package vaxtrace_test

import (
	"testing"
	"time"

	vt "vaxtrace"
)

// Days are cut in Asia/Almaty: UTC+6 until 1 March 2024, UTC+5 since.
func TestDateOfCutsAlmatyDays(t *testing.T) {
	if vt.Zone().String() != vt.DefaultZone {
		t.Fatalf("default zone %s, want %s", vt.Zone(), vt.DefaultZone)
	}
	utc := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tc := range []struct {
		at   string
		want vt.Date
	}{
		{"2021-03-18T17:59:59Z", vt.MkDate(2021, 3, 18)}, // 23:59:59 +06
		{"2021-03-18T18:00:00Z", vt.MkDate(2021, 3, 19)}, // 00:00 +06
		{"2021-03-18T20:00:00Z", vt.MkDate(2021, 3, 19)}, // 02:00 +06: that Almaty day, not the UTC one
		{"2021-03-19T01:00:00+06:00", vt.MkDate(2021, 3, 19)},
		{"2024-02-29T17:59:59Z", vt.MkDate(2024, 2, 29)}, // 23:59:59 +06, the last second of UTC+6
		{"2024-02-29T18:30:00Z", vt.MkDate(2024, 2, 29)}, // 23:30 +05: the clock went back an hour
		{"2024-02-29T19:00:00Z", vt.MkDate(2024, 3, 1)},  // 00:00 +05
		{"2024-03-05T18:59:59Z", vt.MkDate(2024, 3, 5)},  // 23:59:59 +05
		{"2024-03-05T19:00:00Z", vt.MkDate(2024, 3, 6)},  // 00:00 +05
		{"1969-12-31T18:00:00Z", vt.MkDate(1970, 1, 1)},  // before the epoch, floor division
		{"1969-12-31T17:00:00Z", vt.MkDate(1969, 12, 31)},
	} {
		if got := vt.DateOf(utc(tc.at)); got != tc.want {
			t.Errorf("DateOf(%s) = %s, want %s", tc.at, got, tc.want)
		}
	}
	// a day starts at Almaty midnight
	if got, want := vt.MkDate(2021, 3, 19).Start(), utc("2021-03-18T18:00:00Z"); !got.Equal(want) {
		t.Errorf("start of 19 March 2021 = %s, want %s", got, want)
	}
	if got, want := vt.MkDate(2024, 3, 19).Start(), utc("2024-03-18T19:00:00Z"); !got.Equal(want) {
		t.Errorf("start of 19 March 2024 = %s, want %s", got, want)
	}
}

// A wall-clock time without an offset is a time in the deployment zone, as
// a clinic enters it; a plain date stays on its day.
func TestParseTimeReadsLocalTimes(t *testing.T) {
	for _, tc := range []struct {
		in, want string
	}{
		{"2021-03-19T01:00", "2021-03-18T19:00:00Z"},
		{"2021-03-19T01:00:30", "2021-03-18T19:00:30Z"},
		{"2024-03-19T01:00", "2024-03-18T20:00:00Z"},
		{"2021-03-19T01:00:00+06:00", "2021-03-18T19:00:00Z"},
	} {
		got, err := vt.ParseTime(tc.in)
		if err != nil || got.Format(time.RFC3339) != tc.want {
			t.Errorf("ParseTime(%q) = %s, %v; want %s", tc.in, got.Format(time.RFC3339), err, tc.want)
		}
	}
	d, err := vt.ParseTime("2021-03-19")
	if err != nil || vt.DateOf(d) != vt.MkDate(2021, 3, 19) {
		t.Errorf("ParseTime(2021-03-19) = %s on %s, %v", d, vt.DateOf(d), err)
	}
}

// Another zone can be configured; ParseDate never depends on it.
func TestOtherZone(t *testing.T) {
	defer vt.SetZone(vt.Zone())
	for _, name := range []string{"UTC", "America/New_York", "Asia/Almaty"} {
		loc, err := vt.LoadZone(name)
		if err != nil {
			t.Fatal(err)
		}
		vt.SetZone(loc)
		at := time.Date(2021, 3, 19, 0, 30, 0, 0, loc)
		if got := vt.DateOf(at); got != vt.MkDate(2021, 3, 19) {
			t.Errorf("%s: 00:30 local on 19 March is on %s", name, got)
		}
		if got := vt.DateOf(at.Add(-time.Hour)); got != vt.MkDate(2021, 3, 18) {
			t.Errorf("%s: 23:30 local on 18 March is on %s", name, got)
		}
		if d, err := vt.ParseDate("2021-03-19"); err != nil || d.String() != "2021-03-19" {
			t.Errorf("%s: ParseDate = %s, %v", name, d, err)
		}
	}
	if _, err := vt.LoadZone("Mars/Olympus"); err == nil || vt.ErrorField(err) != "tz" {
		t.Errorf("an unknown zone: %v, want an error naming tz", err)
	}
}
