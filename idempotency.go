package vaxtrace

import (
	"encoding/hex"
	"strings"
)

// naturalKeyFields maps the prefix of a natural idempotency key (the key a
// command gets from the id its client chose, see the README's idempotency
// rule) to the field that holds that id.
var naturalKeyFields = map[string]string{
	"place":             "id",
	"agreement":         "id",
	"lot":               "id",
	"lot.release":       "lot",
	"release":           "lot",
	"receipt":           "receipt",
	"shipment":          "shipment",
	"shipment.receive":  "shipment",
	"arrival":           "shipment",
	"excursion":         "excursion",
	"excursion.resolve": "lot",
	"session":           "session",
	"aefi":              "id",
	"person":            "iin",
	"dose":              "id",
	"void":              "dose",
	"equipment":         "id",
	"requisition":       "requisition",
}

// KeyConflict is the error for a key seen before with other content. A
// natural key means the client reused an id: the error names the id's
// field. Any other key is a client's Idempotency-Key reused.
func KeyConflict(key string) error {
	if prefix, id, ok := strings.Cut(key, ":"); ok {
		if field, ok := naturalKeyFields[prefix]; ok {
			e := FieldError(field, "%q already exists with other content", id)
			e.Code = ECONFLICT
			return e
		}
	}
	return Errorf(ECONFLICT, "idempotency key %q was already used with different content", key)
}

// isDoseKey reports key == "dose:"+id without building the string (the
// dose path asks it for every dose).
func isDoseKey(key, id string) bool {
	rest, ok := strings.CutPrefix(key, "dose:")
	return ok && rest == id
}

// isPersonKey reports key == "person:"+id.String() without building the
// strings.
func isPersonKey(key string, id PersonID) bool {
	rest, ok := strings.CutPrefix(key, "person:")
	if !ok || len(rest) != 2*len(id) {
		return false
	}
	var buf [2 * len(PersonID{})]byte
	hex.Encode(buf[:], id[:])
	return rest == string(buf[:])
}
