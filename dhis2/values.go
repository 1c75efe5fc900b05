package dhis2

import (
	"slices"
	"strconv"

	"vaxtrace"
)

// Value is one DHIS2 data value.
type Value struct {
	DataElement string
	Period      string // DHIS2 period id
	OrgUnit     string
	COC         string   // category option combo ("" = DHIS2's default)
	Options     []string // option codes in dimension order (ADX)
	Value       int64
	entry       int
	period      int
	ou          string // vaxtrace org unit key
}

// Result is what Compute produced.
type Result struct {
	Mapping *Mapping
	Periods Periods
	Values  []Value
	// UnmappedOrgUnits counts, by region or point, the facts or values that
	// were not sent because the mapping gives no DHIS2 organisation unit.
	UnmappedOrgUnits map[string]int64
	// UnmappedValues counts facts whose dimension value no option counts
	// (e.g. a third primary dose where the options are 1, 2 and booster).
	UnmappedValues int64
}

type cellKey struct {
	entry  int32
	ou     int32
	period int32
}

// compiled is an entry ready for the pass over the facts.
type compiled struct {
	*Entry
	index   int
	dims    []compiledDim
	combos  int
	cocs    []string   // by combo index
	options [][]string // option codes by combo index
	filter  [5]string  // by dimension id; "" = none
}

type compiledDim struct {
	id     int // dimension id (dimIDs)
	values map[string]int
	star   int // option index of "*", -1 if none
	stride int
}

var dimIDs = map[string]int{DimDose: 0, DimProduct: 1, DimComponent: 2, DimAgeBand: 3, DimSex: 4}

