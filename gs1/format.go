package gs1

import (
	"sort"
	"strings"
)

// elements lists the AIs of c with their values: predefined-length AIs
// first (they need no separator), then the variable-length ones.
func (c Code) elements() [][2]string {
	var fixed, variable [][2]string
	add := func(ai, v string) {
		if v == "" {
			return
		}
		if specOf(ai).fixed > 0 {
			fixed = append(fixed, [2]string{ai, v})
			return
		}
		variable = append(variable, [2]string{ai, v})
	}
	add("01", c.GTIN)
	add("17", c.ExpiryText)
	keys := make([]string, 0, len(c.Other))
	for k := range c.Other {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		add(k, c.Other[k])
	}
	add("10", c.Lot)
	add("21", c.Serial)
	return append(fixed, variable...)
}

// specOf returns the data format of a known AI.
func specOf(ai string) aiSpec {
	if len(ai) == 4 && ai[0] == '3' {
		return aiSpec{name: "MEASURE", fixed: 6, numeric: true}
	}
	return ais[ai]
}

// Bracketed returns the human-readable form, e.g. "(01)…(17)…(10)…".
func (c Code) Bracketed() string {
	var b strings.Builder
	for _, e := range c.elements() {
		b.WriteString("(" + e[0] + ")" + e[1])
	}
	return b.String()
}

// Raw returns the element string as a scanner transmits it (without a
// symbology identifier): a GS after every variable-length field but the last.
func (c Code) Raw() string {
	var b strings.Builder
	es := c.elements()
	for i, e := range es {
		b.WriteString(e[0] + e[1])
		if specOf(e[0]).fixed == 0 && i < len(es)-1 {
			b.WriteByte(GS)
		}
	}
	return b.String()
}
