package gs1

import "vaxtrace"

// Match is a scanned pack resolved against the catalog and the lots.
type Match struct {
	Code         Code          `json:"code"`
	Product      string        `json:"product"`
	ProductName  string        `json:"product_name"`
	Component    string        `json:"component"`
	DosesPerVial int           `json:"doses_per_vial,omitempty"`
	GTINSource   string        `json:"gtin_source,omitempty"` // e.g. that the catalog's GTIN is illustrative
	Lot          string        `json:"lot"`
	LotExpiry    vaxtrace.Date `json:"lot_expiry"`
	LotStatus    string        `json:"lot_status"` // released, quarantined or suspended
}

// Resolve finds the product and the registered lot of a parsed code and
// checks that they agree with each other and that the lot has not expired
// on day. Refusals name the field: gtin, lot or expiry.
func Resolve(st *vaxtrace.State, c Code, day vaxtrace.Date) (Match, error) {
	if c.GTIN == "" {
		return Match{}, vaxtrace.FieldError("gtin", "the barcode has no GTIN (AI 01), so it does not say which vaccine this is")
	}
	p, item := st.ProductByGTIN(c.GTIN)
	if p == nil {
		return Match{}, vaxtrace.NotFound("gtin", "GTIN %s is not in the catalog: no vaccine product carries it", c.GTIN)
	}
	m := Match{Code: c, Product: p.Code, ProductName: p.Name, Component: item.Component, DosesPerVial: item.DosesPerVial, GTINSource: item.Source}
	if c.Lot == "" {
		return m, vaxtrace.FieldError("lot", "the barcode has no lot number (AI 10)")
	}
	l := st.Lot(c.Lot)
	if l == nil {
		return m, vaxtrace.NotFound("lot", "lot %s of %s is not registered", c.Lot, p.Name)
	}
	m.Lot, m.LotExpiry, m.LotStatus = l.ID, l.Expiry, l.Status()
	if l.Product != p.Code || l.Component != item.Component {
		return m, vaxtrace.FieldError("lot", "lot %s is registered as %s component %s, but the barcode's GTIN is %s component %s", l.ID, l.Product, l.Component, p.Code, item.Component)
	}
	if c.Expiry != 0 && c.Expiry != l.Expiry {
		return m, vaxtrace.FieldError("expiry", "the barcode says lot %s expires on %s, the registered lot expires on %s: check the pack and the lot record", l.ID, c.Expiry, l.Expiry)
	}
	if l.Expiry < day {
		return m, vaxtrace.FieldError("lot", "lot %s expired on %s", l.ID, l.Expiry)
	}
	return m, nil
}
