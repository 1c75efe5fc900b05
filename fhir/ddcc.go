package fhir

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"

	"vaxtrace"
)

// Organization is the subset of the R4 Organization vaxtrace writes.
type Organization struct {
	ResourceType string       `json:"resourceType"`
	ID           string       `json:"id,omitempty"`
	Meta         *Meta        `json:"meta,omitempty"`
	Identifier   []Identifier `json:"identifier,omitempty"`
	Name         string       `json:"name"`
	Address      []Address    `json:"address,omitempty"`
}

// CompositionAttester is Composition.attester.
type CompositionAttester struct {
	Mode  string     `json:"mode"`
	Party *Reference `json:"party"`
}

// Period is a FHIR Period.
type Period struct {
	Start string `json:"start,omitempty"`
	End   string `json:"end,omitempty"`
}

// CompositionEvent is Composition.event.
type CompositionEvent struct {
	Period *Period `json:"period,omitempty"`
}

// CompositionSection is Composition.section.
type CompositionSection struct {
	Title string          `json:"title,omitempty"`
	Code  CodeableConcept `json:"code"`
	Focus *Reference      `json:"focus,omitempty"`
	Entry []Reference     `json:"entry,omitempty"`
}

// Composition is the subset of the R4 Composition a DDCC:VS document needs.
type Composition struct {
	ResourceType string                `json:"resourceType"`
	ID           string                `json:"id,omitempty"`
	Meta         *Meta                 `json:"meta,omitempty"`
	Identifier   *Identifier           `json:"identifier,omitempty"`
	Status       string                `json:"status"`
	Type         CodeableConcept       `json:"type"`
	Subject      *Reference            `json:"subject"`
	Date         string                `json:"date"`
	Author       []Reference           `json:"author"`
	Title        string                `json:"title"`
	Attester     []CompositionAttester `json:"attester"`
	Event        []CompositionEvent    `json:"event,omitempty"`
	Section      []CompositionSection  `json:"section"`
}

// DateCriterion is ImmunizationRecommendation.recommendation.dateCriterion.
type DateCriterion struct {
	Code  CodeableConcept `json:"code"`
	Value string          `json:"value"`
}

// Recommendation is ImmunizationRecommendation.recommendation.
type Recommendation struct {
	VaccineCode            []CodeableConcept `json:"vaccineCode,omitempty"`
	TargetDisease          *CodeableConcept  `json:"targetDisease,omitempty"`
	ForecastStatus         CodeableConcept   `json:"forecastStatus"`
	DateCriterion          []DateCriterion   `json:"dateCriterion,omitempty"`
	DoseNumberPositiveInt  int               `json:"doseNumberPositiveInt,omitempty"`
	SeriesDosesPositiveInt int               `json:"seriesDosesPositiveInt,omitempty"`
	SupportingImmunization []Reference       `json:"supportingImmunization,omitempty"`
}

// ImmunizationRecommendation is the subset of the R4 resource DDCC uses
// for the next dose.
type ImmunizationRecommendation struct {
	ResourceType   string           `json:"resourceType"`
	ID             string           `json:"id,omitempty"`
	Meta           *Meta            `json:"meta,omitempty"`
	Patient        *Reference       `json:"patient"`
	Date           string           `json:"date"`
	Authority      *Reference       `json:"authority,omitempty"`
	Recommendation []Recommendation `json:"recommendation"`
}

// uuidURN derives a stable urn:uuid from a seed (name-based, SHA-256,
// version bits set as for a version 5 UUID).
func uuidURN(seed string) string {
	h := sha256.Sum256([]byte(seed))
	h[6] = h[6]&0x0f | 0x50
	h[8] = h[8]&0x3f | 0x80
	x := hex.EncodeToString(h[:16])
	return "urn:uuid:" + x[0:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:32]
}

