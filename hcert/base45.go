package hcert

import (
	"errors"
	"fmt"
)

// base45Alphabet is the 45-character alphabet of RFC 9285, section 4.
const base45Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"

// ErrBase45 is wrapped by every Base45 decoding error.
var ErrBase45 = errors.New("base45")

var base45Values = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for i := 0; i < len(base45Alphabet); i++ {
		t[base45Alphabet[i]] = int8(i)
	}
	return t
}()

// Base45Encode encodes src with the RFC 9285 Base45 alphabet.
func Base45Encode(src []byte) string {
	out := make([]byte, 0, (len(src)/2)*3+2)
	for i := 0; i+1 < len(src); i += 2 {
		n := int(src[i])<<8 | int(src[i+1])
		c, n := n%45, n/45
		d, e := n%45, n/45
		out = append(out, base45Alphabet[c], base45Alphabet[d], base45Alphabet[e])
	}
	if len(src)%2 == 1 {
		n := int(src[len(src)-1])
		out = append(out, base45Alphabet[n%45], base45Alphabet[n/45])
	}
	return string(out)
}

// Base45Decode strictly decodes RFC 9285 Base45. It rejects characters
// outside the alphabet (including lower case), a length ≡ 1 (mod 3), and
// chunks whose value exceeds 65535 (or 255 for a final 2-character chunk).
func Base45Decode(s string) ([]byte, error) {
	if len(s)%3 == 1 {
		return nil, fmt.Errorf("%w: invalid length %d (length mod 3 == 1)", ErrBase45, len(s))
	}
	out := make([]byte, 0, len(s)/3*2+1)
	for i := 0; i < len(s); i += 3 {
		var v [3]int
		n := min(3, len(s)-i)
		for j := 0; j < n; j++ {
			x := base45Values[s[i+j]]
			if x < 0 {
				return nil, fmt.Errorf("%w: invalid character %q at offset %d", ErrBase45, s[i+j], i+j)
			}
			v[j] = int(x)
		}
		if n == 3 {
			x := v[0] + v[1]*45 + v[2]*45*45
			if x > 0xFFFF {
				return nil, fmt.Errorf("%w: chunk at offset %d has value %d > 65535", ErrBase45, i, x)
			}
			out = append(out, byte(x>>8), byte(x))
		} else {
			x := v[0] + v[1]*45
			if x > 0xFF {
				return nil, fmt.Errorf("%w: final chunk at offset %d has value %d > 255", ErrBase45, i, x)
			}
			out = append(out, byte(x))
		}
	}
	return out, nil
}
