package hcert

import (
	"bytes"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"regexp"
	"time"
)

// Code classifies a verification failure. Codes are also errors, so
// errors.Is(result.Err, hcert.CodeRevoked) works.
type Code string

// Verification outcome codes, one per failure class.
const (
	CodeOK            Code = "ok"
	CodeInputTooLarge Code = "input_too_large"
	CodeEmptyInput    Code = "empty_input"
	CodeQR            Code = "qr_decode"
	CodePrefix        Code = "prefix"
	CodeBase45        Code = "base45"
	CodeZlib          Code = "zlib"
	CodeCOSE          Code = "cose"
	CodeUnknownKID    Code = "unknown_kid"
	CodeSignature     Code = "bad_signature"
	CodeCWT           Code = "cwt"
	CodeSchema        Code = "schema"
	CodeNotYetValid   Code = "not_yet_valid"
	CodeExpired       Code = "expired"
	CodeDSCValidity   Code = "dsc_validity"
	CodeKeyUsage      Code = "key_usage"
	CodeRevoked       Code = "revoked"
)

func (c Code) Error() string { return "hcert: " + string(c) }

// Step names a verification step.
type Step string

// Verification steps, in the order Verify runs them.
const (
	StepInput      Step = "input"
	StepQR         Step = "qr"
	StepPrefix     Step = "prefix"
	StepBase45     Step = "base45"
	StepZlib       Step = "zlib"
	StepCOSE       Step = "cose"
	StepKID        Step = "kid"
	StepSignature  Step = "signature"
	StepCWT        Step = "cwt"
	StepSchema     Step = "schema"
	StepExpiry     Step = "expiry"
	StepKeyUsage   Step = "key_usage"
	StepRevocation Step = "revocation"
)

// Error is the failure of one verification step.
type Error struct {
	Step   Step
	Code   Code
	Reason string // precise, human-readable
	Err    error  // underlying cause, may be nil
}

func (e *Error) Error() string { return fmt.Sprintf("hcert: %s: %s", e.Step, e.Reason) }

// Unwrap exposes both the Code and the underlying cause.
func (e *Error) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Code}
	}
	return []error{e.Code, e.Err}
}

// StepResult records the outcome of one step.
type StepResult struct {
	Step    Step   `json:"step"`
	OK      bool   `json:"ok"`
	Skipped bool   `json:"skipped,omitempty"`
	Detail  string `json:"detail,omitempty"` // reason on failure, note otherwise
}

// Result is the outcome of Verify. Steps lists every step that ran, in
// order; on failure the last one failed and Err/Code/Reason describe it.
type Result struct {
	OK     bool
	Code   Code
	Reason string
	Err    *Error
	Steps  []StepResult

	HC1         string            // "HC1:..." text (after QR decoding)
	KID         []byte            // key identifier from the COSE header
	Certificate *x509.Certificate // DSC that verified the signature
	Issuer      string            // CWT iss
	IssuedAt    time.Time         // CWT iat
	ExpiresAt   time.Time         // CWT exp
	HCert       map[string]any    // decoded hcert in the JSON data model
	Payload     *Payload          // typed hcert
	Type        CertType
	UVCI        string
}

// Revocations answers whether a UVCI hash (UVCIHash) is revoked.
type Revocations interface {
	Revoked(uvciHash [32]byte) bool
}

// RevocationSet is a simple in-memory Revocations. It is not safe for
// concurrent modification; build it, then share it read-only.
type RevocationSet map[[32]byte]struct{}

// Add revokes a UVCI (exactly as it appears in the "ci" field).
func (s RevocationSet) Add(uvci string) { s[UVCIHash(uvci)] = struct{}{} }

// Revoked implements Revocations.
func (s RevocationSet) Revoked(h [32]byte) bool { _, ok := s[h]; return ok }

// Verifier holds the verification configuration. The zero value of
// Schemas selects the built-in structural validation (Payload.Validate);
// a loaded Schemas set selects full DCC JSON Schema validation.
type Verifier struct {
	Trust       *TrustList
	Revocations Revocations // may be nil
	Schemas     *Schemas    // may be nil
	// CheckValueSets additionally requires coded fields to be in the eHN
	// value sets loaded with Schemas (see Schemas.ValidateValueSets).
	CheckValueSets bool
}

// Verify runs the full HCERT verification chain on input, which may be an
// "HC1:" string, bare Base45, or a QR code PNG, with clock as the current
// time. It never panics.
func Verify(input []byte, trust *TrustList, clock time.Time, rev Revocations) Result {
	v := Verifier{Trust: trust, Revocations: rev}
	return v.Verify(input, clock)
}

var pngMagic = []byte("\x89PNG\r\n\x1a\n")

// reOtherPrefix matches a context identifier other than HC1 (e.g. "HC2:",
// "hc1:", "LT1:"). Bare Base45 of a zlib stream starts "NCF"/"6BF", so it
// never matches.
var reOtherPrefix = regexp.MustCompile(`^[A-Za-z]{2,3}[0-9]?:`)

