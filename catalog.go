package vaxtrace

import "strings"

// Product is a vaccine in the catalog. The catalog is data: products are
// defined by events (seeded from the shared reference) and new ones need no
// code change.
type Product struct {
	Code string `json:"code"` // stable id, e.g. "sputnik-v"
	Name string `json:"name"`
	// Names are the product's name per language ("kk", "ru", "en"); see NameIn.
	Names       map[string]string `json:"names,omitempty"`
	Platform    string            `json:"platform,omitempty"`
	Holder      string            `json:"holder,omitempty"` // marketing authorisation holder / manufacturer
	Components  []Component       `json:"components"`       // in schedule order for multi-component series
	SeriesDoses int               `json:"series_doses"`     // doses in the primary series
	// IntervalDays is the minimum interval between primary-series doses.
	IntervalDays int `json:"interval_days"`
	// WindowDays is how many days after the due day (the last dose plus
	// IntervalDays) the next dose is still within its recommended window
	// (0: DefaultWindowDays).
	WindowDays int `json:"window_days,omitempty"`
	// BoosterIntervalDays is the minimum interval from a completed series to a booster (0: boosters not allowed with this product).
	BoosterIntervalDays int            `json:"booster_interval_days,omitempty"`
	Presentations       []Presentation `json:"presentations"`
	DoseVolumeML        float64        `json:"dose_volume_ml,omitempty"`
	StorageMinC         float64        `json:"storage_min_c"`
	StorageMaxC         float64        `json:"storage_max_c"`
	OpenVialHours       float64        `json:"open_vial_hours,omitempty"`
	ShelfLifeDays       int            `json:"shelf_life_days,omitempty"`
	Codes               ProductCodes   `json:"codes"`
	// MixWith lists products whose series this product may continue (a
	// configured mix rule); empty means the series must be completed with
	// the same product.
	MixWith []string `json:"mix_with,omitempty"`
	// Disease is the target disease, e.g. "COVID-19" (SNOMED 840539006), or a routine antigen.
	Disease string `json:"disease,omitempty"`
	// GTINs are the GS1 trade items of the product (one per component and
	// pack), what a barcode scan resolves to.
	GTINs []TradeItem `json:"gtins,omitempty"`
}

// Component is one distinct formulation of a product. Sputnik V has two
// components that are not interchangeable: I (rAd26) for dose 1 and II (rAd5)
// for dose 2.
type Component struct {
	Code string `json:"code"` // e.g. "I", "II"; single-component products use "1"
	Name string `json:"name"`
}

// Presentation is a container size.
type Presentation struct {
	DosesPerVial int `json:"doses_per_vial"`
	// PackedCM3PerDose is the cold-chain volume of one dose in its secondary
	// packaging (cm³), PackedSource where that figure comes from.
	PackedCM3PerDose float64 `json:"packed_cm3_per_dose,omitempty"`
	PackedSource     string  `json:"packed_source,omitempty"`
}

// ProductCodes are the interoperable codes of a product.
type ProductCodes struct {
	DCCProduct      string `json:"dcc_mp,omitempty"` // EU DCC vaccines-covid-19-names
	DCCManufacturer string `json:"dcc_ma,omitempty"` // EU DCC vaccines-covid-19-auth-holders
	DCCProphylaxis  string `json:"dcc_vp,omitempty"` // EU DCC sct-vaccines-covid-19
	ICD11           string `json:"icd11,omitempty"`  // WHO ICD-11 MMS code
	CVX             string `json:"cvx,omitempty"`    // CDC CVX code (FHIR interop)
	ATC             string `json:"atc,omitempty"`
	SNOMED          string `json:"snomed,omitempty"`
	// OWID is the vaccine's name in Our World in Data's vocabulary (the
	// "vaccine" column of its country files): "Sputnik V",
	// "Sinopharm/Beijing", "Pfizer/BioNTech". Products that OWID counts as
	// one (Hayat-Vax is Sinopharm's vaccine filled in the UAE) share a name.
	OWID string `json:"owid,omitempty"`
}