func compile(m *Mapping, i int) *compiled {
	e := &m.Entries[i]
	c := &compiled{Entry: e, index: i, combos: 1}
	for d, v := range e.Filter {
		c.filter[dimIDs[d]] = v
	}
	for j := len(e.Dimensions) - 1; j >= 0; j-- {
		d := e.Dimensions[j]
		cd := compiledDim{id: dimIDs[d.Name], values: map[string]int{}, star: -1, stride: c.combos}
		for k, o := range d.Options {
			vs := o.Values
			if len(vs) == 0 {
				vs = []string{o.Code}
			}
			for _, v := range vs {
				if v == anyValue {
					cd.star = k
				} else {
					cd.values[v] = k
				}
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

// combo returns the combo index of a fact's dimension values, or -1 when a
// filter excludes it or an option is missing (unmapped).
func (c *compiled) combo(vals *[5]string) (int, bool) {
	for id, want := range c.filter {
		if want != "" && vals[id] != want {
			return -1, false
		}
	}
	idx := 0
	for _, d := range c.dims {
		k, ok := d.values[vals[d.id]]
		if !ok {
			if d.star < 0 {
				return -1, true
			}
			k = d.star
		}
		idx += k * d.stride
	}
	return idx, false
}

var doseNames = func() []string {
	out := make([]string, 21)
	for i := range out {
		out[i] = strconv.Itoa(i)
	}
	return out
}()

func doseValue(f *vaxtrace.DoseFact) string {
	if f.Booster {
		return "booster"
	}
	if f.Number >= 0 && f.Number < len(doseNames) {
		return doseNames[f.Number]
	}
	return strconv.Itoa(f.Number)
}

// acc accumulates values by cell.
type acc struct {
	m      *Mapping
	ous    []string         // vaxtrace org unit keys by index
	ouIdx  map[string]int32 // key -> index
	cells  map[cellKey][]int64
	combos []int
	res    *Result
}

func (a *acc) ou(key string) (int32, bool) {
	if i, ok := a.ouIdx[key]; ok {
		return i, i >= 0
	}
	if _, ok := a.m.OrgUnits[key]; !ok {
		a.ouIdx[key] = -1
		return -1, false
	}
	i := int32(len(a.ous))
	a.ous = append(a.ous, key)
	a.ouIdx[key] = i
	return i, true
}

func (a *acc) add(entry int, ouKey string, period int, combo int, n int64) {
	ou, ok := a.ou(ouKey)
	if !ok {
		a.res.UnmappedOrgUnits[ouKey] += n
		return
	}
	k := cellKey{int32(entry), ou, int32(period)}
	cell := a.cells[k]
	if cell == nil {
		cell = make([]int64, a.combos[entry])
		a.cells[k] = cell
	}
	cell[combo] += n
}

// Compute builds the data values of every mapping entry for the periods,
// in one pass over the valid doses plus the counters; the values are
// sorted by entry, organisation unit, period and combo, so the same state
// always gives the same payload.
func Compute(s Source, m *Mapping, p Periods) *Result {
	res := &Result{Mapping: m, Periods: p, UnmappedOrgUnits: map[string]int64{}}
	a := &acc{m: m, ouIdx: map[string]int32{}, cells: map[cellKey][]int64{}, res: res}
	var facts, counters []*compiled
	for i := range m.Entries {
		c := compile(m, i)
		a.combos = append(a.combos, c.combos)
		switch c.Measure {
		case MeasureDoses, MeasurePeopleFirst, MeasurePeopleFull:
			facts = append(facts, c)
		default:
			counters = append(counters, c)
		}
	}
	if len(facts) > 0 {
		var vals [5]string
		s.EachDoseFact(func(f vaxtrace.DoseFact) bool {
			pi := p.Index(f.Day)
			if pi < 0 {
				return true
			}
			vals[0] = doseValue(&f)
			vals[1], vals[2], vals[4] = f.Product, f.Component, f.Sex
			if int(f.AgeBand) < len(vaxtrace.AgeBands) {
				vals[3] = vaxtrace.AgeBands[f.AgeBand]
			} else {
				vals[3] = ""
			}
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
				var ou string
				switch c.Level {
				case LevelPoint:
					ou = f.Place
				case LevelRegion:
					ou = f.Region
				default:
					ou = OrgUnitNational
				}
				a.add(c.index, ou, pi, k, 1)
			}
			return true
		})
	}
	for _, c := range counters {
		switch c.Measure {
		case MeasurePeopleBoost:
			boosted(s, a, c, p)
		default:
			stock(s, a, c, p)
		}
	}
	res.Values = a.values(p)
	return res
}

// boosted reads people boosted from the coverage counters, by region and
// product.
func boosted(s Source, a *acc, c *compiled, p Periods) {
	var vals [5]string
	for _, r := range s.Regions() {
		for _, prod := range s.Products() {
			vals[1] = prod.Code
			k, unmapped := c.combo(&vals)
			if k < 0 {
				if unmapped {
					a.res.UnmappedValues++
				}
				continue
			}
			ou := r.Code
			if c.Level == LevelNational {
				ou = OrgUnitNational
			}
			for d, n := range s.Daily(r.Code, prod.Code, vaxtrace.MBoosted, p.From, p.To) {
				if n != 0 {
					a.add(c.index, ou, p.Index(p.From+vaxtrace.Date(d)), k, n)
				}
			}
		}
	}
}

// stock reads stock on hand at the end of each period, or the doses written
// off during it, from the flow counters (by region and product component;
// the national level is the whole country).
func stock(s Source, a *acc, c *compiled, p Periods) {
	type lineKey struct{ region, product, component string }
	var prev map[lineKey]int64
	if c.Measure == MeasureWastage {
		prev = map[lineKey]int64{}
		for _, ln := range s.StockPosition("", p.From-1) {
			prev[lineKey{ln.Region, ln.Product, ln.Component}] = ln.WrittenOff
		}
	}
	var vals [5]string
	for i := 0; i < p.Len(); i++ {
		_, end := p.Bounds(i)
		lines := s.StockPosition("", end)
		for _, ln := range lines {
			lk := lineKey{ln.Region, ln.Product, ln.Component}
			n := ln.OnHand
			if c.Measure == MeasureWastage {
				n = ln.WrittenOff - prev[lk]
				prev[lk] = ln.WrittenOff
			}
			vals[1], vals[2] = ln.Product, ln.Component
			k, unmapped := c.combo(&vals)
			if k < 0 {
				if unmapped && n != 0 {
					a.res.UnmappedValues++
				}
				continue
			}
			ou := OrgUnitNational
			if c.Level == LevelRegion {
				if ln.Region == "" {
					continue // the national warehouses belong to no region
				}
				ou = ln.Region
			}
			if n != 0 || ln.OnHand != 0 {
				a.add(c.index, ou, i, k, n)
			}
		}
	}
}

// values turns the cells into sorted data values; every combo of a cell is
// sent, zeros included (see the package comment).
func (a *acc) values(p Periods) []Value {
	keys := make([]cellKey, 0, len(a.cells))
	for k := range a.cells {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(x, y cellKey) int {
		if x.entry != y.entry {
			return int(x.entry - y.entry)
		}
		if ox, oy := a.ous[x.ou], a.ous[y.ou]; ox != oy {
			if ox < oy {
				return -1
			}
			return 1
		}
		return int(x.period - y.period)
	})
	compiledEntries := make([]*compiled, len(a.m.Entries))
	n := 0
	for _, k := range keys {
		n += len(a.cells[k])
	}
	out := make([]Value, 0, n)
	periodIDs := map[int32]string{}
	for _, k := range keys {
		c := compiledEntries[k.entry]
		if c == nil {
			c = compile(a.m, int(k.entry))
			compiledEntries[k.entry] = c
		}
		pid, ok := periodIDs[k.period]
		if !ok {
			pid = p.ID(int(k.period))
			periodIDs[k.period] = pid
		}
		ouKey := a.ous[k.ou]
		for combo, v := range a.cells[k] {
			if v == 0 && !c.ZeroFill {
				continue
			}
			out = append(out, Value{DataElement: c.DataElement, Period: pid, OrgUnit: a.m.OrgUnits[ouKey], COC: c.cocs[combo], Options: c.options[combo],
				Value: v, entry: int(k.entry), period: int(k.period), ou: ouKey})
		}
	}
	return out
}
