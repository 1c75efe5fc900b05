// Package fhir maps the vaxtrace registry to HL7 FHIR R4 (4.0.1) and back.
//
// It offers five things, all JSON only (application/fhir+json):
//
//   - Export of single resources: PatientOf and ImmunizationOf build
//     minimal, deterministic R4 Patient and Immunization resources from the
//     state (the same state always yields byte-identical JSON).
//   - A read-only REST API (Handler): GET metadata, Patient/{id},
//     Immunization/{id} and Immunization?patient=&date=&vaccine-code=, with
//     errors as OperationOutcome and results scoped by the caller's role.
//   - Bulk export (ExportNDJSON): Patient.ndjson and Immunization.ndjson
//     streamed one resource per line, reading the state under its read lock
//     in chunks so writers are never blocked for long. Without keys it writes
//     no IIN (each Patient carries PersonSystem|<person id>); the IIN in
//     clear is written only when the caller passes the keys (the CLI's
//     --include-iin).
//   - Import (Import, Importer.Import, and the API ImportHandler at
//     POST /api/v1/import/fhir): transaction/batch/collection Bundles and
//     NDJSON, stream-decoded with a per-entry size cap. Every resource
//     becomes an ordinary engine command (PersonRegistered, DoseAdministered,
//     DoseVoided) and goes through exactly the same validation as any other
//     client; the Report says, per entry, what was accepted, rejected (with
//     the reason and field) or a duplicate, and Importer.Rejected receives
//     every rejection however many there are.
//   - WHO DDCC:VS (who.go, ddcc.go): exported Patients and valid COVID-19
//     Immunizations carry what the DDCC Patient and Immunization profiles
//     require and declare them in meta.profile; HealthCertificate (and GET
//     $generateHealthCertificate?hcid=<UVCI>) builds the DDCC:VS document of
//     an issued certificate. The WHO SMART immunization (IMMZ) profiles are
//     not declared: IMMZ.Patient requires a phone number and an address,
//     which the registry does not hold, and IMMZ.Immunization binds
//     vaccineCode to a value set (IMMZ.Z.VS) whose content could not be
//     obtained here to check against.
//
// # Identifier and code systems
//
// No national FHIR NamingSystem for the Kazakh IIN was found (searched the
// HL7 identifier registry and published IGs), so vaxtrace defines its own
// URIs under http://vaxtrace.kz/fhir/ (see the *System constants). They are
// stable names, not resolvable URLs; switch IINSystem if the Ministry of
// Health publishes one (import keeps accepting the old URI via
// IINSystemAliases).
//
// Vaccine codings are emitted in a fixed order: CVX
// (http://hl7.org/fhir/sid/cvx), WHO ICD-11 MMS (http://id.who.int/icd11/mms),
// the EU DCC medicinal product (value set vaccines-covid-19-names, whose
// entries use https://ec.europa.eu/health/documents/community-register/html/
// for EU-authorised "EU/1/..." codes and http://ec.europa.eu/temp/vaccineproductname
// for the others, e.g. Sputnik-V) and SNOMED CT (the DCC prophylaxis code or
// Product.Codes.SNOMED). COVID-19 as target disease is SNOMED 840539006.
//
// # People without an IIN
//
// Foreign data (Synthea, the R4 spec examples) has no IIN. Such a Patient is
// registered under a synthetic, deterministic person id: the HMAC of
// "fhir-identifier:" + system + "|" + value of its first identifier that has
// both, computed with the deployment's pii keys (Keys.ID). A valid IIN is 12
// digits, so the prefixed input can never collide with a real IIN's id. The
// person then has no sealed IIN. Exported, such a person carries the
// identifier PersonSystem|<hex id>, which import maps back to the same id.
//
// # Import of foreign data
//
// Immunizations must name a product, a known patient, a vaccination point,
// a registered lot with stock there and a vaccinator. Foreign data rarely
// has all of this; Importer has explicit, off-by-default fall-backs: a
// default region for patients whose address.state is not a region code, a
// default place when location cannot be resolved, a default vaccinator when
// no performer is given and a default lot per product used ONLY when
// lotNumber is absent (an unknown lotNumber is always rejected, as the
// engine would).
//
// Transaction bundles are processed entry by entry (each engine command is
// atomic on its own; the bundle as a whole is not). References are resolved
// in stream order: a Patient must come before the Immunizations that refer
// to it by fullUrl or Patient/{id}, or already exist in the registry.
//
// # Meaning kept across installations
//
// The product is resolved with every coding of vaccineCode (vaxtrace product
// code, CVX, ICD-11, EU DCC product, SNOMED CT), then the manufacturer and
// the lot; codings that contradict each other, or that leave more than one
// product (CVX 510 is both Sinopharm BIBP and Hayat-Vax), are refused with
// what would tell them apart. Patient references resolve by business
// identifier as well as by resource id: exports put the IIN (or the portable
// person id) in Immunization.patient.identifier, so one installation's
// Patient.ndjson and Immunization.ndjson import into another whose keys,
// and so person ids, differ. Immunization.recorded (when the source knew
// the dose) is kept only for the migration role, never in the future or
// before the dose; other roles record at the time of the import.
package fhir
