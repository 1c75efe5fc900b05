package vaxtrace

import (
	"encoding/hex"
	"strconv"
	"time"
)

// MarshalJSON encodes the hot event of the registry without reflection; it
// produces the same document encoding/json would (field order and omitempty
// as declared on the struct), which the tests check.
func (d DoseAdministered) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 256)
	b = append(b, `{"id":`...)
	b = strconv.AppendQuote(b, d.ID)
	b = append(b, `,"person":"`...)
	b = hex.AppendEncode(b, d.Person[:])
	b = append(b, `","at":"`...)
	b = d.At.AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","place":`...)
	b = strconv.AppendQuote(b, d.Place)
	b = append(b, `,"lot":`...)
	b = strconv.AppendQuote(b, d.Lot)
	if d.Product != "" {
		b = append(b, `,"product":`...)
		b = strconv.AppendQuote(b, d.Product)
	}
	if d.Component != "" {
		b = append(b, `,"component":`...)
		b = strconv.AppendQuote(b, d.Component)
	}
	b = append(b, `,"vaccinator":`...)
	b = strconv.AppendQuote(b, d.Vaccinator)
	if d.Override != "" {
		b = append(b, `,"override":`...)
		b = strconv.AppendQuote(b, d.Override)
	}
	return append(b, '}'), nil
}

// DerivesFields reports whether Decide may fill fields of payloads of this
// kind (so the stored body differs from the submitted one).
func DerivesFields(kind string) bool {
	switch kind {
	case KindShipmentDispatched, KindShipmentReceived, KindStockCounted, KindExcursionReported, KindExcursionResolved, KindSessionClosed, KindAEFIReported:
		return true
	}
	return false
}
