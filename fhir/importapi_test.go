package fhir

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"vaxtrace"
)

// TestImportAPISyntheaLenient: the Synthea bundles (patients outside
// Kazakhstan, immunizations without performer, location or lot) are
// refused by a strict import and imported whole through the API with the
// lenient options as query parameters; skipped resources are counted.
func TestImportAPISyntheaLenient(t *testing.T) {
	ctx := context.Background()
	keys := testKeys(t)
	eng := newEngine(t)
	f, err := ImportFixture(ctx, eng, admin, "KZ-FHIRTEST", RoutineProducts(), nil, 100)
	if err != nil {
		t.Fatal(err)
	}
	who := admin
	h := ImportHandler(eng, keys, func(*http.Request) (vaxtrace.Principal, error) { return who, nil })
	post := func(query url.Values, body []byte) (int, ImportResponse) {
		req := httptest.NewRequest("POST", "/api/v1/import/fhir?"+query.Encode(), bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/fhir+json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		var out ImportResponse
		if rec.Code == 200 {
			if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
				t.Fatal(err)
			}
		}
		return rec.Code, out
	}
	name := "Enda_Schaefer_dd760206-6c4e-4e25-a799-f5c563e489a1.json"
	bundle := sharedFile(t, "synthea-r4/"+name)

	code, strict := post(url.Values{}, bundle)
	if code != 200 || strict.Accepted != 0 || strict.Rejected != 18 || len(strict.Rejections) != 18 {
		t.Fatalf("strict: %d, %d accepted, %d rejected (%d listed)", code, strict.Accepted, strict.Rejected, len(strict.Rejections))
	}
	if strict.Rejections[0].Field != "address.state" {
		t.Errorf("strict first rejection %+v", strict.Rejections[0])
	}

	lenient := url.Values{"default_region": {f.Region}, "default_place": {f.Point}, "default_vaccinator": {"synthea"}}
	for prod, lot := range f.DefaultLots {
		lenient.Add("default_lot", prod+"="+lot)
	}
	want := map[string][3]int{ // accepted, rejected, skipped
		"Enda_Schaefer_dd760206-6c4e-4e25-a799-f5c563e489a1.json": {18, 0, 71},
		"Luigi_Wiegand_e27d88b0-c5e5-4042-ad49-184f6a900ee3.json": {13, 0, 48},
		"Ned_Hintz_e4b9259d-0f54-48d1-a35d-b526729a4dfe.json":     {8, 0, 63},
	}
	for name, w := range want {
		code, rep := post(lenient, sharedFile(t, "synthea-r4/"+name))
		if got := [3]int{rep.Accepted, rep.Rejected, rep.Skipped}; code != 200 || got != w {
			t.Errorf("%s: %d %v, want %v: %s", name, code, got, w, summarize(rep.Report))
		}
	}

	for _, bad := range []url.Values{{"default_lot": {"nolot"}}, {"format": {"xml"}}} {
		if code, _ := post(bad, bundle); code != http.StatusBadRequest {
			t.Errorf("%v: status %d, want 400", bad, code)
		}
	}
	who = vaxtrace.Principal{Name: "a", Role: vaxtrace.RoleAuditor}
	if code, _ := post(lenient, bundle); code != http.StatusForbidden {
		t.Errorf("auditor import: %d, want 403", code)
	}
}
