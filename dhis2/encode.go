package dhis2

import (
	"bufio"
	"encoding/json"
	"encoding/xml"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"vaxtrace"
)

// DataValue is one value of a dataValueSets payload, as DHIS2 documents it.
type DataValue struct {
	DataElement          string `json:"dataElement"`
	Period               string `json:"period"`
	OrgUnit              string `json:"orgUnit"`
	CategoryOptionCombo  string `json:"categoryOptionCombo,omitempty"`
	AttributeOptionCombo string `json:"attributeOptionCombo,omitempty"`
	Value                string `json:"value"`
}

// DataValueSet is the dataValueSets payload.
type DataValueSet struct {
	DataSet    string      `json:"dataSet,omitempty"`
	DataValues []DataValue `json:"dataValues"`
}

// EncodeJSON writes values (all or part of r.Values) as a DHIS2
// dataValueSets JSON payload (the bulk form: period and orgUnit on every
// value). It writes the bytes encoding/json writes for a DataValueSet (the
// test compares), faster.
func EncodeJSON(w io.Writer, r *Result, vals []Value) error {
	m := r.Mapping
	bw := bufio.NewWriterSize(w, 256<<10)
	var b []byte
	b = append(b, '{')
	if m.DataSet != "" {
		b = append(b, `"dataSet":`...)
		b = appendJSONString(b, m.DataSet)
		b = append(b, ',')
	}
	b = append(b, `"dataValues":[`...)
	ouIDs := make([]string, len(r.OrgUnitKeys))
	for i, k := range r.OrgUnitKeys {
		ouIDs[i] = m.OrgUnits[k]
	}
	for i := range vals {
		v := &vals[i]
		c := r.entries[v.Entry]
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"dataElement":`...)
		b = appendJSONString(b, c.DataElement)
		b = append(b, `,"period":`...)
		b = appendJSONString(b, r.PeriodID(int(v.Period)))
		b = append(b, `,"orgUnit":`...)
		b = appendJSONString(b, ouIDs[v.OrgUnit])
		if coc := c.cocs[v.Combo]; coc != "" {
			b = append(b, `,"categoryOptionCombo":`...)
			b = appendJSONString(b, coc)
		}
		if m.AttributeOptionCombo != "" {
			b = append(b, `,"attributeOptionCombo":`...)
			b = appendJSONString(b, m.AttributeOptionCombo)
		}
		b = append(b, `,"value":"`...)
		b = strconv.AppendInt(b, v.Value, 10)
		b = append(b, `"}`...)
		if len(b) > 128<<10 {
			if _, err := bw.Write(b); err != nil {
				return err
			}
			b = b[:0]
		}
	}
	b = append(b, "]}\n"...)
	if _, err := bw.Write(b); err != nil {
		return err
	}
	return bw.Flush()
}

// appendJSONString appends s quoted; identifiers are plain ASCII, anything
// else goes through encoding/json.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == '"' || c == '\\' || c >= 0x7f || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// EncodeADX writes values as IHE ADX XML (urn:ihe:qrph:adx:2015): one group
// per organisation unit and period with the mapping's data set, each value
// disaggregated by its dimensions' categories as attributes. The mapping
// must name its data set and every dimension's category.
func EncodeADX(w io.Writer, r *Result, exported time.Time) error {
	m := r.Mapping
	if m.DataSet == "" {
		return vaxtrace.FieldError("data_set", "ADX groups name their data set: the mapping needs data_set")
	}
	for i, e := range m.Entries {
		for j, d := range e.Dimensions {
			if !isXMLName(d.Category) {
				return vaxtrace.FieldError("entries["+strconv.Itoa(i)+"].dimensions["+strconv.Itoa(j)+"].category", "%s: ADX needs the DHIS2 category code of dimension %s as an XML attribute name (letters, digits, '_'; not starting with a digit)", e.label(i), d.Name)
			}
		}
	}
	bw := bufio.NewWriterSize(w, 256<<10)
	bw.WriteString(xml.Header)
	bw.WriteString(`<adx xmlns="urn:ihe:qrph:adx:2015" exported="` + exported.UTC().Format(time.RFC3339) + `">` + "\n")
	// ADX groups values by organisation unit and period
	order := make([]int, len(r.Values))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(x, y int) int {
		a, b := &r.Values[x], &r.Values[y]
		if a.OrgUnit != b.OrgUnit {
			return int(a.OrgUnit - b.OrgUnit)
		}
		return int(a.Period - b.Period)
	})
	curOU, curPeriod := int32(-1), int32(-1)
	open := false
	for _, i := range order {
		v := &r.Values[i]
		if !open || v.OrgUnit != curOU || v.Period != curPeriod {
			if open {
				bw.WriteString("  </group>\n")
			}
			bw.WriteString(`  <group orgUnit="`)
			xmlAttr(bw, m.OrgUnits[r.OrgUnitKeys[v.OrgUnit]])
			bw.WriteString(`" period="`)
			xmlAttr(bw, r.Periods.ADX(int(v.Period)))
			bw.WriteString(`" dataSet="`)
			xmlAttr(bw, m.DataSet)
			if m.AttributeOptionCombo != "" {
				bw.WriteString(`" attributeOptionCombo="`)
				xmlAttr(bw, m.AttributeOptionCombo)
			}
			bw.WriteString("\">\n")
			curOU, curPeriod, open = v.OrgUnit, v.Period, true
		}
		bw.WriteString(`    <dataValue dataElement="`)
		xmlAttr(bw, r.entries[v.Entry].DataElement)
		bw.WriteString(`"`)
		for j, opt := range r.Options(v) {
			bw.WriteString(" " + m.Entries[v.Entry].Dimensions[j].Category + `="`)
			xmlAttr(bw, opt)
			bw.WriteString(`"`)
		}
		bw.WriteString(` value="` + strconv.FormatInt(v.Value, 10) + "\"/>\n")
	}
	if open {
		bw.WriteString("  </group>\n")
	}
	bw.WriteString("</adx>\n")
	return bw.Flush()
}

func xmlAttr(w *bufio.Writer, s string) {
	if !strings.ContainsAny(s, `<>&"'`+"\t\n\r") {
		w.WriteString(s)
		return
	}
	_ = xml.EscapeText(w, []byte(s))
}

// isXMLName reports whether s can be an XML attribute name as ADX wants it.
func isXMLName(s string) bool {
	if s == "" || (s[0] >= '0' && s[0] <= '9') {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	switch strings.ToLower(s) {
	case "dataelement", "value", "period", "orgunit", "dataset", "categoryoptioncombo", "attributeoptioncombo":
		return false
	}
	return true
}
