package vaxtrace

import (
	"encoding/json"
	"time"
)

// Event is one entry of the append-only journal. Every change to vaxtrace is
// an event; corrections are new events. State is a pure fold over events.
type Event struct {
	Seq      uint64    `json:"seq"`      // position in the journal, assigned at commit
	Kind     string    `json:"kind"`     // one of the Kind* constants
	Key      string    `json:"key"`      // idempotency key (client supplied or natural)
	Actor    string    `json:"actor"`    // who made the change: the token's name, or user:<name> for a person signed in
	Recorded time.Time `json:"recorded"` // when the system learned it
	Hash     uint64    `json:"hash"`     // hash of the submitted content, to tell a replay from a conflicting reuse of Key
	Data     Payload   `json:"data"`
	// Raw, if set, is Data already encoded (the engine reuses the encoding
	// it hashed when Decide derived nothing).
	Raw []byte `json:"-"`
}

// Payload is the kind-specific body of an event.
type Payload interface{ Kind() string }

// Event kinds.
const (
	KindProductDefined     = "product.defined"
	KindRegionDefined      = "region.defined"
	KindPlaceDefined       = "place.defined"
	KindPlaceMoved         = "place.moved"
	KindAgreementSigned    = "agreement.signed"
	KindLotRegistered      = "lot.registered"
	KindLotReleased        = "lot.released"
	KindLotSuspended       = "lot.suspended"
	KindLotReinstated      = "lot.reinstated"
	KindStockReceived      = "stock.received"
	KindShipmentDispatched = "shipment.dispatched"
	KindShipmentReceived   = "shipment.received"
	KindStockAdjusted      = "stock.adjusted"
	KindStockCounted       = "stock.counted"
	KindExcursionReported  = "excursion.reported"
	KindExcursionResolved  = "excursion.resolved"
	KindPersonRegistered   = "person.registered"
	KindPersonUpdated      = "person.updated"
	KindPersonsMerged      = "persons.merged"
	KindDoseAdministered   = "dose.administered"
	KindDoseVoided         = "dose.voided"
	KindDoseCorrected      = "dose.corrected"
	KindSessionClosed      = "session.closed"
	KindAEFIReported       = "aefi.reported"
	KindTargetSet          = "target.set"
	KindTallySubmitted     = "tally.submitted"
)

// ProductDefined adds or replaces a catalog product.
type ProductDefined struct {
	Product Product `json:"product"`
}

// RegionDefined adds or replaces a region.
type RegionDefined struct {
	Region Region `json:"region"`
}

// PlaceDefined creates a place.
type PlaceDefined struct {
	Place Place `json:"place"`
}

// PlaceMoved moves a place to another region from a date on (the 2022 split).
type PlaceMoved struct {
	Place  string `json:"place"`
	Region string `json:"region"`
	From   Date   `json:"from"`
}

// AgreementSigned records a supply agreement and its tranches.
type AgreementSigned struct {
	Agreement Agreement `json:"agreement"`
}

// LotRegistered records a lot (quarantined until released).
type LotRegistered struct {
	Lot Lot `json:"lot"`
}

// LotReleased records quality-control release of a lot.
type LotReleased struct {
	Lot      string `json:"lot"`
	Occurred Date   `json:"occurred"`
}

// LotSuspended suspends a lot everywhere (AEFI signal, recall).
type LotSuspended struct {
	Lot    string `json:"lot"`
	Reason string `json:"reason"`
}

// LotReinstated lifts a suspension.
type LotReinstated struct {
	Lot    string `json:"lot"`
	Reason string `json:"reason"`
}

// StockReceived brings doses into the chain at a national warehouse: an
// import delivery under an agreement tranche or a domestic production release.
type StockReceived struct {
	Receipt   string    `json:"receipt"` // delivery document id
	Place     string    `json:"place"`
	Lot       string    `json:"lot"`
	Doses     int64     `json:"doses"`
	Agreement string    `json:"agreement,omitempty"`
	Tranche   string    `json:"tranche,omitempty"`
	Occurred  time.Time `json:"occurred"`
}

// ShipmentLine is the quantity of one lot in a shipment.
type ShipmentLine struct {
	Lot   string `json:"lot"`
	Doses int64  `json:"doses"`
}

