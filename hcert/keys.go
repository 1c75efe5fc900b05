package hcert

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"sync"
	"time"

	"golang.org/x/crypto/scrypt"
)

// Extended key usage OIDs that restrict a DSC to certificate types
// (eHN trust framework). The "0." variants were used by early issuers.
var (
	OIDTestIssuer        = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 1847, 2021, 1, 1}
	OIDVaccinationIssuer = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 1847, 2021, 1, 2}
	OIDRecoveryIssuer    = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 1847, 2021, 1, 3}
)

// Validity periods of generated certificates.
const (
	CSCAValidity = 10 * 365 * 24 * time.Hour
	DSCValidity  = 2 * 365 * 24 * time.Hour
)

// Key-sealing errors.
var (
	ErrSealed     = errors.New("sealed key")
	ErrPassphrase = errors.New("wrong passphrase or corrupted sealed data")
	ErrIssue      = errors.New("issue")
)

// KID returns the HCERT key identifier of a certificate: the first 8 bytes
// of the SHA-256 of its DER encoding.
func KID(cert *x509.Certificate) []byte {
	h := sha256.Sum256(cert.Raw)
	return h[:8]
}

// Signer is a document signing certificate with its private key.
type Signer struct {
	Cert *x509.Certificate
	KID  []byte
	key  *ecdsa.PrivateKey
}

// Authority is a country's HCERT issuing authority: a self-signed CSCA and
// the DSCs it has issued. The last-added DSC is the active signer; older
// DSCs remain in the TrustList so certificates they signed keep verifying
// (key rotation). An Authority is safe for concurrent use.
type Authority struct {
	Country string // ISO 3166-1 alpha-2, used as CWT "iss"
	CSCA    *x509.Certificate

	cscaKey *ecdsa.PrivateKey
	mu      sync.RWMutex
	signers []*Signer
}