// HealthCertificate builds the DDCC:VS document of an issued certificate:
// a document Bundle (DDCCDocument) with the Composition (DDCCComposition:
// the health certificate identifier HCID = the certificate's UVCI, the
// issuer as attester, the vaccination section focused on the dose), the
// Patient, the issuing Organization, the Immunization (brand, market
// authorization holder, lot, dose and total doses, country) and, when the
// primary series is not complete, an ImmunizationRecommendation with the
// due date of the next dose. It is what the DDCC guide's
// $generateHealthCertificate operation returns, for a certificate vaxtrace
// has issued. iin is the person's clear IIN ("" for a person without one).
// s must be read under the engine's read lock.
func HealthCertificate(s *vaxtrace.State, uvci, iin string) (Bundle, error) {
	c := s.Certificate(uvci)
	if c == nil {
		return Bundle{}, vaxtrace.NotFound("hcid", "no certificate %q", uvci)
	}
	if c.Revoked {
		return Bundle{}, vaxtrace.Errorf(vaxtrace.ECONFLICT, "certificate %s was revoked (%s); issue a new one", uvci, c.RevokedBy)
	}
	d := s.Dose(c.Dose)
	p := s.Person(c.Person)
	if d == nil || d.Voided() || p == nil {
		return Bundle{}, vaxtrace.Errorf(vaxtrace.ECONFLICT, "certificate %s no longer describes a valid dose", uvci)
	}
	im := ImmunizationOf(d, s)
	if im.Meta == nil {
		return Bundle{}, vaxtrace.Errorf(vaxtrace.EINVALID, "dose %q is not a COVID-19 vaccination with a place and a dose number; a DDCC:VS document describes one", d.ID)
	}
	pt := PatientOf(p, s, "")
	if iin != "" {
		pt.Identifier = []Identifier{iinIdentifier(iin)}
	}
	issued := fhirTime(c.Issued)
	urn := func(kind string) string { return uuidURN(uvci + "/" + kind) }
	org := Organization{ResourceType: "Organization", Meta: &Meta{Profile: []string{DDCCOrganizationProfile}},
		Identifier: []Identifier{{System: authorityIdentifierSystem, Value: DefaultAuthority.Alpha2}}, Name: DefaultAuthority.Name, Address: []Address{{Country: DefaultAuthority.Alpha2}}}
	orgRef := &Reference{Reference: urn("Organization"), Type: "Organization", Display: DefaultAuthority.Name}
	patRef := &Reference{Reference: urn("Patient")}
	immRef := Reference{Reference: urn("Immunization")}
	im.Patient = patRef
	im.ProtocolApplied[0].Authority = orgRef
	comp := Composition{ResourceType: "Composition", Meta: &Meta{Profile: []string{DDCCCompositionProfile}},
		Identifier: &Identifier{System: HCIDSystem, Value: uvci},
		Status:     "final", Type: CodeableConcept{Coding: []Coding{{System: LOINCSystem, Code: LOINCCertificate}}},
		Subject: patRef, Date: issued, Author: []Reference{*orgRef}, Title: ddccCertificateTitle,
		Attester: []CompositionAttester{{Mode: "official", Party: orgRef}},
		Section:  []CompositionSection{{Code: CodeableConcept{Coding: []Coding{{System: LOINCSystem, Code: LOINCVaccinationSection}}}, Focus: &immRef, Entry: []Reference{immRef}}}}
	if !c.Expiry.IsZero() {
		comp.Event = []CompositionEvent{{Period: &Period{Start: issued, End: fhirTime(c.Expiry)}}}
	}
	entries := []struct {
		url string
		v   any
	}{{urn("Composition"), comp}, {urn("Patient"), pt}, {urn("Organization"), org}, {urn("Immunization"), im}}
	if prod := s.Product(d.LotOf().Product); prod != nil && !d.Booster() && !d.Complete() && d.Number() < prod.SeriesDoses {
		next := vaxtrace.DateOf(d.At()).AddDays(max(prod.IntervalDays, 1))
		rec := ImmunizationRecommendation{ResourceType: "ImmunizationRecommendation", Meta: &Meta{Profile: []string{DDCCRecommendationProfile}},
			Patient: patRef, Date: issued, Authority: orgRef,
			Recommendation: []Recommendation{{VaccineCode: []CodeableConcept{VaccineCode(prod)}, TargetDisease: &covidDisease[0],
				ForecastStatus:         CodeableConcept{Coding: []Coding{{System: recommendationStatusSystem, Code: "due"}}},
				DateCriterion:          []DateCriterion{{Code: CodeableConcept{Coding: []Coding{{System: LOINCSystem, Code: LOINCNextDoseDate}}}, Value: next.String()}},
				DoseNumberPositiveInt:  d.Number() + 1,
				SeriesDosesPositiveInt: prod.SeriesDoses,
				SupportingImmunization: []Reference{immRef}}}}
		entries = append(entries, struct {
			url string
			v   any
		}{urn("ImmunizationRecommendation"), rec})
		comp.Section[0].Entry = append(comp.Section[0].Entry, Reference{Reference: urn("ImmunizationRecommendation")})
		entries[0].v = comp
	}
	b := Bundle{ResourceType: "Bundle", ID: "ddcc-" + ImmunizationID(uvci), Type: "document", Timestamp: issued,
		Identifier: &Identifier{System: HCIDSystem, Value: uvci},
		Link:       []BundleLink{{Relation: "publication", URL: uvci}},
		Meta:       &Meta{Profile: []string{DDCCDocumentProfile}}}
	for _, e := range entries {
		raw, err := json.Marshal(e.v)
		if err != nil {
			return Bundle{}, err
		}
		b.Entry = append(b.Entry, BundleEntry{FullURL: e.url, Resource: raw})
	}
	return b, nil
}
