package asof

import (
	"testing"

	"vaxtrace"
)

func TestParseAndCheck(t *testing.T) {
	start, today := vaxtrace.MkDate(2021, 1, 15), vaxtrace.MkDate(2021, 3, 22)
	cases := []struct {
		value   string
		wantErr string // field of the error, "" for none
		want    vaxtrace.Date
	}{
		{"", "", today},
		{"2021-03-19", "", vaxtrace.MkDate(2021, 3, 19)},
		{"2021-01-15", "", start},
		{"2021-03-22", "", today},
		{"19.03.2021", "as_of", 0},
		{"2021-02-30", "as_of", 0},
		{"2021-3-19", "as_of", 0},
		{"2020-12-31", "as_of", 0}, // before the campaign
		{"2021-03-23", "as_of", 0}, // in the future
	}
	for _, c := range cases {
		d, err := Parse("as_of", c.value, today)
		if err == nil {
			err = Check("as_of", d, start, today)
		}
		if c.wantErr == "" {
			if err != nil || d != c.want {
				t.Errorf("%q: %v %v, want %v", c.value, d, err, c.want)
			}
			continue
		}
		if err == nil || vaxtrace.ErrorField(err) != c.wantErr || vaxtrace.ErrorCode(err) != vaxtrace.EINVALID {
			t.Errorf("%q: error %v, want an invalid %s", c.value, err, c.wantErr)
		}
	}
	if Check("as_of", vaxtrace.MkDate(1990, 1, 1), 0, today) != nil {
		t.Error("an empty ledger has no campaign start to check against")
	}
	if err := Known(vaxtrace.MkDate(2021, 3, 18), vaxtrace.MkDate(2021, 3, 19)); vaxtrace.ErrorField(err) != "known_at" {
		t.Errorf("known before as_of: %v", err)
	}
	if Known(vaxtrace.MkDate(2021, 3, 19), vaxtrace.MkDate(2021, 3, 19)) != nil {
		t.Error("known on the day itself is fine")
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"2021-03-19", "", "2021-02-29", "x", "2021-13-01", " 2021-03-19 "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := Parse("as_of", s, 0)
		if err != nil {
			if vaxtrace.ErrorField(err) != "as_of" {
				t.Fatalf("%q: error without the field: %v", s, err)
			}
			return
		}
		if s2 := d.String(); d != 0 {
			if back, err := Parse("as_of", s2, 0); err != nil || back != d {
				t.Fatalf("%q: %s does not round-trip", s, s2)
			}
		}
	})
}
