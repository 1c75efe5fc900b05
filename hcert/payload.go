package hcert

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"time"
	"unicode/utf8"

	"github.com/fxamacker/cbor/v2"
)

// SchemaVersion is the DCC JSON schema version written by NewPayload.
const SchemaVersion = "1.3.0"

// Disease agent and value-set codes used for COVID-19 vaccination entries
// (eHN value sets, 2021).
const (
	TargetCOVID19 = "840539006" // SNOMED CT: COVID-19
)

// ErrSchema is wrapped by payload validation failures.
var ErrSchema = errors.New("schema")

// Name is the "nam" object: the holder's name as printed (fn/gn) and its
// ICAO 9303 machine-readable transliteration (fnt/gnt).
type Name struct {
	Family  string `json:"fn,omitempty"`
	FamilyT string `json:"fnt"`
	Given   string `json:"gn,omitempty"`
	GivenT  string `json:"gnt,omitempty"`
}

// Vaccination is one "v" entry.
type Vaccination struct {
	Target        string `json:"tg"` // disease targeted, e.g. TargetCOVID19
	Prophylaxis   string `json:"vp"` // vaccine or prophylaxis, e.g. "J07BX03"
	Product       string `json:"mp"` // medicinal product, e.g. "EU/1/20/1528" or "Sputnik-V"
	Manufacturer  string `json:"ma"` // marketing authorisation holder, e.g. "ORG-100030215"
	DoseNumber    int    `json:"dn"`
	SeriesDoses   int    `json:"sd"`
	Date          string `json:"dt"` // YYYY-MM-DD
	Country       string `json:"co"` // ISO 3166-1 alpha-2
	Issuer        string `json:"is"`
	CertificateID string `json:"ci"` // UVCI
}

// Test is one "t" entry (decoded only; vaxtrace issues vaccinations).
type Test struct {
	Target        string `json:"tg"`
	Type          string `json:"tt"`
	Name          string `json:"nm,omitempty"`
	Device        string `json:"ma,omitempty"`
	SampleTime    string `json:"sc"`
	ResultTime    string `json:"dr,omitempty"` // schema 1.0.x only
	Result        string `json:"tr"`
	Centre        string `json:"tc,omitempty"`
	Country       string `json:"co"`
	Issuer        string `json:"is"`
	CertificateID string `json:"ci"`
}

// Recovery is one "r" entry (decoded only).
type Recovery struct {
	Target        string `json:"tg"`
	FirstPositive string `json:"fr"`
	Country       string `json:"co"`
	Issuer        string `json:"is"`
	ValidFrom     string `json:"df"`
	ValidUntil    string `json:"du"`
	CertificateID string `json:"ci"`
}

// Payload is the EU DCC (hcert claim -260/1) per DCC JSON schema 1.3.x.
type Payload struct {
	Version      string        `json:"ver"`
	Name         Name          `json:"nam"`
	DateOfBirth  string        `json:"dob"` // YYYY, YYYY-MM, YYYY-MM-DD or ""
	Vaccinations []Vaccination `json:"v,omitempty"`
	Tests        []Test        `json:"t,omitempty"`
	Recoveries   []Recovery    `json:"r,omitempty"`
}

// CertType is the kind of DCC: 'v', 't' or 'r'.
type CertType byte

// Certificate types.
const (
	TypeVaccination CertType = 'v'
	TypeTest        CertType = 't'
	TypeRecovery    CertType = 'r'
)

func (c CertType) String() string {
	switch c {
	case TypeVaccination:
		return "vaccination"
	case TypeTest:
		return "test"
	case TypeRecovery:
		return "recovery"
	}
	return "unknown"
}

// NewPayload builds a version-1.3.0 vaccination payload, filling the ICAO
// 9303 transliterations fnt/gnt from the (Cyrillic, Kazakh or Latin) names.
func NewPayload(familyName, givenName, dob string, v Vaccination) Payload {
	if v.Target == "" {
		v.Target = TargetCOVID19
	}
	return Payload{
		Version: SchemaVersion,
		Name: Name{
			Family:  familyName,
			FamilyT: Transliterate(familyName),
			Given:   givenName,
			GivenT:  Transliterate(givenName),
		},
		DateOfBirth:  dob,
		Vaccinations: []Vaccination{v},
	}
}