// GenerateAuthority creates a new CSCA for country (valid from now for
// CSCAValidity) and a first DSC.
func GenerateAuthority(country string, now time.Time) (*Authority, error) {
	if !reCountry.MatchString(country) {
		return nil, fmt.Errorf("hcert: country %q is not an ISO 3166-1 alpha-2 code", country)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("hcert: generating CSCA key: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          randomSerial(),
		Subject:               pkix.Name{Country: []string{country}, CommonName: "vaxtrace CSCA " + country},
		NotBefore:             now.Add(-time.Minute).UTC(),
		NotAfter:              now.Add(CSCAValidity).UTC(),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLen:            0,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("hcert: creating CSCA certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("hcert: parsing CSCA certificate: %w", err)
	}
	a := &Authority{Country: country, CSCA: cert, cscaKey: key}
	if _, err := a.AddSigner(now); err != nil {
		return nil, err
	}
	return a, nil
}

func randomSerial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return n.Add(n, big.NewInt(1))
}

// AddSigner issues a new DSC (ECDSA P-256, EKU "vaccination", valid from
// now for DSCValidity, capped by the CSCA's validity) and makes it the
// active signer. Older DSCs stay available for verification.
func (a *Authority) AddSigner(now time.Time) (*Signer, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("hcert: generating DSC key: %w", err)
	}
	notAfter := now.Add(DSCValidity)
	if notAfter.After(a.CSCA.NotAfter) {
		notAfter = a.CSCA.NotAfter
	}
	a.mu.RLock()
	n := len(a.signers)
	a.mu.RUnlock()
	tmpl := &x509.Certificate{
		SerialNumber:       randomSerial(),
		Subject:            pkix.Name{Country: []string{a.Country}, CommonName: fmt.Sprintf("vaxtrace DSC %s %d", a.Country, n+1)},
		NotBefore:          now.Add(-time.Minute).UTC(),
		NotAfter:           notAfter.UTC(),
		KeyUsage:           x509.KeyUsageDigitalSignature,
		UnknownExtKeyUsage: []asn1.ObjectIdentifier{OIDVaccinationIssuer},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, a.CSCA, &key.PublicKey, a.cscaKey)
	if err != nil {
		return nil, fmt.Errorf("hcert: creating DSC: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("hcert: parsing DSC: %w", err)
	}
	s := &Signer{Cert: cert, KID: KID(cert), key: key}
	a.mu.Lock()
	a.signers = append(a.signers, s)
	a.mu.Unlock()
	return s, nil
}

// Signers returns all DSCs, oldest first; the last one is active.
func (a *Authority) Signers() []*Signer {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return append([]*Signer(nil), a.signers...)
}

// Active returns the signer used by Issue.
func (a *Authority) Active() *Signer {
	a.mu.RLock()
	defer a.mu.RUnlock()
	if len(a.signers) == 0 {
		return nil
	}
	return a.signers[len(a.signers)-1]
}

// TrustList returns the public trust list: the CSCA as anchor and every
// DSC (including rotated-out ones).
func (a *Authority) TrustList() *TrustList {
	t := NewTrustList()
	t.AddCSCA(a.CSCA)
	for _, s := range a.Signers() {
		_ = t.Add(a.Country, s.Cert) // signed by our CSCA, cannot fail
	}
	return t
}

// Issue signs p with the active DSC and returns the "HC1:" string. The
// payload is validated first, and [iat, exp] must lie within the DSC's
// validity so that verifiers accept the result.
func (a *Authority) Issue(p Payload, iat, exp time.Time) (string, error) {
	if err := p.Validate(); err != nil {
		return "", fmt.Errorf("%w: %w", ErrIssue, err)
	}
	hc, err := p.MarshalCBOR()
	if err != nil {
		return "", fmt.Errorf("%w: encoding hcert: %w", ErrIssue, err)
	}
	return a.issueCBOR(hc, iat, exp)
}

// IssueWith signs p like Issue but with the DSC whose KID is kid (active or
// rotated), for example to render again a certificate issued earlier.
func (a *Authority) IssueWith(kid []byte, p Payload, iat, exp time.Time) (string, error) {
	s := a.Signer(kid)
	if s == nil {
		return "", fmt.Errorf("%w: no DSC with this KID", ErrIssue)
	}
	if err := p.Validate(); err != nil {
		return "", fmt.Errorf("%w: %w", ErrIssue, err)
	}
	hc, err := p.MarshalCBOR()
	if err != nil {
		return "", fmt.Errorf("%w: encoding hcert: %w", ErrIssue, err)
	}
	return a.signCBOR(s, hc, iat, exp)
}

// Signer returns the DSC whose KID is kid, or nil.
func (a *Authority) Signer(kid []byte) *Signer {
	for _, s := range a.Signers() {
		if bytes.Equal(s.KID, kid) {
			return s
		}
	}
	return nil
}

// issueCBOR signs an already-encoded hcert (no payload validation).
func (a *Authority) issueCBOR(hc []byte, iat, exp time.Time) (string, error) {
	return a.signCBOR(a.Active(), hc, iat, exp)
}

func (a *Authority) signCBOR(s *Signer, hc []byte, iat, exp time.Time) (string, error) {
	if s == nil {
		return "", fmt.Errorf("%w: authority has no signer", ErrIssue)
	}
	if !exp.After(iat) {
		return "", fmt.Errorf("%w: exp %s is not after iat %s", ErrIssue, exp.UTC().Format(time.RFC3339), iat.UTC().Format(time.RFC3339))
	}
	if iat.Before(s.Cert.NotBefore) || exp.After(s.Cert.NotAfter) {
		return "", fmt.Errorf("%w: [iat, exp] = [%s, %s] is outside the DSC validity [%s, %s]", ErrIssue,
			iat.UTC().Format(time.RFC3339), exp.UTC().Format(time.RFC3339),
			s.Cert.NotBefore.Format(time.RFC3339), s.Cert.NotAfter.Format(time.RFC3339))
	}
	claims, err := encodeClaims(a.Country, iat.Unix(), exp.Unix(), hc)
	if err != nil {
		return "", fmt.Errorf("%w: encoding CWT: %w", ErrIssue, err)
	}
	msg, err := signES256(s.key, s.KID, claims)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrIssue, err)
	}
	return Prefix + Base45Encode(Compress(msg)), nil
}

// authorityFile is the at-rest form written by Save. Certificates are
// public; the private keys are in Keys, sealed with SealBytes.
type authorityFile struct {
	Format  string   `json:"format"`
	Country string   `json:"country"`
	CSCA    []byte   `json:"csca"`
	Signers [][]byte `json:"signers"`
	Keys    []byte   `json:"keys"`
}

type authorityKeys struct {
	CSCA    []byte   `json:"csca"`
	Signers [][]byte `json:"signers"`
}

const authorityFormat = "vaxtrace-hcert-authority/1"

