package vaxtrace

// TradeItem is one packaging of a product as identified by a GS1 GTIN: the
// code printed in the DataMatrix or GS1-128 barcode on the secondary
// packaging (required on UNICEF-procured vaccines since the end of 2021).
// Each component of a multi-component product is its own trade item, so a
// scanned GTIN tells the component as well as the product.
type TradeItem struct {
	GTIN         string `json:"gtin"`                     // 14 digits (GTIN-8/12/13 are left-padded with zeros)
	Component    string `json:"component"`                // the component inside the pack
	DosesPerVial int    `json:"doses_per_vial,omitempty"` // the presentation, when known
	// Source says where the GTIN comes from. Codes that are not the
	// manufacturer's registered GTIN say so here ("illustrative: ...").
	Source string `json:"source,omitempty"`
}

// NormalizeGTIN returns the 14-digit form of a GTIN-8, -12, -13 or -14
// after checking its digits and its check digit.
func NormalizeGTIN(s string) (string, error) {
	switch len(s) {
	case 8, 12, 13, 14:
	default:
		return "", FieldError("gtin", "a GTIN has 8, 12, 13 or 14 digits, not %d characters", len(s))
	}
	sum := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return "", FieldError("gtin", "a GTIN has digits only; %q at position %d is not one", string(rune(c)), i+1)
		}
		if i == len(s)-1 {
			break
		}
		d := int(c - '0')
		// weights 3,1,3,1... counted from the digit left of the check digit
		if (len(s)-2-i)%2 == 0 {
			d *= 3
		}
		sum += d
	}
	want := byte('0' + (10-sum%10)%10)
	if s[len(s)-1] != want {
		return "", FieldError("gtin", "check digit of GTIN %s is %c, the other digits need %c (mistyped or not a GTIN)", s, s[len(s)-1], want)
	}
	for len(s) < 14 {
		s = "0" + s
	}
	return s, nil
}

// validateTradeItems checks p's GTINs: valid, of one of its components,
// and each listed once.
func (p *Product) validateTradeItems() error {
	seen := map[string]bool{}
	for i := range p.GTINs {
		t := &p.GTINs[i]
		field := "gtins[" + itoa(i) + "]"
		g, err := NormalizeGTIN(t.GTIN)
		if err != nil {
			return WithField(err, field)
		}
		if seen[g] {
			return FieldError(field+".gtin", "GTIN %s is listed twice", g)
		}
		seen[g] = true
		if !p.HasComponent(t.Component) {
			return FieldError(field+".component", "%q is not a component of %s", t.Component, p.Code)
		}
		if t.DosesPerVial < 0 {
			return FieldError(field+".doses_per_vial", "must not be negative")
		}
	}
	return nil
}

// normalizedGTINs returns p with its GTINs in the 14-digit form (a copy:
// the submitted payload is not changed). p must have passed Validate.
func normalizedGTINs(p Product) Product {
	if len(p.GTINs) == 0 {
		return p
	}
	items := make([]TradeItem, len(p.GTINs))
	for i, t := range p.GTINs {
		t.GTIN, _ = NormalizeGTIN(t.GTIN)
		items[i] = t
	}
	p.GTINs = items
	return p
}

// decideProduct validates a product definition and stores its GTINs in the
// 14-digit form.
func (s *State) decideProduct(v ProductDefined) (Payload, error) {
	if err := v.Product.Validate(); err != nil {
		return nil, err
	}
	v.Product = normalizedGTINs(v.Product)
	if err := s.checkGTINsFree(&v.Product); err != nil {
		return nil, err
	}
	return v, nil
}

// checkGTINsFree refuses a product definition that claims a GTIN another
// product already has: a scanned code must name exactly one product.
func (s *State) checkGTINsFree(p *Product) error {
	for i, t := range p.GTINs {
		for _, o := range s.productList {
			if o.Code == p.Code {
				continue
			}
			for _, ot := range o.GTINs {
				if ot.GTIN == t.GTIN {
					return FieldError("gtins["+itoa(i)+"].gtin", "GTIN %s already belongs to product %s", t.GTIN, o.Code)
				}
			}
		}
	}
	return nil
}

// ProductByGTIN finds the product and trade item a GTIN (any length, with a
// valid check digit) identifies; nil if no product carries it.
func (s *State) ProductByGTIN(gtin string) (*Product, *TradeItem) {
	g, err := NormalizeGTIN(gtin)
	if err != nil {
		return nil, nil
	}
	for _, p := range s.productList {
		for i := range p.GTINs {
			if p.GTINs[i].GTIN == g {
				return p, &p.GTINs[i]
			}
		}
	}
	return nil, nil
}
