package dhis2

import (
	"slices"
	"strconv"

	"vaxtrace"
)

// Value is one DHIS2 data value, by index (Result turns it into text): 24
// bytes, so a year of daily values for every point fits easily.
type Value struct {
	Entry   int32 // index of the mapping entry
	OrgUnit int32 // index into Result.OrgUnitKeys
	Period  int32 // index into Result.Periods
	Combo   int32 // category option combo of the entry (index into its combinations)
	Value   int64
}

// Result is what Compute produced.
type Result struct {
	Mapping *Mapping
	Periods Periods
	Values  []Value // by entry, organisation unit key, period and combo
	// OrgUnitKeys are the mapping's org unit keys (region codes, point ids,
	// "national"), sorted; Value.OrgUnit indexes them.
	OrgUnitKeys []string
	// UnmappedOrgUnits counts, by region or point, the facts or values that
	// were not sent because the mapping gives no DHIS2 organisation unit.
	UnmappedOrgUnits map[string]int64
	// UnmappedValues counts facts whose dimension value no option counts
	// (e.g. a third primary dose where the options are 1, 2 and booster).
	UnmappedValues int64

	entries   []*compiled
	periodIDs []string
}

// DataValue returns v as DHIS2 identifiers.
func (r *Result) DataValue(v *Value) DataValue {
	c := r.entries[v.Entry]
	return DataValue{DataElement: c.DataElement, Period: r.PeriodID(int(v.Period)), OrgUnit: r.Mapping.OrgUnits[r.OrgUnitKeys[v.OrgUnit]],
		CategoryOptionCombo: c.cocs[v.Combo], AttributeOptionCombo: r.Mapping.AttributeOptionCombo, Value: strconv.FormatInt(v.Value, 10)}
}

// PeriodID is DHIS2's identifier of period i.
func (r *Result) PeriodID(i int) string {
	if r.periodIDs == nil {
		r.periodIDs = make([]string, r.Periods.Len())
		for k := range r.periodIDs {
			r.periodIDs[k] = r.Periods.ID(k)
		}
	}
	return r.periodIDs[i]
}

// Options returns the option codes of v's combo, in dimension order (ADX).
func (r *Result) Options(v *Value) []string { return r.entries[v.Entry].options[v.Combo] }

// compiled is an entry ready for the pass over the facts.
type compiled struct {
	*Entry
	index   int
	combos  int
	cocs    []string   // by combo index
	options [][]string // option codes by combo index
	dims    []compiledDim
	filter  [numDims]int32 // value index a filter requires, -1 = none
	level   int
}

// dimensions and the universe of their values, as indexes
const (
	dDose = iota
	dProduct
	dComponent
	dAge
	dSex
	numDims
)

var dimIDs = map[string]int{DimDose: dDose, DimProduct: dProduct, DimComponent: dComponent, DimAgeBand: dAge, DimSex: dSex}

type compiledDim struct {
	id     int
	option []int16 // option of each value index; -1 none
	star   int16   // option of "*" (every other value), -1 none
	stride int
}

func (d *compiledDim) of(v int32) int16 {
	if v >= 0 && int(v) < len(d.option) {
		if o := d.option[v]; o >= 0 {
			return o
		}
	}
	return d.star
}

// universe numbers the values of every dimension. Dose values: 0..maxDose
// for primary doses, boosterValue for boosters.
type universe struct {
	names [numDims][]string
	index [numDims]map[string]int32
}

const (
	maxDose      = 20
	boosterValue = maxDose + 1
)

func newUniverse(products []*vaxtrace.Product) *universe {
	u := &universe{}
	for d := range u.index {
		u.index[d] = map[string]int32{}
	}
	for i := 0; i <= maxDose; i++ {
		u.add(dDose, strconv.Itoa(i))
	}
	u.add(dDose, "booster")
	for _, b := range vaxtrace.AgeBands {
		u.add(dAge, b)
	}
	for _, s := range []string{vaxtrace.SexMale, vaxtrace.SexFemale, vaxtrace.SexUnknown} {
		u.add(dSex, s)
	}
	for _, p := range products {
		u.add(dProduct, p.Code)
		for _, c := range p.Components {
			u.add(dComponent, c.Code)
		}
	}
	return u
}

