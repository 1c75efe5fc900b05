package vaxtrace

import "strings"

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
