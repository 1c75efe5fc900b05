package keyring

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"vaxtrace/hcert"
	"vaxtrace/pii"
)

// BundleFormat names the backup bundle layout written by WriteBundle.
const BundleFormat = "vaxtrace-backup/1"

// Entry names inside a bundle (a POSIX tar file, in this order).
const (
	manifestEntry = "MANIFEST.json"
	secretsEntry  = "secrets.sealed"
)

// Engines a bundle's journal comes from.
const (
	EngineSQLite   = "sqlite"
	EnginePostgres = "postgres"
)

// ErrWrongPassphrase is returned by OpenBundle when the sealed part of the
// bundle does not open.
var ErrWrongPassphrase = errors.New("wrong backup passphrase, or the backup's sealed part is damaged")

// Manifest describes a bundle. A plain copy is the first entry (for people
// and tools); the copy sealed with the keys is the one OpenBundle trusts.
type Manifest struct {
	Format               string    `json:"format"`
	Engine               string    `json:"engine"`  // sqlite or postgres
	Journal              string    `json:"journal"` // the journal's entry name
	JournalSize          int64     `json:"journal_size"`
	LastSeq              uint64    `json:"last_seq"`
	Created              time.Time `json:"created"`
	PIIFingerprint       string    `json:"pii_fingerprint"`
	AuthorityFingerprint string    `json:"authority_fingerprint,omitempty"`
	Sealing              string    `json:"sealing"`
}

// secrets is the sealed entry.
type secrets struct {
	Manifest      Manifest `json:"manifest"`
	JournalSHA256 string   `json:"journal_sha256"`
	PIIKeys       string   `json:"pii_keys"`            // the key file's content
	Authority     []byte   `json:"authority,omitempty"` // hcert.Authority.Save under the same passphrase
}

const sealingDesc = "scrypt(N=32768,r=8,p=1) + AES-256-GCM over keys, authority and journal SHA-256"

// JournalEntry returns the entry name of an engine's journal copy.
func JournalEntry(engine string) string {
	if engine == EnginePostgres {
		return "journal.pgdump"
	}
	return "journal.sqlite"
}

// WriteBundle writes a backup bundle to out (which must not exist): m
// describes it (Format, Journal, JournalSize and Sealing are filled in),
// journal is the path of the journal copy (SQLite file or pg_dump archive),
// piiKeys the content of the personal-data key file and auth the
// certificate authority (nil if the store has none). Everything but the
// journal copy is sealed under passphrase, together with the journal's
// SHA-256. The bundle is written to a temporary file, synced and linked
// into place.
func WriteBundle(out string, m Manifest, journal string, piiKeys []byte, auth *hcert.Authority, passphrase []byte) error {
	if len(passphrase) == 0 {
		return errors.New("keyring: empty backup passphrase")
	}
	k, err := pii.Parse(piiKeys)
	if err != nil {
		return fmt.Errorf("keyring: personal-data keys: %w", err)
	}
	sum, size, err := hashFile(journal)
	if err != nil {
		return fmt.Errorf("keyring: journal copy: %w", err)
	}
	m.Format, m.Journal, m.JournalSize, m.Sealing = BundleFormat, JournalEntry(m.Engine), size, sealingDesc
	m.PIIFingerprint = k.Fingerprint()
	sec := secrets{Manifest: m, JournalSHA256: sum, PIIKeys: string(piiKeys)}
	if auth != nil {
		m.AuthorityFingerprint = auth.Fingerprint()
		sec.Manifest = m
		if sec.Authority, err = auth.Save(passphrase); err != nil {
			return err
		}
	}
	plain, err := json.Marshal(sec)
	if err != nil {
		return err
	}
	sealed, err := hcert.SealBytes(plain, passphrase)
	clear(plain)
	if err != nil {
		return err
	}
	mj, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}

	tmp, err := os.CreateTemp(filepath.Dir(out), "."+filepath.Base(out)+".*")
	if err != nil {
		return fmt.Errorf("keyring: %w", err)
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	if err := tmp.Chmod(0o600); err != nil {
		return err
	}
	tw := tar.NewWriter(tmp)
	put := func(name string, data []byte) error {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o600, Size: int64(len(data)), ModTime: m.Created, Format: tar.FormatPAX}); err != nil {
			return err
		}
		_, err := tw.Write(data)
		return err
	}
	if err := put(manifestEntry, append(mj, '\n')); err != nil {
		return fmt.Errorf("keyring: write bundle: %w", err)
	}
	if err := put(secretsEntry, sealed); err != nil {
		return fmt.Errorf("keyring: write bundle: %w", err)
	}
	jf, err := os.Open(journal)
	if err != nil {
		return err
	}
	defer jf.Close()
	if err := tw.WriteHeader(&tar.Header{Name: m.Journal, Mode: 0o600, Size: size, ModTime: m.Created, Format: tar.FormatPAX}); err != nil {
		return fmt.Errorf("keyring: write bundle: %w", err)
	}
	if n, err := io.Copy(tw, jf); err != nil || n != size {
		return fmt.Errorf("keyring: write bundle: copied %d of %d journal bytes: %v", n, size, err)
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("keyring: write bundle: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("keyring: write bundle: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("keyring: write bundle: %w", err)
	}
	if err := os.Link(tmp.Name(), out); err != nil {
		return fmt.Errorf("keyring: %w (refusing to replace an existing file)", err)
	}
	syncDir(filepath.Dir(out))
	return nil
}

