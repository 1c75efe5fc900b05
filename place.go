package vaxtrace

// Region is a first-level administrative unit (oblast or city of republican
// significance). Regions are data: the 2022 split (Abai, Jetisu, Ulytau) is
// new regions plus place moves effective from a date, so history keeps the
// region a place belonged to at the time.
type Region struct {
	Code           string            `json:"code"` // ISO 3166-2 as used in 2021, e.g. KZ-AKM; new 2022 units use their code, e.g. KZ-10
	ISO2022        string            `json:"iso_2022,omitempty"`
	Type           string            `json:"type"` // region | city
	Names          map[string]string `json:"names"`
	Population     int               `json:"population"`
	PopulationDate Date              `json:"population_date"`
	ValidFrom      *Date             `json:"valid_from,omitempty"`
}

// Name returns the region's name in lang, falling back to English.
func (r *Region) Name(lang string) string {
	if n := r.Names[lang]; n != "" {
		return n
	}
	return r.Names["en"]
}

// Place kinds.
const (
	PlaceNational = "national" // national warehouse (SK-Pharmacy hub, producer's store)
	PlaceRegional = "regional" // regional health department warehouse
	PlacePoint    = "point"    // vaccination point
)

// Place is a storage location or vaccination point.
type Place struct {
	ID   string `json:"id"`
	Kind string `json:"kind"`
	Name string `json:"name"`
	// Names are the place's name per language ("kk", "ru", "en"); see NameIn.
	Names  map[string]string `json:"names,omitempty"`
	Region string            `json:"region,omitempty"` // region at creation; see RegionAt for history
	Parent string            `json:"parent,omitempty"` // the place that supplies it
	// History of region membership, oldest first; filled by the state.
	History []RegionSpan `json:"history,omitempty"`
}

// RegionSpan says a place belonged to Region from From onward.
type RegionSpan struct {
	From   Date   `json:"from"`
	Region string `json:"region"`
}

// RegionAt returns the region the place belonged to on day d.
func (p *Place) RegionAt(d Date) string {
	r := p.Region
	for _, s := range p.History {
		if s.From <= d {
			r = s.Region
		}
	}
	return r
}

// Validate checks a place definition.
func (p *Place) Validate() error {
	if p.ID == "" || len(p.ID) > 64 {
		return FieldError("id", "required, at most 64 characters")
	}
	switch p.Kind {
	case PlaceNational, PlaceRegional, PlacePoint:
	default:
		return FieldError("kind", "must be national, regional or point (got %q)", p.Kind)
	}
	if p.Name == "" {
		return FieldError("name", "required")
	}
	if p.Kind != PlaceNational && p.Region == "" {
		return FieldError("region", "required for a %s place", p.Kind)
	}
	if p.Kind == PlacePoint && p.Parent == "" {
		return FieldError("parent", "a vaccination point needs its supplying warehouse")
	}
	return nil
}
