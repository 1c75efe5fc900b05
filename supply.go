package vaxtrace

// Agreement is a supply agreement with a supplier (import contract or a
// domestic production contract).
type Agreement struct {
	ID       string    `json:"id"`
	Supplier string    `json:"supplier"`
	Product  string    `json:"product"`
	Doses    int64     `json:"doses"` // contracted
	Signed   Date      `json:"signed"`
	Domestic bool      `json:"domestic,omitempty"` // domestic production (e.g. KPC fill-finish)
	Note     string    `json:"note,omitempty"`
	Tranches []Tranche `json:"tranches"`
}

// Tranche is an expected delivery under an agreement.
type Tranche struct {
	ID       string `json:"id"`
	Expected Date   `json:"expected"`
	Doses    int64  `json:"doses"`
}

// Tranche statuses, derived from deliveries and the as-of date.
const (
	TrancheDelivered   = "delivered"
	TranchePartly      = "partly_delivered"
	TrancheOutstanding = "outstanding"
	TrancheLate        = "late"
)

// Validate checks an agreement.
func (a *Agreement) Validate() error {
	if a.ID == "" {
		return FieldError("id", "required")
	}
	if a.Supplier == "" {
		return FieldError("supplier", "required")
	}
	if a.Product == "" {
		return FieldError("product", "required")
	}
	if err := Qty(a.Doses).CheckPositive("doses"); err != nil {
		return err
	}
	var sum Qty
	seen := map[string]bool{}
	for i, t := range a.Tranches {
		f := "tranches[" + itoa(i) + "]"
		if t.ID == "" {
			return FieldError(f+".id", "required")
		}
		if seen[t.ID] {
			return FieldError(f+".id", "duplicate tranche %q", t.ID)
		}
		seen[t.ID] = true
		if err := Qty(t.Doses).CheckPositive(f + ".doses"); err != nil {
			return err
		}
		if t.Expected < a.Signed {
			return FieldError(f+".expected", "is before the agreement was signed")
		}
		var err error
		if sum, err = sum.Add("tranches", Qty(t.Doses)); err != nil {
			return err
		}
	}
	if sum > Qty(a.Doses) {
		return FieldError("tranches", "tranches total %d doses, more than the %d contracted", sum, a.Doses)
	}
	return nil
}

// Lot origins.
const (
	OriginImport   = "import"
	OriginDomestic = "domestic"
)

// Lot release statuses.
const (
	StatusQuarantined = "quarantined" // awaiting quality control release
	StatusReleased    = "released"
	StatusSuspended   = "suspended" // suspended everywhere (e.g. after AEFI)
)

// Lot is a manufacturing lot (batch) of one component of a product.
type Lot struct {
	ID           string `json:"id"` // lot number as printed
	Product      string `json:"product"`
	Component    string `json:"component"`
	Manufacturer string `json:"manufacturer"`
	Manufactured Date   `json:"manufactured"`
	Expiry       Date   `json:"expiry"`
	Origin       string `json:"origin"`
	Agreement    string `json:"agreement,omitempty"`
	Tranche      string `json:"tranche,omitempty"`
	DosesPerVial int    `json:"doses_per_vial,omitempty"`
	Status       string `json:"status,omitempty"` // derived
}

// Validate checks the lot on its own; catalog checks happen in the state.
func (l *Lot) Validate() error {
	if l.ID == "" || len(l.ID) > 64 {
		return FieldError("id", "required, at most 64 characters")
	}
	if l.Product == "" {
		return FieldError("product", "required")
	}
	if l.Component == "" {
		return FieldError("component", "required")
	}
	if l.Manufacturer == "" {
		return FieldError("manufacturer", "required")
	}
	if l.Expiry <= l.Manufactured {
		return FieldError("expiry", "must be after the manufacture date %s", l.Manufactured)
	}
	switch l.Origin {
	case OriginImport:
		if l.Agreement == "" {
			return FieldError("agreement", "an imported lot must name its agreement")
		}
	case OriginDomestic:
	default:
		return FieldError("origin", "must be import or domestic (got %q)", l.Origin)
	}
	if l.DosesPerVial < 0 {
		return FieldError("doses_per_vial", "must not be negative")
	}
	return nil
}
