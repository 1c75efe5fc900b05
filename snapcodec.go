package vaxtrace

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
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

// maxPresize bounds a map or slice sized from a count read from a
// snapshot before its entries are read (a corrupt count must not cost
// much more memory than the input holds).
const maxPresize = 1 << 20

// ErrSnapshotCorrupt wraps every decoding failure.
var ErrSnapshotCorrupt = errors.New("snapshot corrupt")

type snapEncoder struct {
	w    io.Writer
	buf  []byte // pending output, written out in pieces of about snapWriteBuf
	strs map[string]uint32
	err  error
}

// snapWriteBuf is how much the encoder gathers before writing; fields are
// appended to a byte slice, which is what lets it write millions of
// records a second.
const snapWriteBuf = 1 << 16

func newSnapEncoder(w io.Writer) *snapEncoder {
	return &snapEncoder{w: w, buf: make([]byte, 0, 2*snapWriteBuf), strs: map[string]uint32{}}
}

// fail records the first error of an encoding (a state that breaks an
// invariant the encoding relies on is refused rather than written wrong).
func (e *snapEncoder) fail(format string, a ...any) {
	if e.err == nil {
		e.err = fmt.Errorf(format, a...)
	}
}

// spill writes the pending output once there is enough of it.
func (e *snapEncoder) spill() {
	if len(e.buf) >= snapWriteBuf {
		e.drain()
	}
}

func (e *snapEncoder) drain() {
	if e.err == nil && len(e.buf) > 0 {
		_, e.err = e.w.Write(e.buf)
	}
	e.buf = e.buf[:0]
}

func (e *snapEncoder) write(b []byte) {
	e.buf = append(e.buf, b...)
	e.spill()
}

func (e *snapEncoder) uvarint(v uint64) { e.buf = binary.AppendUvarint(e.buf, v); e.spill() }
func (e *snapEncoder) varint(v int64)   { e.buf = binary.AppendVarint(e.buf, v); e.spill() }
func (e *snapEncoder) u64(v uint64)     { e.buf = binary.LittleEndian.AppendUint64(e.buf, v); e.spill() }
func (e *snapEncoder) int(v int)        { e.varint(int64(v)) }

func (e *snapEncoder) bool(v bool) {
	if v {
		e.uvarint(1)
	} else {
		e.uvarint(0)
	}
}

// fixed writes bytes whose length the decoder knows (a person id).
func (e *snapEncoder) fixed(b []byte) { e.write(b) }

func (e *snapEncoder) float(v float64) { e.u64(math.Float64bits(v)) }

// bytes writes a length-prefixed byte string.
func (e *snapEncoder) bytes(b []byte) {
	e.uvarint(uint64(len(b)))
	e.write(b)
}

// raw writes a string that is unique to its record.
func (e *snapEncoder) raw(s string) {
	e.uvarint(uint64(len(s)))
	e.buf = append(e.buf, s...)
	e.spill()
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
	e.drain()
	return e.err
}

type snapDecoder struct {
	r     io.Reader
	buf   []byte // read window: buf[pos:end] is not consumed yet
	pos   int
	end   int
	eof   bool // r has no more bytes
	strs  []string
	zones []snapZone // fixed zones read so far, shared by the times in them
	err   error
}

// snapReadBuf is the decoder's window; reading from a byte slice instead
// of through io.ByteReader is what lets it decode millions of records a
// second.
const snapReadBuf = 1 << 18

func newSnapDecoder(r io.Reader) *snapDecoder {
	return &snapDecoder{r: r, buf: make([]byte, snapReadBuf)}
}

// fail keeps the first error and empties the read window, so that every
// read after it (fast paths included) returns zero values.
func (d *snapDecoder) fail(format string, a ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: %s", ErrSnapshotCorrupt, fmt.Sprintf(format, a...))
	}
	d.pos, d.end, d.eof = 0, 0, true
}

// fill makes at least n bytes available unless the input ends first (or
// n is more than the window holds); it reports whether they are.
func (d *snapDecoder) fill(n int) bool {
	if d.end-d.pos >= n {
		return true
	}
	if n > len(d.buf) {
		return false
	}
	if d.pos > 0 {
		d.end = copy(d.buf, d.buf[d.pos:d.end])
		d.pos = 0
	}
	for empty := 0; d.end < n && !d.eof; {
		k, err := d.r.Read(d.buf[d.end:])
		d.end += k
		switch {
		case err == io.EOF:
			d.eof = true
		case err != nil:
			d.fail("read: %v", err)
			d.eof = true
		case k == 0:
			// a reader may return nothing without an error; give up
			// after as many tries as bufio does
			if empty++; empty >= 100 {
				d.fail("read: %v", io.ErrNoProgress)
				d.eof = true
			}
		}
	}
	return d.end-d.pos >= n
}

