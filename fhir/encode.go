package fhir

import (
	"bytes"
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// Hand-written JSON appenders for the bulk export. They produce exactly the
// bytes encoding/json produces for the same values (with SetEscapeHTML(false);
// TestAppendMatchesEncodingJSON checks it), several times faster.

// appendString appends s as a JSON string. Plain printable ASCII is copied;
// anything else goes through encoding/json so escaping stays identical.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == '"' || c == '\\' || c >= utf8.RuneSelf {
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			_ = enc.Encode(s)
			return append(b, bytes.TrimSuffix(buf.Bytes(), []byte{'\n'})...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// obj writes one JSON object's fields.
type obj struct {
	b     []byte
	first bool
}

func (o *obj) key(k string) {
	if o.first {
		o.first = false
	} else {
		o.b = append(o.b, ',')
	}
	o.b = append(o.b, '"')
	o.b = append(o.b, k...)
	o.b = append(o.b, '"', ':')
}

func (o *obj) str(k, v string) { // omitempty
	if v != "" {
		o.key(k)
		o.b = appendString(o.b, v)
	}
}

func (o *obj) strAlways(k, v string) {
	o.key(k)
	o.b = appendString(o.b, v)
}

func (o *obj) int(k string, v int) { // omitempty
	if v != 0 {
		o.key(k)
		o.b = strconv.AppendInt(o.b, int64(v), 10)
	}
}

func begin(b []byte) obj { return obj{b: append(b, '{'), first: true} }

func (o *obj) end() []byte { return append(o.b, '}') }

func appendCoding(b []byte, c *Coding) []byte {
	o := begin(b)
	o.str("system", c.System)
	o.str("code", c.Code)
	o.str("display", c.Display)
	return o.end()
}

func appendCC(b []byte, cc *CodeableConcept) []byte {
	o := begin(b)
	if len(cc.Coding) > 0 {
		o.key("coding")
		o.b = append(o.b, '[')
		for i := range cc.Coding {
			if i > 0 {
				o.b = append(o.b, ',')
			}
			o.b = appendCoding(o.b, &cc.Coding[i])
		}
		o.b = append(o.b, ']')
	}
	o.str("text", cc.Text)
	return o.end()
}

func appendIdentifier(b []byte, id *Identifier) []byte {
	o := begin(b)
	o.str("use", id.Use)
	o.str("system", id.System)
	o.str("value", id.Value)
	if id.Assigner != nil {
		o.key("assigner")
		o.b = appendReference(o.b, id.Assigner)
	}
	return o.end()
}

func appendMeta(o *obj, m *Meta) {
	if m == nil {
		return
	}
	o.key("meta")
	mo := begin(o.b)
	if len(m.Profile) > 0 {
		mo.key("profile")
		mo.b = append(mo.b, '[')
		for i, p := range m.Profile {
			if i > 0 {
				mo.b = append(mo.b, ',')
			}
			mo.b = appendString(mo.b, p)
		}
		mo.b = append(mo.b, ']')
	}
	o.b = mo.end()
}

func appendReference(b []byte, r *Reference) []byte {
	o := begin(b)
	o.str("reference", r.Reference)
	o.str("type", r.Type)
	if r.Identifier != nil {
		o.key("identifier")
		o.b = appendIdentifier(o.b, r.Identifier)
	}
	o.str("display", r.Display)
	return o.end()
}

func appendExtensions(o *obj, xs []Extension) {
	if len(xs) == 0 {
		return
	}
	o.key("extension")
	o.b = append(o.b, '[')
	for i := range xs {
		if i > 0 {
			o.b = append(o.b, ',')
		}
		e := begin(o.b)
		e.strAlways("url", xs[i].URL)
		e.str("valueCode", xs[i].ValueCode)
		e.str("valueString", xs[i].ValueString)
		if xs[i].ValueCoding != nil {
			e.key("valueCoding")
			e.b = appendCoding(e.b, xs[i].ValueCoding)
		}
		o.b = e.end()
	}
	o.b = append(o.b, ']')
}

func appendIdentifiers(o *obj, ids []Identifier) {
	if len(ids) == 0 {
		return
	}
	o.key("identifier")
	o.b = append(o.b, '[')
	for i := range ids {
		if i > 0 {
			o.b = append(o.b, ',')
		}
		o.b = appendIdentifier(o.b, &ids[i])
	}
	o.b = append(o.b, ']')
}

// appendPatient appends p as JSON (no newline).
func appendPatient(b []byte, p *Patient) []byte {
	o := begin(b)
	o.strAlways("resourceType", p.ResourceType)
	o.str("id", p.ID)
	appendMeta(&o, p.Meta)
	appendExtensions(&o, p.Extension)
	appendIdentifiers(&o, p.Identifier)
	if len(p.Name) > 0 {
		o.key("name")
		o.b = append(o.b, '[')
		for i := range p.Name {
			if i > 0 {
				o.b = append(o.b, ',')
			}
			n := begin(o.b)
			n.str("use", p.Name[i].Use)
			n.str("text", p.Name[i].Text)
			n.str("family", p.Name[i].Family)
			if len(p.Name[i].Given) > 0 {
				n.key("given")
				n.b = append(n.b, '[')
				for j, g := range p.Name[i].Given {
					if j > 0 {
						n.b = append(n.b, ',')
					}
					n.b = appendString(n.b, g)
				}
				n.b = append(n.b, ']')
			}
			o.b = n.end()
		}
		o.b = append(o.b, ']')
	}
	o.str("gender", p.Gender)
	o.str("birthDate", p.BirthDate)
	if len(p.Address) > 0 {
		o.key("address")
		o.b = append(o.b, '[')
		for i := range p.Address {
			if i > 0 {
				o.b = append(o.b, ',')
			}
			a := begin(o.b)
			a.str("use", p.Address[i].Use)
			a.str("state", p.Address[i].State)
			a.str("country", p.Address[i].Country)
			o.b = a.end()
		}
		o.b = append(o.b, ']')
	}
	return o.end()
}

// appendImmunization appends m as JSON (no newline). Fields vaxtrace never
// exports (occurrenceString, note, doseQuantity) fall back to encoding/json.
func appendImmunization(b []byte, m *Immunization) []byte {
	if m.OccurrenceString != "" || len(m.Note) > 0 || m.DoseQuantity != nil {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(m)
		return append(b, bytes.TrimSuffix(buf.Bytes(), []byte{'\n'})...)
	}
	o := begin(b)
	o.strAlways("resourceType", m.ResourceType)
	o.str("id", m.ID)
	appendMeta(&o, m.Meta)
	appendExtensions(&o, m.Extension)
	appendIdentifiers(&o, m.Identifier)
	o.str("status", m.Status)
	if m.VaccineCode != nil {
		o.key("vaccineCode")
		o.b = appendCC(o.b, m.VaccineCode)
	}
	if m.Patient != nil {
		o.key("patient")
		o.b = appendReference(o.b, m.Patient)
	}
	o.str("occurrenceDateTime", m.OccurrenceDateTime)
	o.str("recorded", m.Recorded)
	if m.PrimarySource != nil {
		o.key("primarySource")
		o.b = strconv.AppendBool(o.b, *m.PrimarySource)
	}
	if m.Location != nil {
		o.key("location")
		o.b = appendReference(o.b, m.Location)
	}
	if m.Manufacturer != nil {
		o.key("manufacturer")
		o.b = appendReference(o.b, m.Manufacturer)
	}
	o.str("lotNumber", m.LotNumber)
	o.str("expirationDate", m.ExpirationDate)
	if len(m.Performer) > 0 {
		o.key("performer")
		o.b = append(o.b, '[')
		for i := range m.Performer {
			if i > 0 {
				o.b = append(o.b, ',')
			}
			p := begin(o.b)
			if m.Performer[i].Function != nil {
				p.key("function")
				p.b = appendCC(p.b, m.Performer[i].Function)
			}
			p.key("actor")
			p.b = appendReference(p.b, &m.Performer[i].Actor)
			o.b = p.end()
		}
		o.b = append(o.b, ']')
	}
	if len(m.ProtocolApplied) > 0 {
		o.key("protocolApplied")
		o.b = append(o.b, '[')
		for i := range m.ProtocolApplied {
			pa := &m.ProtocolApplied[i]
			if i > 0 {
				o.b = append(o.b, ',')
			}
			p := begin(o.b)
			p.str("series", pa.Series)
			if pa.Authority != nil {
				p.key("authority")
				p.b = appendReference(p.b, pa.Authority)
			}
			if len(pa.TargetDisease) > 0 {
				p.key("targetDisease")
				p.b = append(p.b, '[')
				for j := range pa.TargetDisease {
					if j > 0 {
						p.b = append(p.b, ',')
					}
					p.b = appendCC(p.b, &pa.TargetDisease[j])
				}
				p.b = append(p.b, ']')
			}
			p.int("doseNumberPositiveInt", pa.DoseNumberPositiveInt)
			p.str("doseNumberString", pa.DoseNumberString)
			p.int("seriesDosesPositiveInt", pa.SeriesDosesPositiveInt)
			p.str("seriesDosesString", pa.SeriesDosesString)
			o.b = p.end()
		}
		o.b = append(o.b, ']')
	}
	return o.end()
}
