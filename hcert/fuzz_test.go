package hcert

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// vectorSeeds returns PREFIX strings of a sample of official vectors.
func vectorSeeds(f *testing.F) []string {
	var out []string
	files, _ := filepath.Glob(filepath.Join(vectorDir, "*", "2DCode", "raw", "*.json"))
	common, _ := filepath.Glob(filepath.Join(vectorDir, "common", "2DCode", "raw", "*.json"))
	for _, p := range append(files, common...) {
		data, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		var v struct{ PREFIX string }
		if json.Unmarshal(data, &v) == nil && v.PREFIX != "" {
			out = append(out, v.PREFIX)
		}
	}
	return out
}

func FuzzDecode(f *testing.F) {
	a := testAuthority(f)
	f.Add(issueSample(f, a))
	for _, s := range vectorSeeds(f) {
		f.Add(s)
	}
	f.Add("HC1:")
	f.Add("HC1:NCF")
	trust := a.TrustList()
	f.Fuzz(func(t *testing.T, s string) {
		res := Verify([]byte(s), trust, t0.Add(time.Hour), RevocationSet{})
		if res.OK != (res.Err == nil) || (!res.OK && (res.Reason == "" || res.Code == CodeOK)) {
			t.Fatalf("inconsistent result %+v", res)
		}
		if len(res.Steps) == 0 {
			t.Fatal("no steps recorded")
		}
	})
}

func FuzzBase45(f *testing.F) {
	for _, s := range vectorSeeds(f) {
		f.Add(s[len(Prefix):])
	}
	f.Add("%69 VD92EX0")
	f.Add("GGW")
	f.Fuzz(func(t *testing.T, s string) {
		b, err := Base45Decode(s)
		if err != nil {
			return
		}
		if got := Base45Encode(b); got != s {
			t.Fatalf("re-encoding %q gave %q", s, got)
		}
		if b2, err := Base45Decode(Base45Encode(b)); err != nil || !bytes.Equal(b, b2) {
			t.Fatalf("round trip failed: %v", err)
		}
	})
}
