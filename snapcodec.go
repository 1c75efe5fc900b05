package vaxtrace

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"time"
)

// The snapshot codec writes the derived state as a stream of fixed-order
// fields: unsigned and signed varints, length-prefixed byte strings, times
// and section markers. It is deterministic: maps are written in sorted key
// order (sortedKeys), so that the same state always gives the same bytes,
// and a state loaded from a snapshot and then brought forward by the
// journal's tail encodes byte for byte like the state rebuilt by a full
// replay (the test that proves snapshots). Strings that repeat (place, lot,
// region and product ids, vaccinators) go through a string table, so each
// is written once and a decoded state shares one copy; strings unique to a
// record (a dose's id) are written raw.
//
// The decoder never trusts the input: every length is bounded by
// maxSnapLen, every error is sticky (the first one is kept and every read
// after it returns zero values), and a section marker that does not match
// stops decoding with the section's name, so that a snapshot written by an
// encoder that disagrees is refused instead of misread.

// maxSnapLen bounds any one string or count read from a snapshot.
const maxSnapLen = 1 << 31

// ErrSnapshotCorrupt wraps every decoding failure.
var ErrSnapshotCorrupt = errors.New("snapshot corrupt")

type snapEncoder struct {
	w    *bufio.Writer
	strs map[string]uint32
	err  error
	buf  [binary.MaxVarintLen64]byte
}

func newSnapEncoder(w io.Writer) *snapEncoder {
	return &snapEncoder{w: bufio.NewWriterSize(w, 1<<16), strs: map[string]uint32{}}
}

func (e *snapEncoder) write(b []byte) {
	if e.err == nil {
		_, e.err = e.w.Write(b)
	}
}

func (e *snapEncoder) uvarint(v uint64) { e.write(binary.AppendUvarint(e.buf[:0], v)) }
func (e *snapEncoder) varint(v int64)   { e.write(binary.AppendVarint(e.buf[:0], v)) }
func (e *snapEncoder) u64(v uint64)     { e.write(binary.LittleEndian.AppendUint64(e.buf[:0], v)) }
func (e *snapEncoder) int(v int)        { e.varint(int64(v)) }

func (e *snapEncoder) bool(v bool) {
	if v {
		e.uvarint(1)
	} else {
		e.uvarint(0)
	}
}

func (e *snapEncoder) float(v float64) { e.u64(math.Float64bits(v)) }

// bytes writes a length-prefixed byte string.
func (e *snapEncoder) bytes(b []byte) {
	e.uvarint(uint64(len(b)))
	e.write(b)
}

// raw writes a string that is unique to its record.
func (e *snapEncoder) raw(s string) {
	e.uvarint(uint64(len(s)))
	if e.err == nil {
		_, e.err = e.w.WriteString(s)
	}
}

// str writes a string that repeats through the state: its first
// occurrence as 0 and the text, every later one as its table index + 1.
func (e *snapEncoder) str(s string) {
	if i, ok := e.strs[s]; ok {
		e.uvarint(uint64(i) + 1)
		return
	}
	e.strs[s] = uint32(len(e.strs))
	e.uvarint(0)
	e.raw(s)
}

// time writes an instant with its zone offset (zero stays zero).
func (e *snapEncoder) time(t time.Time) {
	if t.IsZero() {
		e.uvarint(0)
		return
	}
	name, off := t.Zone()
	if t.Location() == time.UTC {
		e.uvarint(1)
	} else {
		e.uvarint(2)
		e.str(name)
		e.varint(int64(off))
	}
	e.varint(t.Unix())
	e.uvarint(uint64(t.Nanosecond()))
}

// section writes a marker the decoder checks.
func (e *snapEncoder) section(name string) { e.raw("§" + name) }

func (e *snapEncoder) flush() error {
	if e.err != nil {
		return e.err
	}
	return e.w.Flush()
}

type snapDecoder struct {
	r    *bufio.Reader
	strs []string
	err  error
}

func newSnapDecoder(r io.Reader) *snapDecoder {
	return &snapDecoder{r: bufio.NewReaderSize(r, 1<<16)}
}

func (d *snapDecoder) fail(format string, a ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: %s", ErrSnapshotCorrupt, fmt.Sprintf(format, a...))
	}
}

func (d *snapDecoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, err := binary.ReadUvarint(d.r)
	if err != nil {
		d.fail("read number: %v", err)
		return 0
	}
	return v
}

func (d *snapDecoder) varint() int64 {
	if d.err != nil {
		return 0
	}
	v, err := binary.ReadVarint(d.r)
	if err != nil {
		d.fail("read number: %v", err)
		return 0
	}
	return v
}

func (d *snapDecoder) u64() uint64 {
	if d.err != nil {
		return 0
	}
	var b [8]byte
	if _, err := io.ReadFull(d.r, b[:]); err != nil {
		d.fail("read number: %v", err)
		return 0
	}
	return binary.LittleEndian.Uint64(b[:])
}

