package httpapi

import (
	"net/http"
	"testing"
)

func TestLateReportAndEstimateRoutes(t *testing.T) {
	f := newFixture(t)
	for _, path := range []string{"/api/v1/reports/late?from=2021-01-01&to=2021-12-31", "/api/v1/reports/estimate?to=2021-12-31"} {
		if r := f.do("GET", path, "admin", nil); r.Status != http.StatusOK {
			t.Fatalf("%s: %d %s", path, r.Status, r.Body)
		}
		if r := f.do("GET", path, "", nil); r.Status != http.StatusForbidden {
			t.Fatalf("%s public: %d, want 403", path, r.Status)
		}
		if r := f.do("GET", path+"&region=KZ-ALA", "akm", nil); r.Status != http.StatusForbidden {
			t.Fatalf("%s other region: %d, want 403", path, r.Status)
		}
	}
	r := f.do("GET", "/api/v1/reports/late?from=2021-12-31&to=2021-06-01", "admin", nil)
	if code, field := r.errInfo(t); r.Status != http.StatusBadRequest || field != "from" {
		t.Fatalf("from after to: %d %s %s", r.Status, code, field)
	}
}
