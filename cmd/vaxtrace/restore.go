package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"vaxtrace"
	"vaxtrace/certs"
	"vaxtrace/engine"
	"vaxtrace/hcert"
	"vaxtrace/keyring"
	"vaxtrace/pii"
	"vaxtrace/postgres"
)

func init() {
	register("restore", "restore a backup bundle into an empty store, then prove keys and conservation", runRestore)
}

func runRestore(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("restore", flag.ContinueOnError)
	var sf storeFlags
	sf.add(fs)
	sf.addCerts(fs)
	from := fs.String("from", "", "backup bundle written by 'vaxtrace backup'")
	trustPath := fs.String("trust", "", "the trust list verifiers hold (vaxtrace cert trustlist before the backup): the restored signing keys are proved against it")
	penv := passphraseFlag(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *from == "" {
		return vaxtrace.FieldError("from", "required")
	}
	if _, err := os.Stat(*from); err != nil {
		return vaxtrace.FieldError("from", "%v", err)
	}
	var published *hcert.TrustList
	if *trustPath != "" {
		b, err := os.ReadFile(*trustPath)
		if err != nil {
			return vaxtrace.FieldError("trust", "%v", err)
		}
		if published, err = certs.ParseTrustList(b); err != nil {
			return vaxtrace.FieldError("trust", "%v", err)
		}
	}
	r := &restorer{sf: &sf}
	if !keyring.IsBundle(*from) {
		if err := r.legacy(ctx, *from); err != nil {
			return err
		}
	} else if err := r.bundle(ctx, *from, *penv); err != nil {
		return err
	}
	msg, err := r.prove(ctx, published)
	if err != nil {
		return r.fail(err)
	}
	fmt.Printf("restored %s into %s: %s\n", *from, sf.where(), msg)
	return nil
}

// restorer remembers what a restore wrote, so that a failed proof removes it.
type restorer struct {
	sf      *storeFlags
	written []string // files to remove if the proof fails
	pgDone  bool     // a PostgreSQL database was filled
}

func (r *restorer) fail(err error) error {
	for i := len(r.written) - 1; i >= 0; i-- {
		os.Remove(r.written[i])
	}
	if r.pgDone {
		return fmt.Errorf("%w\nthe database %s now holds the restored journal: drop and recreate it before trying again", err, r.sf.where())
	}
	return err
}

// targetEmpty refuses a store that exists and is not empty.
func (r *restorer) targetEmpty() error {
	if isPostgres(r.sf.db) {
		return nil // postgres.Restore refuses a database that is not empty
	}
	if st, err := os.Stat(r.sf.db); err == nil && st.Size() > 0 {
		return vaxtrace.FieldError("db", "%s exists; restore into a new file and move it into place while the server is stopped", r.sf.db)
	}
	return nil
}

// restoreJournal brings a journal copy (a SQLite file or a pg_dump archive
// at path) into the target store.
func (r *restorer) restoreJournal(ctx context.Context, path string, move bool) error {
	if isPostgres(r.sf.db) {
		if err := postgres.Restore(ctx, r.sf.db, path); err != nil {
			return err
		}
		r.pgDone = true
		return nil
	}
	db := r.sf.db
	if move {
		if err := os.Rename(path, db); err != nil {
			return err
		}
	} else {
		if st, err := os.Stat(db); err == nil && st.Size() == 0 {
			os.Remove(db)
		}
		if err := copyFile(path, db); err != nil {
			return err
		}
	}
	r.written = append(r.written, db, db+"-wal", db+"-shm")
	syncDir(filepath.Dir(db))
	return nil
}

// legacy restores a bare journal (a backup from before bundles): the keys
// must already be in place, and are proved against the data.
func (r *restorer) legacy(ctx context.Context, from string) error {
	if err := r.targetEmpty(); err != nil {
		return err
	}
	kp, err := r.sf.keyPath()
	if err != nil {
		return err
	}
	if _, err := os.Stat(kp); err != nil {
		return vaxtrace.FieldError("from", "%s is a bare journal copy, not a backup bundle: put the store's personal-data key file at %s (--keys) first, or restore a bundle made by this version's vaxtrace backup", from, kp)
	}
	return r.restoreJournal(ctx, from, false)
}

// bundle restores a backup bundle: it opens the sealed keys with the
// passphrase before writing anything, then brings back journal, personal-data
// key file and certificate authority.
func (r *restorer) bundle(ctx context.Context, from, penv string) error {
	if err := r.targetEmpty(); err != nil {
		return err
	}
	kp, err := r.sf.keyPath()
	if err != nil {
		return err
	}
	dir, err := r.sf.certDir()
	if err != nil {
		return err
	}
	pass, err := readPassphrase(penv, false)
	if err != nil {
		return err
	}
	b, err := keyring.OpenBundle(from, pass)
	if err != nil {
		if errors.Is(err, keyring.ErrWrongPassphrase) {
			return vaxtrace.FieldError("passphrase-env", "%v: nothing was restored", err)
		}
		return err
	}
	defer b.Close()
	want := keyring.EngineSQLite
	if isPostgres(r.sf.db) {
		want = keyring.EnginePostgres
	}
	if b.Manifest.Engine != want {
		return vaxtrace.FieldError("db", "the backup holds a %s journal; restore it into a %s store", b.Manifest.Engine, b.Manifest.Engine)
	}
	// keys already at the target must be the backup's own
	installKeys, err := keyTarget(kp, b.PIIKeys)
	if err != nil {
		return err
	}
	authPath := filepath.Join(dir, certs.AuthorityFile)
	installAuth := b.Authority != nil
	if _, err := os.Stat(authPath); err == nil {
		if b.Authority == nil {
			return vaxtrace.FieldError("certs", "%s holds a certificate authority but the backup has none: restore into another --certs directory", dir)
		}
		installAuth = false // proved against the backup's fingerprint below (keyring.OpenCerts)
	}

	// the journal: SQLite is extracted beside the target and renamed into
	// place; PostgreSQL goes through a temporary archive and pg_restore
	tmp := r.sf.db + ".restoring"
	if isPostgres(r.sf.db) {
		f, err := os.CreateTemp("", "vaxtrace-restore-*.pgdump")
		if err != nil {
			return err
		}
		tmp = f.Name()
		f.Close()
		os.Remove(tmp)
	}
	defer os.Remove(tmp)
	if err := b.ExtractJournal(tmp); err != nil {
		return err
	}
	if err := r.restoreJournal(ctx, tmp, true); err != nil {
		return r.fail(err)
	}
	if installKeys {
		if err := pii.Install(kp, b.PIIKeys); err != nil {
			return r.fail(err)
		}
		r.written = append(r.written, kp)
	}
	if installAuth {
		hadPass := fileExists(filepath.Join(dir, certs.PassphraseFile))
		_, cpass, err := r.sf.certPassphrase()
		if err != nil {
			return r.fail(err)
		}
		if !hadPass && fileExists(filepath.Join(dir, certs.PassphraseFile)) {
			r.written = append(r.written, filepath.Join(dir, certs.PassphraseFile))
		}
		if _, err := certs.Install(dir, cpass, b.Authority); err != nil {
			return r.fail(err)
		}
		r.written = append(r.written, authPath)
	}
	return nil
}

// keyTarget decides whether the key file must be installed: not when the
// same keys are already there; an error when other keys are.
func keyTarget(path string, data []byte) (install bool, err error) {
	have, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	a, errA := pii.Parse(have)
	b, errB := pii.Parse(data)
	if errA != nil || errB != nil || a.Fingerprint() != b.Fingerprint() {
		return false, vaxtrace.FieldError("keys", "%s holds other personal-data keys than the backup: restore with another --keys path; vaxtrace never replaces a key file", path)
	}
	if err := pii.CheckPrivate(path); err != nil {
		return false, vaxtrace.FieldError("keys", "%v", err)
	}
	return false, nil
}

// prove opens the restored store the way every command does (keys checked
// against the recorded fingerprints), opens a sealed IIN with the keys,
// checks conservation, and proves the signing keys against the trust list
// (the published one when given).
func (r *restorer) prove(ctx context.Context, published *hcert.TrustList) (string, error) {
	eng, keys, err := r.sf.open(ctx, 0)
	if err != nil {
		return "", err
	}
	defer closeAll(eng)
	var proved bool
	eng.Read(func(s *vaxtrace.State) { proved, err = keyring.ProvePII(s, keys) })
	if err != nil {
		return "", err
	}
	rep, err := eng.Check(ctx)
	if err != nil {
		return "", err
	}
	if !rep.OK() {
		return "", fmt.Errorf("restored store fails the conservation check: %v", rep.Breaches)
	}
	msg := fmt.Sprintf("%d events, every lot balances", rep.Events)
	if proved {
		msg += "; personal-data keys proved (a sealed IIN opens and gives its person id back)"
	} else {
		msg += "; personal-data keys match the store's fingerprint (no sealed IIN to open: the store has no person)"
	}
	certMsg, err := r.proveCerts(ctx, eng, published)
	if err != nil {
		return "", err
	}
	return msg + certMsg, nil
}

func (r *restorer) proveCerts(ctx context.Context, eng *engine.Engine, published *hcert.TrustList) (string, error) {
	dir, err := r.sf.certDir()
	if err != nil {
		return "", err
	}
	st, err := keyring.AsStore(eng.Journal())
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(filepath.Join(dir, certs.AuthorityFile)); errors.Is(err, os.ErrNotExist) {
		var issued int
		eng.Read(func(s *vaxtrace.State) { issued = len(keyring.IssuedKIDs(s)) })
		if _, recorded, err := st.Meta(ctx, keyring.MetaAuthority); err != nil {
			return "", err
		} else if recorded || issued > 0 {
			return "", fmt.Errorf("the restored store has a certificate authority but none was restored into %s", dir)
		}
		return "; no certificate authority (none was made for this store)", nil
	}
	svc, err := r.sf.openCerts(ctx, eng)
	if err != nil {
		return "", err
	}
	a := svc.Authority()
	trust, against := svc.TrustList(), "its own trust list"
	if published != nil {
		trust, against = published, "the published trust list"
	}
	if err := a.ProveSigners(trust); err != nil {
		return "", fmt.Errorf("certificate signing keys: %w", err)
	}
	return fmt.Sprintf("; certificate signing keys proved against %s (%d signers, authority %s)", against, len(a.Signers()), a.Fingerprint()), nil
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