// Save serialises the authority to JSON with all private keys sealed under
// passphrase (scrypt + AES-256-GCM). Keys never appear in clear text.
func (a *Authority) Save(passphrase []byte) ([]byte, error) {
	signers := a.Signers()
	f := authorityFile{Format: authorityFormat, Country: a.Country, CSCA: a.CSCA.Raw}
	k := authorityKeys{}
	var err error
	if k.CSCA, err = x509.MarshalPKCS8PrivateKey(a.cscaKey); err != nil {
		return nil, fmt.Errorf("hcert: encoding CSCA key: %w", err)
	}
	for _, s := range signers {
		f.Signers = append(f.Signers, s.Cert.Raw)
		der, err := x509.MarshalPKCS8PrivateKey(s.key)
		if err != nil {
			return nil, fmt.Errorf("hcert: encoding DSC key: %w", err)
		}
		k.Signers = append(k.Signers, der)
	}
	plain, err := json.Marshal(k)
	if err != nil {
		return nil, fmt.Errorf("hcert: %w", err)
	}
	defer clear(plain)
	if f.Keys, err = SealBytes(plain, passphrase); err != nil {
		return nil, err
	}
	return json.MarshalIndent(f, "", "  ")
}

// LoadAuthority reverses Save. It fails with ErrPassphrase on a wrong
// passphrase and checks that every key matches its certificate.
func LoadAuthority(data, passphrase []byte) (*Authority, error) {
	var f authorityFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("hcert: authority file: %w", err)
	}
	if f.Format != authorityFormat {
		return nil, fmt.Errorf("hcert: authority file format %q, want %q", f.Format, authorityFormat)
	}
	plain, err := OpenBytes(f.Keys, passphrase)
	if err != nil {
		return nil, err
	}
	defer clear(plain)
	var k authorityKeys
	if err := json.Unmarshal(plain, &k); err != nil {
		return nil, fmt.Errorf("hcert: sealed keys: %w", err)
	}
	if len(k.Signers) != len(f.Signers) {
		return nil, fmt.Errorf("hcert: %d DSC certificates but %d keys", len(f.Signers), len(k.Signers))
	}
	a := &Authority{Country: f.Country}
	if a.CSCA, a.cscaKey, err = certAndKey(f.CSCA, k.CSCA); err != nil {
		return nil, fmt.Errorf("hcert: CSCA: %w", err)
	}
	for i := range f.Signers {
		cert, key, err := certAndKey(f.Signers[i], k.Signers[i])
		if err != nil {
			return nil, fmt.Errorf("hcert: DSC %d: %w", i, err)
		}
		if err := cert.CheckSignatureFrom(a.CSCA); err != nil {
			return nil, fmt.Errorf("hcert: DSC %d not signed by CSCA: %w", i, err)
		}
		a.signers = append(a.signers, &Signer{Cert: cert, KID: KID(cert), key: key})
	}
	return a, nil
}

func certAndKey(certDER, keyDER []byte) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	cert, err := x509.ParseCertificate(certDER)
	if err != nil {
		return nil, nil, err
	}
	k, err := x509.ParsePKCS8PrivateKey(keyDER)
	if err != nil {
		return nil, nil, fmt.Errorf("private key: %w", err)
	}
	key, ok := k.(*ecdsa.PrivateKey)
	if !ok {
		return nil, nil, fmt.Errorf("private key is %T, want ECDSA", k)
	}
	if !key.PublicKey.Equal(cert.PublicKey) {
		return nil, nil, errors.New("private key does not match certificate")
	}
	return cert, key, nil
}

// Sealed-data format: magic "VXS1" | logN | r | p | 16-byte salt |
// 12-byte nonce | AES-256-GCM(ciphertext+tag). The header is bound to the
// ciphertext as additional authenticated data.
const (
	sealMagic = "VXS1"
	sealLogN  = 15 // N = 32768, r = 8, p = 1: ~32 MiB, ~50-100 ms
	sealR     = 8
	sealP     = 1
	sealHdr   = 4 + 3 + 16 + 12
)

// SealBytes encrypts plain under passphrase with scrypt + AES-256-GCM.
func SealBytes(plain, passphrase []byte) ([]byte, error) {
	if len(passphrase) == 0 {
		return nil, fmt.Errorf("%w: empty passphrase", ErrSealed)
	}
	hdr := make([]byte, sealHdr)
	copy(hdr, sealMagic)
	hdr[4], hdr[5], hdr[6] = sealLogN, sealR, sealP
	if _, err := rand.Read(hdr[7:]); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSealed, err)
	}
	aead, err := sealAEAD(passphrase, hdr)
	if err != nil {
		return nil, err
	}
	return aead.Seal(hdr, hdr[7+16:], plain, hdr), nil
}