func (u *universe) add(d int, v string) int32 {
	if i, ok := u.index[d][v]; ok {
		return i
	}
	i := int32(len(u.names[d]))
	u.names[d] = append(u.names[d], v)
	u.index[d][v] = i
	return i
}

// lookup returns a value's index; values outside the universe are added
// (a product defined after the entry was compiled still counts for "*").
func (u *universe) lookup(d int, v string) int32 {
	names := u.names[d]
	if len(names) <= 16 { // a short scan beats hashing for the few products
		for i, n := range names {
			if n == v {
				return int32(i)
			}
		}
	}
	return u.add(d, v)
}

const (
	lvNational = iota
	lvRegion
	lvPoint
)

func compile(m *Mapping, i int, u *universe) *compiled {
	e := &m.Entries[i]
	c := &compiled{Entry: e, index: i, combos: 1}
	switch e.Level {
	case LevelPoint:
		c.level = lvPoint
	case LevelRegion:
		c.level = lvRegion
	}
	for k := range c.filter {
		c.filter[k] = -1
	}
	for d, v := range e.Filter {
		c.filter[dimIDs[d]] = u.add(dimIDs[d], v)
	}
	for j := len(e.Dimensions) - 1; j >= 0; j-- {
		d := e.Dimensions[j]
		cd := compiledDim{id: dimIDs[d.Name], star: -1, stride: c.combos}
		for k, o := range d.Options {
			vs := o.Values
			if len(vs) == 0 {
				vs = []string{o.Code}
			}
			for _, v := range vs {
				if v == anyValue {
					cd.star = int16(k)
					continue
				}
				x := u.add(cd.id, v)
				for int(x) >= len(cd.option) {
					cd.option = append(cd.option, -1)
				}
				cd.option[x] = int16(k)
			}
		}
		c.combos *= len(d.Options)
		c.dims = append([]compiledDim{cd}, c.dims...)
	}
	keys := e.comboKeys()
	c.cocs = make([]string, c.combos)
	c.options = make([][]string, c.combos)
	for k, key := range keys {
		c.cocs[k] = e.CategoryOptionCombos[key]
		if len(e.Dimensions) > 0 {
			c.options[k] = splitKey(key)
		}
	}
	return c
}

func splitKey(k string) []string {
	var out []string
	start := 0
	for i := 0; i < len(k); i++ {
		if k[i] == '|' {
			out = append(out, k[start:i])
			start = i + 1
		}
	}
	return append(out, k[start:])
}

// combo returns the combo of a fact's value indexes, or -1 when a filter
// excludes it (unmapped false) or no option counts a value (unmapped true).
func (c *compiled) combo(vals *[numDims]int32) (int, bool) {
	for id, want := range c.filter {
		if want >= 0 && vals[id] != want {
			return -1, false
		}
	}
	idx := 0
	for i := range c.dims {
		d := &c.dims[i]
		k := d.of(vals[d.id])
		if k < 0 {
			return -1, true
		}
		idx += int(k) * d.stride
	}
	return idx, false
}

// acc accumulates values densely: by entry, org unit, period and combo.
type acc struct {
	res     *Result
	periods int
	ouIdx   map[string]int32
	cells   [][][]int64 // [entry][ou] -> periods*combos, allocated when first used
	touched [][][]bool  // [entry][ou] -> periods that received anything
}

func (a *acc) add(c *compiled, ou int32, period, combo int, n int64) {
	row := a.cells[c.index][ou]
	if row == nil {
		row = make([]int64, a.periods*c.combos)
		a.cells[c.index][ou] = row
		a.touched[c.index][ou] = make([]bool, a.periods)
	}
	row[period*c.combos+combo] += n
	a.touched[c.index][ou][period] = true
}

