package fhir

import (
	"fmt"
	"slices"
	"strings"

	"vaxtrace"
)

// product resolves an Immunization's vaccine with every coding it carries:
// each coding that names catalog products (vaxtrace product code, CVX,
// ICD-11, EU DCC product, SNOMED CT) narrows the candidates; codings that
// contradict each other are refused; when several products remain, the
// manufacturer and then the lot decide, and if nothing does the entry is
// refused with what would tell the products apart. It never guesses.
func (ru *run) product(s *vaxtrace.State, m *Immunization) (*vaxtrace.Product, *entryError) {
	var cand []string // nil: no coding has named a product yet
	var from []string // the codings that did
	var all []string
	for i, c := range m.VaccineCode.Coding {
		label := c.System + "|" + c.Code
		all = append(all, label)
		ps, ok := ru.codes[codeKey(c.System, c.Code)]
		if !ok {
			continue
		}
		if cand == nil {
			cand = slices.Clone(ps)
			from = append(from, label)
			continue
		}
		var next []string
		for _, x := range cand {
			if slices.Contains(ps, x) {
				next = append(next, x)
			}
		}
		if len(next) == 0 {
			return nil, invalid(fmt.Sprintf("vaccineCode.coding[%d]", i), "the codings disagree: %s names %s, but %s names %s", label, strings.Join(ps, " or "), strings.Join(from, ", "), strings.Join(cand, " or "))
		}
		cand = next
		from = append(from, label)
	}
	if cand == nil {
		return nil, notFound("vaccineCode", "no catalog product has any of the codes %s (products are matched by vaxtrace product code, CVX, ICD-11, EU DCC product code or SNOMED CT)", strings.Join(all, ", "))
	}
	if len(cand) > 1 && m.Manufacturer != nil {
		if by := byManufacturer(s, cand, m.Manufacturer); len(by) > 0 {
			cand = by
		}
	}
	if len(cand) > 1 && m.LotNumber != "" {
		if l := s.Lot(m.LotNumber); l != nil {
			if !slices.Contains(cand, l.Product) {
				return nil, invalid("lotNumber", "lot %q is %s, but the vaccine codings %s name %s", l.ID, l.Product, strings.Join(from, ", "), strings.Join(cand, " or "))
			}
			cand = []string{l.Product}
		}
	}
	if len(cand) > 1 {
		var tell []string
		for _, code := range cand {
			p := s.Product(code)
			t := fmt.Sprintf("%s: %s|%s", p.Name, ProductSystem, p.Code)
			if p.Codes.ICD11 != "" {
				t += fmt.Sprintf(", %s|%s", ICD11System, p.Codes.ICD11)
			}
			if p.Codes.DCCProduct != "" {
				t += ", EU DCC product " + p.Codes.DCCProduct
			}
			tell = append(tell, t)
		}
		return nil, invalid("vaccineCode", "ambiguous: %s names %s; vaxtrace does not guess. Add a coding that tells them apart (%s), the manufacturer, or a registered lotNumber", strings.Join(from, ", "), strings.Join(cand, " and "), strings.Join(tell, "; "))
	}
	return s.Product(cand[0]), nil
}

// byManufacturer keeps the candidates whose EU DCC manufacturer code equals
// the reference's identifier, or whose marketing authorisation holder names
// the reference's display.
func byManufacturer(s *vaxtrace.State, cand []string, r *Reference) []string {
	var out []string
	disp := strings.ToLower(strings.TrimSpace(r.Display))
	for _, code := range cand {
		p := s.Product(code)
		switch {
		case r.Identifier != nil && r.Identifier.Value != "" && r.Identifier.Value == p.Codes.DCCManufacturer:
			out = append(out, code)
		case len(disp) >= 4 && p.Holder != "" && strings.Contains(strings.ToLower(p.Holder), disp):
			out = append(out, code)
		}
	}
	return out
}