// Verify runs the verification chain; see the package-level Verify.
func (v *Verifier) Verify(input []byte, clock time.Time) (res Result) {
	fail := func(step Step, code Code, err error, format string, a ...any) Result {
		reason := fmt.Sprintf(format, a...)
		if err != nil {
			reason += ": " + err.Error()
		}
		res.Err = &Error{Step: step, Code: code, Reason: reason, Err: err}
		res.OK, res.Code, res.Reason = false, code, res.Err.Error()
		res.Steps = append(res.Steps, StepResult{Step: step, Detail: reason})
		return res
	}
	pass := func(step Step, detail string) {
		res.Steps = append(res.Steps, StepResult{Step: step, OK: true, Detail: detail})
	}
	defer func() {
		if r := recover(); r != nil {
			res = Result{}
			res = fail(StepInput, CodeCOSE, nil, "internal error while verifying: %v", r)
		}
	}()

	// 1. Input classification and size limits.
	text := input
	if bytes.HasPrefix(input, pngMagic) {
		if len(input) > MaxPNGSize {
			return fail(StepInput, CodeInputTooLarge, nil, "PNG is %d bytes, limit %d", len(input), MaxPNGSize)
		}
		pass(StepInput, "QR PNG image")
		s, err := DecodeQRPNG(input)
		if err != nil {
			return fail(StepQR, CodeQR, err, "could not read QR code")
		}
		pass(StepQR, "")
		text = []byte(s)
	}
	text = bytes.TrimSpace(text)
	if len(text) > MaxInputSize {
		return fail(StepInput, CodeInputTooLarge, nil, "input is %d bytes, limit %d", len(text), MaxInputSize)
	}
	if len(text) == 0 {
		return fail(StepInput, CodeEmptyInput, nil, "input is empty")
	}
	if len(res.Steps) == 0 {
		pass(StepInput, "text")
	}
	s := string(text)

	// 2. Prefix.
	var b45 string
	switch {
	case bytes.HasPrefix(text, []byte(Prefix)):
		b45 = s[len(Prefix):]
		res.HC1 = s
		pass(StepPrefix, Prefix)
	case reOtherPrefix.MatchString(s):
		return fail(StepPrefix, CodePrefix, ErrPrefix, "unsupported context identifier %q, want %q", reOtherPrefix.FindString(s), Prefix)
	default:
		b45 = s
		res.HC1 = Prefix + s
		pass(StepPrefix, "no prefix: treated as bare Base45")
	}

	// 3. Base45.
	compressed, err := Base45Decode(b45)
	if err != nil {
		return fail(StepBase45, CodeBase45, err, "invalid Base45")
	}
	pass(StepBase45, "")

	// 4. zlib.
	coseBytes, err := Decompress(compressed, MaxInflatedSize)
	if err != nil {
		return fail(StepZlib, CodeZlib, err, "cannot inflate")
	}
	pass(StepZlib, "")

	// 5. COSE_Sign1.
	msg, err := ParseSign1(coseBytes)
	if err != nil {
		return fail(StepCOSE, CodeCOSE, err, "invalid COSE_Sign1")
	}
	pass(StepCOSE, fmt.Sprintf("tag %d, alg %d", msg.Tag, msg.Alg()))

	// 6. kid lookup.
	res.KID = msg.KID()
	if len(res.KID) == 0 {
		return fail(StepKID, CodeUnknownKID, nil, "no kid in protected or unprotected header")
	}
	certs := v.Trust.Lookup(res.KID)
	if len(certs) == 0 {
		return fail(StepKID, CodeUnknownKID, nil, "kid %x is not in the trust list", res.KID)
	}
	pass(StepKID, fmt.Sprintf("%x", res.KID))

	// 7. Signature: any certificate registered under the kid may match.
	var sigErr error
	for _, c := range certs {
		if sigErr = msg.VerifySignature(c.PublicKey); sigErr == nil {
			res.Certificate = c
			break
		}
	}
	if res.Certificate == nil {
		return fail(StepSignature, CodeSignature, sigErr, "signature does not verify with the DSC for kid %x", res.KID)
	}
	pass(StepSignature, res.Certificate.Subject.CommonName)

	// 8. CWT claims and hcert decoding.
	claims, err := ParseClaims(msg.Payload)
	if err != nil {
		return fail(StepCWT, CodeCWT, err, "invalid CWT payload")
	}
	res.Issuer = claims.Issuer
	if claims.HasIat {
		res.IssuedAt = time.Unix(claims.IssuedAt, 0).UTC()
	}
	if claims.HasExp {
		res.ExpiresAt = time.Unix(claims.ExpiresAt, 0).UTC()
	}
	if res.HCert, err = decodeHCert(claims.HCert); err != nil {
		return fail(StepCWT, CodeCWT, err, "invalid hcert")
	}
	pass(StepCWT, "iss "+claims.Issuer)

	// 9. Schema.
	if v.Schemas != nil {
		if err := v.Schemas.Validate(res.HCert); err != nil {
			return fail(StepSchema, CodeSchema, err, "hcert violates the DCC schema")
		}
		if v.CheckValueSets {
			if err := v.Schemas.ValidateValueSets(res.HCert); err != nil {
				return fail(StepSchema, CodeSchema, err, "hcert uses a code outside the eHN value sets")
			}
		}
	}
	if res.Payload, err = payloadFromCBOR(claims.HCert, res.HCert); err != nil {
		return fail(StepSchema, CodeSchema, err, "hcert violates the DCC schema")
	}
	if v.Schemas == nil {
		if err := res.Payload.Validate(); err != nil {
			return fail(StepSchema, CodeSchema, err, "hcert violates the DCC schema")
		}
	}
	if res.Type, err = res.Payload.Type(); err != nil {
		return fail(StepSchema, CodeSchema, err, "hcert violates the DCC schema")
	}
	res.UVCI = res.Payload.CertificateID()
	pass(StepSchema, res.Type.String())

	// 10. Validity period.
	if err := CheckValidity(claims, res.Certificate, clock); err != nil {
		var ce *Error
		errors.As(err, &ce)
		return fail(StepExpiry, ce.Code, nil, "%s", ce.Reason)
	}
	pass(StepExpiry, fmt.Sprintf("valid until %s", res.ExpiresAt.Format(time.RFC3339)))

	// 11. Key usage.
	if err := CheckKeyUsage(res.Certificate, res.Type); err != nil {
		return fail(StepKeyUsage, CodeKeyUsage, nil, "%s", err.(*Error).Reason)
	}
	pass(StepKeyUsage, "")

	// 12. Revocation.
	if v.Revocations == nil {
		res.Steps = append(res.Steps, StepResult{Step: StepRevocation, OK: true, Skipped: true, Detail: "no revocation list"})
	} else if v.Revocations.Revoked(UVCIHash(res.UVCI)) {
		return fail(StepRevocation, CodeRevoked, nil, "certificate %s is revoked", res.UVCI)
	} else {
		pass(StepRevocation, "")
	}
	res.OK, res.Code = true, CodeOK
	return res
}

