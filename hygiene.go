package vaxtrace

import (
	"reflect"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Text hygiene for every string a write carries, checked by Decide before
// anything else: valid UTF-8 without control characters (tab and newline
// are allowed in free text), no U+FFFD (what a lone UTF-16 surrogate
// becomes when JSON is decoded), not blank when given, at most
// MaxTextBytes; and ids without "/" (they appear in URL paths).

// MaxTextBytes bounds any one text field of a write.
const MaxTextBytes = 2000

// idFields are the JSON names of fields that hold an id chosen by a client.
var idFields = map[string]bool{"id": true, "shipment": true, "excursion": true, "session": true, "receipt": true}

// checkText checks one string field.
func checkText(field, v string) error {
	if v == "" {
		return nil
	}
	if len(v) > MaxTextBytes {
		return FieldError(field, "longer than %d bytes", MaxTextBytes)
	}
	if !utf8.ValidString(v) {
		return FieldError(field, "is not valid UTF-8 text")
	}
	for _, r := range v {
		if r == utf8.RuneError {
			return FieldError(field, "contains an invalid character (a lone UTF-16 surrogate?)")
		}
		if unicode.IsControl(r) && r != '\t' && r != '\n' && r != '\r' {
			return FieldError(field, "contains a control character (U+%04X)", int(r))
		}
	}
	if strings.TrimSpace(v) == "" {
		return FieldError(field, "must not be blank")
	}
	return nil
}

// checkID checks a client-chosen id: text, one line, no "/".
func checkID(field, v string) error {
	if err := checkText(field, v); err != nil {
		return err
	}
	if strings.ContainsAny(v, "/\t\n\r") {
		return FieldError(field, "must not contain \"/\" or line breaks")
	}
	return nil
}

// CheckPayloadText checks every string field of a payload (nested structs
// and slices included), naming the field as its JSON name ("lines[2].lot").
func CheckPayloadText(p Payload) error {
	// the hot paths (doses, people, stock movements): no reflection
	switch v := p.(type) {
	case DoseAdministered:
		return checkDoseText(v)
	case PersonRegistered:
		return checkPersonText(v)
	case StockAdjusted:
		return checkFields(textField{"place", v.Place}, textField{"lot", v.Lot}, textField{"reason", v.Reason}, textField{"note", v.Note})
	}
	return walkText(reflect.ValueOf(p), "")
}

// textField is one string field of a payload, named as walkText names it.
type textField struct{ name, v string }

// checkFields runs checkText on each field in order.
func checkFields(fs ...textField) error {
	for _, f := range fs {
		if err := checkText(f.name, f.v); err != nil {
			return err
		}
	}
	return nil
}

// checkPersonText is walkText for a registration, written out (a wrapped
// record's fields are named as the record's).
func checkPersonText(r PersonRegistered) error {
	p := &r.Person
	return checkFields(textField{"iin_sealed", p.IINSealed}, textField{"family", p.Family}, textField{"given", p.Given},
		textField{"sex", p.Sex}, textField{"region", p.Region}, textField{"group", p.Group},
		textField{"phone_sealed", p.PhoneSealed}, textField{"lang", p.Lang})
}

// checkDoseText is walkText for a dose, written out.
func checkDoseText(d DoseAdministered) error {
	if err := checkID("id", d.ID); err != nil {
		return err
	}
	for _, f := range [...]struct{ name, v string }{{"place", d.Place}, {"lot", d.Lot}, {"product", d.Product}, {"component", d.Component}, {"vaccinator", d.Vaccinator}, {"override", d.Override}} {
		if err := checkText(f.name, f.v); err != nil {
			return err
		}
	}
	return nil
}

func walkText(v reflect.Value, field string) error {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return walkText(v.Elem(), field)
	case reflect.String:
		leaf := field
		if i := strings.LastIndexByte(leaf, '.'); i >= 0 {
			leaf = leaf[i+1:]
		}
		if idFields[leaf] {
			return checkID(field, v.String())
		}
		return checkText(field, v.String())
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return nil // bytes (ids, hashes), not text
		}
		for i := 0; i < v.Len(); i++ {
			if err := walkText(v.Index(i), field+"["+strconv.Itoa(i)+"]"); err != nil {
				return err
			}
		}
	case reflect.Map:
		it := v.MapRange()
		for it.Next() {
			k := ""
			if it.Key().Kind() == reflect.String {
				k = it.Key().String()
				if err := checkText(field, k); err != nil {
					return err
				}
			}
			if err := walkText(it.Value(), join(field, k)); err != nil {
				return err
			}
		}
	case reflect.Struct:
		t := v.Type()
		if t.PkgPath() == "time" {
			return nil
		}
		for i := 0; i < t.NumField(); i++ {
			sf := t.Field(i)
			if !sf.IsExported() {
				continue
			}
			name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
			if name == "-" {
				continue
			}
			f := field
			switch {
			case sf.Anonymous:
			case name == "":
				f = join(field, sf.Name)
			case field == "" && sf.Type.Kind() == reflect.Struct && sf.Type.PkgPath() != "time":
				// a payload wrapping a record (PlaceDefined{Place}): its
				// fields are named as the record's ("id", "name")
			default:
				f = join(field, name)
			}
			if err := walkText(v.Field(i), f); err != nil {
				return err
			}
		}
	}
	return nil
}

func join(a, b string) string {
	if a == "" {
		return b
	}
	if b == "" {
		return a
	}
	return a + "." + b
}
