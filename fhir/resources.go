package fhir

import "encoding/json"

// Identifier and code systems used by vaxtrace (see the package comment).
const (
	IINSystem        = "http://vaxtrace.kz/fhir/sid/iin"        // Kazakh individual identification number (12 digits)
	PersonSystem     = "http://vaxtrace.kz/fhir/sid/person"     // vaxtrace person id (32 hex digits), for people without an IIN
	DoseSystem       = "http://vaxtrace.kz/fhir/sid/dose"       // vaxtrace dose id (client-generated)
	PlaceSystem      = "http://vaxtrace.kz/fhir/sid/place"      // vaxtrace place id
	VaccinatorSystem = "http://vaxtrace.kz/fhir/sid/vaccinator" // vaccinator as recorded by the point
	ProductSystem    = "http://vaxtrace.kz/fhir/sid/product"    // vaxtrace product code (catalog), the unambiguous vaccine coding

	GroupExtension    = "http://vaxtrace.kz/fhir/StructureDefinition/priority-group"    // Patient: 2021 priority group (valueCode)
	OverrideExtension = "http://vaxtrace.kz/fhir/StructureDefinition/interval-override" // Immunization: clinician's reason to accept a short interval (valueString)
	VoidExtension     = "http://vaxtrace.kz/fhir/StructureDefinition/void-reason"       // Immunization: why it was entered in error (valueString)

	CVXSystem       = "http://hl7.org/fhir/sid/cvx"
	ICD11System     = "http://id.who.int/icd11/mms"
	DCCEUSystem     = "https://ec.europa.eu/health/documents/community-register/html/"
	DCCOtherSystem  = "http://ec.europa.eu/temp/vaccineproductname"
	SNOMEDSystem    = "http://snomed.info/sct"
	COVID19SNOMED   = "840539006"
	ContentType     = "application/fhir+json"
	FHIRVersion     = "4.0.1"
	performerAPCode = "AP"
	performerSystem = "http://terminology.hl7.org/CodeSystem/v2-0443"
)

// IINSystemAliases are other identifier systems accepted as an IIN on import.
var IINSystemAliases = []string{IINSystem}

// Coding is a FHIR Coding.
type Coding struct {
	System  string `json:"system,omitempty"`
	Code    string `json:"code,omitempty"`
	Display string `json:"display,omitempty"`
}

// CodeableConcept is a FHIR CodeableConcept.
type CodeableConcept struct {
	Coding []Coding `json:"coding,omitempty"`
	Text   string   `json:"text,omitempty"`
}

// Identifier is a FHIR Identifier.
type Identifier struct {
	Use      string     `json:"use,omitempty"`
	System   string     `json:"system,omitempty"`
	Value    string     `json:"value,omitempty"`
	Assigner *Reference `json:"assigner,omitempty"`
}

// Meta is Resource.meta (profiles only).
type Meta struct {
	Profile []string `json:"profile,omitempty"`
}

// Reference is a FHIR Reference.
type Reference struct {
	Reference  string      `json:"reference,omitempty"`
	Type       string      `json:"type,omitempty"`
	Identifier *Identifier `json:"identifier,omitempty"`
	Display    string      `json:"display,omitempty"`
}

// HumanName is a FHIR HumanName.
type HumanName struct {
	Use    string   `json:"use,omitempty"`
	Text   string   `json:"text,omitempty"`
	Family string   `json:"family,omitempty"`
	Given  []string `json:"given,omitempty"`
}

// Address is a FHIR Address (only the parts vaxtrace uses).
type Address struct {
	Use     string `json:"use,omitempty"`
	State   string `json:"state,omitempty"`
	Country string `json:"country,omitempty"`
}

// Extension is a FHIR extension with the value types vaxtrace uses.
type Extension struct {
	URL         string  `json:"url"`
	ValueCode   string  `json:"valueCode,omitempty"`
	ValueString string  `json:"valueString,omitempty"`
	ValueCoding *Coding `json:"valueCoding,omitempty"`
}

// Patient is the subset of the R4 Patient resource vaxtrace reads and writes.
type Patient struct {
	ResourceType string       `json:"resourceType"`
	ID           string       `json:"id,omitempty"`
	Meta         *Meta        `json:"meta,omitempty"`
	Extension    []Extension  `json:"extension,omitempty"`
	Identifier   []Identifier `json:"identifier,omitempty"`
	Name         []HumanName  `json:"name,omitempty"`
	Gender       string       `json:"gender,omitempty"`
	BirthDate    string       `json:"birthDate,omitempty"`
	Address      []Address    `json:"address,omitempty"`
}

