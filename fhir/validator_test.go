package fhir

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"vaxtrace"
)

// validatorDir holds the independent validator installed by
// scripts/fhir-validator-setup.sh (@medplum/core validateResource with the
// base R4 StructureDefinitions).
const validatorDir = "testdata/validator"

func validator(t *testing.T) (node, script string) {
	t.Helper()
	node, err := exec.LookPath("node")
	missing := ""
	if err != nil {
		missing = "node is not installed"
	} else if _, err := os.Stat(filepath.Join(validatorDir, "node_modules", "@medplum", "core", "package.json")); err != nil {
		missing = "validator not installed (run scripts/fhir-validator-setup.sh)"
	}
	if missing != "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("FHIR validator required in CI: %s", missing)
		}
		t.Skip(missing)
	}
	abs, err := filepath.Abs(filepath.Join(validatorDir, "validate.mjs"))
	if err != nil {
		t.Fatal(err)
	}
	return node, abs
}

// runValidator validates files and returns the per-file verdicts.
func runValidator(t *testing.T, files []string) (map[string]string, bool) {
	node, script := validator(t)
	cmd := exec.Command(node, append([]string{script}, files...)...)
	cmd.Dir = validatorDir
	out, err := cmd.CombinedOutput()
	res := map[string]string{}
	for _, line := range strings.Split(string(out), "\n") {
		for _, f := range files {
			if strings.HasPrefix(line, "OK "+f) || strings.HasPrefix(line, "FAIL "+f) {
				res[f] = line
			}
		}
	}
	if len(res) != len(files) {
		t.Fatalf("validator output incomplete (%v):\n%s", err, out)
	}
	return res, err == nil
}

func writeResource(t *testing.T, dir, name string, v any) string {
	b, err := json.MarshalIndent(v, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name+".json")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestValidatorExportedResources(t *testing.T) {
	validator(t) // skip early when missing
	ctx := context.Background()
	keys := testKeys(t)
	eng := newEngine(t)
	seedBase(t, eng, 100)
	seedPeople(t, eng, keys, 6)
	// a person without an IIN (imported from foreign data)
	f, err := ImportFixture(ctx, eng, admin, "KZ-FHIRTEST", RoutineProducts(), nil, 10)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Importer().Import(ctx, eng, keys, admin, bytes.NewReader(sharedFileOr(t, "synthea-r4/Ned_Hintz_e4b9259d-0f54-48d1-a35d-b526729a4dfe.json")), "bundle"); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var files []string
	n := 0
	b := bufs{}
	if err := ExportNDJSON(ctx, eng, keys, "", b.w, nil); err != nil {
		t.Fatal(err)
	}
	coll := Bundle{ResourceType: "Bundle", Type: "collection"}
	for _, rt := range []string{"Patient", "Immunization"} {
		for _, line := range strings.Split(strings.TrimSpace(b[rt].String()), "\n") {
			var m map[string]any
			if err := json.Unmarshal([]byte(line), &m); err != nil {
				t.Fatal(err)
			}
			files = append(files, writeResource(t, dir, fmt.Sprintf("%s-%d", rt, n), m))
			coll.Entry = append(coll.Entry, BundleEntry{FullURL: fmt.Sprintf("http://vaxtrace.kz/fhir/%s/%s", rt, m["id"]), Resource: json.RawMessage(line)})
			n++
		}
	}
	files = append(files,
		writeResource(t, dir, "Bundle-collection", coll),
		writeResource(t, dir, "OperationOutcome", Outcome("not-found", "no Patient x", "Patient.id")),
		writeResource(t, dir, "CapabilityStatement", Capability()))
	// a searchset from the REST handler
	rec := newRecorder()
	var pid vaxtrace.PersonID = keys.ID(iinFor(4))
	Handler(eng, keys, func(*httpRequest) (vaxtrace.Principal, error) { return admin, nil }).ServeHTTP(rec, newGet("/fhir/Immunization?patient=Patient/"+pid.String()))
	var ss map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &ss); err != nil || ss["resourceType"] != "Bundle" {
		t.Fatalf("search: %v %s", err, rec.Body.String())
	}
	files = append(files, writeResource(t, dir, "Bundle-searchset", ss))
	// a DDCC:VS document (the health certificate of person 0's first dose)
	issueCert(t, eng, "URN:UVCI:01:KZ:VALIDATOR#X", "d000000-1")
	rec = newRecorder()
	Handler(eng, keys, func(*httpRequest) (vaxtrace.Principal, error) { return admin, nil }).ServeHTTP(rec, newGet("/fhir/$generateHealthCertificate?hcid=URN:UVCI:01:KZ:VALIDATOR%23X"))
	var doc map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil || doc["type"] != "document" {
		t.Fatalf("DDCC document: %v %s", err, rec.Body.String())
	}
	files = append(files, writeResource(t, dir, "Bundle-ddcc-document", doc))
	for i, e := range doc["entry"].([]any) {
		files = append(files, writeResource(t, dir, fmt.Sprintf("ddcc-entry-%d", i), e.(map[string]any)["resource"]))
	}

	res, ok := runValidator(t, files)
	if !ok {
		for _, f := range files {
			if strings.HasPrefix(res[f], "FAIL") {
				body, _ := os.ReadFile(f)
				t.Errorf("%s\n%s", res[f], body)
			}
		}
	}
	t.Logf("validated %d resources", len(files))
}

