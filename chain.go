package vaxtrace

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash"
)

// ChainSize is the length of an event's chain hash (SHA-256).
const ChainSize = sha256.Size

// Chain computes the journal's hash chain. Every stored event carries
//
//	chain(n) = SHA-256( chain(n-1) ‖ u64(seq) ‖ str(kind) ‖ str(key) ‖ str(actor)
//	                    ‖ u64(recorded) ‖ u64(hash) ‖ str(data) )
//
// where chain(0) is 32 zero bytes, u64 is 8 bytes big-endian (recorded as
// Unix nanoseconds in two's complement, hash the content hash) and str(x)
// is u64(len(x)) followed by the bytes of x (data is the stored JSON body).
// Editing, inserting, reordering or deleting any event but the last changes
// every later link, so replay finds the first damaged sequence number.
type Chain struct {
	h   hash.Hash
	buf []byte
}

// NewChain returns a chain hasher (not safe for concurrent use).
func NewChain() *Chain { return &Chain{h: sha256.New(), buf: make([]byte, 0, 256)} }

func appendStr(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint64(b, uint64(len(s)))
	return append(b, s...)
}

// Next returns chain(n) from prev = chain(n-1) and event n's stored fields,
// appended to dst.
func (c *Chain) Next(dst, prev []byte, seq uint64, kind, key, actor string, recorded int64, contentHash uint64, data []byte) []byte {
	b := c.buf[:0]
	if len(prev) == 0 {
		var zero [ChainSize]byte
		b = append(b, zero[:]...)
	} else {
		b = append(b, prev...)
	}
	b = binary.BigEndian.AppendUint64(b, seq)
	b = appendStr(b, kind)
	b = appendStr(b, key)
	b = appendStr(b, actor)
	b = binary.BigEndian.AppendUint64(b, uint64(recorded))
	b = binary.BigEndian.AppendUint64(b, contentHash)
	b = binary.BigEndian.AppendUint64(b, uint64(len(data)))
	c.buf = b
	c.h.Reset()
	c.h.Write(b)
	c.h.Write(data)
	return c.h.Sum(dst)
}

// Verify checks that the stored event seq follows the stored event prevSeq
// (prevSeq+1, chain linked to prevChain). It returns a *JournalDamage naming
// seq, or nil.
func (c *Chain) Verify(prevSeq uint64, prevChain []byte, seq uint64, kind, key, actor string, recorded int64, contentHash uint64, data, chain []byte) error {
	if seq != prevSeq+1 {
		if seq > prevSeq+1 {
			return &JournalDamage{Seq: prevSeq + 1, Reason: fmt.Sprintf("event missing (the journal jumps from seq %d to %d)", prevSeq, seq)}
		}
		return &JournalDamage{Seq: seq, Reason: fmt.Sprintf("out of order after seq %d", prevSeq)}
	}
	if len(chain) != ChainSize {
		return &JournalDamage{Seq: seq, Reason: fmt.Sprintf("chain hash has %d bytes, want %d", len(chain), ChainSize)}
	}
	var sum [ChainSize]byte
	if !bytes.Equal(c.Next(sum[:0], prevChain, seq, kind, key, actor, recorded, contentHash, data), chain) {
		return &JournalDamage{Seq: seq, Reason: "chain hash does not match the event's content or its predecessor (edited, inserted or reordered)"}
	}
	return nil
}

// JournalDamage reports the first event at which a journal fails its
// integrity checks: a broken hash chain, a missing event, or an event that
// refers to something the journal never defined.
type JournalDamage struct {
	Seq    uint64
	Reason string
}

func (e *JournalDamage) Error() string {
	return fmt.Sprintf("journal damaged at seq %d: %s", e.Seq, e.Reason)
}

// ChainHex formats a chain hash for messages.
func ChainHex(c []byte) string { return hex.EncodeToString(c) }
