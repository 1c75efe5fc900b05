package pii

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// ErrNoKeyFile is returned (wrapped) by Load when the key file does not exist.
var ErrNoKeyFile = errors.New("pii: key file does not exist")

// fingerprintLabel separates key fingerprints from any other use of the secret.
const fingerprintLabel = "vaxtrace personal-data key fingerprint v1\x00"

// Fingerprint identifies the keys without revealing them: "pii1:" and the
// first 16 bytes, in hex, of SHA-256 over a fixed label and the 64-byte
// secret. A store records it (see package keyring) so that a different or
// regenerated key file is refused instead of silently splitting the registry.
func (k *Keys) Fingerprint() string { return k.fp }

func fingerprint(secret []byte) string {
	h := sha256.New()
	h.Write([]byte(fingerprintLabel))
	h.Write(secret)
	return "pii1:" + hex.EncodeToString(h.Sum(nil)[:16])
}

// CheckPrivate refuses a secret file that the group or others may access
// (any permission bit outside 0700): keys readable by other accounts are as
// good as published.
func CheckPrivate(path string) error {
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	if st.IsDir() {
		return fmt.Errorf("%s is a directory, not a key file", path)
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 {
		return fmt.Errorf("%s is accessible by group or others (mode %04o): run chmod 600 %s (and check who may have copied it)", path, perm, path)
	}
	return nil
}

// Load reads an existing key file. It refuses a file that the group or
// others may access, and wraps ErrNoKeyFile when the file is missing; it
// never creates one (see Create).
func Load(path string) (*Keys, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrNoKeyFile, path)
	}
	if err != nil {
		return nil, fmt.Errorf("pii: read key file: %w", err)
	}
	if err := CheckPrivate(path); err != nil {
		return nil, fmt.Errorf("pii: refusing key file: %w", err)
	}
	k, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("pii: key file %s: %w", path, err)
	}
	return k, nil
}

// Parse reads the content of a key file: 128 hex digits (64 bytes).
func Parse(b []byte) (*Keys, error) {
	secret, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil {
		return nil, errors.New("not hex")
	}
	return New(secret)
}

// Create makes a new key file at path with fresh random keys (mode 0600,
// synced, its directory synced). It fails if the file already exists.
func Create(path string) (*Keys, []byte, error) {
	secret := make([]byte, 64)
	if _, err := rand.Read(secret); err != nil {
		return nil, nil, err
	}
	data := []byte(hex.EncodeToString(secret) + "\n")
	if err := Install(path, data); err != nil {
		return nil, nil, err
	}
	k, err := New(secret)
	return k, data, err
}

// Install writes the content of a key file (as read by Parse) to path with
// mode 0600, creating its directory (0700) if needed. It refuses to replace
// an existing file, and syncs the file and the directory before returning.
func Install(path string, data []byte) error {
	if _, err := Parse(data); err != nil {
		return fmt.Errorf("pii: key data: %w", err)
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("pii: create key directory: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("pii: create key file: %w", err)
	}
	if _, err = f.Write(data); err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return fmt.Errorf("pii: write key file: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
