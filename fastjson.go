package vaxtrace

import (
	"encoding/hex"
	"encoding/json"
	"strconv"
	"time"
)

// MarshalJSON encodes the hot event of the registry without reflection; it
// produces the same document encoding/json would (field order and omitempty
// as declared on the struct), which the tests check.
func (d DoseAdministered) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 256)
	b = append(b, `{"id":`...)
	b = appendJSONString(b, d.ID)
	b = append(b, `,"person":"`...)
	b = hex.AppendEncode(b, d.Person[:])
	b = append(b, `","at":"`...)
	b = d.At.AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","place":`...)
	b = appendJSONString(b, d.Place)
	b = append(b, `,"lot":`...)
	b = appendJSONString(b, d.Lot)
	if d.Product != "" {
		b = append(b, `,"product":`...)
		b = appendJSONString(b, d.Product)
	}
	if d.Component != "" {
		b = append(b, `,"component":`...)
		b = appendJSONString(b, d.Component)
	}
	b = append(b, `,"vaccinator":`...)
	b = appendJSONString(b, d.Vaccinator)
	if d.Override != "" {
		b = append(b, `,"override":`...)
		b = appendJSONString(b, d.Override)
	}
	return append(b, '}'), nil
}

// appendJSONString appends s as a JSON string exactly as encoding/json writes
// it (HTML-safe escapes, invalid UTF-8 replaced). Plain ASCII, the common
// case, is copied directly; anything else goes through encoding/json.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// DerivesFields reports whether Decide may fill fields of payloads of this
// kind (so the stored body differs from the submitted one).
func DerivesFields(kind string) bool {
	switch kind {
	case KindShipmentDispatched, KindShipmentReceived, KindStockCounted, KindExcursionReported, KindExcursionResolved, KindSessionClosed, KindAEFIReported:
		return true
	}
	return derivesRooms(kind)
}

// MarshalJSON encodes a stock adjustment without reflection (same document
// as encoding/json).
func (a StockAdjusted) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 160)
	b = append(b, `{"place":`...)
	b = appendJSONString(b, a.Place)
	b = append(b, `,"lot":`...)
	b = appendJSONString(b, a.Lot)
	b = append(b, `,"delta":`...)
	b = strconv.AppendInt(b, a.Delta, 10)
	b = append(b, `,"reason":`...)
	b = appendJSONString(b, a.Reason)
	if a.Note != "" {
		b = append(b, `,"note":`...)
		b = appendJSONString(b, a.Note)
	}
	b = append(b, `,"occurred":"`...)
	b = a.Occurred.AppendFormat(b, time.RFC3339Nano)
	return append(b, `"}`...), nil
}
