package snapshot

import (
	"bytes"
	"errors"
	"testing"
	"time"
)

func sampleHeader() Header {
	h := Header{Version: Version, Store: "00112233445566778899aabbccddeeff", Zone: "Asia/Almaty", Seq: 3000540,
		Created: time.Date(2026, 12, 1, 2, 3, 4, 5, time.UTC), Length: 123456}
	for i := range h.Link {
		h.Link[i] = byte(i * 3)
	}
	return h
}

func TestHeaderRoundTrip(t *testing.T) {
	h := sampleHeader()
	b, err := h.AppendTo(nil)
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(b)) != h.Size() {
		t.Fatalf("header of %d bytes, Size says %d", len(b), h.Size())
	}
	got, err := ReadHeader(bytes.NewReader(append(b, "payload"...)))
	if err != nil {
		t.Fatal(err)
	}
	if got != h {
		t.Fatalf("read %+v, wrote %+v", got, h)
	}
}

func TestHeaderRefusals(t *testing.T) {
	h := sampleHeader()
	good, _ := h.AppendTo(nil)
	flip := func(i int) []byte {
		b := bytes.Clone(good)
		b[i] ^= 1
		return b
	}
	cases := []struct {
		name string
		in   []byte
		want error
	}{
		{"empty", nil, ErrTruncated},
		{"magic only", good[:8], ErrTruncated},
		{"cut in the link", good[:60], ErrTruncated},
		{"no checksum", good[:len(good)-4], ErrTruncated},
		{"other magic", flip(0), ErrFormat},
		{"version 0", flip(9), ErrVersion},
		{"store id byte", flip(12), ErrChecksum},
		{"seq byte", flip(len(good) - 40), ErrChecksum},
		{"length byte", flip(len(good) - 5), ErrChecksum},
		{"checksum byte", flip(len(good) - 1), ErrChecksum},
		{"store id too long", append(bytes.Clone(good[:10]), 200), ErrFormat},
		{"no store id", append(bytes.Clone(good[:10]), 0, 0), ErrFormat},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := ReadHeader(bytes.NewReader(c.in)); !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
		})
	}
	if _, err := (&Header{Store: ""}).AppendTo(nil); err == nil {
		t.Fatal("a header without a store id was written")
	}
}

// FuzzReadHeader feeds arbitrary bytes to the header decoder: it must not
// panic, read past the header, or accept a header it would not write.
func FuzzReadHeader(f *testing.F) {
	h := sampleHeader()
	good, _ := h.AppendTo(nil)
	f.Add(good)
	f.Add(good[:30])
	f.Add([]byte(magic))
	f.Add(append([]byte(magic), 0, 1, 255))
	f.Fuzz(func(t *testing.T, b []byte) {
		r := bytes.NewReader(b)
		h, err := ReadHeader(r)
		if err != nil {
			if !Refused(err) {
				t.Fatalf("error %v is not a refusal", err)
			}
			return
		}
		used := len(b) - r.Len()
		if int64(used) != h.Size() {
			t.Fatalf("read %d bytes for a header of %d", used, h.Size())
		}
		again, err := h.AppendTo(nil)
		if err != nil || !bytes.Equal(again, b[:used]) {
			t.Fatalf("accepted a header it encodes differently: %v\n%x\n%x", err, again, b[:used])
		}
	})
}
