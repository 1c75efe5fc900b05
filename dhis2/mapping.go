package dhis2

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"vaxtrace"
)

// Measures a mapping entry can send.
const (
	MeasureDoses        = "doses"          // doses given, by the day they were given
	MeasurePeopleFirst  = "people_first"   // people who got their first dose (first doses)
	MeasurePeopleFull   = "people_full"    // people who completed the primary series
	MeasurePeopleBoost  = "people_boosted" // people who got their first booster (from the coverage counters)
	MeasureStockOnHand  = "stock_on_hand"  // doses on hand at the end of the period
	MeasureWastage      = "wastage"        // doses written off during the period (all reasons)
	LevelNational       = "national"       // the whole country, one organisation unit
	LevelRegion         = "region"         // each region
	LevelPoint          = "point"          // each vaccination point
	OrgUnitNational     = "national"       // the OrgUnits key of the country
	DimDose             = "dose"           // "1", "2", ... for primary-series doses, "booster" for boosters
	DimProduct          = "product"        // product code
	DimComponent        = "component"      // component code
	DimAgeBand          = "age_band"       // one of vaxtrace.AgeBands
	DimSex              = "sex"            // M, F or U
	anyValue            = "*"              // an option value that covers every value no other option names
	maxOptions          = 64
	maxCombos           = 100000
	maxMappingBytes     = 16 << 20
	defaultEntryNameFmt = "entries[%d]"
)

// measureSpec says what a measure allows.
type measureSpec struct {
	dims   []string
	levels []string
}

var measures = map[string]measureSpec{
	MeasureDoses:       {dims: []string{DimDose, DimProduct, DimComponent, DimAgeBand, DimSex}, levels: []string{LevelNational, LevelRegion, LevelPoint}},
	MeasurePeopleFirst: {dims: []string{DimProduct, DimAgeBand, DimSex}, levels: []string{LevelNational, LevelRegion, LevelPoint}},
	MeasurePeopleFull:  {dims: []string{DimProduct, DimAgeBand, DimSex}, levels: []string{LevelNational, LevelRegion, LevelPoint}},
	// boosted people come from the coverage counters, kept by region and
	// product; the registry cannot tell a first booster from one fact alone
	MeasurePeopleBoost: {dims: []string{DimProduct}, levels: []string{LevelNational, LevelRegion}},
	// stock flows are kept by region and product component per day
	MeasureStockOnHand: {dims: []string{DimProduct, DimComponent}, levels: []string{LevelNational, LevelRegion}},
	MeasureWastage:     {dims: []string{DimProduct, DimComponent}, levels: []string{LevelNational, LevelRegion}},
}

// Measures lists the measure names in a stable order.
func Measures() []string {
	return []string{MeasureDoses, MeasurePeopleFirst, MeasurePeopleFull, MeasurePeopleBoost, MeasureStockOnHand, MeasureWastage}
}

// Mapping maps vaxtrace's measures to DHIS2 metadata. It is data: a JSON
// document kept with the deployment (see testdata/mapping-example.json).
type Mapping struct {
	Name string `json:"name,omitempty"`
	// DataSet is the DHIS2 data set the values belong to; required for
	// ADX (whose groups name their data set), optional for JSON.
	DataSet string `json:"data_set,omitempty"`
	// AttributeOptionCombo is sent with every value when set (DHIS2's
	// default attribute option combo when empty).
	AttributeOptionCombo string `json:"attribute_option_combo,omitempty"`
	// OrgUnits maps a region code, a vaccination point id or "national"
	// to a DHIS2 organisation unit id. Values of a region or point with no
	// entry are not sent and are counted in the result.
	OrgUnits map[string]string `json:"org_units"`
	Entries  []Entry           `json:"entries"`
}

