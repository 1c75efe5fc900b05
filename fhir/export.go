package fhir

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"sort"
	"strings"
	"time"

	"vaxtrace"
	"vaxtrace/engine"
	"vaxtrace/pii"
)

// isFHIRID reports whether s matches the R4 id pattern [A-Za-z0-9\-\.]{1,64}.
func isFHIRID(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// hashedIDPrefix marks Immunization ids derived from dose ids that are not
// valid FHIR ids; the real dose id is always in identifier (DoseSystem).
const hashedIDPrefix = "vth-"

// ImmunizationID returns the FHIR id of a dose: the dose id itself when it is
// a valid FHIR id, otherwise "vth-" and 40 hex digits of its SHA-256.
func ImmunizationID(doseID string) string {
	if isFHIRID(doseID) && !strings.HasPrefix(doseID, hashedIDPrefix) {
		return doseID
	}
	h := sha256.Sum256([]byte(doseID))
	return hashedIDPrefix + hex.EncodeToString(h[:20])
}

func gender(sex string) string {
	switch sex {
	case vaxtrace.SexMale:
		return "male"
	case vaxtrace.SexFemale:
		return "female"
	}
	return "unknown"
}

// PatientOf maps a person to a Patient. iin is the clear IIN (empty for a
// person registered without one); the id is the person id in hex.
//
// It conforms to the WHO DDCC Patient profile (declared in meta.profile):
// identifiers name their assigner, the official name has its text.
func PatientOf(p *vaxtrace.PersonState, s *vaxtrace.State, iin string) Patient {
	pt := Patient{ResourceType: "Patient", ID: p.ID.String(), Meta: &Meta{Profile: patientProfileIDs}}
	if iin != "" {
		pt.Identifier = []Identifier{iinIdentifier(iin)}
	} else {
		pt.Identifier = []Identifier{{Use: "secondary", System: PersonSystem, Value: p.ID.String(), Assigner: DefaultAuthority.reference()}}
	}
	if p.Group() != "" {
		pt.Extension = []Extension{{URL: GroupExtension, ValueCode: p.Group()}}
	}
	t := s.PersonText(p)
	n := HumanName{Use: "official", Text: fullName(t.Given(), t.Family()), Family: t.Family()}
	if t.Given() != "" {
		n.Given = []string{t.Given()}
	}
	pt.Name = []HumanName{n}
	pt.Gender = gender(p.Sex())
	pt.BirthDate = p.BirthDate.String()
	if p.Region() != "" {
		pt.Address = []Address{{State: p.Region(), Country: "KZ"}}
	}
	return pt
}

// administeringProvider is shared by all exported performers; never modify it.
var administeringProvider = CodeableConcept{Coding: []Coding{{System: performerSystem, Code: performerAPCode, Display: "Administering Provider"}}}

// fhirTime formats an instant with the deployment zone's offset, so that the
// date part of a dateTime is the day it counts on (a 01:00 dose in Almaty is
// not written as the day before in UTC).
func fhirTime(t time.Time) string { return vaxtrace.InZone(t).Format(time.RFC3339Nano) }

// VaccineCode returns the codings of a product in the fixed order vaxtrace
// product code, CVX, ICD-11, EU DCC product, SNOMED CT. The first names
// the product unambiguously where CVX does not (Sinopharm BIBP and
// Hayat-Vax share CVX 510).
func VaccineCode(p *vaxtrace.Product) CodeableConcept {
	cc := CodeableConcept{Text: p.Name}
	cc.Coding = append(cc.Coding, Coding{System: ProductSystem, Code: p.Code, Display: p.Name})
	if p.Codes.CVX != "" {
		cc.Coding = append(cc.Coding, Coding{System: CVXSystem, Code: p.Codes.CVX})
	}
	if p.Codes.ICD11 != "" {
		cc.Coding = append(cc.Coding, Coding{System: ICD11System, Code: p.Codes.ICD11})
	}
	if p.Codes.DCCProduct != "" {
		sys := DCCOtherSystem
		if strings.HasPrefix(p.Codes.DCCProduct, "EU/") {
			sys = DCCEUSystem
		}
		cc.Coding = append(cc.Coding, Coding{System: sys, Code: p.Codes.DCCProduct})
	}
	if sn := p.Codes.SNOMED; sn != "" {
		cc.Coding = append(cc.Coding, Coding{System: SNOMEDSystem, Code: sn})
	} else if vp := p.Codes.DCCProphylaxis; vp != "" && isDigits(vp) {
		cc.Coding = append(cc.Coding, Coding{System: SNOMEDSystem, Code: vp})
	}
	return cc
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func targetDisease(p *vaxtrace.Product) []CodeableConcept {
	switch {
	case p.Disease == "" || strings.EqualFold(p.Disease, "COVID-19"):
		return covidDisease
	default:
		return []CodeableConcept{{Text: p.Disease}}
	}
}

// ImmunizationOf maps a dose to an Immunization. s must be the state the
// dose belongs to (read under the engine's read lock).
func ImmunizationOf(d *vaxtrace.DoseState, s *vaxtrace.State) Immunization {
	return immunizationOf(d, s, nil)
}

// productCache shares the per-product parts of Immunizations during an
// export (the resources are encoded and dropped, never modified).
type productCache map[*vaxtrace.Product]*productParts

type productParts struct {
	code    CodeableConcept
	disease []CodeableConcept
	ddcc    []Extension
}

func (c productCache) get(p *vaxtrace.Product) *productParts {
	if pp := c[p]; pp != nil {
		return pp
	}
	pp := &productParts{code: VaccineCode(p), disease: targetDisease(p), ddcc: ddccExtensions(p)}
	if c != nil {
		c[p] = pp
	}
	return pp
}

func immunizationOf(d *vaxtrace.DoseState, s *vaxtrace.State, cache productCache) Immunization {
	im := Immunization{ResourceType: "Immunization", ID: ImmunizationID(d.ID), Status: "completed"}
	im.Identifier = []Identifier{{System: DoseSystem, Value: d.ID}}
	if d.Override() != "" {
		im.Extension = append(im.Extension, Extension{URL: OverrideExtension, ValueString: d.Override()})
	}
	if d.Voided() {
		im.Status = "entered-in-error"
		if d.VoidWhy() != "" {
			im.Extension = append(im.Extension, Extension{URL: VoidExtension, ValueString: d.VoidWhy()})
		}
	}
	l := d.LotOf()
	var prod *vaxtrace.Product
	if l != nil {
		prod = s.Product(l.Product)
	}
	var parts *productParts
	if prod != nil {
		parts = cache.get(prod)
		im.VaccineCode = &parts.code
	} else {
		im.VaccineCode = &CodeableConcept{Text: "unknown product"}
	}
	im.Patient = patientReference(d, s)
	im.OccurrenceDateTime = fhirTime(d.At())
	if rec := d.Recorded(); !rec.IsZero() {
		im.Recorded = fhirTime(rec)
	}
	t := true
	im.PrimarySource = &t
	if pl := d.PlaceOf(); pl != nil {
		im.Location = &Reference{Identifier: &Identifier{System: PlaceSystem, Value: pl.ID}, Display: pl.Name}
	} else if d.Place() != "" {
		im.Location = &Reference{Identifier: &Identifier{System: PlaceSystem, Value: d.Place()}}
	}
	if l != nil {
		if l.Manufacturer != "" {
			im.Manufacturer = &Reference{Display: l.Manufacturer}
		}
		im.LotNumber = l.ID
		im.ExpirationDate = l.Expiry.String()
	}
	if d.Vaccinator() != "" {
		im.Performer = []Performer{{
			Function: &administeringProvider,
			Actor:    Reference{Identifier: &Identifier{System: VaccinatorSystem, Value: d.Vaccinator()}, Display: d.Vaccinator()},
		}}
	}
	if prod != nil && !d.Voided() && d.Number() > 0 {
		im.ProtocolApplied = []ProtocolApplied{{
			Series:                 prod.Name,
			TargetDisease:          parts.disease,
			DoseNumberPositiveInt:  d.Number(),
			SeriesDosesPositiveInt: prod.SeriesDoses,
		}}
	}
	if parts != nil {
		ddccImmunization(&im, parts.ddcc)
	}
	return im
}

// patientReference refers to the dose's person by resource id and, for a
// person without an IIN, by the portable person identifier; a person with
// an IIN gets the IIN identifier from withPatientIIN once it is opened. An
// importer with other keys resolves the reference by that business
// identifier (the resource id is a keyed hash of this installation).
func patientReference(d *vaxtrace.DoseState, s *vaxtrace.State) *Reference {
	r := &Reference{Reference: "Patient/" + d.Person().String()}
	if p := d.PersonOf(); p != nil && s.PersonText(p).IINSealed() == "" {
		r.Identifier = &Identifier{System: PersonSystem, Value: d.Person().String()}
	}
	return r
}

// withPatientIIN adds the person's IIN to the Immunization's patient
// reference as its business identifier.
func withPatientIIN(im *Immunization, iin string) {
	if im.Patient != nil {
		im.Patient.Identifier = &Identifier{System: IINSystem, Value: iin}
	}
}

// personVisible reports whether the person is in scope for region ("" = all):
// registered in the region or vaccinated there.
func personVisible(p *vaxtrace.PersonState, region string, voided []string, s *vaxtrace.State) bool {
	if region == "" || p.Region() == region {
		return true
	}
	for d := range s.PersonDoses(p) {
		if d.Region() == region {
			return true
		}
	}
	for _, id := range voided {
		if d := s.Dose(id); d != nil && d.Region() == region {
			return true
		}
	}
	return false
}

// exportChunk is how many people are read under one read lock.
const exportChunk = 512

// ExportNDJSON streams the registry (or one region's part of it; "" = all)
// as FHIR bulk data: w("Patient") receives Patient.ndjson and
// w("Immunization") Immunization.ndjson, one resource per line. People are
// ordered by id, each person's Immunizations by time then dose id, so equal
// states export byte-equal files. Merged-away person records are skipped
// (their doses belong to the surviving record). A region's export holds the
// people registered or vaccinated there and the doses given there.
//
// Memory: 16 bytes per person for the sorted id list plus one chunk of
// resources; the state is read under its read lock one chunk at a time.
// progress (optional) is called after each chunk with people done and total.
//
// IINs: with keys nil, no IIN is written; every Patient is identified by its
// person id (PersonSystem), a keyed hash that reveals nothing without the
// keys. With keys, each sealed IIN is opened and written in clear
// (IINSystem): only for transfers between health information systems that
// need it, never for open data.
func ExportNDJSON(ctx context.Context, eng *engine.Engine, keys *pii.Keys, region string, w func(resourceType string) io.Writer, progress func(done, total int)) error {
	var ids []vaxtrace.PersonID
	voided := map[vaxtrace.PersonID][]string{}
	eng.Read(func(s *vaxtrace.State) {
		n, _ := s.Counts()
		ids = make([]vaxtrace.PersonID, 0, n)
		s.EachPerson(func(p *vaxtrace.PersonState) bool {
			if !p.Merged() {
				ids = append(ids, p.ID)
			}
			return true
		})
		s.EachDose(func(d *vaxtrace.DoseState) bool {
			if d.Voided() {
				pid := d.Person()
				for i := 0; i < 8; i++ { // follow merges
					p := s.Person(pid)
					if p == nil || !p.Merged() {
						break
					}
					pid, _ = s.MergedInto(p)
				}
				voided[pid] = append(voided[pid], d.ID)
			}
			return true
		})
	})
	sort.Slice(ids, func(i, j int) bool { return string(ids[i][:]) < string(ids[j][:]) })
	pw := bufio.NewWriterSize(w("Patient"), 64<<10)
	iw := bufio.NewWriterSize(w("Immunization"), 64<<10)
	var line []byte

	type item struct {
		pt     Patient
		sealed string
		doses  []Immunization
	}
	chunk := make([]item, 0, exportChunk)
	cache := productCache{}
	var ds []*vaxtrace.DoseState
	for start := 0; start < len(ids); start += exportChunk {
		if err := ctx.Err(); err != nil {
			return err
		}
		end := min(start+exportChunk, len(ids))
		chunk = chunk[:0]
		eng.Read(func(s *vaxtrace.State) {
			for _, id := range ids[start:end] {
				p := s.Person(id)
				if p == nil || p.Merged() || !personVisible(p, region, voided[id], s) {
					continue
				}
				it := item{pt: PatientOf(p, s, ""), sealed: s.PersonText(p).IINSealed()}
				ds = ds[:0]
				for d := range s.PersonDoses(p) {
					ds = append(ds, d)
				}
				for _, vid := range voided[id] {
					if d := s.Dose(vid); d != nil {
						ds = append(ds, d)
					}
				}
				sort.Slice(ds, func(i, j int) bool {
					if !ds[i].At().Equal(ds[j].At()) {
						return ds[i].At().Before(ds[j].At())
					}
					return ds[i].ID < ds[j].ID
				})
				for _, d := range ds {
					if region == "" || d.Region() == region {
						it.doses = append(it.doses, immunizationOf(d, s, cache))
					}
				}
				chunk = append(chunk, it)
			}
		})
		for i := range chunk {
			it := &chunk[i]
			if keys != nil && it.sealed != "" {
				iin, err := keys.Open(it.sealed)
				if err != nil {
					return err
				}
				it.pt.Identifier = []Identifier{iinIdentifier(iin)}
				for j := range it.doses {
					withPatientIIN(&it.doses[j], iin)
				}
			}
			line = append(appendPatient(line[:0], &it.pt), '\n')
			if _, err := pw.Write(line); err != nil {
				return err
			}
			for j := range it.doses {
				line = append(appendImmunization(line[:0], &it.doses[j]), '\n')
				if _, err := iw.Write(line); err != nil {
					return err
				}
			}
		}
		if progress != nil {
			progress(end, len(ids))
		}
	}
	if err := pw.Flush(); err != nil {
		return err
	}
	return iw.Flush()
}
