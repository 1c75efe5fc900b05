package fhir

import (
	"strings"
	"unicode/utf8"
)

// A hand-written decoder for the resources an import reads (anyResource),
// several times faster than encoding/json. It handles the common shape of
// Patient and Immunization JSON and gives up (ok = false) on anything it
// does not handle exactly as encoding/json would: escapes in strings,
// invalid UTF-8, a key that matches a field only case-insensitively, a
// repeated key, a value of the wrong type, numbers other than small
// non-negative integers, trailing data. The caller then uses encoding/json,
// so results and error messages are always encoding/json's (the fuzz test
// compares the two on arbitrary input).

type scan struct {
	b []byte
	i int
}

func (s *scan) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *scan) peek() byte {
	s.ws()
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

func (s *scan) eat(c byte) bool {
	if s.peek() == c {
		s.i++
		return true
	}
	return false
}

// str reads a string without escapes; ok is false for anything else.
func (s *scan) str() (string, bool) {
	if !s.eat('"') {
		return "", false
	}
	start := s.i
	ascii := true
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			v := s.b[start:s.i]
			s.i++
			if !ascii && !utf8.Valid(v) {
				return "", false
			}
			return string(v), true
		case c == '\\' || c < 0x20:
			return "", false
		case c >= utf8.RuneSelf:
			ascii = false
		}
		s.i++
	}
	return "", false
}

// null consumes a null literal.
func (s *scan) null() bool {
	if s.peek() == 'n' && s.i+4 <= len(s.b) && string(s.b[s.i:s.i+4]) == "null" {
		s.i += 4
		return true
	}
	return false
}

// strField reads a string value into *dst (null leaves it as it is).
func (s *scan) strField(dst *string) bool {
	if s.null() {
		return true
	}
	v, ok := s.str()
	*dst = v
	return ok
}

// intField reads a small non-negative integer.
func (s *scan) intField(dst *int) bool {
	if s.null() {
		return true
	}
	s.ws()
	n, start := 0, s.i
	for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' && s.i-start < 9 {
		n = n*10 + int(s.b[s.i]-'0')
		s.i++
	}
	if s.i == start || (s.b[start] == '0' && s.i-start > 1) {
		return false
	}
	if s.i < len(s.b) {
		switch s.b[s.i] {
		case '.', 'e', 'E', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
			return false
		}
	}
	*dst = n
	return true
}

func (s *scan) boolField(dst **bool) bool {
	if s.null() {
		*dst = nil
		return true
	}
	s.ws()
	for _, lit := range []string{"true", "false"} {
		if s.i+len(lit) <= len(s.b) && string(s.b[s.i:s.i+len(lit)]) == lit {
			s.i += len(lit)
			v := lit == "true"
			*dst = &v
			return true
		}
	}
	return false
}

// object reads an object, calling field for each key with its index in
// names (or -1 for a key vaxtrace does not read, whose value is skipped).
func (s *scan) object(names []string, field func(k int) bool) bool {
	if !s.eat('{') {
		return false
	}
	var seen uint64
	if s.eat('}') {
		return true
	}
	for {
		key, ok := s.str()
		if !ok || !s.eat(':') {
			return false
		}
		k := -1
		for j, n := range names {
			if n == key {
				k = j
				break
			}
			if strings.EqualFold(n, key) {
				return false // encoding/json would match it; let it
			}
		}
		if k >= 0 {
			if seen&(1<<k) != 0 {
				return false // a repeated key: encoding/json merges
			}
			seen |= 1 << k
			if !field(k) {
				return false
			}
		} else if !s.skip(0) {
			return false
		}
		if s.eat(',') {
			continue
		}
		return s.eat('}')
	}
}

// array reads an array, calling elem for each element; null is nil.
func (s *scan) array(elem func() bool) bool {
	if !s.eat('[') {
		return false
	}
	if s.eat(']') {
		return true
	}
	for {
		if !elem() {
			return false
		}
		if s.eat(',') {
			continue
		}
		return s.eat(']')
	}
}

// skip validates and skips any value.
func (s *scan) skip(depth int) bool {
	if depth > 64 {
		return false
	}
	switch s.peek() {
	case '{':
		s.i++
		if s.eat('}') {
			return true
		}
		for {
			if !s.skipString() || !s.eat(':') || !s.skip(depth+1) {
				return false
			}
			if s.eat(',') {
				continue
			}
			return s.eat('}')
		}
	case '[':
		s.i++
		if s.eat(']') {
			return true
		}
		for {
			if !s.skip(depth + 1) {
				return false
			}
			if s.eat(',') {
				continue
			}
			return s.eat(']')
		}
	case '"':
		return s.skipString()
	case 't', 'f', 'n':
		for _, lit := range []string{"true", "false", "null"} {
			if s.i+len(lit) <= len(s.b) && string(s.b[s.i:s.i+len(lit)]) == lit {
				s.i += len(lit)
				return true
			}
		}
		return false
	default:
		return s.skipNumber()
	}
}

