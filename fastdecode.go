package vaxtrace

import (
	"encoding/hex"
	"encoding/json"
	"unicode/utf8"
)

// Replaying the journal decodes every event; the two that make up nearly all
// of a national journal (people and doses) get a decoder for flat objects of
// strings, which is several times faster than reflection. Anything it does
// not expect (escapes it cannot take, other value types, unknown fields) falls
// back to encoding/json, so it accepts exactly what encoding/json accepts.

// flatStrings calls fn for each key of a JSON object whose values are all
// strings. It reports false if b is not such an object.
func flatStrings(b []byte, fn func(key string, val []byte, escaped bool) bool) bool {
	i := skipWS(b, 0)
	if i >= len(b) || b[i] != '{' {
		return false
	}
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == '}' {
		return skipWS(b, i+1) == len(b)
	}
	for {
		k, ke, kesc, ok := scanString(b, i)
		if !ok || kesc {
			return false
		}
		i = skipWS(b, ke)
		if i >= len(b) || b[i] != ':' {
			return false
		}
		i = skipWS(b, i+1)
		v, ve, vesc, ok := scanString(b, i)
		if !ok {
			return false
		}
		if !fn(string(b[k:ke-1]), b[v:ve-1], vesc) {
			return false
		}
		i = skipWS(b, ve)
		if i >= len(b) {
			return false
		}
		if b[i] == '}' {
			return skipWS(b, i+1) == len(b)
		}
		if b[i] != ',' {
			return false
		}
		i = skipWS(b, i+1)
	}
}

func skipWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\t' || b[i] == '\r') {
		i++
	}
	return i
}

// scanString scans a JSON string starting at b[i] == '"'; it returns the
// index of the first content byte and one past the closing quote.
func scanString(b []byte, i int) (start, end int, escaped, ok bool) {
	if i >= len(b) || b[i] != '"' {
		return 0, 0, false, false
	}
	for j := i + 1; j < len(b); j++ {
		switch c := b[j]; {
		case c == '\\':
			escaped = true
			j++
		case c == '"':
			return i + 1, j + 1, escaped, true
		case c < 0x20:
			return 0, 0, false, false
		}
	}
	return 0, 0, false, false
}

// jsonString takes plain strings only: escapes and invalid UTF-8 (which
// encoding/json replaces) go to the reflective decoder.
func jsonString(v []byte, escaped bool) (string, bool) {
	if escaped || !utf8.Valid(v) {
		return "", false
	}
	return string(v), true
}

// UnmarshalJSON decodes a dose event body.
func (d *DoseAdministered) UnmarshalJSON(b []byte) error {
	var out DoseAdministered
	ok := flatStrings(b, func(k string, v []byte, esc bool) bool {
		s, ok := jsonString(v, esc)
		if !ok {
			return false
		}
		switch k {
		case "id":
			out.ID = s
		case "person":
			if len(s) != 32 {
				return false
			}
			if _, err := hex.Decode(out.Person[:], []byte(s)); err != nil {
				return false
			}
		case "at":
			if err := out.At.UnmarshalText(v); err != nil { // the same strict RFC 3339 as encoding/json
				return false
			}
		case "place":
			out.Place = s
		case "lot":
			out.Lot = s
		case "product":
			out.Product = s
		case "component":
			out.Component = s
		case "vaccinator":
			out.Vaccinator = s
		case "override":
			out.Override = s
		default:
			return false
		}
		return true
	})
	if ok {
		*d = out
		return nil
	}
	type plain DoseAdministered // no methods: the reflective decoder
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*d = DoseAdministered(p)
	return nil
}

// UnmarshalJSON decodes a registration event body: {"person":{...strings}}.
func (r *PersonRegistered) UnmarshalJSON(b []byte) error {
	i := skipWS(b, 0)
	const prefix = `{"person":`
	if i+len(prefix) <= len(b) && string(b[i:i+len(prefix)]) == prefix {
		inner := b[i+len(prefix):]
		// the inner object ends at the last '}' before the outer one
		j := len(inner) - 1
		for j >= 0 && (inner[j] == ' ' || inner[j] == '\n' || inner[j] == '\t' || inner[j] == '\r') {
			j--
		}
		if j > 0 && inner[j] == '}' {
			var p Person
			if decodePersonFast(inner[:j], &p) {
				r.Person = p
				return nil
			}
		}
	}
	type plain PersonRegistered
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*r = PersonRegistered(p)
	return nil
}

func decodePersonFast(b []byte, out *Person) bool {
	return flatStrings(b, func(k string, v []byte, esc bool) bool {
		s, ok := jsonString(v, esc)
		if !ok {
			return false
		}
		switch k {
		case "id":
			if len(s) != 32 {
				return false
			}
			if _, err := hex.Decode(out.ID[:], v); err != nil {
				return false
			}
		case "iin_sealed":
			out.IINSealed = s
		case "family":
			out.Family = s
		case "given":
			out.Given = s
		case "birth_date":
			d, err := ParseDate(s)
			if err != nil {
				return false
			}
			out.BirthDate = d
		case "sex":
			out.Sex = s
		case "region":
			out.Region = s
		case "group":
			out.Group = s
		default:
			return false
		}
		return true
	})
}
