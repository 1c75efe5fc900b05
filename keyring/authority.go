package keyring

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"vaxtrace"
	"vaxtrace/certs"
	"vaxtrace/hcert"
)

// IssuedKIDs returns the key ids (standard Base64, as recorded) of every
// certificate issued in the store. s must be read under engine.Read.
func IssuedKIDs(s *vaxtrace.State) map[string]bool {
	kids := map[string]bool{}
	s.EachPerson(func(p *vaxtrace.PersonState) bool {
		for _, c := range s.PersonCertificates(p.ID) {
			kids[c.KID] = true
		}
		return true
	})
	return kids
}

// CheckSigners fails unless every key id in kids belongs to a document
// signer of a: certificates the store issued must keep verifying.
func CheckSigners(a *hcert.Authority, kids map[string]bool) error {
	have := map[string]bool{}
	for _, s := range a.Signers() {
		have[base64.StdEncoding.EncodeToString(s.KID)] = true
	}
	for kid := range kids {
		if !have[kid] {
			return fmt.Errorf("certificates issued by this store were signed with key id %s, which this authority does not hold", kid)
		}
	}
	return nil
}

// OpenCerts opens the certificate authority of a store from dir, sealed
// with passphrase:
//
//   - dir holds an authority: its fingerprint must be the one the store
//     recorded, and every certificate the store issued must have been signed
//     by one of its signers; a store that recorded none records it now;
//   - dir holds none: refused if the store recorded an authority or issued
//     any certificate (they could no longer be verified or revoked
//     consistently); otherwise a new authority is made for country, its
//     fingerprint recorded, and one line logged.
//
// read runs a function under the engine's read lock (the issued
// certificates are in the state).
func OpenCerts(ctx context.Context, st Store, read func(func(*vaxtrace.State)), dir, passphrase, country string, now time.Time, log *slog.Logger) (*certs.Service, error) {
	if log == nil {
		log = slog.Default()
	}
	want, recorded, err := st.Meta(ctx, MetaAuthority)
	if err != nil {
		return nil, err
	}
	var kids map[string]bool
	read(func(s *vaxtrace.State) { kids = IssuedKIDs(s) })
	path := filepath.Join(dir, certs.AuthorityFile)
	svc, err := certs.Load(dir, passphrase, country)
	switch {
	case err == nil:
		a := svc.Authority()
		fp := a.Fingerprint()
		if recorded && fp != want {
			return nil, fmt.Errorf("certificate authority %s does not belong to this store: its fingerprint is %s, the store recorded %s. "+
				"Point --certs (VAXTRACE_CERTS) at this store's authority or restore it from the store's backup (vaxtrace restore)", path, fp, want)
		}
		if err := CheckSigners(a, kids); err != nil {
			return nil, fmt.Errorf("certificate authority %s: %w; point --certs at the authority that issued them or restore it from the backup", path, err)
		}
		if !recorded {
			err := record(ctx, st, MetaAuthority, fp, "certificate authority "+path)
			switch {
			case err == nil:
				log.Info("recorded the fingerprint of the store's certificate authority", "dir", dir, "fingerprint", fp, "issued_certificates_checked", len(kids))
			case vaxtrace.ErrorCode(err) != vaxtrace.EUNAVAILABLE: // a read-only standby: the primary records it
				return nil, err
			}
		}
		return svc, nil
	case errors.Is(err, os.ErrNotExist):
		if recorded || len(kids) > 0 {
			what := fmt.Sprintf("was made with the authority %s", want)
			if !recorded {
				what = fmt.Sprintf("has issued certificates under %d signing keys", len(kids))
			}
			return nil, fmt.Errorf("certificate authority %s is missing, and this store %s. "+
				"Restore it from the store's backup (vaxtrace restore) or point --certs (VAXTRACE_CERTS) at it; "+
				"vaxtrace never makes a new authority for a store whose certificates need the old one", path, what)
		}
		svc, err := certs.Open(dir, passphrase, country, now)
		if err != nil {
			return nil, err
		}
		fp := svc.Authority().Fingerprint()
		if err := record(ctx, st, MetaAuthority, fp, "certificate authority "+path); err != nil {
			os.Remove(path) // ours (written exclusively just now), and useless
			return nil, err
		}
		log.Info("new certificate authority made for a store that has issued no certificate: back it up with the store (vaxtrace backup)", "dir", dir, "fingerprint", fp)
		return svc, nil
	default:
		return nil, err
	}
}

// LoadCerts opens the store's existing authority from dir without the
// state (for the trust list and rotation): it never makes one, and refuses
// an authority whose fingerprint is not the one the store recorded.
func LoadCerts(ctx context.Context, st Store, dir, passphrase, country string) (*certs.Service, error) {
	want, recorded, err := st.Meta(ctx, MetaAuthority)
	if err != nil {
		return nil, err
	}
	svc, err := certs.Load(dir, passphrase, country)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("no certificate authority in %s: restore this store's authority from its backup or point --certs (VAXTRACE_CERTS) at it (%w)", dir, err)
	}
	if err != nil {
		return nil, err
	}
	if fp := svc.Authority().Fingerprint(); recorded && fp != want {
		return nil, fmt.Errorf("certificate authority in %s does not belong to this store: its fingerprint is %s, the store recorded %s", dir, fp, want)
	}
	return svc, nil
}
