package vaxtrace_test

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	vt "vaxtrace"
)

// FuzzCheckPayloadText: text accepted is valid UTF-8 without control
// characters (but tab and line breaks), not blank and within the bound;
// ids accepted hold no "/" or line break.
func FuzzCheckPayloadText(f *testing.F) {
	for _, s := range []string{"Ivanov", "a\x00b", " ", "a/b", "\xff", "\uFFFD", "Әлия 🌷", "a\tb\nc"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		errText := vt.CheckPayloadText(vt.LotSuspended{Lot: "L", Reason: s})
		errID := vt.CheckPayloadText(vt.ShipmentDispatched{Shipment: s})
		if s == "" {
			if errText != nil || errID != nil {
				t.Fatalf("empty text refused: %v %v", errText, errID)
			}
			return
		}
		if errText == nil {
			if !utf8.ValidString(s) || strings.TrimSpace(s) == "" || len(s) > vt.MaxTextBytes || strings.ContainsRune(s, utf8.RuneError) {
				t.Fatalf("%q accepted", s)
			}
			for _, r := range s {
				if unicode.IsControl(r) && r != '\t' && r != '\n' && r != '\r' {
					t.Fatalf("%q accepted with a control character", s)
				}
			}
		} else if vt.ErrorField(errText) != "reason" {
			t.Fatalf("field %q, want reason", vt.ErrorField(errText))
		}
		if errID == nil && strings.ContainsAny(s, "/\n\r\t") {
			t.Fatalf("id %q accepted", s)
		}
		if errID != nil && vt.ErrorField(errID) != "shipment" {
			t.Fatalf("field %q, want shipment", vt.ErrorField(errID))
		}
	})
}
