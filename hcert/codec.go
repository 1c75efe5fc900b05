package hcert

import (
	"bytes"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
)

// Prefix is the context identifier prepended to Base45 HCERT payloads.
const Prefix = "HC1:"

// Size limits applied before any expensive work on untrusted input.
const (
	// MaxInputSize caps the HC1 text (or raw Base45) accepted by Verify.
	// A version-40 QR code holds at most 4296 alphanumeric characters, so
	// 8 KiB leaves ample room.
	MaxInputSize = 8 << 10
	// MaxPNGSize caps a QR PNG image accepted by Verify / DecodeQRPNG.
	MaxPNGSize = 4 << 20
	// MaxInflatedSize caps the zlib-inflated COSE message ("zip bomb" guard).
	MaxInflatedSize = 64 << 10
)

// Sentinel errors for the transport layers; all returned errors wrap one of
// them (and are also classified by a Code in Verify results).
var (
	ErrPrefix = errors.New("hc1 prefix")
	ErrZlib   = errors.New("zlib")
)

// StripPrefix removes the "HC1:" context identifier. It fails if the prefix
// is missing (the comparison is case-sensitive, as the spec requires).
func StripPrefix(s string) (string, error) {
	if !strings.HasPrefix(s, Prefix) {
		shown := s
		if len(shown) > 8 {
			shown = shown[:8] + "..."
		}
		return "", fmt.Errorf("%w: missing %q context identifier (got %q)", ErrPrefix, Prefix, shown)
	}
	return s[len(Prefix):], nil
}

var zlibWriters = sync.Pool{New: func() any {
	w, _ := zlib.NewWriterLevel(io.Discard, zlib.BestCompression)
	return w
}}

// Compress zlib-compresses data at the best compression level (QR capacity
// matters more than CPU here).
func Compress(data []byte) []byte {
	var buf bytes.Buffer
	buf.Grow(len(data)/2 + 64)
	w := zlibWriters.Get().(*zlib.Writer)
	w.Reset(&buf)
	_, _ = w.Write(data) // writes to bytes.Buffer cannot fail
	_ = w.Close()
	zlibWriters.Put(w)
	return buf.Bytes()
}

// Decompress inflates zlib data, failing if the output would exceed limit
// bytes (limit <= 0 means MaxInflatedSize) or if the stream is corrupt,
// truncated or has a bad Adler-32 checksum.
func Decompress(data []byte, limit int) ([]byte, error) {
	if limit <= 0 {
		limit = MaxInflatedSize
	}
	r, err := zlib.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrZlib, err)
	}
	defer r.Close()
	var out bytes.Buffer
	n, err := io.Copy(&out, io.LimitReader(r, int64(limit)+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrZlib, err)
	}
	if n > int64(limit) {
		return nil, fmt.Errorf("%w: inflated size exceeds %d bytes", ErrZlib, limit)
	}
	return out.Bytes(), nil
}
