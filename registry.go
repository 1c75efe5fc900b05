package vaxtrace

import (
	"encoding/hex"
	"time"
)

// PersonID is the keyed hash of a person's IIN (HMAC-SHA256, first 16 bytes).
// It is what the journal, memory and API use to refer to a person; the IIN
// itself is stored only encrypted (see package pii).
type PersonID [16]byte

// String returns the hex form.
func (p PersonID) String() string { return hex.EncodeToString(p[:]) }

// IsZero reports whether p is unset.
func (p PersonID) IsZero() bool { return p == PersonID{} }

// ParsePersonID parses the 32-hex-digit form.
func ParsePersonID(s string) (PersonID, error) {
	var p PersonID
	if len(s) != 32 {
		return p, FieldError("person", "must be a 32-hex-digit person id")
	}
	if _, err := hex.Decode(p[:], []byte(s)); err != nil {
		return p, FieldError("person", "must be a 32-hex-digit person id")
	}
	return p, nil
}

// MarshalText implements encoding.TextMarshaler.
func (p PersonID) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (p *PersonID) UnmarshalText(b []byte) error {
	v, err := ParsePersonID(string(b))
	if err != nil {
		return err
	}
	*p = v
	return nil
}

// Sex values.
const (
	SexMale    = "M"
	SexFemale  = "F"
	SexUnknown = "U"
)

// Priority groups of the 2021 campaign (MoH order of 2021-03-09).
var PriorityGroups = []string{"health_worker", "teacher", "police", "student", "institution", "security", "civil_service", "chronic", "other"}

// Person is someone registered in the registry.
type Person struct {
	ID        PersonID `json:"id"`
	IINSealed string   `json:"iin_sealed"` // AES-GCM sealed IIN, never the clear IIN
	Family    string   `json:"family"`
	Given     string   `json:"given"`
	BirthDate Date     `json:"birth_date"`
	Sex       string   `json:"sex"`
	Region    string   `json:"region"`
	Group     string   `json:"group,omitempty"`
	// PhoneSealed is the phone number for reminders, sealed like the IIN
	// (never in clear in the journal, logs or exports); Lang the language
	// of the reminders ("kk" or "ru").
	PhoneSealed string `json:"phone_sealed,omitempty"`
	Lang        string `json:"lang,omitempty"`
}

// Validate checks a person.
func (p *Person) Validate() error {
	if p.ID.IsZero() {
		return FieldError("iin", "required")
	}
	if p.Family == "" {
		return FieldError("family", "required")
	}
	if len(p.Family) > 100 {
		return FieldError("family", "names are limited to 100 characters")
	}
	if len(p.Given) > 100 {
		return FieldError("given", "names are limited to 100 characters")
	}
	switch p.Sex {
	case SexMale, SexFemale, SexUnknown:
	default:
		return FieldError("sex", "must be M, F or U")
	}
	if p.BirthDate < MkDate(1890, 1, 1) {
		return FieldError("birth_date", "before 1890")
	}
	if p.Group != "" && !validGroup(p.Group) {
		return FieldError("group", "unknown priority group %q", p.Group)
	}
	if p.Lang != "" && p.Lang != "kk" && p.Lang != "ru" {
		return FieldError("lang", "must be kk or ru")
	}
	return nil
}

func validGroup(g string) bool {
	for _, x := range PriorityGroups {
		if x == g {
			return true
		}
	}
	return false
}

// PersonRegistered adds a person.
type PersonRegistered struct {
	Person Person `json:"person"`
}

// PersonUpdated replaces a person's details (not the id) with a reason.
type PersonUpdated struct {
	Person Person `json:"person"`
	Reason string `json:"reason"`
}

// PersonsMerged merges a duplicate record into another; doses move with it.
type PersonsMerged struct {
	Into   PersonID `json:"into"`
	From   PersonID `json:"from"`
	Reason string   `json:"reason"`
}