// Validate checks a product definition.
func (p *Product) Validate() error {
	if p.Code == "" || strings.ContainsAny(p.Code, " \t\n/") {
		return FieldError("code", "required, without spaces or slashes")
	}
	if p.Name == "" {
		return FieldError("name", "required")
	}
	if len(p.Components) == 0 {
		return FieldError("components", "at least one component is required")
	}
	seen := map[string]bool{}
	for i, c := range p.Components {
		if c.Code == "" {
			return FieldError("components["+itoa(i)+"].code", "required")
		}
		if seen[c.Code] {
			return FieldError("components["+itoa(i)+"].code", "duplicate component %q", c.Code)
		}
		seen[c.Code] = true
	}
	if p.SeriesDoses < 1 || p.SeriesDoses > 10 {
		return FieldError("series_doses", "must be between 1 and 10")
	}
	if len(p.Components) > 1 && len(p.Components) != p.SeriesDoses {
		return FieldError("components", "a multi-component product needs one component per series dose (%d components, %d doses)", len(p.Components), p.SeriesDoses)
	}
	if p.SeriesDoses > 1 && p.IntervalDays <= 0 {
		return FieldError("interval_days", "must be positive for a multi-dose series")
	}
	if p.IntervalDays < 0 || p.BoosterIntervalDays < 0 {
		return FieldError("interval_days", "must not be negative")
	}
	// day counts are added to dates (an int32 of days): bound them so a due
	// day can never wrap
	if p.IntervalDays > maxScheduleDays {
		return FieldError("interval_days", "must be at most %d days", maxScheduleDays)
	}
	if p.BoosterIntervalDays > maxScheduleDays {
		return FieldError("booster_interval_days", "must be at most %d days", maxScheduleDays)
	}
	if p.WindowDays < 0 {
		return FieldError("window_days", "must not be negative")
	}
	if p.WindowDays > maxScheduleDays {
		return FieldError("window_days", "must be at most %d days", maxScheduleDays)
	}
	if len(p.Presentations) == 0 {
		return FieldError("presentations", "at least one presentation is required")
	}
	for i, pr := range p.Presentations {
		if pr.DosesPerVial < 1 {
			return FieldError("presentations["+itoa(i)+"].doses_per_vial", "must be at least 1")
		}
		if !(pr.PackedCM3PerDose >= 0 && pr.PackedCM3PerDose <= 1000) {
			return FieldError("presentations["+itoa(i)+"].packed_cm3_per_dose", "must lie between 0 (unknown) and 1000 cm³")
		}
	}
	if p.StorageMinC > p.StorageMaxC {
		return FieldError("storage_min_c", "must not exceed storage_max_c")
	}
	return p.validateTradeItems()
}

// HasComponent reports whether c is one of p's components.
func (p *Product) HasComponent(c string) bool {
	for _, x := range p.Components {
		if x.Code == c {
			return true
		}
	}
	return false
}

// ComponentFor returns the component expected for primary-series dose n (1-based).
// Single-component products return their only component for every dose.
func (p *Product) ComponentFor(n int) string {
	if len(p.Components) == 1 {
		return p.Components[0].Code
	}
	if n < 1 {
		n = 1
	}
	if n > len(p.Components) {
		// a booster of a multi-component product uses the first component
		// (Sputnik Light = Sputnik V component I).
		return p.Components[0].Code
	}
	return p.Components[n-1].Code
}

// MaxDosesPerVial is the largest presentation.
func (p *Product) MaxDosesPerVial() int {
	m := 1
	for _, pr := range p.Presentations {
		if pr.DosesPerVial > m {
			m = pr.DosesPerVial
		}
	}
	return m
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	neg := i < 0
	if neg {
		i = -i
	}
	var b [20]byte
	n := len(b)
	for i > 0 {
		n--
		b[n] = byte('0' + i%10)
		i /= 10
	}
	if neg {
		n--
		b[n] = '-'
	}
	return string(b[n:])
}

// maxScheduleDays bounds a schedule's day counts (ten years).
const maxScheduleDays = 3650
