package hcert

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"errors"
	"fmt"
	"math/big"

	"github.com/fxamacker/cbor/v2"
)

// COSE and CWT constants used by HCERT.
const (
	tagCOSESign1 = 18
	tagCWT       = 61

	headerAlg = 1
	headerKID = 4

	// AlgES256 is the COSE algorithm identifier for ECDSA P-256 / SHA-256.
	AlgES256 = -7
	// AlgPS256 is the COSE algorithm identifier for RSASSA-PSS / SHA-256.
	AlgPS256 = -37

	claimIss   = 1
	claimExp   = 4
	claimIat   = 6
	claimHCert = -260
	hcertEUDCC = 1
)

// Sentinel errors for the COSE/CWT layers.
var (
	ErrCOSE      = errors.New("cose")
	ErrSignature = errors.New("signature")
	ErrCWT       = errors.New("cwt")
)

// Decoding limits protect against resource exhaustion by hostile CBOR.
var cborDec = func() cbor.DecMode {
	dm, err := cbor.DecOptions{
		MaxNestedLevels:  16,
		MaxArrayElements: 1024,
		MaxMapPairs:      1024,
		DupMapKey:        cbor.DupMapKeyEnforcedAPF,
		IndefLength:      cbor.IndefLengthAllowed,
		DefaultMapType:   nil,
		TimeTag:          cbor.DecTagOptional,
	}.DecMode()
	if err != nil {
		panic(err)
	}
	return dm
}()

var cborEnc = func() cbor.EncMode {
	em, err := cbor.EncOptions{Sort: cbor.SortCoreDeterministic}.EncMode()
	if err != nil {
		panic(err)
	}
	return em
}()

// coseSign1Array is the 4-element COSE_Sign1 structure (RFC 9052, 4.2).
type coseSign1Array struct {
	_           struct{} `cbor:",toarray"`
	Protected   []byte
	Unprotected map[any]any
	Payload     []byte
	Signature   []byte
}

// Sign1 is a parsed COSE_Sign1 message.
type Sign1 struct {
	Protected       []byte      // serialized protected header (bstr contents)
	ProtectedHeader map[any]any // decoded protected header
	Unprotected     map[any]any
	Payload         []byte
	Signature       []byte
	Tag             uint64 // 18, 61 (CWT wrapping 18) or 0 when untagged
}

// ParseSign1 parses a COSE_Sign1 that is tagged 18, tagged 61 wrapping a
// tag-18 message, or untagged. Any other tag is rejected.
func ParseSign1(data []byte) (*Sign1, error) {
	if len(data) == 0 {
		return nil, fmt.Errorf("%w: empty message", ErrCOSE)
	}
	msg := &Sign1{}
	content := cbor.RawMessage(data)
	saw18 := false
	for depth := 0; len(content) > 0 && content[0]>>5 == 6; depth++ { // major type 6: tag
		var tag cbor.RawTag
		if err := cborDec.Unmarshal(content, &tag); err != nil {
			return nil, fmt.Errorf("%w: malformed tag: %w", ErrCOSE, err)
		}
		switch {
		case depth == 0 && tag.Number == tagCWT:
			msg.Tag = tagCWT
		case tag.Number == tagCOSESign1:
			if msg.Tag == 0 {
				msg.Tag = tagCOSESign1
			}
		default:
			return nil, fmt.Errorf("%w: unexpected CBOR tag %d (want COSE_Sign1 tag 18 or CWT tag 61)", ErrCOSE, tag.Number)
		}
		content = tag.Content
		if tag.Number == tagCOSESign1 {
			saw18 = true
			break
		}
	}
	if msg.Tag == tagCWT && !saw18 {
		return nil, fmt.Errorf("%w: CWT tag 61 must wrap a tag-18 COSE_Sign1", ErrCOSE)
	}
	var arr coseSign1Array
	if err := cborDec.Unmarshal(content, &arr); err != nil {
		return nil, fmt.Errorf("%w: not a COSE_Sign1 array: %w", ErrCOSE, err)
	}
	msg.Protected, msg.Unprotected, msg.Payload, msg.Signature = arr.Protected, arr.Unprotected, arr.Payload, arr.Signature
	if len(msg.Protected) > 0 {
		if err := cborDec.Unmarshal(msg.Protected, &msg.ProtectedHeader); err != nil {
			return nil, fmt.Errorf("%w: protected header is not a CBOR map: %w", ErrCOSE, err)
		}
	}
	if msg.Payload == nil {
		return nil, fmt.Errorf("%w: detached or nil payload not supported", ErrCOSE)
	}
	return msg, nil
}

