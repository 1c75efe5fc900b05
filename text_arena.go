package vaxtrace

import (
	"strconv"
	"unsafe"
)

// textArena holds many short strings (dose ids, a person's packed text) in
// large byte chunks. A record refers to its text by an 8-byte textRef
// instead of a 16-byte string header and a heap object of its own: no
// per-string allocation or size-class rounding, and the chunks hold no
// pointers, so the collector has nothing to scan in them or (when the ref
// was the record's only pointer) in the records.
//
// The arena only grows: text is never overwritten or moved, so a string
// returned by get stays valid for as long as anyone holds it. Text that a
// record stops using (an updated person's old details, an undone
// registration) stays in its chunk; such changes are rare next to the
// tens of millions of records that never change their text.
type textArena struct {
	chunks [][]byte
	bytes  int64 // total length of the text held
}

// textRef locates a string in a textArena: the chunk (bits 40–63), the
// offset in it (bits 16–39) and the length (bits 0–15). A zero length is
// the empty string, whatever the other bits.
type textRef uint64

const (
	// arenaChunk is the size of a chunk; a string never spans two.
	arenaChunk = 1 << 20
	// maxArenaText is the longest string an arena holds.
	maxArenaText = 1<<16 - 1
)

// add copies s into the arena and returns its ref. s must be at most
// maxArenaText bytes (callers bound their text far below it).
func (a *textArena) add(s string) textRef {
	n := len(s)
	if n == 0 {
		return 0
	}
	if n > maxArenaText {
		panic("vaxtrace: arena text of " + strconv.Itoa(n) + " bytes exceeds the limit")
	}
	last := len(a.chunks) - 1
	if last < 0 || len(a.chunks[last])+n > cap(a.chunks[last]) {
		a.chunks = append(a.chunks, make([]byte, 0, arenaChunk))
		last++
	}
	if last >= 1<<24 {
		panic("vaxtrace: text arena full")
	}
	c := a.chunks[last]
	off := len(c)
	a.chunks[last] = append(c, s...)
	a.bytes += int64(n)
	return textRef(uint64(last)<<40 | uint64(off)<<16 | uint64(n))
}

// get returns the string r refers to, without copying it.
func (a *textArena) get(r textRef) string {
	n := int(r & 0xffff)
	if n == 0 {
		return ""
	}
	c := a.chunks[r>>40]
	off := int(r>>16) & (1<<24 - 1)
	return unsafe.String(&c[off], n)
}

// size returns the bytes the arena's chunks take (for memory reports).
func (a *textArena) size() int64 { return int64(len(a.chunks)) * arenaChunk }
