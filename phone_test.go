package vaxtrace_test

import (
	"strings"
	"testing"

	vt "vaxtrace"
)

func TestNormalizePhone(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"+7 701 123 45 67", "+77011234567"},
		{"8 (701) 123-45-67", "+77011234567"},
		{"701 123 45 67", "+77011234567"},
		{"77011234567", "+77011234567"},
		{"+49 30 1234567", "+49301234567"},
		{"", ""},
		{"hello", ""},
		{"+7 701 123", ""},
		{"12345", ""},
		{"+7 701 123 45 67 89", ""},
		{"8 701 123 45 6", ""},
		{"+0123456789", ""},
		{"+7701123456a", ""},
		{"+1234567890123456", ""},
	} {
		got, err := vt.NormalizePhone(c.in)
		if got != c.want || (err == nil) != (c.want != "") {
			t.Errorf("NormalizePhone(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
		if err != nil && vt.ErrorField(err) != "phone" {
			t.Errorf("NormalizePhone(%q): field %q", c.in, vt.ErrorField(err))
		}
	}
}

func FuzzNormalizePhone(f *testing.F) {
	for _, s := range []string{"+7 701 123 45 67", "8 (701) 123-45-67", "", "++7", "+٣٣"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := vt.NormalizePhone(s)
		if err != nil {
			return
		}
		if !strings.HasPrefix(got, "+") || len(got) < 9 || len(got) > 16 || strings.Trim(got[1:], "0123456789") != "" {
			t.Fatalf("NormalizePhone(%q) = %q", s, got)
		}
		if again, err := vt.NormalizePhone(got); err != nil || again != got {
			t.Fatalf("not stable: %q -> %q -> %q, %v", s, got, again, err)
		}
	})
}
