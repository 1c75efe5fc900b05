package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"vaxtrace"
	"vaxtrace/certs"
	"vaxtrace/engine"
	"vaxtrace/hcert"
	"vaxtrace/keyring"
	"vaxtrace/pii"
)

func init() {
	register("backup", "write one bundle that restores the store whole: journal, personal-data keys and signing keys (keys sealed with a passphrase)", runBackup)
}

func runBackup(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	var sf storeFlags
	sf.add(fs)
	sf.addCerts(fs)
	out := fs.String("out", "", "backup bundle to write (must not exist)")
	penv := passphraseFlag(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" {
		return vaxtrace.FieldError("out", "required")
	}
	if _, err := os.Stat(*out); err == nil {
		return vaxtrace.FieldError("out", "%s exists; a backup never replaces a file", *out)
	}
	pass, err := readPassphrase(*penv, true)
	if err != nil {
		return err
	}
	j, k, err := sf.openExisting(ctx)
	if err != nil {
		return err
	}
	defer j.Close()
	st, _ := keyring.AsStore(j)
	if !k.Recorded {
		// a store made before fingerprints: prove the keys against the data
		// before putting them in a backup
		eng, err := engine.Open(ctx, j, engine.Options{})
		if err != nil {
			return fmt.Errorf("open engine: %w", err)
		}
		err = k.Prove(ctx, st, eng.Read, slog.Default())
		eng.Close()
		if err != nil {
			return err
		}
	}
	keyData, err := os.ReadFile(k.Path)
	if err != nil {
		return err
	}
	if kk, err := pii.Parse(keyData); err != nil || kk.Fingerprint() != k.Fingerprint() {
		return fmt.Errorf("personal-data key file %s changed while the backup ran", k.Path)
	}
	last, err := j.Last(ctx)
	if err != nil {
		return err
	}
	m := keyring.Manifest{Engine: keyring.EngineSQLite, Created: time.Now().UTC().Truncate(time.Second), LastSeq: last}
	if isPostgres(sf.db) {
		m.Engine = keyring.EnginePostgres
	}
	// The journal copy first, the authority second: a rotation in between
	// only adds a signer the copy does not need yet.
	tmp := filepath.Join(filepath.Dir(*out), "."+filepath.Base(*out)+".journal")
	os.Remove(tmp)
	defer os.Remove(tmp)
	if err := j.Backup(ctx, tmp); err != nil {
		return err
	}
	auth, err := backupAuthority(ctx, &sf, st)
	if err != nil {
		return err
	}
	if err := keyring.WriteBundle(*out, m, tmp, keyData, auth, pass); err != nil {
		return err
	}
	what := "no certificate authority (none was made for this store)"
	if auth != nil {
		what = fmt.Sprintf("certificate authority %s with %d signing keys", auth.Fingerprint(), len(auth.Signers()))
	}
	fmt.Printf("backup written to %s: journal (%d events), personal-data keys %s, %s; keys sealed with the passphrase (keep it apart from the file)\n",
		*out, last, k.Fingerprint(), what)
	return nil
}

// backupAuthority returns the store's certificate authority, nil when the
// store has none and recorded none.
func backupAuthority(ctx context.Context, sf *storeFlags, st keyring.Store) (*hcert.Authority, error) {
	dir, err := sf.certDir()
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(dir, certs.AuthorityFile)); errors.Is(err, os.ErrNotExist) {
		if fp, recorded, err := st.Meta(ctx, keyring.MetaAuthority); err != nil {
			return nil, err
		} else if recorded {
			return nil, fmt.Errorf("certificate authority %s is missing, and this store was made with the authority %s: point --certs (VAXTRACE_CERTS) at it; a backup without it could not verify or revoke the store's certificates", dir, fp)
		}
		return nil, nil
	}
	_, pass, err := sf.certPassphrase()
	if err != nil {
		return nil, err
	}
	svc, err := keyring.LoadCerts(ctx, st, dir, pass, certs.Country)
	if err != nil {
		return nil, err
	}
	return svc.Authority(), nil
}
