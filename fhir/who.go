package fhir

import (
	"strings"

	"vaxtrace"
)

// WHO Digital Documentation of COVID-19 Certificates (DDCC), vaccination
// status (DDCC:VS). The profiles and extensions are those of the WHO DDCC
// implementation guide (canonical http://smart.who.int/ddcc; FHIR Shorthand
// sources input/fsh/ddcc-patient.fsh, ddcc-immunization.fsh,
// ddcc-composition.fsh, ddcc-organization.fsh and ddcc-core-data-set.fsh of
// github.com/WorldHealthOrganization/ddcc). What each requires, and how the
// tests check it, is in ddcc_test.go.
const (
	DDCCBase                     = "http://smart.who.int/ddcc/StructureDefinition/"
	DDCCPatientProfile           = DDCCBase + "DDCCPatient"
	DDCCImmunizationProfile      = DDCCBase + "DDCCImmunization"
	DDCCOrganizationProfile      = DDCCBase + "DDCCOrganization"
	DDCCCompositionProfile       = DDCCBase + "DDCCComposition"
	DDCCDocumentProfile          = DDCCBase + "DDCCDocument"
	DDCCRecommendationProfile    = DDCCBase + "DDCCImmunizationRecommendation"
	DDCCVaccineBrandExt          = DDCCBase + "DDCCVaccineBrand"
	DDCCMarketAuthorizationExt   = DDCCBase + "DDCCVaccineMarketAuthorization"
	DDCCCountryOfVaccinationExt  = DDCCBase + "DDCCCountryOfVaccination"
	HCIDSystem                   = "http://vaxtrace.kz/fhir/sid/hcid"      // health certificate identifier: the certificate's UVCI
	MAHolderSystem               = "http://vaxtrace.kz/fhir/sid/ma-holder" // EU DCC marketing authorisation holder codes (vaccines-covid-19-auth-holders), else the catalog's holder name
	ICD11COVID19                 = "RA01"                                  // ICD-11 COVID-19, the DDCC "disease or agent targeted"
	LOINCSystem                  = "http://loinc.org"
	LOINCVaccinationSection      = "11369-6" // History of Immunization Narrative
	LOINCCertificate             = "82593-5" // Immunization summary report
	LOINCNextDoseDate            = "30980-7" // Date vaccine due
	recommendationStatusSystem   = "http://terminology.hl7.org/CodeSystem/immunization-recommendation-status"
	authorityIdentifierSystem    = "urn:iso:std:iso:3166"
	ddccCertificateTitle         = "Digital Documentation of COVID-19 Certificate (DDCC)"
	ddccOrganizationResourceName = "Organization"
)

// Authority is the public health authority that runs the registry: the
// assigner of person identifiers, the authority of every protocol applied
// and the issuer of DDCC:VS certificates. Country is its ISO 3166-1
// alpha-3 code, the DDCC "country of vaccination".
type Authority struct {
	Name    string
	Country string // alpha-3, e.g. KAZ
	Alpha2  string // e.g. KZ
}

// DefaultAuthority is Kazakhstan's Ministry of Health.
var DefaultAuthority = Authority{Name: "Ministry of Health of the Republic of Kazakhstan", Country: "KAZ", Alpha2: "KZ"}

// reference refers to the authority by identifier (a logical reference:
// bulk exports carry no Organization resource).
func (a Authority) reference() *Reference {
	return &Reference{Type: ddccOrganizationResourceName, Identifier: &Identifier{System: authorityIdentifierSystem, Value: a.Alpha2}, Display: a.Name}
}

// iinIdentifier is a person's IIN as a Patient identifier, assigned by the
// authority (DDCCPatient: identifier.assigner 1..1).
func iinIdentifier(iin string) Identifier {
	return Identifier{Use: "official", System: IINSystem, Value: iin, Assigner: DefaultAuthority.reference()}
}

// fullName is HumanName.text: given names then family name (DDCCPatient:
// name.text 1..1).
func fullName(given, family string) string {
	return strings.TrimSpace(strings.TrimSpace(given) + " " + family)
}

// brandCoding is the DDCC "vaccine brand": the product's ICD-11 code (the
// WHO DDCC brand list is ICD-11), else its vaxtrace product code.
func brandCoding(p *vaxtrace.Product) *Coding {
	if p.Codes.ICD11 != "" {
		return &Coding{System: ICD11System, Code: p.Codes.ICD11, Display: p.Name}
	}
	return &Coding{System: ProductSystem, Code: p.Code, Display: p.Name}
}

// holderCoding is the DDCC "market authorization holder".
func holderCoding(p *vaxtrace.Product) *Coding {
	if p.Holder == "" && p.Codes.DCCManufacturer == "" {
		return nil
	}
	code := p.Codes.DCCManufacturer
	if code == "" {
		code = p.Code
	}
	return &Coding{System: MAHolderSystem, Code: code, Display: p.Holder}
}

// covidDisease is the target disease of a COVID-19 vaccine: SNOMED CT and
// the ICD-11 code of the DDCC value set (WHO_DDCC_Disease_Targeted_COVID_19).
var covidDisease = []CodeableConcept{{Coding: []Coding{
	{System: SNOMEDSystem, Code: COVID19SNOMED, Display: "COVID-19"},
	{System: ICD11System, Code: ICD11COVID19, Display: "COVID-19"},
}}}

// ddccExtensions are a product's DDCC Immunization extensions: brand,
// market authorization holder and country of vaccination (nil for a
// product that is not a COVID-19 vaccine).
func ddccExtensions(p *vaxtrace.Product) []Extension {
	if p.Disease != "" && !strings.EqualFold(p.Disease, vaxtrace.CampaignDisease) {
		return nil
	}
	ext := []Extension{{URL: DDCCVaccineBrandExt, ValueCoding: brandCoding(p)}}
	if c := holderCoding(p); c != nil {
		ext = append(ext, Extension{URL: DDCCMarketAuthorizationExt, ValueCoding: c})
	}
	return append(ext, Extension{URL: DDCCCountryOfVaccinationExt, ValueCode: DefaultAuthority.Country})
}

// shared by every exported Immunization; never modified
var (
	ddccMeta          = &Meta{Profile: []string{DDCCImmunizationProfile}}
	ddccAuthorityRef  = DefaultAuthority.reference()
	patientProfileIDs = []string{DDCCPatientProfile}
)

// ddccImmunization adds what the DDCC Immunization profile asks for to a
// valid (not voided) dose of a COVID-19 vaccine and declares the profile:
// the product's extensions (ddccExtensions, shared: never modified), the
// authority on the protocol applied. Other doses are left as they are.
func ddccImmunization(im *Immunization, ext []Extension) {
	if len(ext) == 0 || im.Status != "completed" || len(im.ProtocolApplied) == 0 || im.Location == nil || im.Location.Display == "" {
		return
	}
	if len(im.Extension) == 0 {
		im.Extension = ext[:len(ext):len(ext)]
	} else {
		im.Extension = append(append(make([]Extension, 0, len(ext)+len(im.Extension)), ext...), im.Extension...)
	}
	im.ProtocolApplied[0].Authority = ddccAuthorityRef
	im.Meta = ddccMeta
}
