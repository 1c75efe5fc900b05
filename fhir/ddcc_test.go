package fhir

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"vaxtrace"
	"vaxtrace/engine"
)

// The WHO DDCC profiles could not be loaded by a validator here (their FHIR
// packages are on neither the npm registry nor the Go module proxy), so
// their requirements are encoded below as assertions, each citing the rule
// of the published FHIR Shorthand source (github.com/WorldHealthOrganization/ddcc,
// input/fsh/). The independent R4 validator (validator_test.go) checks the
// same resources against base R4.

// ddccBrands is the WHO DDCC brand value set (ddcc-vs-valuesets.fsh,
// ValueSet WHO_DDCC_Brands_COVID_19, ICD-11 codes).
var ddccBrands = []string{"XM7HT3", "XM8866", "XM9TQ1", "XM1G90", "XM85P5", "XM9FQ7", "XM97N6", "XM2YG8", "XM4YL8", "XM97T2", "XM6QV1", "XM1AG7", "XM5ZJ4", "XM5QM6", "XM3PG0", "XM4EC8", "XM6SZ8", "XM52P3", "XM8NQ0", "XM3DT5"}

type jm = map[string]any

func arr(v any) []any  { a, _ := v.([]any); return a }
func jobj(v any) jm    { m, _ := v.(map[string]any); return m }
func str(v any) string { s, _ := v.(string); return s }

func hasProfile(r jm, p string) bool {
	for _, x := range arr(jobj(r["meta"])["profile"]) {
		if x == p {
			return true
		}
	}
	return false
}

func extensions(r jm, url string) []jm {
	var out []jm
	for _, e := range arr(r["extension"]) {
		if str(jobj(e)["url"]) == url {
			out = append(out, jobj(e))
		}
	}
	return out
}

var dateRE = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

// checkDDCCPatient asserts ddcc-patient.fsh (Profile DDCCPatient).
func checkDDCCPatient(r jm) []string {
	var bad []string
	if !hasProfile(r, DDCCPatientProfile) {
		bad = append(bad, "meta.profile does not declare DDCCPatient")
	}
	// * name contains ddccName 1..1 MS; * name[ddccName].text 1..1; * name[ddccName].use = #official
	official := 0
	for _, n := range arr(r["name"]) {
		if str(jobj(n)["use"]) == "official" {
			official++
			if str(jobj(n)["text"]) == "" {
				bad = append(bad, "name[ddccName].text is missing (1..1)")
			}
		}
	}
	if official != 1 {
		bad = append(bad, fmt.Sprintf("%d official names, the ddccName slice is 1..1", official))
	}
	// * identifier[ddccIdentifier].system 1..1, .value 1..1, .assigner 1..1 only Reference(DDCCOrganization)
	for _, id := range arr(r["identifier"]) {
		i := jobj(id)
		if str(i["system"]) == "" || str(i["value"]) == "" {
			bad = append(bad, "identifier without system or value")
		}
		if a := jobj(i["assigner"]); a == nil || (str(a["type"]) != "Organization" && !strings.HasPrefix(str(a["reference"]), "Organization")) {
			bad = append(bad, "identifier.assigner is not a Reference(Organization) (1..1)")
		}
	}
	// * gender 0..1 (administrative-gender, required in R4); * birthDate 0..1 (date)
	if g := str(r["gender"]); g != "" && !slices.Contains([]string{"male", "female", "other", "unknown"}, g) {
		bad = append(bad, "gender "+g)
	}
	if b := str(r["birthDate"]); b != "" && !dateRE.MatchString(b) {
		bad = append(bad, "birthDate "+b)
	}
	return bad
}

