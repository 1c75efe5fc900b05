package vaxtrace_test

import (
	"testing"

	vt "vaxtrace"
)

func TestValidateIIN(t *testing.T) {
	// worked examples from shared/reference/kazakhstan-2021.yaml
	cases := []struct {
		iin string
		ok  bool
	}{
		{"871008401427", true},
		{"061211600012", true},
		{"760212350620", true},
		{"800416300257", true},
		{"821214240092", false}, // prefix never issued (10 in both passes)
		{"871008401428", false}, // wrong check digit
		{"87100840142", false},
		{"8710084014270", false},
		{"87100840142a", false},
		{"", false},
	}
	for _, c := range cases {
		err := vt.ValidateIIN(c.iin)
		if (err == nil) != c.ok {
			t.Errorf("ValidateIIN(%q) = %v, want ok=%v", c.iin, err, c.ok)
		}
		if err != nil && vt.ErrorField(err) != "iin" {
			t.Errorf("field = %q", vt.ErrorField(err))
		}
	}
}

func TestCompleteIIN(t *testing.T) {
	s, ok := vt.CompleteIIN("87100840142")
	if !ok || s != "871008401427" {
		t.Fatalf("got %q %v", s, ok)
	}
	if _, ok := vt.CompleteIIN("82121424009"); ok {
		t.Fatal("never-issued prefix completed")
	}
}

func FuzzValidateIIN(f *testing.F) {
	for _, s := range []string{"871008401427", "821214240092", "", "abc"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := vt.ValidateIIN(s)
		if err == nil && len(s) != 12 {
			t.Fatalf("accepted %q", s)
		}
		if err != nil && len(s) == 12 {
			if c, ok := vt.CompleteIIN(s[:11]); ok && c == s {
				t.Fatalf("rejected valid %q: %v", s, err)
			}
		}
	})
}

func FuzzParseDate(f *testing.F) {
	f.Add("2021-03-19")
	f.Add("2021-02-30")
	f.Fuzz(func(t *testing.T, s string) {
		d, err := vt.ParseDate(s)
		if err == nil && d.String() != s {
			t.Fatalf("round trip %q -> %q", s, d.String())
		}
	})
}