// Quantity is a FHIR (Simple)Quantity.
type Quantity struct {
	Value  float64 `json:"value"`
	Unit   string  `json:"unit,omitempty"`
	System string  `json:"system,omitempty"`
	Code   string  `json:"code,omitempty"`
}

// Performer is Immunization.performer.
type Performer struct {
	Function *CodeableConcept `json:"function,omitempty"`
	Actor    Reference        `json:"actor"`
}

// Annotation is a FHIR Annotation (text only).
type Annotation struct {
	Text string `json:"text"`
}

// ProtocolApplied is Immunization.protocolApplied.
type ProtocolApplied struct {
	Series                 string            `json:"series,omitempty"`
	Authority              *Reference        `json:"authority,omitempty"`
	TargetDisease          []CodeableConcept `json:"targetDisease,omitempty"`
	DoseNumberPositiveInt  int               `json:"doseNumberPositiveInt,omitempty"`
	DoseNumberString       string            `json:"doseNumberString,omitempty"`
	SeriesDosesPositiveInt int               `json:"seriesDosesPositiveInt,omitempty"`
	SeriesDosesString      string            `json:"seriesDosesString,omitempty"`
}

// Immunization is the subset of the R4 Immunization resource vaxtrace reads and writes.
type Immunization struct {
	ResourceType       string            `json:"resourceType"`
	ID                 string            `json:"id,omitempty"`
	Meta               *Meta             `json:"meta,omitempty"`
	Extension          []Extension       `json:"extension,omitempty"`
	Identifier         []Identifier      `json:"identifier,omitempty"`
	Status             string            `json:"status,omitempty"`
	VaccineCode        *CodeableConcept  `json:"vaccineCode,omitempty"`
	Patient            *Reference        `json:"patient,omitempty"`
	OccurrenceDateTime string            `json:"occurrenceDateTime,omitempty"`
	OccurrenceString   string            `json:"occurrenceString,omitempty"`
	Recorded           string            `json:"recorded,omitempty"`
	PrimarySource      *bool             `json:"primarySource,omitempty"`
	Location           *Reference        `json:"location,omitempty"`
	Manufacturer       *Reference        `json:"manufacturer,omitempty"`
	LotNumber          string            `json:"lotNumber,omitempty"`
	ExpirationDate     string            `json:"expirationDate,omitempty"`
	DoseQuantity       *Quantity         `json:"doseQuantity,omitempty"`
	Performer          []Performer       `json:"performer,omitempty"`
	Note               []Annotation      `json:"note,omitempty"`
	ProtocolApplied    []ProtocolApplied `json:"protocolApplied,omitempty"`
}

// BundleLink is Bundle.link.
type BundleLink struct {
	Relation string `json:"relation"`
	URL      string `json:"url"`
}

// BundleSearch is Bundle.entry.search.
type BundleSearch struct {
	Mode string `json:"mode,omitempty"`
}

// BundleRequest is Bundle.entry.request.
type BundleRequest struct {
	Method string `json:"method"`
	URL    string `json:"url"`
}

// BundleEntry is Bundle.entry; Resource is kept raw (pass-through).
type BundleEntry struct {
	FullURL  string          `json:"fullUrl,omitempty"`
	Resource json.RawMessage `json:"resource,omitempty"`
	Search   *BundleSearch   `json:"search,omitempty"`
	Request  *BundleRequest  `json:"request,omitempty"`
}

// Bundle is a FHIR Bundle.
type Bundle struct {
	ResourceType string        `json:"resourceType"`
	ID           string        `json:"id,omitempty"`
	Meta         *Meta         `json:"meta,omitempty"`
	Identifier   *Identifier   `json:"identifier,omitempty"`
	Type         string        `json:"type"`
	Timestamp    string        `json:"timestamp,omitempty"`
	Total        *int          `json:"total,omitempty"`
	Link         []BundleLink  `json:"link,omitempty"`
	Entry        []BundleEntry `json:"entry,omitempty"`
}

// Issue is OperationOutcome.issue.
type Issue struct {
	Severity    string   `json:"severity"`
	Code        string   `json:"code"`
	Diagnostics string   `json:"diagnostics,omitempty"`
	Expression  []string `json:"expression,omitempty"`
}