// checkDDCCImmunization asserts ddcc-immunization.fsh (Profile
// DDCCImmunization) and the vaccination data of ddcc-core-data-set.fsh
// (Logical DDCCCoreDataSet_VS).
func checkDDCCImmunization(r jm) []string {
	var bad []string
	if !hasProfile(r, DDCCImmunizationProfile) {
		bad = append(bad, "meta.profile does not declare DDCCImmunization")
	}
	// * extension contains DDCCVaccineBrand named vaccineBrand 1..1 MS (value[x] only Coding, valueCoding 1..1)
	brand := extensions(r, DDCCVaccineBrandExt)
	if len(brand) != 1 || str(jobj(brand[0]["valueCoding"])["code"]) == "" || str(jobj(brand[0]["valueCoding"])["system"]) == "" {
		bad = append(bad, "vaccineBrand extension must be 1..1 with a valueCoding")
	} else if c := jobj(brand[0]["valueCoding"]); str(c["system"]) == ICD11System && !slices.Contains(ddccBrands, str(c["code"])) {
		bad = append(bad, "brand "+str(c["code"])+" is not in WHO_DDCC_Brands_COVID_19")
	}
	// * extension contains DDCCVaccineMarketAuthorization named vaccineMarketAuthorization 0..1 (valueCoding 1..1)
	ma := extensions(r, DDCCMarketAuthorizationExt)
	if len(ma) > 1 || (len(ma) == 1 && jobj(ma[0]["valueCoding"]) == nil) {
		bad = append(bad, "vaccineMarketAuthorization extension must be 0..1 with a valueCoding")
	}
	// * extension contains DDCCCountryOfVaccination named country 1..1 (value[x] only code, from iso3166-1-3 preferred)
	country := extensions(r, DDCCCountryOfVaccinationExt)
	if len(country) != 1 || !regexp.MustCompile(`^[A-Z]{3}$`).MatchString(str(country[0]["valueCode"])) {
		bad = append(bad, "country extension must be 1..1 with an ISO 3166-1 alpha-3 valueCode")
	}
	// * vaccineCode 1..1; vaccineCode.coding contains ddccVaccine 1..1 (system 1..1, code 1..1)
	ok := false
	for _, c := range arr(jobj(r["vaccineCode"])["coding"]) {
		if str(jobj(c)["system"]) != "" && str(jobj(c)["code"]) != "" {
			ok = true
		}
	}
	if !ok {
		bad = append(bad, "vaccineCode has no coding with system and code")
	}
	// * location 1..1 MS; * location.display 1..1 MS
	if str(jobj(r["location"])["display"]) == "" {
		bad = append(bad, "location.display is missing (1..1)")
	}
	// * occurrence[x] 1..1 only dateTime
	if str(r["occurrenceDateTime"]) == "" {
		bad = append(bad, "occurrenceDateTime is missing")
	}
	// * patient only Reference(DDCCPatient)
	if jobj(r["patient"]) == nil {
		bad = append(bad, "patient is missing")
	}
	// core data set: lot 1..1; invariant who-ddcc-data-1: manufacturer.exists() or maholder.exists()
	if str(r["lotNumber"]) == "" {
		bad = append(bad, "lotNumber (core data set lot 1..1) is missing")
	}
	if jobj(r["manufacturer"]) == nil && len(ma) == 0 {
		bad = append(bad, "who-ddcc-data-1: neither manufacturer nor market authorization holder")
	}
	// * protocolApplied contains protocolAppliedAuthority 1.. (discriminator: type of authority)
	//   .authority only Reference(DDCCOrganization); .doseNumber[x] 1..1 only positiveInt;
	//   .seriesDoses[x] 0..1 only positiveInt; core data set disease: WHO_DDCC_Disease_Targeted_COVID_19 (ICD-11 RA01)
	slices := 0
	for _, p := range arr(r["protocolApplied"]) {
		pa := jobj(p)
		a := jobj(pa["authority"])
		if a == nil || (str(a["type"]) != "Organization" && !strings.Contains(str(a["reference"]), "Organization")) && !strings.HasPrefix(str(a["reference"]), "urn:uuid:") {
			continue
		}
		slices++
		if n, ok := pa["doseNumberPositiveInt"].(float64); !ok || n < 1 {
			bad = append(bad, "protocolApplied.doseNumberPositiveInt is missing (1..1 only positiveInt)")
		}
		if _, ok := pa["doseNumberString"]; ok {
			bad = append(bad, "protocolApplied.doseNumber is a string; the profile allows positiveInt only")
		}
		if v, ok := pa["seriesDosesPositiveInt"]; ok && v.(float64) < 1 {
			bad = append(bad, "seriesDoses is not a positiveInt")
		}
		icd := false
		for _, td := range arr(pa["targetDisease"]) {
			for _, c := range arr(jobj(td)["coding"]) {
				if str(jobj(c)["system"]) == ICD11System && str(jobj(c)["code"]) == "RA01" {
					icd = true
				}
			}
		}
		if !icd {
			bad = append(bad, "targetDisease lacks ICD-11 RA01 (WHO_DDCC_Disease_Targeted_COVID_19)")
		}
	}
	if slices < 1 {
		bad = append(bad, "no protocolApplied with an Organization authority (protocolAppliedAuthority 1..)")
	}
	return bad
}