// TestValidatorNegativeControl proves the validator is not a rubber stamp.
func TestValidatorNegativeControl(t *testing.T) {
	validator(t)
	dir := t.TempDir()
	bad := []string{
		writeResource(t, dir, "bad-imm-missing", map[string]any{"resourceType": "Immunization", "status": "completed", "occurrenceDateTime": "2021-03-01"}),
		writeResource(t, dir, "bad-imm-types", map[string]any{"resourceType": "Immunization", "status": 7, "vaccineCode": map[string]any{"coding": []any{map[string]any{"system": "http://hl7.org/fhir/sid/cvx", "code": "505"}}}, "patient": map[string]any{"reference": "Patient/x"}, "occurrenceDateTime": "2021-03-01"}),
		writeResource(t, dir, "bad-patient", map[string]any{"resourceType": "Patient", "birthDate": "01.02.1980", "gender": "f"}),
		writeResource(t, dir, "bad-unknown-element", map[string]any{"resourceType": "Patient", "iin": "850101300123"}),
		// required bindings (terminology), each on its own: the structure is valid
		writeResource(t, dir, "bad-imm-status-done", withStatus("done")),
		writeResource(t, dir, "bad-patient-gender-code", map[string]any{"resourceType": "Patient", "gender": "f"}),
		writeResource(t, dir, "bad-identifier-use", map[string]any{"resourceType": "Patient", "identifier": []any{map[string]any{"use": "primary", "value": "x"}}}),
		writeResource(t, dir, "bad-nested-in-bundle", map[string]any{"resourceType": "Bundle", "type": "collection", "entry": []any{map[string]any{"resource": withStatus("done")}}}),
	}
	goods := []string{
		writeResource(t, dir, "good", Outcome("invalid", "x")),
		writeResource(t, dir, "good-imm-completed", withStatus("completed")),
		writeResource(t, dir, "good-imm-not-done", withStatus("not-done")),
	}
	res, ok := runValidator(t, append(bad, goods...))
	if ok {
		t.Fatal("the validator accepted invalid resources")
	}
	for _, f := range bad {
		if !strings.HasPrefix(res[f], "FAIL") {
			t.Errorf("not rejected: %s", res[f])
		}
	}
	for _, f := range goods {
		if !strings.HasPrefix(res[f], "OK") {
			t.Errorf("valid resource rejected: %s", res[f])
		}
	}
	if !strings.Contains(res[bad[4]], "immunization-status") {
		t.Errorf("status done rejected for another reason: %s", res[bad[4]])
	}
}

// withStatus is a structurally valid Immunization with the given status.
func withStatus(status string) map[string]any {
	return map[string]any{"resourceType": "Immunization", "status": status,
		"vaccineCode": map[string]any{"coding": []any{map[string]any{"system": "http://hl7.org/fhir/sid/cvx", "code": "207"}}},
		"patient":     map[string]any{"reference": "Patient/x"}, "occurrenceDateTime": "2021-03-01"}
}

func sharedFileOr(t *testing.T, rel string) []byte {
	b, err := os.ReadFile(filepath.Join(sharedFHIR, rel))
	if err != nil {
		return []byte(`{"resourceType":"Bundle","type":"collection","entry":[]}`)
	}
	return b
}

type httpRequest = http.Request

func newRecorder() *httptest.ResponseRecorder { return httptest.NewRecorder() }

func newGet(path string) *http.Request { return httptest.NewRequest("GET", path, nil) }