// Entry sends one measure to one DHIS2 data element.
type Entry struct {
	Name        string `json:"name,omitempty"`
	Measure     string `json:"measure"`
	DataElement string `json:"data_element"`
	// Level is the organisation unit level the values are for: national,
	// region or point.
	Level string `json:"level"`
	// Filter keeps only facts whose dimension has the value (e.g. the
	// data element "COVID doses - Sputnik V": {"product": "sputnik-v"}).
	Filter map[string]string `json:"filter,omitempty"`
	// Dimensions disaggregate the data element, in the order of the keys of
	// CategoryOptionCombos.
	Dimensions []Dimension `json:"dimensions,omitempty"`
	// CategoryOptionCombos maps each combination of option codes, joined
	// with "|" in dimension order, to a DHIS2 category option combo id.
	// Without dimensions it may be empty (DHIS2's default combo) or hold
	// the single key "".
	CategoryOptionCombos map[string]string `json:"category_option_combos,omitempty"`
	// ZeroFill sends, for every organisation unit and period that has a
	// value, every category option combo of the entry, zeros included, so
	// that a value a void or correction lowered to zero is overwritten in
	// DHIS2 (whose data element must then store zeros). Without it only
	// non-zero values are sent, and a combination that drops to zero keeps
	// its old value in DHIS2 until it is corrected there.
	ZeroFill bool `json:"zero_fill,omitempty"`
}

// Dimension maps one vaxtrace dimension to a DHIS2 category.
type Dimension struct {
	Name string `json:"name"`
	// Category is the DHIS2 category's code, the attribute name of the
	// dimension in ADX; required for ADX only.
	Category string   `json:"category,omitempty"`
	Options  []Option `json:"options"`
}

// Option is one DHIS2 category option and the vaxtrace values it counts.
type Option struct {
	// Code names the option in CategoryOptionCombos keys and is its ADX
	// value (the DHIS2 category option code).
	Code string `json:"code"`
	// Values are the vaxtrace values this option counts ("*": every value
	// no other option of the dimension names). Empty: the code itself.
	Values []string `json:"values,omitempty"`
}

func (e *Entry) label(i int) string {
	if e.Name != "" {
		return fmt.Sprintf(defaultEntryNameFmt+" (%s)", i, e.Name)
	}
	return fmt.Sprintf(defaultEntryNameFmt, i)
}

