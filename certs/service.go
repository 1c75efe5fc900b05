package certs

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"time"

	"vaxtrace"
	"vaxtrace/engine"
	"vaxtrace/hcert"
)

// Defaults of a Service.
const (
	// DefaultIssuer is the DCC "is" field.
	DefaultIssuer = "Ministry of Healthcare of the Republic of Kazakhstan"
	// Validity is how long an issued certificate is valid (CWT exp - iat),
	// unless the active signing certificate expires earlier (see Issue).
	Validity = 365 * 24 * time.Hour
	// QRSize is the target width in pixels of issued QR PNGs.
	QRSize = 480
	// RecentHC1 is how many recently issued HC1 strings the Service keeps in
	// memory for GET .../qr.png and .../print.
	RecentHC1 = 20000
	// PassphraseEnv names the environment variable holding the passphrase
	// that seals the signing keys.
	PassphraseEnv = "VAXTRACE_CERT_PASSPHRASE"
	// AuthorityFile and PassphraseFile are the file names inside the
	// certificate directory.
	AuthorityFile  = "authority.sealed"
	PassphraseFile = "passphrase"
	// UVCIIssuer is the issuer part of every UVCI: URN:UVCI:01:KZ:<opaque>#C.
	UVCIIssuer = "KZ"
)

// Service issues and verifies the vaccination certificates of one country's
// authority. It is safe for concurrent use.
type Service struct {
	dir        string
	passphrase []byte

	// Issuer is the DCC "is" field (DefaultIssuer).
	Issuer string
	// Now is the issuing clock (time.Now); tests and historical replays set it.
	Now func() time.Time

	mu    sync.RWMutex
	auth  *hcert.Authority
	trust *hcert.TrustList
	tjson []byte

	revMu  sync.Mutex
	revSt  *vaxtrace.State
	revSeq uint64
	revSet hcert.RevocationSet

	recent *lru
}

// Issued is a freshly signed certificate.
type Issued struct {
	UVCI      string        `json:"uvci"`
	Person    string        `json:"person"`
	Dose      string        `json:"dose"`
	KID       string        `json:"kid"` // standard Base64, as in the trust list
	IssuedAt  time.Time     `json:"issued_at"`
	ExpiresAt time.Time     `json:"expires_at"`
	HC1       string        `json:"hc1"`
	PNG       []byte        `json:"png"` // QR code (Base64 in JSON)
	Payload   hcert.Payload `json:"certificate"`
	Product   string        `json:"product_name"` // catalog name, for display
	Seq       uint64        `json:"seq"`          // journal sequence of the issue; 0 when Existing
	// Existing reports that the dose already had a live certificate, which
	// is returned instead of a new one (nothing was journaled).
	Existing bool `json:"existing"`
}

// PassphraseFromEnv returns the passphrase sealing the signing keys in dir:
// the value of VAXTRACE_CERT_PASSPHRASE if set; otherwise the content of
// dir/passphrase, which is created with 32 random bytes (mode 0600) when the
// directory holds no authority yet. generated reports that the file was used
// (callers should warn: the keys are then only as safe as that file). An
// existing authority without the variable nor the file is an error rather
// than a silent new passphrase.
func PassphraseFromEnv(dir string) (pass string, fromFile bool, err error) {
	if v := os.Getenv(PassphraseEnv); v != "" {
		return v, false, nil
	}
	pf := filepath.Join(dir, PassphraseFile)
	b, err := os.ReadFile(pf)
	if err == nil {
		if err := checkPrivate(pf); err != nil {
			return "", true, err
		}
		p := strings.TrimSpace(string(b))
		if p == "" {
			return "", true, fmt.Errorf("certs: %s is empty", pf)
		}
		return p, true, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return "", true, fmt.Errorf("certs: read passphrase file: %w", err)
	}
	if _, err := os.Stat(filepath.Join(dir, AuthorityFile)); err == nil {
		return "", true, fmt.Errorf("certs: %s exists but %s is not set and there is no %s file", filepath.Join(dir, AuthorityFile), PassphraseEnv, pf)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", true, fmt.Errorf("certs: create %s: %w", dir, err)
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", true, err
	}
	p := base64.RawURLEncoding.EncodeToString(raw)
	if err := writeFileAtomic(pf, []byte(p+"\n")); err != nil {
		return "", true, fmt.Errorf("certs: write passphrase file: %w", err)
	}
	return p, true, nil
}