func (s *scan) skipString() bool {
	if !s.eat('"') {
		return false
	}
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			s.i++
			return true
		case c == '\\':
			s.i++
			if s.i >= len(s.b) {
				return false
			}
			switch s.b[s.i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.i++
			case 'u':
				if s.i+5 > len(s.b) {
					return false
				}
				for _, h := range s.b[s.i+1 : s.i+5] {
					if !(h >= '0' && h <= '9' || h >= 'a' && h <= 'f' || h >= 'A' && h <= 'F') {
						return false
					}
				}
				s.i += 5
			default:
				return false
			}
		case c < 0x20:
			return false
		default:
			s.i++
		}
	}
	return false
}

func (s *scan) skipNumber() bool {
	s.ws()
	start := s.i
	digits := func() int {
		n := 0
		for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
			s.i++
			n++
		}
		return n
	}
	if s.i < len(s.b) && s.b[s.i] == '-' {
		s.i++
	}
	if s.i < len(s.b) && s.b[s.i] == '0' {
		s.i++
	} else if digits() == 0 {
		return false
	}
	if s.i < len(s.b) && s.b[s.i] == '.' {
		s.i++
		if digits() == 0 {
			return false
		}
	}
	if s.i < len(s.b) && (s.b[s.i] == 'e' || s.b[s.i] == 'E') {
		s.i++
		if s.i < len(s.b) && (s.b[s.i] == '+' || s.b[s.i] == '-') {
			s.i++
		}
		if digits() == 0 {
			return false
		}
	}
	return s.i > start
}

var (
	codingKeys     = []string{"system", "code", "display"}
	ccKeys         = []string{"coding", "text"}
	identifierKeys = []string{"use", "system", "value", "assigner"}
	referenceKeys  = []string{"reference", "type", "identifier", "display"}
	nameKeys       = []string{"use", "text", "family", "given"}
	addressKeys    = []string{"use", "state", "country"}
	extensionKeys  = []string{"url", "valueCode", "valueString", "valueCoding"}
	performerKeys  = []string{"function", "actor"}
	protocolKeys   = []string{"series", "authority", "targetDisease", "doseNumberPositiveInt", "doseNumberString", "seriesDosesPositiveInt", "seriesDosesString"}
	resourceKeys   = []string{"resourceType", "id", "extension", "identifier", "name", "gender", "birthDate", "address", "status", "vaccineCode", "patient",
		"occurrenceDateTime", "occurrenceString", "recorded", "primarySource", "location", "manufacturer", "lotNumber", "expirationDate", "performer", "protocolApplied",
		"doseQuantity", "note"} // the last two: left to encoding/json
)

func (s *scan) coding(c *Coding) bool {
	return s.object(codingKeys, func(k int) bool {
		switch k {
		case 0:
			return s.strField(&c.System)
		case 1:
			return s.strField(&c.Code)
		default:
			return s.strField(&c.Display)
		}
	})
}

func (s *scan) codings(dst *[]Coding) bool {
	if s.null() {
		*dst = nil
		return true
	}
	out := []Coding{}
	ok := s.array(func() bool {
		var c Coding
		if s.null() {
			out = append(out, c)
			return true
		}
		if !s.coding(&c) {
			return false
		}
		out = append(out, c)
		return true
	})
	*dst = out
	return ok
}

func (s *scan) cc(c *CodeableConcept) bool {
	return s.object(ccKeys, func(k int) bool {
		if k == 0 {
			return s.codings(&c.Coding)
		}
		return s.strField(&c.Text)
	})
}

func (s *scan) ccPtr(dst **CodeableConcept) bool {
	if s.null() {
		*dst = nil
		return true
	}
	c := &CodeableConcept{}
	*dst = c
	return s.cc(c)
}

func (s *scan) ccs(dst *[]CodeableConcept) bool {
	if s.null() {
		*dst = nil
		return true
	}
	out := []CodeableConcept{}
	ok := s.array(func() bool {
		var c CodeableConcept
		if !s.null() && !s.cc(&c) {
			return false
		}
		out = append(out, c)
		return true
	})
	*dst = out
	return ok
}

func (s *scan) identifier(id *Identifier) bool {
	return s.object(identifierKeys, func(k int) bool {
		switch k {
		case 0:
			return s.strField(&id.Use)
		case 1:
			return s.strField(&id.System)
		case 2:
			return s.strField(&id.Value)
		default:
			return s.refPtr(&id.Assigner)
		}
	})
}

func (s *scan) identifiers(dst *[]Identifier) bool {
	if s.null() {
		*dst = nil
		return true
	}
	out := []Identifier{}
	ok := s.array(func() bool {
		var id Identifier
		if !s.null() && !s.identifier(&id) {
			return false
		}
		out = append(out, id)
		return true
	})
	*dst = out
	return ok
}

func (s *scan) ref(r *Reference) bool {
	return s.object(referenceKeys, func(k int) bool {
		switch k {
		case 0:
			return s.strField(&r.Reference)
		case 1:
			return s.strField(&r.Type)
		case 2:
			if s.null() {
				r.Identifier = nil
				return true
			}
			r.Identifier = &Identifier{}
			return s.identifier(r.Identifier)
		default:
			return s.strField(&r.Display)
		}
	})
}

