package vaxtrace

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

// writeCodecSample writes one of each field kind, with strings longer
// than the decoder's window so that reads cross its refills.
func writeCodecSample(w io.Writer) error {
	e := newSnapEncoder(w)
	e.uvarint(0)
	e.uvarint(1<<64 - 1)
	e.varint(-1 << 63)
	e.u64(0x0102030405060708)
	e.int(-42)
	e.bool(true)
	e.float(-0.5)
	e.fixed([]byte{1, 2, 3})
	e.bytes([]byte("bytes"))
	e.raw(strings.Repeat("r", snapReadBuf+7))
	e.bytes(bytes.Repeat([]byte("b"), 3*snapReadBuf))
	e.str("place")
	e.str("lot")
	e.str("place")
	e.time(time.Time{})
	e.time(time.Date(2021, 3, 1, 4, 5, 6, 7, time.UTC))
	e.time(time.Date(2021, 3, 1, 10, 0, 0, 0, time.FixedZone("ALMT", 6*3600)))
	e.time(time.Date(2021, 3, 2, 10, 0, 0, 0, time.FixedZone("ALMT", 6*3600)))
	e.section("end")
	return e.flush()
}

// readCodecSample reads what writeCodecSample wrote and reports the
// first field that differs ("" if none).
func readCodecSample(d *snapDecoder) string {
	var id [3]byte
	checks := []struct {
		name string
		ok   func() bool
	}{
		{"uvarint 0", func() bool { return d.uvarint() == 0 }},
		{"uvarint max", func() bool { return d.uvarint() == 1<<64-1 }},
		{"varint min", func() bool { return d.varint() == -1<<63 }},
		{"u64", func() bool { return d.u64() == 0x0102030405060708 }},
		{"int", func() bool { return d.int() == -42 }},
		{"bool", func() bool { return d.bool() }},
		{"float", func() bool { return d.float() == -0.5 }},
		{"fixed", func() bool { d.fixed(id[:]); return id == [3]byte{1, 2, 3} }},
		{"bytes", func() bool { return string(d.bytes()) == "bytes" }},
		{"long raw", func() bool { return d.raw() == strings.Repeat("r", snapReadBuf+7) }},
		{"long bytes", func() bool { return bytes.Equal(d.bytes(), bytes.Repeat([]byte("b"), 3*snapReadBuf)) }},
		{"str", func() bool { s, i := d.strRef(); return s == "place" && i == 0 }},
		{"str 2", func() bool { s, i := d.strRef(); return s == "lot" && i == 1 }},
		{"str again", func() bool { s, i := d.strRef(); return s == "place" && i == 0 }},
		{"zero time", func() bool { return d.time().IsZero() }},
		{"UTC time", func() bool {
			t := d.time()
			return t.Equal(time.Date(2021, 3, 1, 4, 5, 6, 7, time.UTC)) && t.Location() == time.UTC
		}},
		{"zoned times share a zone", func() bool {
			a, b := d.time(), d.time()
			name, off := a.Zone()
			return name == "ALMT" && off == 6*3600 && a.Format(time.RFC3339) == "2021-03-01T10:00:00+06:00" && a.Location() == b.Location()
		}},
	}
	for _, c := range checks {
		if !c.ok() || d.err != nil {
			return c.name
		}
	}
	d.section("end")
	if d.err != nil {
		return "end"
	}
	return ""
}

// The decoder reads every field back whatever sizes the reader returns.
func TestSnapCodecReadsBackEveryField(t *testing.T) {
	var b bytes.Buffer
	if err := writeCodecSample(&b); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		r    func([]byte) io.Reader
	}{
		{"whole", func(b []byte) io.Reader { return bytes.NewReader(b) }},
		{"one byte at a time", func(b []byte) io.Reader { return iotest.OneByteReader(bytes.NewReader(b)) }},
		{"half reads", func(b []byte) io.Reader { return iotest.HalfReader(bytes.NewReader(b)) }},
		{"data with EOF", func(b []byte) io.Reader { return iotest.DataErrReader(bytes.NewReader(b)) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if bad := readCodecSample(newSnapDecoder(tc.r(b.Bytes()))); bad != "" {
				t.Fatalf("%s read back wrong", bad)
			}
		})
	}
}

// Cut anywhere, the input is refused as corrupt (never a panic, never a
// value read from past the end).
func TestSnapCodecRefusesTruncation(t *testing.T) {
	var b bytes.Buffer
	if err := writeCodecSample(&b); err != nil {
		t.Fatal(err)
	}
	full := b.Bytes()
	for _, n := range []int{0, 1, 5, 20, 30, 40, 60, snapReadBuf, snapReadBuf + 50, len(full) - 200, len(full) - 9, len(full) - 1} {
		d := newSnapDecoder(bytes.NewReader(full[:n]))
		readCodecSample(d)
		if !errors.Is(d.err, ErrSnapshotCorrupt) {
			t.Fatalf("cut at %d of %d: error %v, want ErrSnapshotCorrupt", n, len(full), d.err)
		}
	}
}

// A reader's own error is kept (wrapped as corrupt) and stops decoding.
func TestSnapCodecKeepsReadError(t *testing.T) {
	boom := errors.New("disk on fire")
	d := newSnapDecoder(iotest.ErrReader(boom))
	d.uvarint()
	if !errors.Is(d.err, ErrSnapshotCorrupt) || !strings.Contains(d.err.Error(), "disk on fire") {
		t.Fatalf("error %v, want the reader's error as corrupt", d.err)
	}
}

// A declared length larger than the input costs no more memory than the
// input: it fails when the input ends.
func TestSnapCodecHugeLengthFails(t *testing.T) {
	var b bytes.Buffer
	e := newSnapEncoder(&b)
	e.uvarint(maxSnapLen)
	e.flush()
	b.WriteString("short")
	d := newSnapDecoder(&b)
	if s := d.raw(); s != "" || !errors.Is(d.err, ErrSnapshotCorrupt) {
		t.Fatalf("raw = %q, error %v", s, d.err)
	}
}

type stalledReader struct{}

func (stalledReader) Read([]byte) (int, error) { return 0, nil }

// A reader that returns nothing, forever, without an error is given up
// on, as bufio does.
func TestSnapCodecGivesUpOnStalledReader(t *testing.T) {
	d := newSnapDecoder(stalledReader{})
	d.uvarint()
	if !errors.Is(d.err, ErrSnapshotCorrupt) || !errors.Is(d.err, io.ErrNoProgress) && !strings.Contains(d.err.Error(), io.ErrNoProgress.Error()) {
		t.Fatalf("error %v, want no progress", d.err)
	}
}