// ShipmentDispatched sends doses from one place to another. If Lines is empty
// the state picks lots first-expiry-first-out for Product/Component/Doses and
// records the chosen lines in the event.
type ShipmentDispatched struct {
	Shipment  string         `json:"shipment"`
	From      string         `json:"from"`
	To        string         `json:"to"`
	Occurred  time.Time      `json:"occurred"`
	Lines     []ShipmentLine `json:"lines"`
	Product   string         `json:"product,omitempty"`
	Component string         `json:"component,omitempty"`
	Doses     int64          `json:"doses,omitempty"`
}

// ReceiptLine is what arrived of one lot: received is put on hand; short,
// damaged and VVM-failed doses are written off.
type ReceiptLine struct {
	Lot       string `json:"lot"`
	Received  int64  `json:"received"`
	Short     int64  `json:"short,omitempty"`
	Damaged   int64  `json:"damaged,omitempty"`
	VVMFailed int64  `json:"vvm_failed,omitempty"`
}

// ShipmentReceived closes a shipment at its destination. If Lines is empty
// everything dispatched arrived.
type ShipmentReceived struct {
	Shipment string        `json:"shipment"`
	Occurred time.Time     `json:"occurred"`
	Lines    []ReceiptLine `json:"lines"`
}

// Adjustment reasons. Negative: wastage of various kinds; positive: found in a count.
const (
	ReasonWastage   = "wastage"   // closed-vial wastage, breakage at the point
	ReasonOpenVial  = "open_vial" // doses left in opened multi-dose vials
	ReasonExpired   = "expired"
	ReasonDamaged   = "damaged"
	ReasonColdChain = "cold_chain" // written off after a temperature excursion
	ReasonLost      = "lost"       // short in transit
	ReasonVVM       = "vvm_failed" // vaccine vial monitor past discard point
	ReasonCount     = "count"      // correction after a physical stock count (either sign)
)

// StockAdjusted changes on-hand stock for a reason. Delta is negative for
// write-offs; only ReasonCount may be positive.
type StockAdjusted struct {
	Place    string    `json:"place"`
	Lot      string    `json:"lot"`
	Delta    int64     `json:"delta"`
	Reason   string    `json:"reason"`
	Note     string    `json:"note,omitempty"`
	Occurred time.Time `json:"occurred"`
}

// StockCounted records a physical count; the state records the delta.
type StockCounted struct {
	Place    string    `json:"place"`
	Lot      string    `json:"lot"`
	Counted  int64     `json:"counted"`
	Delta    int64     `json:"delta"` // filled by the state: counted - on hand
	Occurred time.Time `json:"occurred"`
}

// ExcursionReported reports a cold-chain temperature excursion at a place or
// in a shipment; the affected lots there are quarantined until resolved.
type ExcursionReported struct {
	Excursion string    `json:"excursion"`
	Place     string    `json:"place,omitempty"`
	Shipment  string    `json:"shipment,omitempty"`
	MinC      float64   `json:"min_c"`
	MaxC      float64   `json:"max_c"`
	Minutes   int       `json:"minutes"`
	Occurred  time.Time `json:"occurred"`
	Lots      []string  `json:"lots"` // filled by the state when empty: all lots there
}

// ExcursionResolved releases or writes off one lot held by an excursion.
type ExcursionResolved struct {
	Excursion string    `json:"excursion"`
	Lot       string    `json:"lot"`
	Decision  string    `json:"decision"` // release | write_off
	Occurred  time.Time `json:"occurred"`
	Doses     int64     `json:"doses"` // filled by the state for write_off
	Place     string    `json:"place"` // filled by the state
}

func (ProductDefined) Kind() string     { return KindProductDefined }
func (RegionDefined) Kind() string      { return KindRegionDefined }
func (PlaceDefined) Kind() string       { return KindPlaceDefined }
func (PlaceMoved) Kind() string         { return KindPlaceMoved }
func (AgreementSigned) Kind() string    { return KindAgreementSigned }
func (LotRegistered) Kind() string      { return KindLotRegistered }
func (LotReleased) Kind() string        { return KindLotReleased }
func (LotSuspended) Kind() string       { return KindLotSuspended }
func (LotReinstated) Kind() string      { return KindLotReinstated }
func (StockReceived) Kind() string      { return KindStockReceived }
func (ShipmentDispatched) Kind() string { return KindShipmentDispatched }
func (ShipmentReceived) Kind() string   { return KindShipmentReceived }
func (StockAdjusted) Kind() string      { return KindStockAdjusted }
func (StockCounted) Kind() string       { return KindStockCounted }
func (ExcursionReported) Kind() string  { return KindExcursionReported }
func (ExcursionResolved) Kind() string  { return KindExcursionResolved }

