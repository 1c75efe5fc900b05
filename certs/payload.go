package certs

import (
	"strings"

	"vaxtrace"
	"vaxtrace/hcert"
)

// Coding defaults (see the package documentation).
const (
	// FallbackProphylaxis is the DCC "vp" of a product without one: ATC
	// J07BX03 "covid-19 vaccines", the eHN value set's generic entry.
	FallbackProphylaxis = "J07BX03"
	// ICD11Prefix prefixes the WHO ICD-11 code used as DCC "mp" for products
	// without an EU DCC product code (QazVac: "ICD11:XM97N6").
	ICD11Prefix = "ICD11:"
	// Country is the DCC "co" and CWT "iss" of vaxtrace certificates.
	Country = "KZ"
)

// built is a payload and what it was built from.
type built struct {
	payload     hcert.Payload
	dose        string
	productName string
}

// build derives the DCC payload of a person's dose: doseID, or the latest
// valid dose when doseID is "". It never reads the IIN (the person record
// only holds it sealed; no field of it reaches the payload).
func (s *Service) build(st *vaxtrace.State, id vaxtrace.PersonID, doseID, uvci string) (built, error) {
	if id.IsZero() {
		return built{}, vaxtrace.FieldError("person", "required")
	}
	p := st.Person(id)
	if p == nil {
		return built{}, vaxtrace.NotFound("person", "unknown person")
	}
	if into, ok := st.MergedInto(p); ok {
		return built{}, vaxtrace.FieldError("person", "this person record was merged into %s; use that record", into.String())
	}
	var d *vaxtrace.DoseState
	if doseID == "" {
		if d = st.LastDose(p); d == nil {
			return built{}, vaxtrace.Errorf(vaxtrace.ECONFLICT, "the person has no recorded dose to certify")
		}
	} else {
		d = st.Dose(doseID)
		if d == nil || d.Voided() || d.PersonOf() != p {
			return built{}, vaxtrace.Errorf(vaxtrace.ECONFLICT, "dose %q is no longer a valid dose of this person", doseID)
		}
	}
	if d.Anomaly() != "" {
		return built{}, vaxtrace.Errorf(vaxtrace.ECONFLICT, "dose %q has an unresolved schedule anomaly (%s); correct the record before issuing a certificate", d.ID, d.Anomaly())
	}
	lot := d.LotOf()
	prod := st.Product(lot.Product)
	if prod == nil {
		return built{}, vaxtrace.Errorf(vaxtrace.EINTERNAL, "dose %q: product %q of lot %q is not in the catalog", d.ID, lot.Product, lot.ID)
	}
	if !isCOVID(prod.Disease) {
		return built{}, vaxtrace.FieldError("person", "the latest dose is %s (%s), not a COVID-19 vaccine; EU DCC certificates cover COVID-19 only", prod.Name, prod.Disease)
	}
	v, err := s.vaccination(st, p, d, prod, lot)
	if err != nil {
		return built{}, err
	}
	v.CertificateID = uvci
	dob := p.BirthDate.String()
	if p.BirthDate < vaxtrace.MkDate(1900, 1, 1) {
		dob = "" // the DCC schema only admits 19xx and 20xx years
	}
	t := st.PersonText(p)
	pl := hcert.NewPayload(t.Family(), t.Given(), dob, v)
	if pl.Name.FamilyT == "" && pl.Name.GivenT == "" {
		return built{}, vaxtrace.FieldError("person", "the name %q %q has no letter that transliterates to the ICAO 9303 alphabet; correct the record", t.Family(), t.Given())
	}
	return built{payload: pl, dose: d.ID, productName: prod.Name}, nil
}

func isCOVID(disease string) bool {
	return disease == "" || strings.Contains(strings.ToUpper(disease), "COVID") || disease == hcert.TargetCOVID19
}

// vaccination codes one dose as a DCC "v" entry.
func (s *Service) vaccination(st *vaxtrace.State, p *vaxtrace.PersonState, d *vaxtrace.DoseState, prod *vaxtrace.Product, lot *vaxtrace.LotState) (hcert.Vaccination, error) {
	c := prod.Codes
	v := hcert.Vaccination{
		Target:       hcert.TargetCOVID19,
		Prophylaxis:  c.DCCProphylaxis,
		Product:      c.DCCProduct,
		Manufacturer: c.DCCManufacturer,
		Date:         vaxtrace.DateOf(d.At()).String(),
		Country:      Country,
		Issuer:       s.Issuer,
	}
	if v.Prophylaxis == "" {
		v.Prophylaxis = FallbackProphylaxis
	}
	if v.Product == "" {
		if c.ICD11 == "" {
			return v, vaxtrace.FieldError("product", "product %s has neither an EU DCC product code (codes.dcc_mp) nor a WHO ICD-11 code (codes.icd11); add one to the catalog", prod.Code)
		}
		v.Product = ICD11Prefix + c.ICD11
	}
	if v.Manufacturer == "" {
		v.Manufacturer = prod.Holder
	}
	if v.Manufacturer == "" {
		v.Manufacturer = lot.Manufacturer
	}
	if v.Manufacturer == "" {
		return v, vaxtrace.FieldError("product", "product %s has no manufacturer code (codes.dcc_ma), holder or lot manufacturer", prod.Code)
	}
	// Dose numbering. Primary series: dn = position in the series, sd = the
	// series' dose count. Boosters follow the EU rule (eHN guidance of
	// November 2021): dn counts every dose so far and sd = dn, so a booster
	// after a 2-dose series is 3/3, a second booster 4/4, a booster after a
	// 1-dose series 2/2. Registry numbering (DoseState.Number) already
	// counts every valid dose in time order.
	dn := d.Number()
	sd := seriesDoses(st, p, d, prod)
	if d.Booster() || dn > sd {
		sd = dn
	}
	if dn < 1 || dn > 9 {
		return v, vaxtrace.FieldError("person", "dose number %d cannot be certified (the DCC schema admits 1..9)", dn)
	}
	v.DoseNumber, v.SeriesDoses = dn, sd
	return v, nil
}

// seriesDoses is the dose count of the primary series d belongs to: the
// series product is that of the person's first dose (a mix rule may continue
// it with another product, e.g. Hayat-Vax after Sinopharm BIBP).
func seriesDoses(st *vaxtrace.State, p *vaxtrace.PersonState, d *vaxtrace.DoseState, prod *vaxtrace.Product) int {
	if d0 := st.FirstDose(p); d0 != nil {
		if first := st.Product(d0.LotOf().Product); first != nil {
			return first.SeriesDoses
		}
	}
	return prod.SeriesDoses
}
