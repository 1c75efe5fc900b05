package gs1

import (
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"

	"vaxtrace"
)

// vector is one case of testdata/vectors.json, shared with the browser
// parser (web/point/app/js/gs1.js).
type vector struct {
	Name   string `json:"name"`
	Today  string `json:"today"`
	Input  string `json:"input"`
	Repeat int    `json:"repeat"`
	Want   *struct {
		Symbology  string            `json:"symbology"`
		Form       string            `json:"form"`
		GTIN       string            `json:"gtin"`
		Expiry     string            `json:"expiry"`
		ExpiryText string            `json:"expiry_text"`
		Lot        string            `json:"lot"`
		Serial     string            `json:"serial"`
		Other      map[string]string `json:"other"`
	} `json:"want"`
	Error string `json:"error"`
	Field string `json:"field"`
}

func loadVectors(t testing.TB) []vector {
	b, err := os.ReadFile("testdata/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var vs []vector
	if err := json.Unmarshal(b, &vs); err != nil {
		t.Fatal(err)
	}
	return vs
}

func (v vector) input() string {
	if v.Repeat > 0 {
		return strings.Repeat(v.Input, v.Repeat)
	}
	return v.Input
}

func TestVectors(t *testing.T) {
	for _, v := range loadVectors(t) {
		t.Run(v.Name, func(t *testing.T) {
			today, err := vaxtrace.ParseDate(v.Today)
			if err != nil {
				t.Fatal(err)
			}
			c, err := Parse(v.input(), today)
			if v.Error != "" {
				if err == nil {
					t.Fatalf("parsed %+v, want an error containing %q", c, v.Error)
				}
				if !strings.Contains(vaxtrace.ErrorMessage(err), v.Error) || vaxtrace.ErrorField(err) != v.Field || vaxtrace.ErrorCode(err) != vaxtrace.EINVALID {
					t.Fatalf("error %v, want %s/%s containing %q", err, vaxtrace.EINVALID, v.Field, v.Error)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			w := v.Want
			got := map[string]any{"symbology": c.Symbology, "form": c.Form, "gtin": c.GTIN, "expiry_text": c.ExpiryText, "lot": c.Lot, "serial": c.Serial}
			want := map[string]any{"symbology": w.Symbology, "form": w.Form, "gtin": w.GTIN, "expiry_text": w.ExpiryText, "lot": w.Lot, "serial": w.Serial}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got %v\nwant %v", got, want)
			}
			exp := ""
			if c.Expiry != 0 {
				exp = c.Expiry.String()
			}
			if exp != w.Expiry {
				t.Errorf("expiry %q, want %q", exp, w.Expiry)
			}
			if len(c.Other) != len(w.Other) || (len(w.Other) > 0 && !reflect.DeepEqual(c.Other, w.Other)) {
				t.Errorf("other %v, want %v", c.Other, w.Other)
			}
		})
	}
}

// TestRoundTrip: a parsed code written out raw or bracketed parses to the
// same code.
func TestRoundTrip(t *testing.T) {
	for _, v := range loadVectors(t) {
		if v.Error != "" {
			continue
		}
		today, _ := vaxtrace.ParseDate(v.Today)
		c, err := Parse(v.input(), today)
		if err != nil {
			t.Fatalf("%s: %v", v.Name, err)
		}
		checkRoundTrip(t, c, today)
	}
}

func checkRoundTrip(t *testing.T, c Code, today vaxtrace.Date) {
	t.Helper()
	for _, form := range []string{"raw", "bracketed"} {
		if form == "bracketed" && !bracketable(c) {
			continue // a value that itself looks like "(01)" cannot be written bracketed
		}
		s := c.Raw()
		if form == "bracketed" {
			s = c.Bracketed()
		}
		back, err := Parse(s, today)
		if err != nil {
			t.Fatalf("%q (%s form of %+v) does not parse: %v", s, form, c, err)
		}
		want := c
		want.Symbology, want.Form = "", form
		if !reflect.DeepEqual(back, want) {
			t.Fatalf("%s round trip of %q:\n got %+v\nwant %+v", form, s, back, want)
		}
	}
}

func bracketable(c Code) bool {
	for _, e := range c.elements() {
		if nextAI(e[1]) < len(e[1]) {
			return false
		}
	}
	return true
}
