package gs1

import (
	"encoding/json"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"vaxtrace"
)

// node returns the path of node, or skips (fails under CI=true).
func node(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("node")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("node is missing: the browser's GS1 parser cannot be checked")
		}
		t.Skip("node is missing: the browser's GS1 parser is not checked")
	}
	return p
}

// TestBrowserParserVectors runs web/point/app/js/gs1.js over the shared
// vectors.
func TestBrowserParserVectors(t *testing.T) {
	out, err := exec.Command(node(t), "testdata/check_js.mjs").CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	t.Log(strings.TrimSpace(string(out)))
}

// TestBrowserParserAgrees feeds the same random inputs (mutations of the
// vectors) to both parsers: they must accept and refuse the same inputs,
// name the same field when they refuse, and read the same values.
func TestBrowserParserAgrees(t *testing.T) {
	bin := node(t)
	r := rand.New(rand.NewPCG(14, 2021))
	var seeds []string
	for _, v := range loadVectors(t) {
		seeds = append(seeds, v.input())
	}
	pieces := []string{"01", "17", "10", "21", "11", "30", "710", "3103", "(", ")", "\x1d", "<GS>", "]d2", "]C1", " ", "0", "9", "A", "-", "#", "00"}
	var inputs []string
	for i := 0; i < 3000; i++ {
		s := seeds[r.IntN(len(seeds))]
		if len(s) > 200 {
			s = s[:200]
		}
		for k := r.IntN(4); k >= 0; k-- {
			p := r.IntN(len(s) + 1)
			switch r.IntN(3) {
			case 0: // insert
				s = s[:p] + pieces[r.IntN(len(pieces))] + s[p:]
			case 1: // delete
				if p < len(s) {
					s = s[:p] + s[p+1:]
				}
			default: // replace a digit
				if p < len(s) {
					s = s[:p] + string(rune('0'+r.IntN(10))) + s[p+1:]
				}
			}
		}
		inputs = append(inputs, s)
	}
	const today = "2021-03-20"
	b, _ := json.Marshal(map[string]any{"today": today, "inputs": inputs})
	file := filepath.Join(t.TempDir(), "inputs.json")
	if err := os.WriteFile(file, b, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "testdata/parse_js.mjs", file).Output()
	if err != nil {
		t.Fatalf("node: %v", err)
	}
	var js []struct {
		OK *struct {
			Symbology  string            `json:"symbology"`
			Form       string            `json:"form"`
			GTIN       string            `json:"gtin"`
			Expiry     string            `json:"expiry"`
			ExpiryText string            `json:"expiry_text"`
			Lot        string            `json:"lot"`
			Serial     string            `json:"serial"`
			Other      map[string]string `json:"other"`
		} `json:"ok"`
		Field string `json:"field"`
	}
	if err := json.Unmarshal(out, &js); err != nil || len(js) != len(inputs) {
		t.Fatalf("node answered %d results (%v)", len(js), err)
	}
	d, _ := vaxtrace.ParseDate(today)
	accepted := 0
	for i, s := range inputs {
		c, err := Parse(s, d)
		j := js[i]
		if err != nil {
			if j.OK != nil || j.Field != vaxtrace.ErrorField(err) {
				t.Errorf("%q: Go refuses (%v), browser says %+v", s, err, j)
			}
			continue
		}
		accepted++
		if j.OK == nil {
			t.Errorf("%q: Go accepts %+v, browser refuses on %s", s, c, j.Field)
			continue
		}
		exp := ""
		if c.Expiry != 0 {
			exp = c.Expiry.String()
		}
		o := j.OK
		if o.Symbology != c.Symbology || o.Form != c.Form || o.GTIN != c.GTIN || o.Expiry != exp || o.ExpiryText != c.ExpiryText || o.Lot != c.Lot || o.Serial != c.Serial || len(o.Other) != len(c.Other) {
			t.Errorf("%q: Go %+v, browser %+v", s, c, *o)
		}
		for k, v := range c.Other {
			if o.Other[k] != v {
				t.Errorf("%q: other %s: Go %q, browser %q", s, k, v, o.Other[k])
			}
		}
	}
	t.Logf("%d inputs, %d accepted by both, %d refused by both on the same field", len(inputs), accepted, len(inputs)-accepted)
}