// checkDDCCDocument asserts ddcc-composition.fsh (Profiles DDCCDocument and
// DDCCComposition) and DDCCImmunizationRecommendation of
// ddcc-immunization.fsh, and that the document carries the DDCC:VS core
// data set (ddcc-core-data-set.fsh: hcid, brand, manufacturer or holder,
// lot, dose, total doses, country, next dose).
func checkDDCCDocument(t *testing.T, doc jm, uvci string, wantNext bool) {
	t.Helper()
	fail := func(format string, args ...any) { t.Errorf("DDCC document: "+format, args...) }
	// * type = #document; * identifier 1..; * timestamp MS; * link contains hcid 1..1 (relation = "publication", url 1..1)
	if doc["type"] != "document" || jobj(doc["identifier"]) == nil || str(doc["timestamp"]) == "" {
		fail("type %v, identifier %v, timestamp %v", doc["type"], doc["identifier"], doc["timestamp"])
	}
	hcid := ""
	for _, l := range arr(doc["link"]) {
		if str(jobj(l)["relation"]) == "publication" {
			hcid = str(jobj(l)["url"])
		}
	}
	if hcid != uvci {
		fail("link[hcid] url %q, want the certificate's UVCI %q", hcid, uvci)
	}
	// * entry contains ddccComposition 1..1 and ddccPatient 1..1 and ddccOrganization 1..1 and
	//   ddccImmunization 1..1 and ddccImmunizationRecommendation 0..1 and ddccQR 0..* (rules #closed)
	byURL := map[string]jm{}
	count := map[string]int{}
	for i, e := range arr(doc["entry"]) {
		r := jobj(jobj(e)["resource"])
		rt := str(r["resourceType"])
		count[rt]++
		byURL[str(jobj(e)["fullUrl"])] = r
		if i == 0 && rt != "Composition" {
			fail("the first entry of a document must be the Composition (R4 Bundle bdl-11), got %s", rt)
		}
	}
	want := map[string]int{"Composition": 1, "Patient": 1, "Organization": 1, "Immunization": 1}
	if wantNext {
		want["ImmunizationRecommendation"] = 1
	}
	for rt, n := range count {
		if want[rt] != n {
			fail("%d %s entries, want %d (closed slicing)", n, rt, want[rt])
		}
	}
	resolve := func(ref jm, rt string) jm {
		r := byURL[str(ref["reference"])]
		if r == nil || str(r["resourceType"]) != rt {
			fail("reference %v does not resolve to a %s in the document", ref, rt)
		}
		return r
	}
	var comp, imm, pat jm
	for _, r := range byURL {
		switch str(r["resourceType"]) {
		case "Composition":
			comp = r
		case "Immunization":
			imm = r
		case "Patient":
			pat = r
		case "Organization":
			// DDCCOrganization: * name MS
			if str(r["name"]) == "" || !hasProfile(r, DDCCOrganizationProfile) {
				fail("Organization %v", r)
			}
		case "ImmunizationRecommendation":
			// DDCCImmunizationRecommendation: patient 1..1, date 1..1, recommendation 1..1 with vaccineCode 1..1,
			// forecastStatus = #due, dateCriterion 1..1 code = LOINC 30980-7 and value 1..1,
			// supportingImmunization 1..1 only Reference(DDCCImmunization)
			rec := arr(r["recommendation"])
			if len(rec) != 1 || str(r["date"]) == "" || !hasProfile(r, DDCCRecommendationProfile) {
				fail("ImmunizationRecommendation %v", r)
				break
			}
			rc := jobj(rec[0])
			resolve(jobj(r["patient"]), "Patient")
			if len(arr(rc["vaccineCode"])) != 1 || str(jobj(arr(jobj(rc["forecastStatus"])["coding"])[0])["code"]) != "due" {
				fail("recommendation vaccineCode/forecastStatus %v", rc)
			}
			dc := arr(rc["dateCriterion"])
			if len(dc) != 1 || str(jobj(arr(jobj(jobj(dc[0])["code"])["coding"])[0])["code"]) != LOINCNextDoseDate || !dateRE.MatchString(str(jobj(dc[0])["value"])) {
				fail("dateCriterion (next dose) %v", dc)
			}
			if si := arr(rc["supportingImmunization"]); len(si) != 1 {
				fail("supportingImmunization %v", si)
			} else {
				resolve(jobj(si[0]), "Immunization")
			}
		}
	}
	if comp == nil || imm == nil || pat == nil {
		t.Fatal("DDCC document lacks Composition, Immunization or Patient")
	}
	// DDCCComposition: * identifier 1.. (system 1.., value 1..); * type = LOINC#82593-5; * title 1.. = fixed;
	// * subject 1..1 only Reference(DDCCPatient); * attester 1..1 (mode = #official, party 1..1 only Reference(DDCCOrganization));
	// * section contains vaccination 1..1 (code = LOINC#11369-6, focus 1..1 only Reference(DDCCImmunization)); rules #closed.
	// R4 Composition: date 1..1, author 1..*.
	if !hasProfile(comp, DDCCCompositionProfile) || str(jobj(comp["identifier"])["value"]) != uvci || str(jobj(comp["identifier"])["system"]) == "" {
		fail("Composition profile/identifier %v %v", comp["meta"], comp["identifier"])
	}
	if c := jobj(arr(jobj(comp["type"])["coding"])[0]); str(c["system"]) != LOINCSystem || str(c["code"]) != "82593-5" {
		fail("Composition.type %v", c)
	}
	if comp["title"] != "Digital Documentation of COVID-19 Certificate (DDCC)" || str(comp["date"]) == "" || len(arr(comp["author"])) == 0 {
		fail("Composition title/date/author %v %v %v", comp["title"], comp["date"], comp["author"])
	}
	resolve(jobj(comp["subject"]), "Patient")
	att := arr(comp["attester"])
	if len(att) != 1 || str(jobj(att[0])["mode"]) != "official" {
		fail("attester %v", att)
	} else {
		resolve(jobj(jobj(att[0])["party"]), "Organization")
	}
	sec := arr(comp["section"])
	if len(sec) != 1 {
		fail("%d sections, the vaccination section is 1..1 and the slicing closed", len(sec))
	} else {
		s := jobj(sec[0])
		if c := jobj(arr(jobj(s["code"])["coding"])[0]); str(c["code"]) != LOINCVaccinationSection {
			fail("section code %v", c)
		}
		resolve(jobj(s["focus"]), "Immunization")
		for _, e := range arr(s["entry"]) {
			ref := str(jobj(e)["reference"])
			if rt := str(byURL[ref]["resourceType"]); rt != "Immunization" && rt != "ImmunizationRecommendation" {
				fail("section entry %s is a %s (only DDCCImmunization, QR or recommendation)", ref, rt)
			}
		}
	}
	for _, b := range checkDDCCPatient(pat) {
		fail("Patient: %s", b)
	}
	for _, b := range checkDDCCImmunization(imm) {
		fail("Immunization: %s", b)
	}
	resolve(jobj(imm["patient"]), "Patient")
	// DDCC:VS core data set: name, birthDate, identifier, hcid, brand, lot, date, dose, totalDoses, country
	if str(pat["birthDate"]) == "" || str(jobj(arr(pat["name"])[0])["text"]) == "" || len(arr(pat["identifier"])) == 0 {
		fail("core data set: name, birthDate or identifier missing")
	}
	if pa := jobj(arr(imm["protocolApplied"])[0]); pa["seriesDosesPositiveInt"] == nil {
		fail("core data set totalDoses missing")
	}
}