func (s *scan) refPtr(dst **Reference) bool {
	if s.null() {
		*dst = nil
		return true
	}
	r := &Reference{}
	*dst = r
	return s.ref(r)
}

func (s *scan) strings(dst *[]string) bool {
	if s.null() {
		*dst = nil
		return true
	}
	out := []string{}
	ok := s.array(func() bool {
		var v string
		if !s.strField(&v) {
			return false
		}
		out = append(out, v)
		return true
	})
	*dst = out
	return ok
}

// decodeFast decodes raw into u as encoding/json would, or reports that it
// cannot (ok = false: use encoding/json).
func decodeFast(raw []byte, u *anyResource) bool {
	s := &scan{b: raw}
	ok := s.object(resourceKeys, func(k int) bool {
		switch k {
		case 0:
			if s.null() {
				return true
			}
			v, ok := s.str()
			u.ResourceType = &v
			return ok
		case 1:
			return s.strField(&u.ID)
		case 2:
			if s.null() {
				u.Extension = nil
				return true
			}
			u.Extension = []Extension{}
			return s.array(func() bool {
				var e Extension
				if !s.null() && !s.object(extensionKeys, func(k int) bool {
					switch k {
					case 0:
						return s.strField(&e.URL)
					case 1:
						return s.strField(&e.ValueCode)
					case 2:
						return s.strField(&e.ValueString)
					default:
						if s.null() {
							e.ValueCoding = nil
							return true
						}
						e.ValueCoding = &Coding{}
						return s.coding(e.ValueCoding)
					}
				}) {
					return false
				}
				u.Extension = append(u.Extension, e)
				return true
			})
		case 3:
			return s.identifiers(&u.Identifier)
		case 4:
			if s.null() {
				u.Name = nil
				return true
			}
			u.Name = []HumanName{}
			return s.array(func() bool {
				var n HumanName
				if !s.null() && !s.object(nameKeys, func(k int) bool {
					switch k {
					case 0:
						return s.strField(&n.Use)
					case 1:
						return s.strField(&n.Text)
					case 2:
						return s.strField(&n.Family)
					default:
						return s.strings(&n.Given)
					}
				}) {
					return false
				}
				u.Name = append(u.Name, n)
				return true
			})
		case 5:
			return s.strField(&u.Gender)
		case 6:
			return s.strField(&u.BirthDate)
		case 7:
			if s.null() {
				u.Address = nil
				return true
			}
			u.Address = []Address{}
			return s.array(func() bool {
				var a Address
				if !s.null() && !s.object(addressKeys, func(k int) bool {
					switch k {
					case 0:
						return s.strField(&a.Use)
					case 1:
						return s.strField(&a.State)
					default:
						return s.strField(&a.Country)
					}
				}) {
					return false
				}
				u.Address = append(u.Address, a)
				return true
			})
		case 8:
			return s.strField(&u.Status)
		case 9:
			return s.ccPtr(&u.VaccineCode)
		case 10:
			return s.refPtr(&u.Patient)
		case 11:
			return s.strField(&u.OccurrenceDateTime)
		case 12:
			return s.strField(&u.OccurrenceString)
		case 13:
			return s.strField(&u.Recorded)
		case 14:
			return s.boolField(&u.PrimarySource)
		case 15:
			return s.refPtr(&u.Location)
		case 16:
			return s.refPtr(&u.Manufacturer)
		case 17:
			return s.strField(&u.LotNumber)
		case 18:
			return s.strField(&u.ExpirationDate)
		case 19:
			if s.null() {
				u.Performer = nil
				return true
			}
			u.Performer = []Performer{}
			return s.array(func() bool {
				var p Performer
				if !s.null() && !s.object(performerKeys, func(k int) bool {
					if k == 0 {
						return s.ccPtr(&p.Function)
					}
					if s.null() {
						p.Actor = Reference{}
						return true
					}
					return s.ref(&p.Actor)
				}) {
					return false
				}
				u.Performer = append(u.Performer, p)
				return true
			})
		case 21, 22:
			return false
		default:
			if s.null() {
				u.ProtocolApplied = nil
				return true
			}
			u.ProtocolApplied = []ProtocolApplied{}
			return s.array(func() bool {
				var pa ProtocolApplied
				if !s.null() && !s.object(protocolKeys, func(k int) bool {
					switch k {
					case 0:
						return s.strField(&pa.Series)
					case 1:
						return s.refPtr(&pa.Authority)
					case 2:
						return s.ccs(&pa.TargetDisease)
					case 3:
						return s.intField(&pa.DoseNumberPositiveInt)
					case 4:
						return s.strField(&pa.DoseNumberString)
					case 5:
						return s.intField(&pa.SeriesDosesPositiveInt)
					default:
						return s.strField(&pa.SeriesDosesString)
					}
				}) {
					return false
				}
				u.ProtocolApplied = append(u.ProtocolApplied, pa)
				return true
			})
		}
	})
	if !ok {
		return false
	}
	s.ws()
	return s.i == len(s.b)
}
