package httpapi

import (
	"net/http"
	"testing"
)

func TestWhoami(t *testing.T) {
	f := newFixture(t)
	cases := []struct {
		who, role, region, place string
		write                    bool
	}{
		{"", "public", "", "", false},
		{"akm", "region", "KZ-AKM", "", true},
		{"p1", "point", "", "AKM-P1", true},
		{"auditor", "auditor", "", "", false},
	}
	for _, c := range cases {
		r := f.do("GET", "/api/v1/whoami", c.who, nil)
		if r.Status != http.StatusOK {
			t.Fatalf("%q: %d %s", c.who, r.Status, r.Body)
		}
		m := r.json(t)
		reg, _ := m["region"].(string)
		pl, _ := m["place"].(string)
		if m["role"] != c.role || reg != c.region || pl != c.place || m["can_write"] != c.write {
			t.Errorf("%q: %s", c.who, r.Body)
		}
	}
	if r := f.do("GET", "/api/v1/whoami", "no-such-token", nil); r.Status != http.StatusUnauthorized {
		t.Errorf("bad token: %d", r.Status)
	}
}
