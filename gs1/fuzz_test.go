package gs1

import (
	"strings"
	"testing"

	"vaxtrace"
)

// FuzzParse: Parse never panics, refuses with a field-named EINVALID error,
// and whatever it accepts survives a round trip through both written forms.
func FuzzParse(f *testing.F) {
	for _, v := range loadVectors(f) {
		f.Add(v.input())
	}
	f.Add("]d2\x1d0104601234567893\x1d17000000")
	f.Add("(3103)000001(01)04601234567893")
	today := vaxtrace.MkDate(2021, 3, 20)
	f.Fuzz(func(t *testing.T, s string) {
		c, err := Parse(s, today)
		if err != nil {
			if vaxtrace.ErrorCode(err) != vaxtrace.EINVALID || vaxtrace.ErrorField(err) == "" || vaxtrace.ErrorMessage(err) == "" {
				t.Fatalf("Parse(%q): error %v is not a field error", s, err)
			}
			return
		}
		if c.GTIN != "" {
			if _, err := vaxtrace.NormalizeGTIN(c.GTIN); err != nil || len(c.GTIN) != 14 {
				t.Fatalf("Parse(%q) accepted GTIN %q", s, c.GTIN)
			}
		}
		for _, v := range []string{c.Lot, c.Serial} {
			if strings.ContainsRune(v, GS) || len(v) > 20 {
				t.Fatalf("Parse(%q): value %q holds a separator or is too long", s, v)
			}
		}
		if c.Other != nil && len(c.Other) == 0 {
			t.Fatalf("empty Other map")
		}
		checkRoundTrip(t, c, today)
	})
}