func (d *snapDecoder) int() int {
	v := d.varint()
	if v > math.MaxInt32*int64(1<<31) || v < -math.MaxInt32*int64(1<<31) {
		d.fail("number %d out of range", v)
		return 0
	}
	return int(v)
}

func (d *snapDecoder) bool() bool {
	switch d.uvarint() {
	case 0:
		return false
	case 1:
		return true
	default:
		d.fail("bad boolean")
		return false
	}
}

func (d *snapDecoder) float() float64 { return math.Float64frombits(d.u64()) }

// count reads a length or a number of records, bounded.
func (d *snapDecoder) count() int {
	n := d.uvarint()
	if n > maxSnapLen {
		d.fail("count %d too large", n)
		return 0
	}
	return int(n)
}

func (d *snapDecoder) bytes() []byte {
	n := d.count()
	if d.err != nil || n == 0 {
		return nil
	}
	b := make([]byte, 0, min(n, 1<<20))
	for len(b) < n {
		chunk := min(n-len(b), 1<<20)
		start := len(b)
		b = append(b, make([]byte, chunk)...)
		if _, err := io.ReadFull(d.r, b[start:]); err != nil {
			d.fail("read %d bytes: %v", n, err)
			return nil
		}
	}
	return b
}

func (d *snapDecoder) raw() string { return string(d.bytes()) }

func (d *snapDecoder) str() string {
	i := d.uvarint()
	if d.err != nil {
		return ""
	}
	if i == 0 {
		s := d.raw()
		d.strs = append(d.strs, s)
		return s
	}
	if i > uint64(len(d.strs)) {
		d.fail("string %d not in the table of %d", i, len(d.strs))
		return ""
	}
	return d.strs[i-1]
}

func (d *snapDecoder) time() time.Time {
	var loc *time.Location
	switch d.uvarint() {
	case 0:
		return time.Time{}
	case 1:
		loc = time.UTC
	case 2:
		name := d.str()
		off := d.varint()
		if off < -24*3600 || off > 24*3600 {
			d.fail("zone offset %d out of range", off)
			return time.Time{}
		}
		loc = time.FixedZone(name, int(off))
	default:
		d.fail("bad time")
		return time.Time{}
	}
	sec := d.varint()
	ns := d.uvarint()
	if ns >= 1e9 {
		d.fail("bad nanoseconds")
		return time.Time{}
	}
	if d.err != nil {
		return time.Time{}
	}
	return time.Unix(sec, int64(ns)).In(loc)
}

// section checks a marker written by snapEncoder.section.
func (d *snapDecoder) section(name string) {
	if got := d.raw(); d.err == nil && got != "§"+name {
		d.fail("expected section %q, found %.40q", name, got)
	}
}

// sortedKeys returns a map's keys in order, for deterministic encoding.
func sortedKeys[K interface {
	~string | ~int | ~int64 | ~uint16 | ~uint32 | ~uint64
}, V any](m map[K]V) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	return keys
}

// optLen writes a length that keeps nil apart from empty: 0 for nil, else
// the length + 1.
func (e *snapEncoder) optLen(n int, isNil bool) {
	if isNil {
		e.uvarint(0)
		return
	}
	e.uvarint(uint64(n) + 1)
}

// optCount reads what optLen wrote; ok is false for nil.
func (d *snapDecoder) optCount() (n int, ok bool) {
	v := d.uvarint()
	if v == 0 || d.err != nil {
		return 0, false
	}
	if v-1 > maxSnapLen {
		d.fail("count %d too large", v-1)
		return 0, false
	}
	return int(v - 1), true
}

// date writes a day.
func (e *snapEncoder) date(v Date) { e.varint(int64(v)) }

// date reads a day.
func (d *snapDecoder) date() Date {
	v := d.varint()
	if v < math.MinInt32 || v > math.MaxInt32 {
		d.fail("day %d out of range", v)
		return 0
	}
	return Date(v)
}

// int64s writes a series (nil kept apart from empty), one varint a value:
// at least a byte each, so that a decoder never allocates more than eight
// times the bytes it has read.
func (e *snapEncoder) int64s(s []int64) {
	e.optLen(len(s), s == nil)
	for _, v := range s {
		e.varint(v)
	}
}

// int64s reads a series written by int64s of at most limit values,
// allocating as it reads.
func (d *snapDecoder) int64s(limit int) []int64 {
	n, ok := d.optCount()
	if !ok {
		return nil
	}
	if n > limit {
		d.fail("series of %d values, at most %d", n, limit)
		return nil
	}
	s := make([]int64, 0, min(n, 4096))
	for i := 0; i < n && d.err == nil; i++ {
		s = append(s, d.varint())
	}
	if d.err != nil {
		return nil
	}
	return s
}