// headerInt looks up an integer label in a decoded CBOR header map.
func headerInt(m map[any]any, label int) (any, bool) {
	if m == nil {
		return nil, false
	}
	var k any
	if label >= 0 {
		k = uint64(label)
	} else {
		k = int64(label)
	}
	v, ok := m[k]
	return v, ok
}

// KID returns the key identifier from the protected header, falling back to
// the unprotected header, as the HCERT spec requires.
func (m *Sign1) KID() []byte {
	for _, h := range []map[any]any{m.ProtectedHeader, m.Unprotected} {
		if v, ok := headerInt(h, headerKID); ok {
			if b, ok := v.([]byte); ok {
				return b
			}
		}
	}
	return nil
}

// Alg returns the algorithm from the protected header (0 if absent).
// Per RFC 9052 it is only trusted from the protected bucket, but HCERT
// verifiers also accept it from the unprotected one; we do the same.
func (m *Sign1) Alg() int64 {
	for _, h := range []map[any]any{m.ProtectedHeader, m.Unprotected} {
		if v, ok := headerInt(h, headerAlg); ok {
			switch x := v.(type) {
			case int64:
				return x
			case uint64:
				return int64(x)
			}
		}
	}
	return 0
}

// sigStructure builds the Sig_structure "Signature1" to be signed.
func sigStructure(protected, payload []byte) ([]byte, error) {
	if protected == nil {
		protected = []byte{}
	}
	return cborEnc.Marshal([]any{"Signature1", protected, []byte{}, payload})
}

// VerifySignature checks the signature against pub (*ecdsa.PublicKey for
// ES256, *rsa.PublicKey for PS256). PS256 accepts salt length equal to the
// hash length and, failing that, any salt length.
func (m *Sign1) VerifySignature(pub crypto.PublicKey) error {
	tbs, err := sigStructure(m.Protected, m.Payload)
	if err != nil {
		return fmt.Errorf("%w: building Sig_structure: %w", ErrSignature, err)
	}
	digest := sha256.Sum256(tbs)
	alg := m.Alg()
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		if alg != 0 && alg != AlgES256 {
			return fmt.Errorf("%w: algorithm %d does not match EC key (want ES256 = -7)", ErrSignature, alg)
		}
		if k.Curve != elliptic.P256() {
			return fmt.Errorf("%w: EC key is not on P-256", ErrSignature)
		}
		if len(m.Signature) != 64 {
			return fmt.Errorf("%w: ES256 signature must be 64 bytes r||s, got %d", ErrSignature, len(m.Signature))
		}
		r := new(big.Int).SetBytes(m.Signature[:32])
		s := new(big.Int).SetBytes(m.Signature[32:])
		if !ecdsa.Verify(k, digest[:], r, s) {
			return fmt.Errorf("%w: ES256 signature does not verify", ErrSignature)
		}
		return nil
	case *rsa.PublicKey:
		if alg != 0 && alg != AlgPS256 {
			return fmt.Errorf("%w: algorithm %d does not match RSA key (want PS256 = -37)", ErrSignature, alg)
		}
		err := rsa.VerifyPSS(k, crypto.SHA256, digest[:], m.Signature, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
		if err != nil {
			err = rsa.VerifyPSS(k, crypto.SHA256, digest[:], m.Signature, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthAuto})
		}
		if err != nil {
			return fmt.Errorf("%w: PS256 signature does not verify", ErrSignature)
		}
		return nil
	default:
		return fmt.Errorf("%w: unsupported public key type %T", ErrSignature, pub)
	}
}