// ou returns the index of an org unit key, counting n as unmapped when the
// mapping has none.
func (a *acc) ou(key string, n int64) int32 {
	if i, ok := a.ouIdx[key]; ok {
		return i
	}
	a.res.UnmappedOrgUnits[key] += n
	return -1
}

// Compute builds the data values of every mapping entry for the periods,
// in one pass over the valid doses plus the counters; the values are
// sorted by entry, organisation unit, period and combo, so the same state
// always gives the same payload.
func Compute(s Source, m *Mapping, p Periods) *Result {
	res := &Result{Mapping: m, Periods: p, UnmappedOrgUnits: map[string]int64{}}
	for k := range m.OrgUnits {
		res.OrgUnitKeys = append(res.OrgUnitKeys, k)
	}
	slices.Sort(res.OrgUnitKeys)
	a := &acc{res: res, periods: p.Len(), ouIdx: map[string]int32{}}
	for i, k := range res.OrgUnitKeys {
		a.ouIdx[k] = int32(i)
	}
	u := newUniverse(s.Products())
	var facts, counters []*compiled
	levels := [3]bool{}
	for i := range m.Entries {
		c := compile(m, i, u)
		res.entries = append(res.entries, c)
		a.cells = append(a.cells, make([][]int64, len(res.OrgUnitKeys)))
		a.touched = append(a.touched, make([][]bool, len(res.OrgUnitKeys)))
		switch c.Measure {
		case MeasureDoses, MeasurePeopleFirst, MeasurePeopleFull:
			facts = append(facts, c)
			levels[c.level] = true
		default:
			counters = append(counters, c)
		}
	}
	if len(facts) > 0 {
		national := a.ouIdx[OrgUnitNational]
		if _, ok := a.ouIdx[OrgUnitNational]; !ok {
			national = -1
		}
		var vals [numDims]int32
		s.EachDoseFact(func(f vaxtrace.DoseFact) bool {
			pi := p.Index(f.Day)
			if pi < 0 {
				return true
			}
			switch {
			case f.Booster:
				vals[dDose] = boosterValue
			case f.Number >= 0 && f.Number <= maxDose:
				vals[dDose] = int32(f.Number)
			default:
				vals[dDose] = maxDose
			}
			vals[dProduct] = u.lookup(dProduct, f.Product)
			vals[dComponent] = u.lookup(dComponent, f.Component)
			vals[dAge] = int32(f.AgeBand)
			switch f.Sex {
			case vaxtrace.SexMale:
				vals[dSex] = 0
			case vaxtrace.SexFemale:
				vals[dSex] = 1
			default:
				vals[dSex] = 2
			}
			ous := [3]int32{national, -2, -2} // by level; -2: not looked up yet
			for _, c := range facts {
				switch c.Measure {
				case MeasurePeopleFirst:
					if f.Number != 1 || f.Booster {
						continue
					}
				case MeasurePeopleFull:
					if !f.Complete {
						continue
					}
				}
				k, unmapped := c.combo(&vals)
				if k < 0 {
					if unmapped {
						res.UnmappedValues++
					}
					continue
				}
				ou := ous[c.level]
				if ou == -2 {
					if c.level == lvPoint {
						ou = a.ou(f.Place, 0)
					} else {
						ou = a.ou(f.Region, 0)
					}
					ous[c.level] = ou
				}
				if ou < 0 {
					key := OrgUnitNational
					switch c.level {
					case lvPoint:
						key = f.Place
					case lvRegion:
						key = f.Region
					}
					res.UnmappedOrgUnits[key]++
					continue
				}
				a.add(c, ou, pi, k, 1)
			}
			return true
		})
	}
	for _, c := range counters {
		switch c.Measure {
		case MeasurePeopleBoost:
			boosted(s, a, c, u)
		default:
			stock(s, a, c, u)
		}
	}
	res.Values = a.values()
	return res
}

