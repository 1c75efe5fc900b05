package snapshot

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"time"

	"vaxtrace"
)

// Version is the container version this build writes and reads.
const Version = 1

// magic opens every snapshot file.
const magic = "VXSNAP\r\n"

// maxIDLen bounds the store id and the zone name in a header.
const maxIDLen = 64

// maxHeaderLen is the longest header ReadHeader accepts.
const maxHeaderLen = len(magic) + 2 + 1 + maxIDLen + 1 + maxIDLen + 8 + vaxtrace.ChainSize + 8 + 8 + 4

// trailerLen is the size of the checksum after the payload.
const trailerLen = 4

// castagnoli is the CRC-32C table of every checksum in a snapshot.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Reasons a snapshot is refused; the errors Load logs wrap one of them.
var (
	ErrTruncated = errors.New("truncated")
	ErrChecksum  = errors.New("checksum mismatch")
	ErrFormat    = errors.New("not a vaxtrace snapshot")
	ErrVersion   = errors.New("unknown version")
	ErrStore     = errors.New("belongs to another store")
	ErrZone      = errors.New("written for another time zone")
	ErrNewer     = errors.New("newer than the journal")
	ErrLink      = errors.New("chain link differs from the journal's")
	ErrPayload   = errors.New("payload does not decode")
)

// Header describes a snapshot.
type Header struct {
	Version uint16
	Store   string    // the store's id (StoreID)
	Zone    string    // the time zone that cut the days of the state
	Seq     uint64    // the last journal event the state includes
	Link    [32]byte  // the journal's chain link at Seq (zero for Seq 0)
	Created time.Time // when the snapshot was written
	Length  uint64    // payload bytes
}

// Size is the encoded length of the header.
func (h *Header) Size() int64 {
	return int64(len(magic) + 2 + 1 + len(h.Store) + 1 + len(h.Zone) + 8 + len(h.Link) + 8 + 8 + 4)
}

// AppendTo appends the encoded header, with its checksum, to b.
func (h *Header) AppendTo(b []byte) ([]byte, error) {
	if len(h.Store) == 0 || len(h.Store) > maxIDLen {
		return nil, fmt.Errorf("snapshot: store id of %d bytes (1 to %d)", len(h.Store), maxIDLen)
	}
	if len(h.Zone) > maxIDLen {
		return nil, fmt.Errorf("snapshot: zone name of %d bytes (at most %d)", len(h.Zone), maxIDLen)
	}
	start := len(b)
	b = append(b, magic...)
	b = binary.BigEndian.AppendUint16(b, h.Version)
	b = append(b, byte(len(h.Store)))
	b = append(b, h.Store...)
	b = append(b, byte(len(h.Zone)))
	b = append(b, h.Zone...)
	b = binary.BigEndian.AppendUint64(b, h.Seq)
	b = append(b, h.Link[:]...)
	b = binary.BigEndian.AppendUint64(b, uint64(h.Created.UnixNano()))
	b = binary.BigEndian.AppendUint64(b, h.Length)
	return binary.BigEndian.AppendUint32(b, crc32.Checksum(b[start:], castagnoli)), nil
}

// ReadHeader reads and checks a header: its magic, version and checksum. It
// reads no byte past the header. Errors wrap ErrTruncated, ErrFormat,
// ErrVersion or ErrChecksum.
func ReadHeader(r io.Reader) (Header, error) {
	var h Header
	buf := make([]byte, 0, maxHeaderLen)
	read := func(n int) []byte {
		start := len(buf)
		buf = buf[:start+n]
		if _, err := io.ReadFull(r, buf[start:]); err != nil {
			return nil
		}
		return buf[start:]
	}
	truncated := fmt.Errorf("header: %w", ErrTruncated)
	m := read(len(magic) + 2)
	if m == nil {
		return h, truncated
	}
	if !bytes.Equal(m[:len(magic)], []byte(magic)) {
		return h, fmt.Errorf("header: %w (magic %q)", ErrFormat, m[:len(magic)])
	}
	if h.Version = binary.BigEndian.Uint16(m[len(magic):]); h.Version != Version {
		return h, fmt.Errorf("%w %d (this build reads version %d)", ErrVersion, h.Version, Version)
	}
	text := func(what string) (string, error) {
		n := read(1)
		if n == nil {
			return "", truncated
		}
		if n[0] > maxIDLen {
			return "", fmt.Errorf("header: %w (%s of %d bytes)", ErrFormat, what, n[0])
		}
		s := read(int(n[0]))
		if s == nil {
			return "", truncated
		}
		return string(s), nil
	}
	var err error
	if h.Store, err = text("store id"); err != nil {
		return h, err
	}
	if h.Store == "" {
		return h, fmt.Errorf("header: %w (no store id)", ErrFormat)
	}
	if h.Zone, err = text("zone name"); err != nil {
		return h, err
	}
	f := read(8 + 32 + 8 + 8)
	if f == nil {
		return h, truncated
	}
	h.Seq = binary.BigEndian.Uint64(f)
	copy(h.Link[:], f[8:40])
	h.Created = time.Unix(0, int64(binary.BigEndian.Uint64(f[40:]))).UTC()
	h.Length = binary.BigEndian.Uint64(f[48:])
	sum := crc32.Checksum(buf, castagnoli)
	c := read(4)
	if c == nil {
		return h, truncated
	}
	if got := binary.BigEndian.Uint32(c); got != sum {
		return h, fmt.Errorf("header %w (stored %08x, computed %08x)", ErrChecksum, got, sum)
	}
	return h, nil
}