// signES256 produces a tag-18 COSE_Sign1 with protected header
// {1: -7, 4: kid} and an empty unprotected header.
func signES256(key *ecdsa.PrivateKey, kid, payload []byte) ([]byte, error) {
	protected, err := cborEnc.Marshal(map[int]any{headerAlg: AlgES256, headerKID: kid})
	if err != nil {
		return nil, fmt.Errorf("%w: encoding protected header: %w", ErrCOSE, err)
	}
	tbs, err := sigStructure(protected, payload)
	if err != nil {
		return nil, fmt.Errorf("%w: building Sig_structure: %w", ErrCOSE, err)
	}
	digest := sha256.Sum256(tbs)
	r, s, err := ecdsa.Sign(rand.Reader, key, digest[:])
	if err != nil {
		return nil, fmt.Errorf("%w: ES256 signing: %w", ErrCOSE, err)
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	out, err := cborEnc.Marshal(cbor.Tag{Number: tagCOSESign1, Content: coseSign1Array{
		Protected:   protected,
		Unprotected: map[any]any{},
		Payload:     payload,
		Signature:   sig,
	}})
	if err != nil {
		return nil, fmt.Errorf("%w: encoding COSE_Sign1: %w", ErrCOSE, err)
	}
	return out, nil
}

// Claims are the CWT claims carried by an HCERT.
type Claims struct {
	Issuer    string // claim 1, ISO 3166-1 alpha-2 of the issuing country
	IssuedAt  int64  // claim 6, seconds since the Unix epoch
	ExpiresAt int64  // claim 4, seconds since the Unix epoch
	HasIat    bool
	HasExp    bool
	HCert     []byte // raw CBOR of the EU DCC (claim -260, key 1)
}

// ParseClaims decodes CWT claims and extracts the raw hcert CBOR.
func ParseClaims(payload []byte) (*Claims, error) {
	var m map[any]cbor.RawMessage
	if err := cborDec.Unmarshal(payload, &m); err != nil {
		return nil, fmt.Errorf("%w: payload is not a CBOR map: %w", ErrCWT, err)
	}
	c := &Claims{}
	if raw, ok := m[uint64(claimIss)]; ok {
		if err := cborDec.Unmarshal(raw, &c.Issuer); err != nil {
			return nil, fmt.Errorf("%w: iss (1) is not a text string: %w", ErrCWT, err)
		}
	}
	var err error
	if raw, ok := m[uint64(claimIat)]; ok {
		if c.IssuedAt, err = numericDate(raw); err != nil {
			return nil, fmt.Errorf("%w: iat (6): %w", ErrCWT, err)
		}
		c.HasIat = true
	}
	if raw, ok := m[uint64(claimExp)]; ok {
		if c.ExpiresAt, err = numericDate(raw); err != nil {
			return nil, fmt.Errorf("%w: exp (4): %w", ErrCWT, err)
		}
		c.HasExp = true
	}
	raw, ok := m[int64(claimHCert)]
	if !ok {
		return nil, fmt.Errorf("%w: missing hcert claim -260", ErrCWT)
	}
	var hc map[any]cbor.RawMessage
	if err := cborDec.Unmarshal(raw, &hc); err != nil {
		return nil, fmt.Errorf("%w: hcert claim -260 is not a map: %w", ErrCWT, err)
	}
	if len(hc) != 1 {
		return nil, fmt.Errorf("%w: hcert claim -260 must hold exactly one entry, has %d", ErrCWT, len(hc))
	}
	if c.HCert, ok = hc[uint64(hcertEUDCC)]; !ok {
		return nil, fmt.Errorf("%w: hcert claim -260 has no eu_dcc_v1 (key 1) entry", ErrCWT)
	}
	return c, nil
}

// numericDate decodes a CWT NumericDate (integer or float seconds).
func numericDate(raw cbor.RawMessage) (int64, error) {
	var v any
	if err := cborDec.Unmarshal(raw, &v); err != nil {
		return 0, err
	}
	switch x := v.(type) {
	case uint64:
		if x > 1<<53 {
			return 0, fmt.Errorf("NumericDate %d out of range", x)
		}
		return int64(x), nil
	case int64:
		return x, nil
	case float64:
		if x != x || x > 1<<53 || x < -(1<<53) {
			return 0, fmt.Errorf("NumericDate %v out of range", x)
		}
		return int64(x), nil
	}
	return 0, fmt.Errorf("NumericDate has type %T, want number", v)
}

// encodeClaims serialises CWT claims with the given raw hcert CBOR.
func encodeClaims(iss string, iat, exp int64, hcert []byte) ([]byte, error) {
	return cborEnc.Marshal(map[int]any{
		claimIss:   iss,
		claimIat:   iat,
		claimExp:   exp,
		claimHCert: map[int]cbor.RawMessage{hcertEUDCC: hcert},
	})
}