func hashFile(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// Bundle is an opened backup bundle whose sealed part has been verified.
// Its journal is read by ExtractJournal, once.
type Bundle struct {
	Manifest  Manifest
	PIIKeys   []byte           // the key file's content (pii.Parse)
	Authority *hcert.Authority // nil when the store had none

	f      *os.File
	tr     *tar.Reader
	sha256 string
}

// IsBundle reports whether the file at path starts like a backup bundle
// (older backups are a bare SQLite file or pg_dump archive).
func IsBundle(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	h, err := tar.NewReader(f).Next()
	return err == nil && h.Name == manifestEntry
}

// OpenBundle opens a bundle with its passphrase and verifies everything but
// the journal bytes (see ExtractJournal): the sealed part opens (else
// ErrWrongPassphrase), the plain manifest agrees with the sealed one, and
// the keys have the fingerprints the manifest states.
func OpenBundle(path string, passphrase []byte) (*Bundle, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	b := &Bundle{f: f, tr: tar.NewReader(f)}
	if err := b.open(path, passphrase); err != nil {
		f.Close()
		return nil, err
	}
	return b, nil
}

func (b *Bundle) open(path string, passphrase []byte) error {
	plainManifest, err := b.entry(manifestEntry, 1<<20)
	if err != nil {
		return fmt.Errorf("%s is not a vaxtrace backup bundle: %w", path, err)
	}
	var pm Manifest
	if err := json.Unmarshal(plainManifest, &pm); err != nil || pm.Format != BundleFormat {
		return fmt.Errorf("%s: unknown backup format (want %s)", path, BundleFormat)
	}
	sealed, err := b.entry(secretsEntry, 64<<20)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	plain, err := hcert.OpenBytes(sealed, passphrase)
	if err != nil {
		if errors.Is(err, hcert.ErrPassphrase) {
			return ErrWrongPassphrase
		}
		return fmt.Errorf("%s: sealed part: %w", path, err)
	}
	defer clear(plain)
	var sec secrets
	if err := json.Unmarshal(plain, &sec); err != nil {
		return fmt.Errorf("%s: sealed part: %w", path, err)
	}
	if !sameManifest(pm, sec.Manifest) {
		return fmt.Errorf("%s: the plain manifest differs from the sealed one (the bundle was altered)", path)
	}
	b.Manifest, b.sha256 = sec.Manifest, sec.JournalSHA256
	keys, err := pii.Parse([]byte(sec.PIIKeys))
	if err != nil {
		return fmt.Errorf("%s: personal-data keys: %w", path, err)
	}
	if keys.Fingerprint() != b.Manifest.PIIFingerprint {
		return fmt.Errorf("%s: personal-data keys have fingerprint %s, the manifest says %s", path, keys.Fingerprint(), b.Manifest.PIIFingerprint)
	}
	b.PIIKeys = []byte(sec.PIIKeys)
	if len(sec.Authority) > 0 {
		a, err := hcert.LoadAuthority(sec.Authority, passphrase)
		if err != nil {
			return fmt.Errorf("%s: certificate authority: %w", path, err)
		}
		if a.Fingerprint() != b.Manifest.AuthorityFingerprint {
			return fmt.Errorf("%s: certificate authority has fingerprint %s, the manifest says %s", path, a.Fingerprint(), b.Manifest.AuthorityFingerprint)
		}
		b.Authority = a
	} else if b.Manifest.AuthorityFingerprint != "" {
		return fmt.Errorf("%s: the manifest names a certificate authority the bundle does not hold", path)
	}
	return nil
}

func sameManifest(a, b Manifest) bool {
	return a.Format == b.Format && a.Engine == b.Engine && a.Journal == b.Journal && a.JournalSize == b.JournalSize &&
		a.LastSeq == b.LastSeq && a.Created.Equal(b.Created) && a.PIIFingerprint == b.PIIFingerprint &&
		a.AuthorityFingerprint == b.AuthorityFingerprint
}

// entry reads the next entry, which must be called name, whole.
func (b *Bundle) entry(name string, limit int64) ([]byte, error) {
	h, err := b.tr.Next()
	if err != nil {
		return nil, fmt.Errorf("reading entry %s: %w", name, err)
	}
	if h.Name != name {
		return nil, fmt.Errorf("entry %q where %q was expected", h.Name, name)
	}
	if h.Size > limit {
		return nil, fmt.Errorf("entry %s is %d bytes, more than %d", name, h.Size, limit)
	}
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, b.tr); err != nil {
		return nil, fmt.Errorf("reading entry %s: %w", name, err)
	}
	return buf.Bytes(), nil
}

// ExtractJournal writes the journal copy to dst (which must not exist;
// mode 0600, synced) and verifies its size and its SHA-256 against the
// sealed manifest. On any failure dst is removed.
func (b *Bundle) ExtractJournal(dst string) (err error) {
	h, err := b.tr.Next()
	if err != nil {
		return fmt.Errorf("backup journal: %w", err)
	}
	if h.Name != b.Manifest.Journal || h.Size != b.Manifest.JournalSize {
		return fmt.Errorf("backup journal: entry %q of %d bytes, the manifest says %q of %d", h.Name, h.Size, b.Manifest.Journal, b.Manifest.JournalSize)
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(dst)
		}
	}()
	sum := sha256.New()
	n, err := io.Copy(io.MultiWriter(out, sum), b.tr)
	if err != nil {
		return fmt.Errorf("backup journal: %w", err)
	}
	if n != b.Manifest.JournalSize {
		return fmt.Errorf("backup journal: %d bytes, the manifest says %d", n, b.Manifest.JournalSize)
	}
	if got := hex.EncodeToString(sum.Sum(nil)); got != b.sha256 {
		return fmt.Errorf("backup journal: SHA-256 %s, the sealed manifest says %s (the journal was altered or damaged)", got, b.sha256)
	}
	return out.Sync()
}

// Close closes the bundle file.
func (b *Bundle) Close() error { return b.f.Close() }