// OpenBytes decrypts data produced by SealBytes.
func OpenBytes(sealed, passphrase []byte) ([]byte, error) {
	if len(sealed) < sealHdr+16 || !bytes.HasPrefix(sealed, []byte(sealMagic)) {
		return nil, fmt.Errorf("%w: not a sealed blob", ErrSealed)
	}
	hdr := sealed[:sealHdr]
	if hdr[4] < 10 || hdr[4] > 20 || hdr[5] == 0 || hdr[5] > 16 || hdr[6] == 0 || hdr[6] > 4 {
		return nil, fmt.Errorf("%w: unsupported KDF parameters", ErrSealed)
	}
	aead, err := sealAEAD(passphrase, hdr)
	if err != nil {
		return nil, err
	}
	plain, err := aead.Open(nil, hdr[7+16:], sealed[sealHdr:], hdr)
	if err != nil {
		return nil, ErrPassphrase
	}
	return plain, nil
}

func sealAEAD(passphrase, hdr []byte) (cipher.AEAD, error) {
	key, err := scrypt.Key(passphrase, hdr[7:7+16], 1<<hdr[4], int(hdr[5]), int(hdr[6]), 32)
	if err != nil {
		return nil, fmt.Errorf("%w: scrypt: %w", ErrSealed, err)
	}
	defer clear(key)
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSealed, err)
	}
	return cipher.NewGCM(block)
}

// SealPrivateKey encrypts an ECDSA private key (PKCS#8) under passphrase.
func SealPrivateKey(key *ecdsa.PrivateKey, passphrase []byte) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSealed, err)
	}
	defer clear(der)
	return SealBytes(der, passphrase)
}

// OpenPrivateKey decrypts a key sealed by SealPrivateKey.
func OpenPrivateKey(sealed, passphrase []byte) (*ecdsa.PrivateKey, error) {
	der, err := OpenBytes(sealed, passphrase)
	if err != nil {
		return nil, err
	}
	defer clear(der)
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSealed, err)
	}
	key, ok := k.(*ecdsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("%w: key is %T, want ECDSA", ErrSealed, k)
	}
	return key, nil
}

// String describes the signer without any key material.
func (s *Signer) String() string {
	return fmt.Sprintf("DSC %q kid=%x valid %s..%s", s.Cert.Subject.CommonName, s.KID,
		s.Cert.NotBefore.Format(time.DateOnly), s.Cert.NotAfter.Format(time.DateOnly))
}

// GoString keeps %#v from dumping the private key.
func (s *Signer) GoString() string { return s.String() }

// String describes the authority without any key material.
func (a *Authority) String() string {
	return fmt.Sprintf("HCERT authority %s (%d DSCs)", a.Country, len(a.Signers()))
}

// GoString keeps %#v from dumping private keys.
func (a *Authority) GoString() string { return a.String() }

// Fingerprint identifies the authority without revealing any key: "csca1:"
// and the first 16 bytes, in hex, of the SHA-256 of the CSCA certificate.
// Rotating document signers does not change it.
func (a *Authority) Fingerprint() string {
	h := sha256.Sum256(a.CSCA.Raw)
	return "csca1:" + fmt.Sprintf("%x", h[:16])
}

// ProveSigners proves that the authority holds the private keys the trust
// list publishes: every DSC's key signs a fresh random challenge and the
// signature is checked with the public key the trust list holds under that
// DSC's KID. It fails naming the first DSC that the list does not know or
// whose key does not match.
func (a *Authority) ProveSigners(trust *TrustList) error {
	signers := a.Signers()
	if len(signers) == 0 {
		return errors.New("hcert: the authority has no document signer")
	}
	challenge := make([]byte, 32)
	if _, err := rand.Read(challenge); err != nil {
		return err
	}
	digest := sha256.Sum256(challenge)
	for _, s := range signers {
		sig, err := ecdsa.SignASN1(rand.Reader, s.key, digest[:])
		if err != nil {
			return fmt.Errorf("hcert: %s: sign: %w", s, err)
		}
		ok := false
		for _, c := range trust.Lookup(s.KID) {
			if pub, isEC := c.PublicKey.(*ecdsa.PublicKey); isEC && ecdsa.VerifyASN1(pub, digest[:], sig) {
				ok = true
				break
			}
		}
		if !ok {
			return fmt.Errorf("hcert: %s: the trust list has no certificate under kid %x whose public key matches this private key", s, s.KID)
		}
	}
	return nil
}
