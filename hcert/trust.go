package hcert

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"
)

// ErrTrust is wrapped by trust-list errors.
var ErrTrust = errors.New("trust list")

// TrustList maps key identifiers to document signing certificates. It
// holds public material only and is published as JSON. When CSCA anchors
// are present, every DSC added must be signed by one of them. A TrustList
// is safe for concurrent use.
type TrustList struct {
	mu    sync.RWMutex
	byKID map[string][]trustEntry
	cscas []*x509.Certificate
}

type trustEntry struct {
	country string
	cert    *x509.Certificate
}

// NewTrustList returns an empty trust list.
func NewTrustList() *TrustList { return &TrustList{byKID: map[string][]trustEntry{}} }

// AddCSCA adds a country signing CA used to vet subsequently added DSCs.
func (t *TrustList) AddCSCA(cert *x509.Certificate) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.cscas = append(t.cscas, cert)
}

// Add registers a DSC under its KID. If the list has CSCA anchors the DSC
// must be signed by one of them. Adding the same certificate twice is a
// no-op.
func (t *TrustList) Add(country string, cert *x509.Certificate) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.cscas) > 0 {
		ok := false
		for _, ca := range t.cscas {
			if cert.CheckSignatureFrom(ca) == nil {
				ok = true
				break
			}
		}
		if !ok {
			return fmt.Errorf("%w: DSC %q is not signed by any CSCA in the list", ErrTrust, cert.Subject.CommonName)
		}
	}
	if t.byKID == nil {
		t.byKID = map[string][]trustEntry{}
	}
	k := string(KID(cert))
	for _, e := range t.byKID[k] {
		if e.cert.Equal(cert) {
			return nil
		}
	}
	t.byKID[k] = append(t.byKID[k], trustEntry{country, cert})
	return nil
}

// Lookup returns the certificates registered under kid (usually one; KIDs
// may collide, so verifiers must try each).
func (t *TrustList) Lookup(kid []byte) []*x509.Certificate {
	if t == nil {
		return nil
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	es := t.byKID[string(kid)]
	out := make([]*x509.Certificate, len(es))
	for i, e := range es {
		out[i] = e.cert
	}
	return out
}

// Len returns the number of DSCs in the list.
func (t *TrustList) Len() int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	n := 0
	for _, es := range t.byKID {
		n += len(es)
	}
	return n
}

// TrustListEntry is one published DSC.
type TrustListEntry struct {
	KID       string    `json:"kid"`     // standard Base64, 8 bytes
	Country   string    `json:"country"` // ISO 3166-1 alpha-2
	NotBefore time.Time `json:"notBefore"`
	NotAfter  time.Time `json:"notAfter"`
	RawData   []byte    `json:"rawData"` // DER certificate (Base64 in JSON)
}

type trustListJSON struct {
	CSCAs        [][]byte         `json:"cscas,omitempty"`
	Certificates []TrustListEntry `json:"certificates"`
}

// MarshalJSON publishes the list (certificates only, never keys), sorted
// by KID for stable output.
func (t *TrustList) MarshalJSON() ([]byte, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	out := trustListJSON{Certificates: []TrustListEntry{}}
	for _, ca := range t.cscas {
		out.CSCAs = append(out.CSCAs, ca.Raw)
	}
	for _, es := range t.byKID {
		for _, e := range es {
			out.Certificates = append(out.Certificates, TrustListEntry{
				KID:       base64.StdEncoding.EncodeToString(KID(e.cert)),
				Country:   e.country,
				NotBefore: e.cert.NotBefore.UTC(),
				NotAfter:  e.cert.NotAfter.UTC(),
				RawData:   e.cert.Raw,
			})
		}
	}
	slices.SortFunc(out.Certificates, func(a, b TrustListEntry) int {
		if a.KID != b.KID {
			if a.KID < b.KID {
				return -1
			}
			return 1
		}
		return a.NotBefore.Compare(b.NotBefore)
	})
	return json.Marshal(out)
}

// UnmarshalJSON loads a published list. The KID of each entry is
// recomputed from the certificate and must match the published one.
func (t *TrustList) UnmarshalJSON(data []byte) error {
	var in trustListJSON
	if err := json.Unmarshal(data, &in); err != nil {
		return fmt.Errorf("%w: %w", ErrTrust, err)
	}
	nt := NewTrustList()
	for i, raw := range in.CSCAs {
		ca, err := x509.ParseCertificate(raw)
		if err != nil {
			return fmt.Errorf("%w: CSCA %d: %w", ErrTrust, i, err)
		}
		nt.cscas = append(nt.cscas, ca)
	}
	for i, e := range in.Certificates {
		cert, err := x509.ParseCertificate(e.RawData)
		if err != nil {
			return fmt.Errorf("%w: certificate %d: %w", ErrTrust, i, err)
		}
		if got := base64.StdEncoding.EncodeToString(KID(cert)); got != e.KID {
			return fmt.Errorf("%w: certificate %d: kid %s does not match certificate (%s)", ErrTrust, i, e.KID, got)
		}
		if err := nt.Add(e.Country, cert); err != nil {
			return err
		}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.byKID, t.cscas = nt.byKID, nt.cscas
	return nil
}
