package hcert

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
)

// uvciCharset is the Luhn mod N alphabet of the eHN UVCI checksum
// (ehn-dcc-schema FAQ "UVCI checksum"): N = 38.
const uvciCharset = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/:"

// ErrUVCI is wrapped by UVCI validation failures.
var ErrUVCI = errors.New("uvci")

// luhnModN returns the Luhn mod N check character for s, whose characters
// must all be in uvciCharset.
func luhnModN(s string) (byte, error) {
	n := len(uvciCharset)
	factor, sum := 2, 0
	for i := len(s) - 1; i >= 0; i-- {
		cp := strings.IndexByte(uvciCharset, s[i])
		if cp < 0 {
			return 0, fmt.Errorf("%w: character %q not allowed (want A-Z, 0-9, '/', ':')", ErrUVCI, s[i])
		}
		addend := factor * cp
		if factor == 2 {
			factor = 1
		} else {
			factor = 2
		}
		sum += addend/n + addend%n
	}
	return uvciCharset[(n-sum%n)%n], nil
}

// NewUVCI builds a version-01 UVCI "URN:UVCI:01:<issuerPrefix>:<opaque>#C"
// where C is the Luhn mod 38 check character computed over everything
// before '#'. issuerPrefix is normally the country code ("KZ"), optionally
// followed by further ':'-separated issuer segments. Lower-case input is
// upper-cased. It panics on characters outside A–Z, 0–9, '/', ':' since
// callers generate the opaque part themselves; use CheckUVCI for input.
func NewUVCI(issuerPrefix, opaque string) string {
	body := "URN:UVCI:01:" + strings.ToUpper(issuerPrefix) + ":" + strings.ToUpper(opaque)
	c, err := luhnModN(body)
	if err != nil {
		panic(fmt.Sprintf("hcert.NewUVCI: %v", err))
	}
	return body + "#" + string(c)
}

// CheckUVCI validates the Luhn mod N check character of a UVCI that
// carries one ("...#C"). The "URN:UVCI:" prefix is optional (it is
// included in the checksum when present, as NewUVCI computes it).
func CheckUVCI(uvci string) error {
	i := strings.LastIndexByte(uvci, '#')
	if i < 0 || i != len(uvci)-2 {
		return fmt.Errorf("%w: no '#' check character", ErrUVCI)
	}
	want, err := luhnModN(strings.ToUpper(uvci[:i]))
	if err != nil {
		return err
	}
	if strings.ToUpper(uvci[i+1:])[0] != want {
		return fmt.Errorf("%w: check character %q, want %q", ErrUVCI, uvci[i+1], want)
	}
	return nil
}

// UVCIHash is the revocation-list hash of a UVCI: SHA-256 over the UTF-8
// bytes of the "ci" value exactly as it appears in the certificate (the
// EU DCC revocation "UCI" hash type).
func UVCIHash(uvci string) [32]byte { return sha256.Sum256([]byte(uvci)) }