// issueCert records a certificate for a dose (as the certs package does).
func issueCert(t *testing.T, eng *engine.Engine, uvci string, dose string) {
	t.Helper()
	var pid vaxtrace.PersonID
	eng.Read(func(s *vaxtrace.State) { pid = s.Dose(dose).Person(s) })
	issued := time.Date(2021, 5, 1, 9, 0, 0, 0, time.UTC)
	submit(t, eng, []engine.Command{cmd("cert:"+uvci, vaxtrace.CertificateIssued{UVCI: uvci, Person: pid, Dose: dose, KID: "k1", Issued: issued, Expiry: issued.AddDate(1, 0, 0)})})
}

// TestDDCCProfiles: every exported COVID-19 Patient and valid Immunization
// satisfies the DDCC profiles' rules; the DDCC:VS document of a certificate
// satisfies DDCCDocument, DDCCComposition and the core data set, with the
// next dose when the series is incomplete; the checks fail on a resource
// that breaks them.
func TestDDCCProfiles(t *testing.T) {
	ctx := context.Background()
	keys := testKeys(t)
	eng := newEngine(t)
	seedBase(t, eng, 1000)
	seedPeople(t, eng, keys, 30)
	b := bufs{}
	if err := ExportNDJSON(ctx, eng, keys, "", b.w, nil); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, rt := range []string{"Patient", "Immunization"} {
		for _, line := range strings.Split(strings.TrimSpace(b[rt].String()), "\n") {
			var r jm
			json.Unmarshal([]byte(line), &r)
			var bad []string
			switch {
			case rt == "Patient":
				bad = checkDDCCPatient(r)
			case r["status"] == "entered-in-error":
				if r["meta"] != nil {
					bad = []string{"a voided dose declares the DDCC profile"}
				}
				continue
			default:
				bad = checkDDCCImmunization(r)
			}
			for _, x := range bad {
				t.Errorf("%s %s: %s\n%s", rt, r["id"], x, line)
			}
			n++
		}
	}
	if n < 60 {
		t.Fatalf("checked %d resources", n)
	}

	// person 0 has one Sputnik V dose: the document recommends the second
	issueCert(t, eng, "URN:UVCI:01:KZ:VAXTRACE0001#A", "d000000-1")
	// person 5 completed the series: no next dose
	issueCert(t, eng, "URN:UVCI:01:KZ:VAXTRACE0002#B", "d000005-2")
	h := Handler(eng, keys, func(*http.Request) (vaxtrace.Principal, error) { return admin, nil })
	for _, c := range []struct {
		uvci string
		next bool
	}{{"URN:UVCI:01:KZ:VAXTRACE0001#A", true}, {"URN:UVCI:01:KZ:VAXTRACE0002#B", false}} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/fhir/$generateHealthCertificate?hcid="+strings.ReplaceAll(c.uvci, "#", "%23"), nil))
		if rec.Code != 200 {
			t.Fatalf("%d %s", rec.Code, rec.Body.String())
		}
		var doc jm
		json.Unmarshal(rec.Body.Bytes(), &doc)
		checkDDCCDocument(t, doc, c.uvci, c.next)
		if c.next {
			var next string
			for _, e := range arr(doc["entry"]) {
				if r := jobj(jobj(e)["resource"]); r["resourceType"] == "ImmunizationRecommendation" {
					next = str(jobj(arr(jobj(arr(r["recommendation"])[0])["dateCriterion"])[0])["value"])
				}
			}
			if next != "2021-03-22" { // dose 1 on 1 March + 21 days
				t.Errorf("next dose %q, want 2021-03-22", next)
			}
			if !strings.Contains(rec.Body.String(), iinFor(0)) {
				t.Error("the document does not carry the person's IIN")
			}
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/fhir/$generateHealthCertificate?hcid=nope", nil))
	if rec.Code != 404 {
		t.Errorf("unknown certificate: %d", rec.Code)
	}

	// negative control: the checks catch resources that break the rules
	var good jm
	json.Unmarshal([]byte(strings.Split(b["Immunization"].String(), "\n")[0]), &good)
	breaks := map[string]func(r jm){
		"no brand":        func(r jm) { r["extension"] = arr(r["extension"])[1:] },
		"no country":      func(r jm) { r["extension"] = arr(r["extension"])[:2] },
		"string dose":     func(r jm) { jobj(arr(r["protocolApplied"])[0])["doseNumberString"] = "1" },
		"no authority":    func(r jm) { delete(jobj(arr(r["protocolApplied"])[0]), "authority") },
		"no lot":          func(r jm) { delete(r, "lotNumber") },
		"no location":     func(r jm) { delete(r, "location") },
		"no profile":      func(r jm) { delete(r, "meta") },
		"brand not in VS": func(r jm) { jobj(arr(r["extension"])[0])["valueCoding"] = jm{"system": ICD11System, "code": "XM0000"} },
	}
	for name, brk := range breaks {
		var r jm
		raw, _ := json.Marshal(good)
		json.Unmarshal(raw, &r)
		brk(r)
		if len(checkDDCCImmunization(r)) == 0 {
			t.Errorf("the check accepted an Immunization with %s", name)
		}
	}
	var pt jm
	json.Unmarshal([]byte(strings.Split(b["Patient"].String(), "\n")[0]), &pt)
	delete(jobj(arr(pt["name"])[0]), "text")
	delete(jobj(arr(pt["identifier"])[0]), "assigner")
	if len(checkDDCCPatient(pt)) != 2 {
		t.Errorf("the Patient check missed a broken name or assigner: %v", checkDDCCPatient(pt))
	}
}