// Type reports which single entry kind the payload carries.
func (p *Payload) Type() (CertType, error) {
	n := 0
	var t CertType
	if len(p.Vaccinations) > 0 {
		n, t = n+1, TypeVaccination
	}
	if len(p.Tests) > 0 {
		n, t = n+1, TypeTest
	}
	if len(p.Recoveries) > 0 {
		n, t = n+1, TypeRecovery
	}
	if n != 1 {
		return 0, fmt.Errorf("%w: exactly one of v/t/r must be present, found %d", ErrSchema, n)
	}
	return t, nil
}

// CertificateID returns the UVCI ("ci") of the single entry.
func (p *Payload) CertificateID() string {
	switch {
	case len(p.Vaccinations) > 0:
		return p.Vaccinations[0].CertificateID
	case len(p.Tests) > 0:
		return p.Tests[0].CertificateID
	case len(p.Recoveries) > 0:
		return p.Recoveries[0].CertificateID
	}
	return ""
}

// MarshalCBOR encodes the payload as the hcert CBOR map (string keys, as
// in the JSON schema; the json struct tags drive the CBOR encoding).
func (p *Payload) MarshalCBOR() ([]byte, error) {
	type plain Payload // drop methods to avoid recursion
	return cborEnc.Marshal((*plain)(p))
}

// decodeHCert converts the raw hcert CBOR into a JSON-compatible tree
// (map[string]any, []any, string, float64, bool, nil).
func decodeHCert(raw []byte) (map[string]any, error) {
	var v any
	if err := cborDec.Unmarshal(raw, &v); err != nil {
		return nil, fmt.Errorf("%w: hcert is not valid CBOR: %w", ErrCWT, err)
	}
	j, err := cborToJSON(v, 0)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCWT, err)
	}
	m, ok := j.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%w: hcert is %T, want a map", ErrCWT, j)
	}
	return m, nil
}

// cborToJSON maps a generically decoded CBOR value to the JSON data model.
// CBOR date/time tags become RFC 3339 UTC strings, byte strings become
// standard Base64 and other tags are unwrapped.
func cborToJSON(v any, depth int) (any, error) {
	if depth > 32 {
		return nil, errors.New("CBOR nesting too deep")
	}
	switch x := v.(type) {
	case nil, bool, string:
		return x, nil
	case uint64:
		return float64(x), nil
	case int64:
		return float64(x), nil
	case float32:
		return float64(x), nil
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, errors.New("non-finite number in hcert")
		}
		return x, nil
	case []byte:
		return base64.StdEncoding.EncodeToString(x), nil
	case time.Time:
		return x.UTC().Format("2006-01-02T15:04:05Z"), nil
	case cbor.Tag:
		return cborToJSON(x.Content, depth+1)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			var err error
			if out[i], err = cborToJSON(e, depth+1); err != nil {
				return nil, err
			}
		}
		return out, nil
	case map[any]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			ks, ok := k.(string)
			if !ok {
				return nil, fmt.Errorf("non-string map key %v (%T) in hcert", k, k)
			}
			var err error
			if out[ks], err = cborToJSON(e, depth+1); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("unsupported CBOR value %T in hcert", v)
}

// payloadFromCBOR decodes the typed payload straight from the hcert CBOR
// (the json struct tags drive the mapping), falling back to the JSON data
// model for unusual but schema-valid encodings (e.g. float dose numbers).
func payloadFromCBOR(raw []byte, m map[string]any) (*Payload, error) {
	type plain Payload
	var p plain
	if err := cborDec.Unmarshal(raw, &p); err == nil {
		return (*Payload)(&p), nil
	}
	return payloadFromJSON(m)
}

// payloadFromJSON maps the generic tree onto Payload.
func payloadFromJSON(m map[string]any) (*Payload, error) {
	b, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSchema, err)
	}
	p := &Payload{}
	if err := json.Unmarshal(b, p); err != nil {
		return nil, fmt.Errorf("%w: hcert does not match DCC types: %w", ErrSchema, err)
	}
	return p, nil
}