// DoseAdministered records one dose given. The dose number is never taken
// from the client: it is derived from the person's history.
type DoseAdministered struct {
	ID         string    `json:"id"` // client-generated id, unique
	Person     PersonID  `json:"person"`
	At         time.Time `json:"at"`
	Place      string    `json:"place"`
	Lot        string    `json:"lot"`
	Product    string    `json:"product,omitempty"`   // optional claim, checked against the lot
	Component  string    `json:"component,omitempty"` // optional claim, checked against the lot and dose number
	Vaccinator string    `json:"vaccinator"`
	Override   string    `json:"override,omitempty"` // clinician's reason to accept a short interval
}

// DoseVoided marks a dose entered in error; its stock decrement is reversed.
type DoseVoided struct {
	Dose   string `json:"dose"`
	Reason string `json:"reason"`
}

// DoseCorrected corrects a dose's time, lot, place or person.
type DoseCorrected struct {
	Dose     string     `json:"dose"`
	At       *time.Time `json:"at,omitempty"`
	Lot      string     `json:"lot,omitempty"`
	Place    string     `json:"place,omitempty"`
	Person   *PersonID  `json:"person,omitempty"`
	Override string     `json:"override,omitempty"`
	Reason   string     `json:"reason"`
}

// SessionClosed closes a vaccination session: doses left in opened vials
// become open-vial wastage. Administered and Wasted are filled by the state.
type SessionClosed struct {
	Session      string `json:"session"`
	Place        string `json:"place"`
	Date         Date   `json:"date"`
	Lot          string `json:"lot"`
	VialsOpened  int64  `json:"vials_opened"`
	Administered int64  `json:"administered"`
	Wasted       int64  `json:"wasted"`
}

// AEFIReported records an adverse event following immunization.
type AEFIReported struct {
	ID          string    `json:"id"`
	Dose        string    `json:"dose"`
	Serious     bool      `json:"serious"`
	Description string    `json:"description"`
	Onset       time.Time `json:"onset"`
	SuspendLot  bool      `json:"suspend_lot,omitempty"`
	Lot         string    `json:"lot"` // filled by the state
}

// Target measures.
const (
	MeasureFirst   = "first"
	MeasureFull    = "full"
	MeasureBooster = "booster"
)

// Target is a campaign goal: Value people reaching Measure in Region (""
// national) between From and To, within Group.
type Target struct {
	ID      string `json:"id"`
	Region  string `json:"region,omitempty"`
	From    Date   `json:"from"`
	To      Date   `json:"to"`
	Measure string `json:"measure"`
	Group   string `json:"group,omitempty"` // "", "adults", a priority group, or an age band like "60+"
	Value   int64  `json:"value"`
	Note    string `json:"note,omitempty"`
}

// TargetSet adds or replaces a target.
type TargetSet struct {
	Target Target `json:"target"`
}

// TallySubmitted is an aggregate daily count from a point when person-level
// entry lags.
type TallySubmitted struct {
	Place      string `json:"place"`
	Date       Date   `json:"date"`
	Product    string `json:"product"`
	DoseNumber int    `json:"dose_number"`
	Count      int64  `json:"count"`
	Reopen     bool   `json:"reopen,omitempty"`
}

func (PersonRegistered) Kind() string { return KindPersonRegistered }
func (PersonUpdated) Kind() string    { return KindPersonUpdated }
func (PersonsMerged) Kind() string    { return KindPersonsMerged }
func (DoseAdministered) Kind() string { return KindDoseAdministered }
func (DoseVoided) Kind() string       { return KindDoseVoided }
func (DoseCorrected) Kind() string    { return KindDoseCorrected }
func (SessionClosed) Kind() string    { return KindSessionClosed }
func (AEFIReported) Kind() string     { return KindAEFIReported }
func (TargetSet) Kind() string        { return KindTargetSet }
func (TallySubmitted) Kind() string   { return KindTallySubmitted }