// OperationOutcome is a FHIR OperationOutcome.
type OperationOutcome struct {
	ResourceType string  `json:"resourceType"`
	Issue        []Issue `json:"issue"`
}

// CapabilityStatement is the subset of the R4 CapabilityStatement vaxtrace publishes.
type CapabilityStatement struct {
	ResourceType   string       `json:"resourceType"`
	Status         string       `json:"status"`
	Date           string       `json:"date"`
	Publisher      string       `json:"publisher,omitempty"`
	Kind           string       `json:"kind"`
	Software       *CapSoftware `json:"software,omitempty"`
	Implementation *CapImpl     `json:"implementation,omitempty"`
	FHIRVersion    string       `json:"fhirVersion"`
	Format         []string     `json:"format"`
	Rest           []CapRest    `json:"rest"`
}

// CapSoftware is CapabilityStatement.software.
type CapSoftware struct {
	Name string `json:"name"`
}

// CapImpl is CapabilityStatement.implementation.
type CapImpl struct {
	Description string `json:"description"`
}

// CapRest is CapabilityStatement.rest.
type CapRest struct {
	Mode     string        `json:"mode"`
	Resource []CapResource `json:"resource"`
}

// CapResource is CapabilityStatement.rest.resource.
type CapResource struct {
	Type        string           `json:"type"`
	Interaction []CapInteraction `json:"interaction"`
	SearchParam []CapSearchParam `json:"searchParam,omitempty"`
}

// CapInteraction is CapabilityStatement.rest.resource.interaction.
type CapInteraction struct {
	Code string `json:"code"`
}

// CapSearchParam is CapabilityStatement.rest.resource.searchParam.
type CapSearchParam struct {
	Name          string `json:"name"`
	Type          string `json:"type"`
	Documentation string `json:"documentation,omitempty"`
}

// Outcome builds an OperationOutcome with one error issue.
func Outcome(code, diagnostics string, expression ...string) OperationOutcome {
	return OperationOutcome{ResourceType: "OperationOutcome", Issue: []Issue{{Severity: "error", Code: code, Diagnostics: diagnostics, Expression: expression}}}
}

// anyResource holds the elements of Patient and Immunization together, so
// that an imported resource is decoded once whatever its type.
type anyResource struct {
	ResourceType *string      `json:"resourceType"`
	ID           string       `json:"id"`
	Extension    []Extension  `json:"extension"`
	Identifier   []Identifier `json:"identifier"`
	// Patient
	Name      []HumanName `json:"name"`
	Gender    string      `json:"gender"`
	BirthDate string      `json:"birthDate"`
	Address   []Address   `json:"address"`
	// Immunization
	Status             string            `json:"status"`
	VaccineCode        *CodeableConcept  `json:"vaccineCode"`
	Patient            *Reference        `json:"patient"`
	OccurrenceDateTime string            `json:"occurrenceDateTime"`
	OccurrenceString   string            `json:"occurrenceString"`
	Recorded           string            `json:"recorded"`
	PrimarySource      *bool             `json:"primarySource"`
	Location           *Reference        `json:"location"`
	Manufacturer       *Reference        `json:"manufacturer"`
	LotNumber          string            `json:"lotNumber"`
	ExpirationDate     string            `json:"expirationDate"`
	DoseQuantity       *Quantity         `json:"doseQuantity"`
	Performer          []Performer       `json:"performer"`
	Note               []Annotation      `json:"note"`
	ProtocolApplied    []ProtocolApplied `json:"protocolApplied"`
}

func (u *anyResource) patient() Patient {
	return Patient{ResourceType: "Patient", ID: u.ID, Extension: u.Extension, Identifier: u.Identifier, Name: u.Name, Gender: u.Gender, BirthDate: u.BirthDate, Address: u.Address}
}

func (u *anyResource) immunization() Immunization {
	return Immunization{ResourceType: "Immunization", ID: u.ID, Extension: u.Extension, Identifier: u.Identifier, Status: u.Status, VaccineCode: u.VaccineCode,
		Patient: u.Patient, OccurrenceDateTime: u.OccurrenceDateTime, OccurrenceString: u.OccurrenceString, Recorded: u.Recorded, PrimarySource: u.PrimarySource,
		Location: u.Location, Manufacturer: u.Manufacturer, LotNumber: u.LotNumber, ExpirationDate: u.ExpirationDate, DoseQuantity: u.DoseQuantity,
		Performer: u.Performer, Note: u.Note, ProtocolApplied: u.ProtocolApplied}
}