// boosted reads people boosted from the coverage counters, by region and
// product.
func boosted(s Source, a *acc, c *compiled, u *universe) {
	p := a.res.Periods
	var vals [numDims]int32
	for _, r := range s.Regions() {
		for _, prod := range s.Products() {
			vals[dProduct] = u.lookup(dProduct, prod.Code)
			k, unmapped := c.combo(&vals)
			if k < 0 {
				if unmapped {
					a.res.UnmappedValues++
				}
				continue
			}
			key := r.Code
			if c.level == lvNational {
				key = OrgUnitNational
			}
			for d, n := range s.Daily(r.Code, prod.Code, vaxtrace.MBoosted, p.From, p.To) {
				if n == 0 {
					continue
				}
				if ou := a.ou(key, n); ou >= 0 {
					a.add(c, ou, p.Index(p.From+vaxtrace.Date(d)), k, n)
				}
			}
		}
	}
}

// stock reads stock on hand at the end of each period, or the doses written
// off during it, from the flow counters (by region and product component;
// the national level is the whole country).
func stock(s Source, a *acc, c *compiled, u *universe) {
	p := a.res.Periods
	type lineKey struct{ region, product, component string }
	var prev map[lineKey]int64
	if c.Measure == MeasureWastage {
		prev = map[lineKey]int64{}
		for _, ln := range s.StockPosition("", p.From-1) {
			prev[lineKey{ln.Region, ln.Product, ln.Component}] = ln.WrittenOff
		}
	}
	var vals [numDims]int32
	for i := 0; i < p.Len(); i++ {
		_, end := p.Bounds(i)
		for _, ln := range s.StockPosition("", end) {
			lk := lineKey{ln.Region, ln.Product, ln.Component}
			n := ln.OnHand
			if c.Measure == MeasureWastage {
				n = ln.WrittenOff - prev[lk]
				prev[lk] = ln.WrittenOff
			}
			vals[dProduct], vals[dComponent] = u.lookup(dProduct, ln.Product), u.lookup(dComponent, ln.Component)
			k, unmapped := c.combo(&vals)
			if k < 0 {
				if unmapped && n != 0 {
					a.res.UnmappedValues++
				}
				continue
			}
			key := OrgUnitNational
			if c.level == lvRegion {
				if ln.Region == "" {
					continue // the national warehouses belong to no region
				}
				key = ln.Region
			}
			if n == 0 && ln.OnHand == 0 {
				continue
			}
			if ou := a.ou(key, n); ou >= 0 {
				a.add(c, ou, i, k, n)
			}
		}
	}
}

// values lists the data values in order; without zero_fill only non-zero
// ones, with it every combo of a period that received anything.
func (a *acc) values() []Value {
	n := 0
	for e, c := range a.res.entries {
		for ou, row := range a.cells[e] {
			if row == nil {
				continue
			}
			for pi, t := range a.touched[e][ou] {
				if !t {
					continue
				}
				if c.ZeroFill {
					n += c.combos
					continue
				}
				for _, v := range row[pi*c.combos : (pi+1)*c.combos] {
					if v != 0 {
						n++
					}
				}
			}
		}
	}
	out := make([]Value, 0, n)
	for e, c := range a.res.entries {
		for ou, row := range a.cells[e] {
			if row == nil {
				continue
			}
			for pi, t := range a.touched[e][ou] {
				if !t {
					continue
				}
				for k, v := range row[pi*c.combos : (pi+1)*c.combos] {
					if v != 0 || c.ZeroFill {
						out = append(out, Value{Entry: int32(e), OrgUnit: int32(ou), Period: int32(pi), Combo: int32(k), Value: v})
					}
				}
			}
		}
	}
	return out
}
