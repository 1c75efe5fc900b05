package httpapi

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"
	"sync"

	"golang.org/x/crypto/argon2"
)

// argonParams are the argon2id cost parameters. The defaults follow the
// OWASP password storage recommendation (19 MiB, 2 passes, 1 lane); they
// are written into every hash, so raising them later leaves old hashes
// verifiable.
type argonParams struct {
	memory  uint32 // KiB
	time    uint32
	threads uint8
}

var passwordCost = argonParams{memory: 19 * 1024, time: 2, threads: 1}

const (
	saltLen = 16
	keyLen  = 32
)

var b64 = base64.RawStdEncoding

// hashPassword returns the argon2id hash of password in PHC string form:
// $argon2id$v=19$m=19456,t=2,p=1$<salt>$<key>.
func hashPassword(password string) string {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	p := passwordCost
	key := argon2.IDKey([]byte(password), salt, p.time, p.memory, p.threads, keyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.memory, p.time, p.threads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// checkPassword reports whether password matches a PHC argon2id hash. A
// malformed hash, or parameters beyond what this server would ever set,
// never match.
func checkPassword(password, phc string) bool {
	parts := strings.Split(phc, "$")
	if len(parts) != 6 || parts[1] != "argon2id" || parts[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return false
	}
	var p argonParams
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.memory, &p.time, &p.threads); err != nil {
		return false
	}
	if p.memory < 8 || p.memory > 1<<20 || p.time < 1 || p.time > 16 || p.threads < 1 || p.threads > 16 {
		return false
	}
	salt, err := b64.DecodeString(parts[4])
	if err != nil || len(salt) < 8 {
		return false
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil || len(want) < 16 || len(want) > 64 {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, p.time, p.memory, p.threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// dummyHash is checked against when a sign-in names no existing user, so
// that the answer takes as long as for a wrong password.
var dummyHash = sync.OnceValue(func() string { return hashPassword("not a password anyone has") })

// newPassword returns a random temporary password (20 characters from an
// alphabet without look-alikes), for accounts created or reset without one.
func newPassword() string {
	const alphabet = "abcdefghijkmnpqrstuvwxyzACDEFGHJKLMNPQRTUVWXYZ234679"
	out := make([]byte, 0, 20)
	var b [1]byte
	for len(out) < cap(out) {
		if _, err := rand.Read(b[:]); err != nil {
			panic(err)
		}
		if int(b[0]) < 256/len(alphabet)*len(alphabet) { // no modulo bias
			out = append(out, alphabet[int(b[0])%len(alphabet)])
		}
	}
	return string(out)
}