// CheckValidity applies the HCERT time rules at clock:
// DSC.NotBefore <= iat <= clock <= exp <= DSC.NotAfter. Both claims are
// mandatory. Failures are *Error values with CodeNotYetValid, CodeExpired
// or CodeDSCValidity.
func CheckValidity(c *Claims, dsc *x509.Certificate, clock time.Time) error {
	bad := func(code Code, format string, a ...any) error {
		return &Error{Step: StepExpiry, Code: code, Reason: fmt.Sprintf(format, a...)}
	}
	if !c.HasIat || !c.HasExp {
		return bad(CodeExpired, "CWT lacks iat (6) and/or exp (4)")
	}
	iat, exp := time.Unix(c.IssuedAt, 0).UTC(), time.Unix(c.ExpiresAt, 0).UTC()
	const f = time.RFC3339
	switch {
	case iat.After(clock):
		return bad(CodeNotYetValid, "issued at %s, after the validation time %s", iat.Format(f), clock.UTC().Format(f))
	case clock.After(exp):
		return bad(CodeExpired, "expired at %s (validation time %s)", exp.Format(f), clock.UTC().Format(f))
	case iat.Before(dsc.NotBefore):
		return bad(CodeDSCValidity, "issued at %s, before the DSC became valid (%s)", iat.Format(f), dsc.NotBefore.UTC().Format(f))
	case exp.After(dsc.NotAfter):
		return bad(CodeDSCValidity, "expires at %s, after the DSC expires (%s)", exp.Format(f), dsc.NotAfter.UTC().Format(f))
	}
	return nil
}

// oidsFor lists the EKU OIDs that authorise a DSC for a certificate type,
// including the "1.3.6.1.4.1.0.1847..." variants some early DSCs used.
func oidsFor(t CertType) []asn1.ObjectIdentifier {
	var leaf int
	switch t {
	case TypeTest:
		leaf = 1
	case TypeVaccination:
		leaf = 2
	case TypeRecovery:
		leaf = 3
	default:
		return nil
	}
	return []asn1.ObjectIdentifier{
		{1, 3, 6, 1, 4, 1, 1847, 2021, 1, leaf},
		{1, 3, 6, 1, 4, 1, 0, 1847, 2021, 1, leaf},
	}
}

// CheckKeyUsage checks that the DSC may sign certificates of type t: a DSC
// without an extended key usage extension may sign any type; otherwise
// its EKUs must include the type's OID. Failures are *Error values with
// CodeKeyUsage.
func CheckKeyUsage(dsc *x509.Certificate, t CertType) error {
	if len(dsc.ExtKeyUsage) == 0 && len(dsc.UnknownExtKeyUsage) == 0 {
		return nil
	}
	for _, have := range dsc.UnknownExtKeyUsage {
		for _, want := range oidsFor(t) {
			if have.Equal(want) {
				return nil
			}
		}
	}
	return &Error{Step: StepKeyUsage, Code: CodeKeyUsage,
		Reason: fmt.Sprintf("DSC %q extended key usage %v does not allow %s certificates", dsc.Subject.CommonName, dsc.UnknownExtKeyUsage, t)}
}