// Open loads the authority sealed in dir/authority.sealed, or creates one for
// country (a CSCA and a first DSC, valid from now) and saves it. passphrase
// must not be empty; see PassphraseFromEnv. The vaxtrace command opens the
// authority through package keyring, which creates one only for a store
// that has issued no certificate and records its fingerprint in the store.
func Open(dir string, passphrase string, country string, now time.Time) (*Service, error) {
	s, err := Load(dir, passphrase, country)
	if !errors.Is(err, os.ErrNotExist) {
		return s, err
	}
	a, err := hcert.GenerateAuthority(country, now)
	if err != nil {
		return nil, err
	}
	return Install(dir, passphrase, a)
}

// Load opens the authority sealed in dir/authority.sealed. It never creates
// one: a missing file is an error wrapping os.ErrNotExist.
func Load(dir string, passphrase string, country string) (*Service, error) {
	if passphrase == "" {
		return nil, errors.New("certs: empty passphrase (set " + PassphraseEnv + ")")
	}
	s := newService(dir, passphrase)
	path := filepath.Join(dir, AuthorityFile)
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("certs: no certificate authority at %s: %w", path, err)
	}
	if err != nil {
		return nil, fmt.Errorf("certs: read %s: %w", path, err)
	}
	a, err := hcert.LoadAuthority(data, s.passphrase)
	if err != nil {
		if errors.Is(err, hcert.ErrPassphrase) {
			return nil, fmt.Errorf("certs: cannot open %s: wrong passphrase (%s) or corrupted file", path, PassphraseEnv)
		}
		return nil, fmt.Errorf("certs: load %s: %w", path, err)
	}
	if country != "" && a.Country != country {
		return nil, fmt.Errorf("certs: %s is the authority of %s, not %s", path, a.Country, country)
	}
	s.setAuthority(a)
	return s, nil
}

// Install saves a (for example restored) authority into dir, sealed with
// passphrase, and returns its service. It refuses to replace an authority
// already in dir.
func Install(dir string, passphrase string, a *hcert.Authority) (*Service, error) {
	if passphrase == "" {
		return nil, errors.New("certs: empty passphrase (set " + PassphraseEnv + ")")
	}
	path := filepath.Join(dir, AuthorityFile)
	if _, err := os.Stat(path); err == nil {
		return nil, fmt.Errorf("certs: %s already exists; refusing to replace a certificate authority", path)
	}
	s := newService(dir, passphrase)
	s.setAuthority(a)
	data, err := a.Save(s.passphrase)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("certs: create %s: %w", dir, err)
	}
	if err := writeFileExclusive(path, data); err != nil {
		return nil, fmt.Errorf("certs: save authority: %w", err)
	}
	return s, nil
}

func newService(dir, passphrase string) *Service {
	return &Service{dir: dir, passphrase: []byte(passphrase), Issuer: DefaultIssuer, Now: time.Now, recent: newLRU(RecentHC1)}
}

// Dir returns the certificate directory.
func (s *Service) Dir() string { return s.dir }

// Authority returns the signing authority (for inspection; do not add
// signers to it directly, use Rotate so that the change is saved).
func (s *Service) Authority() *hcert.Authority {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.auth
}

func (s *Service) setAuthority(a *hcert.Authority) {
	t := a.TrustList()
	j, err := json.MarshalIndent(t, "", "  ")
	if err != nil {
		panic(err) // certificates only; cannot fail
	}
	s.mu.Lock()
	s.auth, s.trust, s.tjson = a, t, append(j, '\n')
	s.mu.Unlock()
}

func (s *Service) save() error {
	a := s.Authority()
	data, err := a.Save(s.passphrase)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return fmt.Errorf("certs: create %s: %w", s.dir, err)
	}
	if err := writeFileAtomic(filepath.Join(s.dir, AuthorityFile), data); err != nil {
		return fmt.Errorf("certs: save authority: %w", err)
	}
	return nil
}

// checkPrivate refuses a secret file that the group or others may access.
func checkPrivate(path string) error {
	st, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("certs: %w", err)
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 {
		return fmt.Errorf("certs: refusing %s: accessible by group or others (mode %04o); run chmod 600 %s", path, perm, path)
	}
	return nil
}

