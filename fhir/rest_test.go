package fhir

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"vaxtrace"
)

func testServer(t *testing.T) (*httptest.Server, string, string) {
	keys := testKeys(t)
	eng := newEngine(t)
	seedBase(t, eng, 1000)
	seedPeople(t, eng, keys, 10)
	principals := map[string]vaxtrace.Principal{
		"admin":   admin,
		"auditor": {Name: "aud", Role: vaxtrace.RoleAuditor},
		"ala":     {Name: "ala", Role: vaxtrace.RoleRegion, Region: "KZ-ALA"},
		"ast-pt":  {Name: "astpt", Role: vaxtrace.RolePoint, Place: "p-ast"},
		"public":  {Name: "pub", Role: vaxtrace.RolePublic},
	}
	auth := func(r *http.Request) (vaxtrace.Principal, error) {
		p, ok := principals[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]
		if !ok {
			return p, vaxtrace.Errorf(vaxtrace.EUNAUTHORIZED, "missing or unknown token")
		}
		return p, nil
	}
	mux := http.NewServeMux()
	mux.Handle("/fhir/", Handler(eng, keys, auth))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, keys.ID(iinFor(0)).String(), keys.ID(iinFor(4)).String() // person 0 in KZ-ALA, 4 in KZ-AST
}

func get(t *testing.T, srv *httptest.Server, token, path string, hdr ...string) (int, map[string]any, http.Header) {
	t.Helper()
	req, _ := http.NewRequest("GET", srv.URL+path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		t.Fatalf("%s: body is not JSON: %v", path, err)
	}
	return resp.StatusCode, m, resp.Header
}

func TestREST(t *testing.T) {
	srv, ala, ast := testServer(t)
	cases := []struct {
		token, path string
		status      int
		rt          string
	}{
		{"", "/fhir/metadata", 200, "CapabilityStatement"},
		{"", "/fhir/Patient/" + ala, 401, "OperationOutcome"},
		{"public", "/fhir/Patient/" + ala, 403, "OperationOutcome"},
		{"admin", "/fhir/Patient/" + ala, 200, "Patient"},
		{"auditor", "/fhir/Patient/" + ast, 200, "Patient"},
		{"ala", "/fhir/Patient/" + ala, 200, "Patient"},
		{"ala", "/fhir/Patient/" + ast, 404, "OperationOutcome"},
		{"ast-pt", "/fhir/Patient/" + ast, 200, "Patient"},
		{"ast-pt", "/fhir/Patient/" + ala, 404, "OperationOutcome"},
		{"admin", "/fhir/Patient/zz", 404, "OperationOutcome"},
		{"admin", "/fhir/Patient/00000000000000000000000000000000", 404, "OperationOutcome"},
		{"admin", "/fhir/Immunization/d000000-1", 200, "Immunization"},
		{"admin", "/fhir/Immunization/d000001-x", 200, "Immunization"},
		{"ast-pt", "/fhir/Immunization/d000000-1", 404, "OperationOutcome"},
		{"ast-pt", "/fhir/Immunization/d000004-1", 200, "Immunization"},
		{"admin", "/fhir/Immunization/nope", 404, "OperationOutcome"},
		{"admin", "/fhir/Immunization?patient=Patient/" + ala, 200, "Bundle"},
		{"admin", "/fhir/Immunization", 400, "OperationOutcome"},
		{"admin", "/fhir/Immunization?patient=Patient/" + ala + "&date=foo", 400, "OperationOutcome"},
		{"admin", "/fhir/Immunization?patient=Patient/" + ala + "&name=x", 400, "OperationOutcome"},
		{"admin", "/fhir/Observation/1", 404, "OperationOutcome"},
		{"admin", "/fhir/Patient/" + ala + "?_format=xml", 406, "OperationOutcome"},
	}
	for _, c := range cases {
		st, m, h := get(t, srv, c.token, c.path)
		if st != c.status || m["resourceType"] != c.rt {
			t.Errorf("%s %s: %d %v, want %d %s (%v)", c.token, c.path, st, m["resourceType"], c.status, c.rt, m)
		}
		if ct := h.Get("Content-Type"); !strings.HasPrefix(ct, ContentType) {
			t.Errorf("%s: content type %q", c.path, ct)
		}
	}
	if st, _, _ := get(t, srv, "admin", "/fhir/metadata", "Accept", "application/fhir+xml"); st != 406 {
		t.Errorf("xml accept: %d", st)
	}
	_, m, _ := get(t, srv, "admin", "/fhir/Patient/"+ala)
	if ids, _ := json.Marshal(m["identifier"]); !strings.Contains(string(ids), iinFor(0)) {
		t.Errorf("patient identifier %s lacks the IIN", ids)
	}
	// the IIN in clear is for the national administrator only
	for _, c := range []struct{ token, id, iin string }{{"ala", ala, iinFor(0)}, {"auditor", ast, iinFor(4)}, {"ast-pt", ast, iinFor(4)}} {
		st, m, _ := get(t, srv, c.token, "/fhir/Patient/"+c.id)
		raw, _ := json.Marshal(m)
		if st != 200 || strings.Contains(string(raw), c.iin) {
			t.Errorf("%s read the Patient (%d) with the IIN in clear: %s", c.token, st, raw)
		}
	}
}

func TestRESTSearch(t *testing.T) {
	srv, _, ast := testServer(t)
	// person 4: three Sputnik doses (2021-03-05, 03-26, booster 10-02)
	total := func(q string) int {
		st, m, _ := get(t, srv, "admin", "/fhir/Immunization?patient=Patient/"+ast+q)
		if st != 200 {
			t.Fatalf("%s: %d %v", q, st, m)
		}
		return int(m["total"].(float64))
	}
	for q, want := range map[string]int{
		"":                                     3,
		"&date=ge2021-03-26":                   2,
		"&date=ge2021-03-01&date=le2021-03-31": 2,
		"&date=lt2021-03-05":                   0,
		"&date=eq2021-03-05":                   1,
		"&vaccine-code=505":                    3,
		"&vaccine-code=http://hl7.org/fhir/sid/cvx|505": 3,
		"&vaccine-code=http://hl7.org/fhir/sid/cvx|208": 0,
	} {
		if got := total(q); got != want {
			t.Errorf("%q: total %d, want %d", q, got, want)
		}
	}
	st, m, _ := get(t, srv, "ala", "/fhir/Immunization?patient=Patient/"+ast)
	if st != 200 || m["total"].(float64) != 0 {
		t.Errorf("region token sees another region's doses: %d %v", st, m["total"])
	}
}
