// Package pii protects personal identifiers. An IIN is never stored or
// logged in clear: the journal holds a keyed hash (HMAC-SHA256, the person's
// id, for look-up) and an AES-256-GCM sealed copy (for display to authorised
// users). The keys live outside the database file, so a copy of the database
// alone reveals no IIN.
package pii

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"

	"vaxtrace"
)

// Keys are the secrets for hashing and sealing.
type Keys struct {
	hash []byte // HMAC key
	aead cipher.AEAD
	fp   string // Fingerprint
}

// New builds keys from 64 bytes of secret material (32 for the HMAC, 32 for AES).
func New(secret []byte) (*Keys, error) {
	if len(secret) != 64 {
		return nil, errors.New("pii: secret must be 64 bytes")
	}
	block, err := aes.NewCipher(secret[32:])
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Keys{hash: append([]byte(nil), secret[:32]...), aead: aead, fp: fingerprint(secret)}, nil
}

// LoadOrCreate reads the hex secret from path, creating it (mode 0600) if it
// does not exist. It is for tests and tools that make throw-away stores: the
// vaxtrace command opens keys through package keyring, which never makes new
// keys for a store that has data.
func LoadOrCreate(path string) (*Keys, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		secret := make([]byte, 64)
		if _, err := rand.Read(secret); err != nil {
			return nil, err
		}
		if err := os.WriteFile(path, []byte(hex.EncodeToString(secret)+"\n"), 0o600); err != nil {
			return nil, fmt.Errorf("pii: write key file: %w", err)
		}
		return New(secret)
	}
	if err != nil {
		return nil, fmt.Errorf("pii: read key file: %w", err)
	}
	secret, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil {
		return nil, fmt.Errorf("pii: key file %s is not hex", path)
	}
	return New(secret)
}

// ID returns the person id for an IIN (which must already be valid).
func (k *Keys) ID(iin string) vaxtrace.PersonID {
	m := hmac.New(sha256.New, k.hash)
	m.Write([]byte(iin))
	var id vaxtrace.PersonID
	copy(id[:], m.Sum(nil))
	return id
}

// Seal encrypts an IIN for storage. The nonce is derived from the IIN with
// a keyed hash (deterministic, SIV-style), so sealing the same IIN twice gives
// the same text: re-importing a file is idempotent. This reveals only that two
// records carry the same IIN, which the person id already tells.
func (k *Keys) Seal(iin string) string {
	m := hmac.New(sha256.New, k.hash)
	m.Write([]byte("seal-nonce:"))
	m.Write([]byte(iin))
	nonce := m.Sum(nil)[:k.aead.NonceSize()]
	out := k.aead.Seal(append([]byte(nil), nonce...), nonce, []byte(iin), nil)
	return base64.RawStdEncoding.EncodeToString(out)
}

// Open decrypts a sealed IIN.
func (k *Keys) Open(sealed string) (string, error) {
	b, err := base64.RawStdEncoding.DecodeString(sealed)
	if err != nil || len(b) < k.aead.NonceSize() {
		return "", errors.New("pii: malformed sealed value")
	}
	n := k.aead.NonceSize()
	pt, err := k.aead.Open(nil, b[:n], b[n:], nil)
	if err != nil {
		return "", errors.New("pii: cannot open sealed value (wrong key?)")
	}
	return string(pt), nil
}

// Person validates the IIN and returns the person record's id and sealed IIN.
func (k *Keys) Person(iin string) (vaxtrace.PersonID, string, error) {
	if err := vaxtrace.ValidateIIN(iin); err != nil {
		return vaxtrace.PersonID{}, "", err
	}
	return k.ID(iin), k.Seal(iin), nil
}

// Mask shows only the last 4 digits of an IIN, for display.
func Mask(iin string) string {
	if len(iin) < 4 {
		return "****"
	}
	return strings.Repeat("•", len(iin)-4) + iin[len(iin)-4:]
}