func (d *snapDecoder) uvarint() uint64 {
	// most numbers are one byte (flags, lengths, string-table indexes):
	// this path is inlined
	if i := d.pos; i < d.end && d.buf[i] < 0x80 {
		d.pos = i + 1
		return uint64(d.buf[i])
	}
	return d.uvarintLong()
}

func (d *snapDecoder) uvarintLong() uint64 {
	if d.err != nil {
		return 0
	}
	if d.end-d.pos < binary.MaxVarintLen64 {
		d.fill(binary.MaxVarintLen64)
	}
	v, k := binary.Uvarint(d.buf[d.pos:d.end])
	if k <= 0 {
		if k == 0 {
			d.fail("read number: %v", io.ErrUnexpectedEOF)
		} else {
			d.fail("read number: varint overflows a 64-bit integer")
		}
		return 0
	}
	d.pos += k
	return v
}

func (d *snapDecoder) varint() int64 {
	ux := d.uvarint()
	x := int64(ux >> 1)
	if ux&1 != 0 {
		x = ^x
	}
	return x
}

func (d *snapDecoder) u64() uint64 {
	if d.err != nil {
		return 0
	}
	if !d.fill(8) {
		d.fail("read number: %v", io.ErrUnexpectedEOF)
		return 0
	}
	v := binary.LittleEndian.Uint64(d.buf[d.pos:])
	d.pos += 8
	return v
}

// fixed reads exactly len(b) bytes written by snapEncoder.fixed.
func (d *snapDecoder) fixed(b []byte) {
	if d.err != nil {
		clear(b)
		return
	}
	if !d.fill(len(b)) {
		d.fail("read %d bytes: %v", len(b), io.ErrUnexpectedEOF)
		clear(b)
		return
	}
	d.pos += copy(b, d.buf[d.pos:d.end])
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

// readN reads n bytes into w, in pieces, so that a corrupt length costs
// no more memory than the input really holds.
func (d *snapDecoder) readN(n int, w io.Writer) {
	for left := n; left > 0 && d.err == nil; {
		if !d.fill(1) {
			d.fail("read %d bytes: %v", n, io.ErrUnexpectedEOF)
			return
		}
		k := min(left, d.end-d.pos)
		w.Write(d.buf[d.pos : d.pos+k])
		d.pos += k
		left -= k
	}
}

func (d *snapDecoder) bytes() []byte {
	n := d.count()
	if d.err != nil || n == 0 {
		return nil
	}
	if d.fill(n) {
		b := append([]byte(nil), d.buf[d.pos:d.pos+n]...)
		d.pos += n
		return b
	}
	var b bytes.Buffer
	b.Grow(min(n, 1<<20))
	d.readN(n, &b)
	if d.err != nil {
		return nil
	}
	return b.Bytes()
}

// raw reads a string written by snapEncoder.raw with one allocation.
func (d *snapDecoder) raw() string {
	n := d.count()
	if d.err != nil || n == 0 {
		return ""
	}
	if n <= len(d.buf) && d.fill(n) {
		s := string(d.buf[d.pos : d.pos+n])
		d.pos += n
		return s
	}
	var b strings.Builder
	b.Grow(min(n, 1<<20))
	d.readN(n, &b)
	if d.err != nil {
		return ""
	}
	return b.String()
}

func (d *snapDecoder) str() string {
	s, _ := d.strRef()
	return s
}

// strRef reads a string written by snapEncoder.str and also returns its
// index in the string table (-1 after an error), so that a caller can
// cache what the string resolves to (a place, a lot) by index instead of
// looking it up for every record.
func (d *snapDecoder) strRef() (string, int) {
	i := d.uvarint()
	if d.err != nil {
		return "", -1
	}
	if i == 0 {
		s := d.raw()
		if d.err != nil {
			return "", -1
		}
		d.strs = append(d.strs, s)
		return s, len(d.strs) - 1
	}
	if i > uint64(len(d.strs)) {
		d.fail("string %d not in the table of %d", i, len(d.strs))
		return "", -1
	}
	return d.strs[i-1], int(i - 1)
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
		loc = d.zone(name, int(off))
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

// zone returns the fixed zone name/off, one *time.Location per zone for
// the whole snapshot rather than one per time read.
func (d *snapDecoder) zone(name string, off int) *time.Location {
	for _, z := range d.zones {
		if z.name == name && z.off == off {
			return z.loc
		}
	}
	loc := time.FixedZone(name, off)
	if len(d.zones) < 64 {
		d.zones = append(d.zones, snapZone{name, off, loc})
	}
	return loc
}

type snapZone struct {
	name string
	off  int
	loc  *time.Location
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
