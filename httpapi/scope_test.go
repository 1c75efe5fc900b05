package httpapi

import (
	"net/http"
	"testing"
)

// TestScopeBeforeDuplicate: a region replaying another region's shipment
// receipt is refused with 403, not answered "duplicate".
func TestScopeBeforeDuplicate(t *testing.T) {
	f := newFixture(t)
	f.must() // S4 (national → Almaty warehouse) was received by the seed
	body := map[string]any{"occurred": "2021-01-27T09:00:00Z"}
	// the admin's own replay is a duplicate
	if r := f.do("POST", "/api/v1/shipments/S4/receive", "admin", body, "Idempotency-Key", "seed:25"); r.Status/100 != 2 && r.Status != http.StatusConflict {
		t.Fatalf("admin replay: %d %s", r.Status, r.Body)
	}
	before := f.last()
	r := f.do("POST", "/api/v1/shipments/S4/receive", "akm", body, "Idempotency-Key", "seed:25")
	if r.Status != http.StatusForbidden {
		t.Fatalf("another region's replay: %d %s, want 403", r.Status, r.Body)
	}
	r = f.do("POST", "/api/v1/shipments/S4/receive", "akm", body)
	if r.Status != http.StatusForbidden {
		t.Fatalf("another region's receipt: %d %s, want 403", r.Status, r.Body)
	}
	if f.last() != before {
		t.Fatal("journal changed")
	}
}

// TestRegisterKnownPersonOfAnotherRegion: registering a known IIN from a
// point of another region gives back the person's id but not their doses.
func TestRegisterKnownPersonOfAnotherRegion(t *testing.T) {
	f := newFixture(t)
	f.matrixSeed()
	body := map[string]any{"iin": iin(t, "70010240002"), "family": "Test", "given": "70010240002", "birth_date": "1970-01-02", "sex": "F", "region": "KZ-ALA"}
	r := f.do("POST", "/api/v1/people", "p1", body)
	if r.Status != http.StatusCreated {
		t.Fatalf("register: %d %s", r.Status, r.Body)
	}
	p, _ := r.json(t)["person"].(map[string]any)
	if doses, _ := p["doses"].([]any); len(doses) != 0 {
		t.Fatalf("a point of another region was shown the person's doses: %s", r.Body)
	}
	if p["iin_masked"] != nil {
		t.Fatalf("masked IIN shown: %s", r.Body)
	}
	// the Almaty coordinator sees them
	r = f.do("POST", "/api/v1/people", "ala", body)
	p, _ = r.json(t)["person"].(map[string]any)
	if doses, _ := p["doses"].([]any); len(doses) != 1 {
		t.Fatalf("the person's own region does not see the dose: %s", r.Body)
	}
}
