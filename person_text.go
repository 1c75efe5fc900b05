package vaxtrace

import (
	"encoding/base64"
	"encoding/binary"
	"unsafe"
)

// A person's rarely read text (sealed IIN, names, sealed phone) is packed
// into one string per person: one allocation and one 16-byte header instead
// of four headers and four allocations. Sealed values are base64 text of
// AES-GCM output; they are kept as the raw bytes (a quarter smaller) when
// the text is the canonical unpadded encoding of those bytes, so that
// re-encoding gives back exactly the same text.
//
// Layout: a flags byte, then for each of family, given, IIN and phone an
// unsigned varint length and the bytes.

const (
	textIINRaw   = 1 << iota // the sealed IIN is held as raw bytes
	textPhoneRaw             // the sealed phone is held as raw bytes
)

// appendPersonText appends p's text fields, packed, to b.
func appendPersonText(b []byte, p *Person) []byte {
	iin, iinRaw := sealedBytes(p.IINSealed)
	phone, phoneRaw := sealedBytes(p.PhoneSealed)
	var flags byte
	if iinRaw {
		flags |= textIINRaw
	}
	if phoneRaw {
		flags |= textPhoneRaw
	}
	b = append(b, flags)
	for _, f := range [...]string{p.Family, p.Given, iin, phone} {
		b = binary.AppendUvarint(b, uint64(len(f)))
		b = append(b, f...)
	}
	return b
}

// packPersonText packs p's text fields into a string of their own.
func packPersonText(p *Person) string { return string(appendPersonText(nil, p)) }

// sealedBytes returns the raw bytes of a canonical unpadded base64 text
// (true), or the text itself (false).
func sealedBytes(s string) (string, bool) {
	if s == "" {
		return "", false
	}
	raw, err := base64.RawStdEncoding.DecodeString(s)
	if err != nil || base64.RawStdEncoding.EncodeToString(raw) != s {
		return s, false
	}
	return string(raw), true
}

// packedField returns field i (0 family, 1 given, 2 IIN, 3 phone) of a
// packed text.
func packedField(t string, i int) string {
	if t == "" {
		return ""
	}
	pos := 1
	for {
		n, w := uvarintString(t[pos:])
		pos += w
		if i == 0 {
			return t[pos : pos+int(n)]
		}
		pos += int(n)
		i--
	}
}

func uvarintLen(x uint64) int {
	n := 1
	for ; x >= 0x80; x >>= 7 {
		n++
	}
	return n
}

func uvarintString(s string) (uint64, int) {
	var x uint64
	var shift uint
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x80 {
			return x | uint64(c)<<shift, i + 1
		}
		x |= uint64(c&0x7f) << shift
		shift += 7
	}
	return 0, 0
}

func sealedText(t string, i int, rawFlag byte) string {
	f := packedField(t, i)
	if f == "" || t[0]&rawFlag == 0 {
		return f
	}
	return base64.RawStdEncoding.EncodeToString([]byte(f))
}

// PersonText is a person's text (names, sealed IIN and phone) as the
// state holds it: State.PersonText gives it. The records keep only a
// reference to it (in the state's person text arena), so that they hold
// no pointers.
type PersonText struct{ t string }

// PersonText returns p's text.
func (s *State) PersonText(p *PersonState) PersonText { return PersonText{s.people.text.get(p.text)} }

// Family is the person's family name.
func (t PersonText) Family() string { return packedField(t.t, 0) }

// Given is the person's given name.
func (t PersonText) Given() string { return packedField(t.t, 1) }

// IINSealed is the AES-GCM sealed IIN, never the clear IIN.
func (t PersonText) IINSealed() string { return sealedText(t.t, 2, textIINRaw) }

// PhoneSealed is the sealed phone number for reminders ("" if none).
func (t PersonText) PhoneSealed() string { return sealedText(t.t, 3, textPhoneRaw) }

// Region is the code of the person's region.
func (p *PersonState) Region() string { return p.region.String() }

// PersonDetails returns p's registered details as a Person.
func (s *State) PersonDetails(p *PersonState) Person {
	t := s.PersonText(p)
	return Person{ID: p.ID, IINSealed: t.IINSealed(), Family: t.Family(), Given: t.Given(), BirthDate: p.BirthDate,
		Sex: p.Sex(), Region: p.Region(), Group: p.Group(), PhoneSealed: t.PhoneSealed(), Lang: p.Lang()}
}

// setDetails stores a person's details (not the id); the text goes to
// the table's arena (an update's old text stays there: updates are rare).
func (t *personTable) setDetails(p *PersonState, v *Person) {
	p.BirthDate = v.BirthDate
	t.scratch = appendPersonText(t.scratch[:0], v)
	p.text = t.text.add(unsafe.String(unsafe.SliceData(t.scratch), len(t.scratch))) // add copies it
	p.region, p.attrs = symbolOf(v.Region), attrsOf(v.Sex, v.Group, v.Lang)
}

// appendIINSealed appends IINSealed() to b without a string of its own.
func (t PersonText) appendIINSealed(b []byte) []byte { return appendSealed(b, t.t, 2, textIINRaw) }

// appendPhoneSealed appends PhoneSealed() to b.
func (t PersonText) appendPhoneSealed(b []byte) []byte { return appendSealed(b, t.t, 3, textPhoneRaw) }

// iinSealedLen is len(IINSealed()).
func (t PersonText) iinSealedLen() int { return sealedLen(t.t, 2, textIINRaw) }

// phoneSealedLen is len(PhoneSealed()).
func (t PersonText) phoneSealedLen() int { return sealedLen(t.t, 3, textPhoneRaw) }

func appendSealed(b []byte, t string, i int, rawFlag byte) []byte {
	f := packedField(t, i)
	if f == "" || t[0]&rawFlag == 0 {
		return append(b, f...)
	}
	return base64.RawStdEncoding.AppendEncode(b, unsafe.Slice(unsafe.StringData(f), len(f))) // read only
}

func sealedLen(t string, i int, rawFlag byte) int {
	f := packedField(t, i)
	if f == "" || t[0]&rawFlag == 0 {
		return len(f)
	}
	return base64.RawStdEncoding.EncodedLen(len(f))
}
