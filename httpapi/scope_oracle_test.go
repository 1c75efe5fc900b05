package httpapi

import (
	"net/http"
	"strings"
	"testing"
)

// TestOutOfScopeLooksUnknown: a caller of another region asking about, or
// acting on, equipment or a requisition of Akmola gets exactly the answer
// an id that does not exist gets (status, code, field and message, the id
// aside), so the answers do not tell whether an id exists elsewhere.
func TestOutOfScopeLooksUnknown(t *testing.T) {
	f := newFixture(t)
	f.coldChainSeed()
	change := map[string]any{"equipment": map[string]any{"place": "ALA-P1", "type": "freezer", "min_c": -25, "max_c": -18, "net_litres": 60, "status": "broken"}, "reason": "compressor"}
	tests := []struct {
		name, method, path, exists, missing string
		body                                any
	}{
		{"equipment", "GET", "/api/v1/equipment/%s", "AKM-P1-FRZ", "NO-SUCH-FRZ", nil},
		{"readings", "GET", "/api/v1/equipment/%s/readings", "AKM-P1-FRZ", "NO-SUCH-FRZ", nil},
		{"equipment change", "POST", "/api/v1/equipment/%s/change", "AKM-P1-FRZ", "NO-SUCH-FRZ", change},
		{"requisition", "GET", "/api/v1/requisitions/%s", "RQ-1", "RQ-NONE", nil},
		{"approve", "POST", "/api/v1/requisitions/%s/approve", "RQ-1", "RQ-NONE", nil},
		{"reject", "POST", "/api/v1/requisitions/%s/reject", "RQ-1", "RQ-NONE", map[string]any{"reason": "no"}},
		{"edit", "POST", "/api/v1/requisitions/%s/edit", "RQ-1", "RQ-NONE", map[string]any{"lines": []map[string]any{{"product": "sputnik-v", "component": "I", "doses": 10}}, "reason": "less"}},
		{"fulfil", "POST", "/api/v1/requisitions/%s/fulfil", "RQ-1", "RQ-NONE", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.t = t
			answer := func(id string) (int, string, string, string) {
				r := f.do(tt.method, strings.Replace(tt.path, "%s", id, 1), "ala", tt.body)
				code, field := r.errInfo(t)
				msg, _ := r.json(t)["error"].(map[string]any)["message"].(string)
				return r.Status, code, field, strings.ReplaceAll(msg, id, "ID")
			}
			s1, c1, f1, m1 := answer(tt.exists)
			s2, c2, f2, m2 := answer(tt.missing)
			if s1 != s2 || c1 != c2 || f1 != f2 || m1 != m2 {
				t.Fatalf("out of scope: %d %s %s %q; unknown: %d %s %s %q", s1, c1, f1, m1, s2, c2, f2, m2)
			}
			if s1 != http.StatusNotFound {
				t.Fatalf("status %d, want 404", s1)
			}
		})
	}
}