// writeFileExclusive writes data to path (mode 0600) through a synced
// temporary file that is hard-linked into place, so that it fails instead of
// replacing a file another process wrote meanwhile.
func writeFileExclusive(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	err = f.Chmod(0o600)
	if err == nil {
		_, err = f.Write(data)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := os.Link(tmp, path); err != nil {
		return err
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// writeFileAtomic writes data to path (mode 0600) through a temporary file
// and a rename, so that a crash never leaves a truncated file.
func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err := f.Chmod(0o600); err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	ok = true
	return nil
}

// Rotate adds a new document signing certificate valid from now and makes it
// the active signer; older ones stay in the trust list so that the
// certificates they signed keep verifying. The authority is saved before
// Rotate returns; on a save failure the in-memory authority is reloaded from
// disk so that memory and file never disagree.
func (s *Service) Rotate(now time.Time) (*hcert.Signer, error) {
	s.mu.Lock()
	a := s.auth
	s.mu.Unlock()
	// Work on a copy so that a failed save leaves the service unchanged.
	data, err := a.Save(s.passphrase)
	if err != nil {
		return nil, err
	}
	cp, err := hcert.LoadAuthority(data, s.passphrase)
	if err != nil {
		return nil, err
	}
	sg, err := cp.AddSigner(now)
	if err != nil {
		return nil, err
	}
	out, err := cp.Save(s.passphrase)
	if err != nil {
		return nil, err
	}
	if err := writeFileAtomic(filepath.Join(s.dir, AuthorityFile), out); err != nil {
		return nil, fmt.Errorf("certs: save authority: %w", err)
	}
	s.setAuthority(cp)
	return sg, nil
}

// Reload re-reads the authority file (after `vaxtrace cert rotate` ran in
// another process).
func (s *Service) Reload() error {
	data, err := os.ReadFile(filepath.Join(s.dir, AuthorityFile))
	if err != nil {
		return fmt.Errorf("certs: %w", err)
	}
	a, err := hcert.LoadAuthority(data, s.passphrase)
	if err != nil {
		return fmt.Errorf("certs: reload: %w", err)
	}
	s.setAuthority(a)
	return nil
}

// NeedsRotation reports whether the active signing certificate expires less
// than Validity after now, so that new certificates would get a shortened
// validity (Issue caps exp at the DSC's NotAfter).
func (s *Service) NeedsRotation(now time.Time) bool {
	return s.Authority().Active().Cert.NotAfter.Before(now.Add(Validity))
}

// TrustList returns the public trust list (every DSC, current and rotated).
func (s *Service) TrustList() *hcert.TrustList {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.trust
}

// TrustListJSON is the published trust list (hcert.TrustList JSON), as read
// by `vaxtrace cert verify --trust`.
func (s *Service) TrustListJSON() []byte {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.tjson
}

// RevocationListJSON is the published revocation list: a sorted JSON array
// of the lower-case hex SHA-256 hashes (hcert.UVCIHash) of every revoked
// UVCI in st. Hashes rather than UVCIs are published so that the list does
// not enumerate certificate identifiers. st must be read under engine.Read.
func RevocationListJSON(st *vaxtrace.State) []byte {
	ids := st.RevokedCertificates()
	hs := make([]string, len(ids))
	for i, id := range ids {
		h := hcert.UVCIHash(id)
		hs[i] = hex.EncodeToString(h[:])
	}
	sort.Strings(hs)
	b, _ := json.Marshal(hs)
	return append(b, '\n')
}

// RevocationListJSON is the package function, for convenience.
func (s *Service) RevocationListJSON(st *vaxtrace.State) []byte { return RevocationListJSON(st) }

// ParseTrustList reads a published trust list.
func ParseTrustList(data []byte) (*hcert.TrustList, error) {
	t := hcert.NewTrustList()
	if err := json.Unmarshal(data, t); err != nil {
		return nil, fmt.Errorf("certs: trust list: %w", err)
	}
	if t.Len() == 0 {
		return nil, errors.New("certs: trust list is empty")
	}
	return t, nil
}

// ParseRevocationList reads a list written by RevocationListJSON.
func ParseRevocationList(data []byte) (hcert.RevocationSet, error) {
	var hs []string
	if err := json.Unmarshal(data, &hs); err != nil {
		return nil, fmt.Errorf("certs: revocation list must be a JSON array of hex SHA-256 hashes: %w", err)
	}
	set := hcert.RevocationSet{}
	for i, h := range hs {
		b, err := hex.DecodeString(h)
		if err != nil || len(b) != 32 {
			return nil, fmt.Errorf("certs: revocation list entry %d is not a 64-digit hex SHA-256", i)
		}
		var k [32]byte
		copy(k[:], b)
		set[k] = struct{}{}
	}
	return set, nil
}

// revocations returns the revocation set of st, cached per state sequence.
// It must be called with st read-locked.
func (s *Service) revocations(st *vaxtrace.State) hcert.RevocationSet {
	s.revMu.Lock()
	defer s.revMu.Unlock()
	if s.revSet != nil && s.revSt == st && s.revSeq == st.Seq {
		return s.revSet
	}
	set := hcert.RevocationSet{}
	for _, id := range st.RevokedCertificates() {
		set.Add(id)
	}
	s.revSt, s.revSeq, s.revSet = st, st.Seq, set
	return set
}

// Verify runs the full HCERT verification of input (an HC1 string, bare
// Base45, or a QR PNG) at clock, against the service's trust list and, when
// st is not nil, the revocations derived from st (explicit revocations and
// certificates revoked implicitly by corrections, voids, person updates and
// merges). st must be read under engine.Read.
func (s *Service) Verify(input []byte, clock time.Time, st *vaxtrace.State) hcert.Result {
	v := hcert.Verifier{Trust: s.TrustList()}
	if st != nil {
		v.Revocations = s.revocations(st)
	}
	return v.Verify(input, clock)
}

// VerifyEngine verifies against the current state of eng.
func (s *Service) VerifyEngine(eng *engine.Engine, input []byte, clock time.Time) hcert.Result {
	var rev hcert.RevocationSet
	eng.Read(func(st *vaxtrace.State) { rev = s.revocations(st) })
	v := hcert.Verifier{Trust: s.TrustList(), Revocations: rev}
	return v.Verify(input, clock)
}

// newUVCI returns a random UVCI: URN:UVCI:01:KZ:<26 base32 chars>#C. The
// opaque part is 130 random bits: it says nothing about the person and two
// certificates of one person cannot be linked by their identifiers.
func newUVCI() string {
	b := make([]byte, 17)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	op := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b)[:26]
	return hcert.NewUVCI(UVCIIssuer, op)
}

// certsPrincipal is the actor of compensating revocations (see Issue).
func certsPrincipal(actor vaxtrace.Principal) vaxtrace.Principal {
	return vaxtrace.Principal{Name: "certs:" + actor.Name, Role: vaxtrace.RoleAdmin}
}

// Issue issues a certificate for the latest valid dose of person, acting as
// actor (who must be allowed to record a CertificateIssued for that dose:
// admin, or a region or point whose scope holds the dose's place).
//
// It reads the person and dose, builds the DCC payload (see the package
// documentation for the coding rules), signs it (iat now, exp now+Validity
// capped at the signing certificate's expiry), renders the QR code, and
// records CertificateIssued (key "cert:"+uvci) through the engine. Only then
// is the certificate returned; a signed certificate that was not recorded is
// discarded.
//
// Issue is idempotent on what it certifies: when the latest dose already
// has a live certificate (not revoked, not expired, signed by a DSC the
// authority still holds), that certificate is returned with Existing set and
// nothing is journaled. A new one is issued once it was revoked (the dose or
// person was corrected, voided or merged), when a later dose exists, or when
// it expired. The state refuses a second live certificate for a dose
// (vaxtrace.State.LiveCertificate), so that concurrent issuances yield one:
// the loser returns the winner's certificate as Existing.
//
// If the person or dose changed between the read and the write (a
// correction raced with the issuance), the certificate would state stale
// data: Issue detects it, revokes the new certificate and returns ECONFLICT
// so that the caller can simply retry.
func (s *Service) Issue(ctx context.Context, eng *engine.Engine, actor vaxtrace.Principal, person vaxtrace.PersonID) (Issued, error) {
	uvci := newUVCI()
	now := s.Now().UTC().Truncate(time.Second)
	var (
		b    built
		live *vaxtrace.CertificateState
		err  error
	)
	eng.Read(func(st *vaxtrace.State) {
		b, err = s.build(st, person, "", uvci)
		if err == nil {
			err = vaxtrace.Authorize(actor, st, vaxtrace.CertificateIssued{UVCI: uvci, Person: person, Dose: b.dose})
		}
		if err == nil {
			live = copyCert(st.LiveCertificate(person, b.dose, now))
		}
	})
	if err != nil {
		return Issued{}, err
	}
	if live != nil {
		if is, ok, err := s.existing(ctx, eng, actor, *live); ok {
			return is, err
		}
	}
	a := s.Authority()
	signer := a.Active()
	exp := now.Add(Validity)
	if na := signer.Cert.NotAfter; exp.After(na) {
		exp = na.Truncate(time.Second)
	}
	if !exp.After(now) || now.Before(signer.Cert.NotBefore) {
		return Issued{}, vaxtrace.Errorf(vaxtrace.EUNAVAILABLE, "the signing certificate is not valid at %s; run `vaxtrace cert rotate`", now.Format(time.RFC3339))
	}
	hc1, err := a.Issue(b.payload, now, exp)
	if err != nil {
		if errors.Is(err, hcert.ErrSchema) {
			return Issued{}, vaxtrace.FieldError("person", "cannot be certified: %v", err)
		}
		return Issued{}, fmt.Errorf("certs: sign: %w", err)
	}
	png, err := hcert.QRPNG(hc1, QRSize)
	if err != nil {
		return Issued{}, fmt.Errorf("certs: QR: %w", err)
	}
	kid := base64.StdEncoding.EncodeToString(signer.KID)
	ev := vaxtrace.CertificateIssued{UVCI: uvci, Person: person, Dose: b.dose, KID: kid, Issued: now, Expiry: exp}
	res := eng.Submit(ctx, engine.Command{Key: "cert:" + uvci, Actor: actor, Data: ev})
	if res.Err != nil {
		if vaxtrace.ErrorCode(res.Err) == vaxtrace.ECONFLICT {
			// another issuance for this dose won the race: return its
			// certificate
			eng.Read(func(st *vaxtrace.State) { live = copyCert(st.LiveCertificate(person, b.dose, now)) })
			if live != nil {
				if is, ok, err := s.existing(ctx, eng, actor, *live); ok {
					return is, err
				}
			}
		}
		return Issued{}, res.Err
	}
	// Post-check: the recorded certificate must still describe the dose.
	var stale, revoked bool
	eng.Read(func(st *vaxtrace.State) {
		c := st.Certificate(uvci)
		if c == nil || c.Revoked {
			revoked = true
			return
		}
		now, err := s.build(st, person, b.dose, uvci)
		stale = err != nil || !reflect.DeepEqual(now.payload, b.payload)
	})
	if stale {
		r := eng.Submit(ctx, engine.Command{Key: "cert-revoke:" + uvci, Actor: certsPrincipal(actor),
			Data: vaxtrace.CertificateRevoked{UVCI: uvci, Reason: "superseded: the record changed while the certificate was being issued"}})
		if r.Err != nil && vaxtrace.ErrorCode(r.Err) != vaxtrace.ECONFLICT {
			return Issued{}, fmt.Errorf("certs: revoking stale certificate %s: %w", uvci, r.Err)
		}
		revoked = true
	}
	if revoked {
		return Issued{}, vaxtrace.Errorf(vaxtrace.ECONFLICT, "the person's record changed while the certificate was being issued; it was revoked, issue again")
	}
	out := Issued{UVCI: uvci, Person: person.String(), Dose: b.dose, KID: kid, IssuedAt: now, ExpiresAt: exp,
		HC1: hc1, PNG: png, Payload: b.payload, Product: b.productName, Seq: res.Seq}
	s.recent.put(uvci, recentCert{hc1: hc1, payload: b.payload, product: b.productName, issued: now, expires: exp})
	return out, nil
}

func copyCert(c *vaxtrace.CertificateState) *vaxtrace.CertificateState {
	if c == nil {
		return nil
	}
	cp := *c
	return &cp
}

// existing returns the live certificate c (see Issue): the HC1 this process
// issued if it still has it, otherwise the same claims (UVCI, payload, iat,
// exp) signed again with the DSC that signed c. ok is false (and err nil) when c cannot be
// reused because its DSC is no longer in the authority (a replaced
// authority): c is then revoked so that Issue can issue a new one.
func (s *Service) existing(ctx context.Context, eng *engine.Engine, actor vaxtrace.Principal, c vaxtrace.CertificateState) (is Issued, ok bool, err error) {
	a := s.Authority()
	kid, kerr := base64.StdEncoding.DecodeString(c.KID)
	if kerr != nil || a.Signer(kid) == nil {
		r := eng.Submit(ctx, engine.Command{Key: "cert-revoke:" + c.UVCI, Actor: certsPrincipal(actor),
			Data: vaxtrace.CertificateRevoked{UVCI: c.UVCI, Reason: "superseded: its signing key is no longer held by the authority"}})
		if r.Err != nil && vaxtrace.ErrorCode(r.Err) != vaxtrace.ECONFLICT {
			return Issued{}, true, fmt.Errorf("certs: revoking certificate %s: %w", c.UVCI, r.Err)
		}
		return Issued{}, false, nil
	}
	var b built
	eng.Read(func(st *vaxtrace.State) { b, err = s.build(st, c.Person, c.Dose, c.UVCI) })
	if err != nil {
		return Issued{}, true, err
	}
	rc, cached := s.recent.get(c.UVCI)
	if !cached || !reflect.DeepEqual(rc.payload, b.payload) {
		hc1, err := a.IssueWith(kid, b.payload, c.Issued, c.Expiry)
		if err != nil {
			return Issued{}, true, fmt.Errorf("certs: sign again %s: %w", c.UVCI, err)
		}
		rc = recentCert{hc1: hc1, payload: b.payload, product: b.productName, issued: c.Issued, expires: c.Expiry}
		s.recent.put(c.UVCI, rc)
	}
	png, err := hcert.QRPNG(rc.hc1, QRSize)
	if err != nil {
		return Issued{}, true, fmt.Errorf("certs: QR: %w", err)
	}
	return Issued{UVCI: c.UVCI, Person: c.Person.String(), Dose: c.Dose, KID: c.KID, IssuedAt: c.Issued, ExpiresAt: c.Expiry,
		HC1: rc.hc1, PNG: png, Payload: b.payload, Product: b.productName, Existing: true}, true, nil
}

// recentCert is what the Service keeps of a recently issued certificate.
type recentCert struct {
	hc1     string
	payload hcert.Payload
	product string
	issued  time.Time
	expires time.Time
}

// Recent returns the HC1 of a certificate issued by this process, if it is
// still among the RecentHC1 most recent ones.
func (s *Service) Recent(uvci string) (hc1 string, ok bool) {
	r, ok := s.recent.get(uvci)
	return r.hc1, ok
}

// lru is a small mutex-guarded LRU cache of recent certificates.
type lru struct {
	mu    sync.Mutex
	cap   int
	items map[string]*lruNode
	head  lruNode // sentinel: head.next is the most recent
}

type lruNode struct {
	key        string
	val        recentCert
	prev, next *lruNode
}

func newLRU(n int) *lru {
	l := &lru{cap: n, items: map[string]*lruNode{}}
	l.head.next, l.head.prev = &l.head, &l.head
	return l
}

func (l *lru) unlink(n *lruNode) { n.prev.next, n.next.prev = n.next, n.prev }

func (l *lru) front(n *lruNode) {
	n.prev, n.next = &l.head, l.head.next
	l.head.next.prev = n
	l.head.next = n
}

func (l *lru) put(k string, v recentCert) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if n := l.items[k]; n != nil {
		n.val = v
		l.unlink(n)
		l.front(n)
		return
	}
	n := &lruNode{key: k, val: v}
	l.items[k] = n
	l.front(n)
	for len(l.items) > l.cap {
		old := l.head.prev
		l.unlink(old)
		delete(l.items, old.key)
	}
}

func (l *lru) get(k string) (recentCert, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := l.items[k]
	if n == nil {
		return recentCert{}, false
	}
	l.unlink(n)
	l.front(n)
	return n.val, true
}