// ParseMapping reads and validates a mapping document.
func ParseMapping(r io.Reader) (*Mapping, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxMappingBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxMappingBytes {
		return nil, vaxtrace.Errorf(vaxtrace.ETOOLARGE, "the mapping is larger than %d MiB", maxMappingBytes>>20)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var m Mapping
	if err := dec.Decode(&m); err != nil {
		return nil, vaxtrace.Errorf(vaxtrace.EINVALID, "the mapping is not valid JSON of the mapping format: %v", err)
	}
	if dec.More() {
		return nil, vaxtrace.Errorf(vaxtrace.EINVALID, "the mapping has data after its JSON object")
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return &m, nil
}

// Validate checks the mapping on its own: every entry names a known
// measure, its data element and organisation unit level (the dimensions
// every DHIS2 data value needs), only dimensions the measure has, options
// without overlap, and a category option combo for every combination of
// options. Errors name the entry.
func (m *Mapping) Validate() error {
	if len(m.Entries) == 0 {
		return vaxtrace.FieldError("entries", "the mapping has no entries")
	}
	if len(m.OrgUnits) == 0 {
		return vaxtrace.FieldError("org_units", "required: the DHIS2 organisation unit of each region, point or \"national\"")
	}
	for k, v := range m.OrgUnits {
		if k == "" || strings.TrimSpace(v) == "" {
			return vaxtrace.FieldError("org_units", "%q: needs a vaxtrace region code, point id or \"national\" and a DHIS2 organisation unit id", k)
		}
	}
	for i := range m.Entries {
		if err := m.Entries[i].validate(i); err != nil {
			return err
		}
	}
	return nil
}

func (e *Entry) validate(i int) error {
	at := e.label(i)
	spec, ok := measures[e.Measure]
	if !ok {
		if e.Measure == "" {
			return vaxtrace.FieldError(fmt.Sprintf(defaultEntryNameFmt+".measure", i), "%s: required (one of %s)", at, strings.Join(Measures(), ", "))
		}
		return vaxtrace.FieldError(fmt.Sprintf(defaultEntryNameFmt+".measure", i), "%s: unknown measure %q (one of %s)", at, e.Measure, strings.Join(Measures(), ", "))
	}
	if strings.TrimSpace(e.DataElement) == "" {
		return vaxtrace.FieldError(fmt.Sprintf(defaultEntryNameFmt+".data_element", i), "%s: the required dimension data_element is missing (the DHIS2 data element id)", at)
	}
	if e.Level == "" {
		return vaxtrace.FieldError(fmt.Sprintf(defaultEntryNameFmt+".level", i), "%s: the required dimension level is missing: the organisation units the values are for (%s)", at, strings.Join(spec.levels, ", "))
	}
	if !slices.Contains(spec.levels, e.Level) {
		return vaxtrace.FieldError(fmt.Sprintf(defaultEntryNameFmt+".level", i), "%s: measure %s is kept at level %s, not %q", at, e.Measure, strings.Join(spec.levels, " or "), e.Level)
	}
	for d, v := range e.Filter {
		if !slices.Contains(spec.dims, d) {
			return vaxtrace.FieldError(fmt.Sprintf(defaultEntryNameFmt+".filter", i), "%s: measure %s has no dimension %q to filter on (it has %s)", at, e.Measure, d, strings.Join(spec.dims, ", "))
		}
		if v == "" {
			return vaxtrace.FieldError(fmt.Sprintf(defaultEntryNameFmt+".filter", i), "%s: filter %s needs a value", at, d)
		}
	}
	seen := map[string]bool{}
	combos := 1
	for j, d := range e.Dimensions {
		f := fmt.Sprintf(defaultEntryNameFmt+".dimensions[%d]", i, j)
		if !slices.Contains(spec.dims, d.Name) {
			return vaxtrace.FieldError(f, "%s: measure %s has no dimension %q (it has %s)", at, e.Measure, d.Name, strings.Join(spec.dims, ", "))
		}
		if seen[d.Name] {
			return vaxtrace.FieldError(f, "%s: dimension %s appears twice", at, d.Name)
		}
		seen[d.Name] = true
		if _, ok := e.Filter[d.Name]; ok {
			return vaxtrace.FieldError(f, "%s: dimension %s is also a filter", at, d.Name)
		}
		if len(d.Options) == 0 || len(d.Options) > maxOptions {
			return vaxtrace.FieldError(f, "%s: dimension %s needs 1 to %d options", at, d.Name, maxOptions)
		}
		codes, values := map[string]bool{}, map[string]string{}
		for _, o := range d.Options {
			if o.Code == "" || strings.Contains(o.Code, "|") {
				return vaxtrace.FieldError(f, "%s: dimension %s has an option without a code, or with \"|\" in it", at, d.Name)
			}
			if codes[o.Code] {
				return vaxtrace.FieldError(f, "%s: dimension %s has option %q twice", at, d.Name, o.Code)
			}
			codes[o.Code] = true
			vs := o.Values
			if len(vs) == 0 {
				vs = []string{o.Code}
			}
			for _, v := range vs {
				if prev, ok := values[v]; ok {
					return vaxtrace.FieldError(f, "%s: dimension %s value %q is counted by both option %q and %q", at, d.Name, v, prev, o.Code)
				}
				values[v] = o.Code
			}
		}
		combos *= len(d.Options)
		if combos > maxCombos {
			return vaxtrace.FieldError(f, "%s: more than %d category option combos", at, maxCombos)
		}
	}
	if len(e.Dimensions) == 0 {
		for k := range e.CategoryOptionCombos {
			if k != "" {
				return vaxtrace.FieldError(fmt.Sprintf(defaultEntryNameFmt+".category_option_combos", i), "%s: has no dimensions, so its only combo key is \"\" (got %q)", at, k)
			}
		}
		return nil
	}
	want := map[string]bool{}
	for _, k := range e.comboKeys() {
		want[k] = true
		if e.CategoryOptionCombos[k] == "" {
			return vaxtrace.FieldError(fmt.Sprintf(defaultEntryNameFmt+".category_option_combos", i), "%s: the required category option combo for %q (%s) is missing", at, k, e.describe(k))
		}
	}
	for k := range e.CategoryOptionCombos {
		if !want[k] {
			return vaxtrace.FieldError(fmt.Sprintf(defaultEntryNameFmt+".category_option_combos", i), "%s: %q is not a combination of the dimensions' option codes (%s)", at, k, e.dimNames())
		}
	}
	return nil
}

// comboKeys lists every combination of option codes in index order
// (the last dimension varies fastest).
func (e *Entry) comboKeys() []string {
	keys := []string{""}
	for j, d := range e.Dimensions {
		var next []string
		for _, k := range keys {
			for _, o := range d.Options {
				if j == 0 {
					next = append(next, o.Code)
				} else {
					next = append(next, k+"|"+o.Code)
				}
			}
		}
		keys = next
	}
	return keys
}

func (e *Entry) dimNames() string {
	var n []string
	for _, d := range e.Dimensions {
		n = append(n, d.Name)
	}
	return strings.Join(n, "|")
}

func (e *Entry) describe(key string) string {
	parts := strings.Split(key, "|")
	var out []string
	for j, d := range e.Dimensions {
		if j < len(parts) {
			out = append(out, d.Name+"="+parts[j])
		}
	}
	return strings.Join(out, ", ")
}

// Source is what Compute reads: vaxtrace.State satisfies it (read it under
// the engine's read lock).
type Source interface {
	EachDoseFact(fn func(vaxtrace.DoseFact) bool)
	Daily(region, product string, m int, from, to vaxtrace.Date) []int64
	StockPosition(region string, asOf vaxtrace.Date) []vaxtrace.StockLine
	Regions() []*vaxtrace.Region
	Place(id string) *vaxtrace.PlaceState
	Products() []*vaxtrace.Product
}

// Check validates the mapping against a store: every OrgUnits key is a
// region, a vaccination point or "national", and every filter names a
// known product, component, age band, sex or dose.
func (m *Mapping) Check(s Source) error {
	regions := map[string]bool{}
	for _, r := range s.Regions() {
		regions[r.Code] = true
	}
	for k := range m.OrgUnits {
		if k == OrgUnitNational || regions[k] {
			continue
		}
		if pl := s.Place(k); pl != nil && pl.Kind == vaxtrace.PlacePoint {
			continue
		}
		return vaxtrace.FieldError("org_units", "%q is not a region code, a vaccination point or \"national\"", k)
	}
	products := map[string]*vaxtrace.Product{}
	for _, p := range s.Products() {
		products[p.Code] = p
	}
	for i := range m.Entries {
		e := &m.Entries[i]
		for d, v := range e.Filter {
			ok := true
			switch d {
			case DimProduct:
				ok = products[v] != nil
			case DimAgeBand:
				ok = slices.Contains(vaxtrace.AgeBands, v)
			case DimSex:
				ok = v == vaxtrace.SexMale || v == vaxtrace.SexFemale || v == vaxtrace.SexUnknown
			case DimDose:
				ok = v == "booster" || isPositive(v)
			}
			if !ok {
				return vaxtrace.FieldError(fmt.Sprintf(defaultEntryNameFmt+".filter", i), "%s: %s %q is not known", e.label(i), d, v)
			}
		}
	}
	return nil
}

func isPositive(s string) bool {
	if s == "" || s[0] == '0' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