var (
	reVersion = regexp.MustCompile(`^\d+\.\d+\.\d+$`)
	reICAO    = regexp.MustCompile(`^[A-Z<]*$`)
	reDOB     = regexp.MustCompile(`^((19|20)\d\d(-\d\d){0,2}){0,1}$`)
	reDate    = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
	reCountry = regexp.MustCompile(`^[A-Z]{2}$`)
)

// Validate performs the built-in structural validation of a DCC 1.3
// payload (the rules of the JSON schema that matter for vaccinations, plus
// "exactly one of v/t/r"). It is used by Verify when no JSON Schema set
// is configured, and by Issue before signing.
func (p *Payload) Validate() error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrSchema}, a...)...)
	}
	if !reVersion.MatchString(p.Version) {
		return bad("ver %q is not a semantic version", p.Version)
	}
	if p.Name.FamilyT == "" && p.Name.GivenT == "" {
		return bad("nam: at least one of fnt/gnt is required")
	}
	for _, f := range []struct{ k, v string }{{"fnt", p.Name.FamilyT}, {"gnt", p.Name.GivenT}} {
		if !reICAO.MatchString(f.v) || len(f.v) > 80 {
			return bad("nam.%s %q must match ^[A-Z<]*$ and be at most 80 characters", f.k, f.v)
		}
	}
	for _, f := range []struct{ k, v string }{{"fn", p.Name.Family}, {"gn", p.Name.Given}} {
		if utf8.RuneCountInString(f.v) > 80 {
			return bad("nam.%s exceeds 80 characters", f.k)
		}
	}
	if !reDOB.MatchString(p.DateOfBirth) {
		return bad("dob %q must be YYYY, YYYY-MM or YYYY-MM-DD (or empty)", p.DateOfBirth)
	}
	t, err := p.Type()
	if err != nil {
		return err
	}
	if n := len(p.Vaccinations) + len(p.Tests) + len(p.Recoveries); n != 1 {
		return bad("the %s array must hold exactly one entry, has %d", t, n)
	}
	var co, is, ci, tg string
	switch t {
	case TypeVaccination:
		v := p.Vaccinations[0]
		co, is, ci, tg = v.Country, v.Issuer, v.CertificateID, v.Target
		if v.Prophylaxis == "" || v.Product == "" || v.Manufacturer == "" {
			return bad("v[0]: vp, mp and ma are required")
		}
		if v.DoseNumber < 1 || v.DoseNumber > 9 || v.SeriesDoses < 1 || v.SeriesDoses > 9 {
			return bad("v[0]: dn (%d) and sd (%d) must be in 1..9", v.DoseNumber, v.SeriesDoses)
		}
		if !reDate.MatchString(v.Date) {
			return bad("v[0].dt %q must be YYYY-MM-DD", v.Date)
		}
	case TypeTest:
		x := p.Tests[0]
		co, is, ci, tg = x.Country, x.Issuer, x.CertificateID, x.Target
		if x.Type == "" || x.SampleTime == "" || x.Result == "" {
			return bad("t[0]: tt, sc and tr are required")
		}
	case TypeRecovery:
		x := p.Recoveries[0]
		co, is, ci, tg = x.Country, x.Issuer, x.CertificateID, x.Target
		if !reDate.MatchString(x.FirstPositive) || !reDate.MatchString(x.ValidFrom) || !reDate.MatchString(x.ValidUntil) {
			return bad("r[0]: fr, df and du must be YYYY-MM-DD")
		}
	}
	if tg == "" {
		return bad("%s[0].tg is required", string(t))
	}
	if !reCountry.MatchString(co) {
		return bad("%s[0].co %q must be an ISO 3166-1 alpha-2 code", string(t), co)
	}
	if is == "" || utf8.RuneCountInString(is) > 80 {
		return bad("%s[0].is must be 1..80 characters", string(t))
	}
	if ci == "" || utf8.RuneCountInString(ci) > 80 {
		return bad("%s[0].ci must be 1..80 characters", string(t))
	}
	return nil
}