// NewPayload returns an empty payload for kind, for decoding.
func NewPayload(kind string) (Payload, error) {
	switch kind {
	case KindProductDefined:
		return &ProductDefined{}, nil
	case KindRegionDefined:
		return &RegionDefined{}, nil
	case KindPlaceDefined:
		return &PlaceDefined{}, nil
	case KindPlaceMoved:
		return &PlaceMoved{}, nil
	case KindAgreementSigned:
		return &AgreementSigned{}, nil
	case KindLotRegistered:
		return &LotRegistered{}, nil
	case KindLotReleased:
		return &LotReleased{}, nil
	case KindLotSuspended:
		return &LotSuspended{}, nil
	case KindLotReinstated:
		return &LotReinstated{}, nil
	case KindStockReceived:
		return &StockReceived{}, nil
	case KindShipmentDispatched:
		return &ShipmentDispatched{}, nil
	case KindShipmentReceived:
		return &ShipmentReceived{}, nil
	case KindStockAdjusted:
		return &StockAdjusted{}, nil
	case KindStockCounted:
		return &StockCounted{}, nil
	case KindExcursionReported:
		return &ExcursionReported{}, nil
	case KindExcursionResolved:
		return &ExcursionResolved{}, nil
	case KindPersonRegistered:
		return &PersonRegistered{}, nil
	case KindPersonUpdated:
		return &PersonUpdated{}, nil
	case KindPersonsMerged:
		return &PersonsMerged{}, nil
	case KindDoseAdministered:
		return &DoseAdministered{}, nil
	case KindDoseVoided:
		return &DoseVoided{}, nil
	case KindDoseCorrected:
		return &DoseCorrected{}, nil
	case KindSessionClosed:
		return &SessionClosed{}, nil
	case KindAEFIReported:
		return &AEFIReported{}, nil
	case KindTargetSet:
		return &TargetSet{}, nil
	case KindTallySubmitted:
		return &TallySubmitted{}, nil
	case KindCertificateIssued:
		return &CertificateIssued{}, nil
	case KindCertificateRevoked:
		return &CertificateRevoked{}, nil
	}
	if p := newRoomPayload(kind); p != nil {
		return p, nil
	}
	return nil, Errorf(EINVALID, "unknown event kind %q", kind)
}

// DecodePayload decodes the JSON body of an event of the given kind. The
// returned payload is a value (not a pointer) of the kind's type.
func DecodePayload(kind string, body []byte) (Payload, error) {
	p, err := NewPayload(kind)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(body, p); err != nil {
		return nil, Errorf(EINVALID, "event %s: %v", kind, err)
	}
	return deref(p), nil
}

func deref(p Payload) Payload {
	switch v := p.(type) {
	case *ProductDefined:
		return *v
	case *RegionDefined:
		return *v
	case *PlaceDefined:
		return *v
	case *PlaceMoved:
		return *v
	case *AgreementSigned:
		return *v
	case *LotRegistered:
		return *v
	case *LotReleased:
		return *v
	case *LotSuspended:
		return *v
	case *LotReinstated:
		return *v
	case *StockReceived:
		return *v
	case *ShipmentDispatched:
		return *v
	case *ShipmentReceived:
		return *v
	case *StockAdjusted:
		return *v
	case *StockCounted:
		return *v
	case *ExcursionReported:
		return *v
	case *ExcursionResolved:
		return *v
	case *PersonRegistered:
		return *v
	case *PersonUpdated:
		return *v
	case *PersonsMerged:
		return *v
	case *DoseAdministered:
		return *v
	case *DoseVoided:
		return *v
	case *DoseCorrected:
		return *v
	case *SessionClosed:
		return *v
	case *AEFIReported:
		return *v
	case *TargetSet:
		return *v
	case *TallySubmitted:
		return *v
	case *CertificateIssued:
		return *v
	case *CertificateRevoked:
		return *v
	}
	if v, ok := roomDeref(p); ok {
		return v
	}
	return p
}
