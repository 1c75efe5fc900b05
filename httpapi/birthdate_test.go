package httpapi

import (
	"encoding/json"
	"net/http"
	"testing"
)

// TestMissingBirthDate: a registration without a birth date is refused
// (it used to be stored as 1970-01-01), on its own and in a batch.
func TestMissingBirthDate(t *testing.T) {
	f := newFixture(t)
	before := f.last()
	r := f.do("POST", "/api/v1/people", "p1", map[string]any{"iin": iin(t, "85020230021"), "family": "A", "given": "B", "sex": "M", "region": "KZ-AKM"})
	if code, field := r.errInfo(t); r.Status != http.StatusBadRequest || code != "invalid" || field != "birth_date" {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	line, _ := json.Marshal(map[string]any{"id": "B1", "iin": iin(t, "85020230022"), "at": "2021-02-01T05:00:00Z", "place": "AKM-P1", "lot": "L1", "vaccinator": "n", "family": "A", "given": "B", "sex": "M", "region": "KZ-AKM"})
	r = f.do("POST", "/api/v1/doses/batch", "p1", string(line)+"\n", "Content-Type", "application/x-ndjson")
	res := r.json(t)["results"].([]any)[0].(map[string]any)
	if e, _ := res["error"].(map[string]any); res["status"] != "rejected" || e == nil || e["field"] != "birth_date" {
		t.Fatalf("batch: %s", r.Body)
	}
	if f.last() != before {
		t.Fatal("journal changed")
	}
}
