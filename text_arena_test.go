package vaxtrace

import (
	"strings"
	"testing"
)

func TestTextArena(t *testing.T) {
	tests := []struct {
		name string
		text []string
	}{
		{"empty", []string{""}},
		{"short", []string{"a", "bc", "", "d-1"}},
		{"longest", []string{strings.Repeat("x", maxArenaText), "y"}},
		// chunks fill: strings never span two, and refs keep their chunk
		{"many chunks", func() []string {
			var out []string
			for i := range 3 * arenaChunk / 5000 {
				out = append(out, strings.Repeat(string(rune('a'+i%26)), 4999+i%3))
			}
			return out
		}()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var a textArena
			refs := make([]textRef, len(tt.text))
			var total int64
			for i, s := range tt.text {
				refs[i] = a.add(s)
				total += int64(len(s))
			}
			for i, s := range tt.text {
				if got := a.get(refs[i]); got != s {
					t.Fatalf("text %d: got %d bytes %.20q, want %d bytes %.20q", i, len(got), got, len(s), s)
				}
			}
			if a.bytes != total {
				t.Fatalf("bytes %d, want %d", a.bytes, total)
			}
			if a.size() < total {
				t.Fatalf("size %d below the text held %d", a.size(), total)
			}
		})
	}
}

func TestTextArenaRefusesTooLong(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("a string longer than maxArenaText was accepted")
		}
	}()
	var a textArena
	a.add(strings.Repeat("x", maxArenaText+1))
}

// TestTextArenaAllocates checks that adding short text allocates only when
// a chunk is started.
func TestTextArenaAllocates(t *testing.T) {
	var a textArena
	a.add("warm")
	if n := testing.AllocsPerRun(1000, func() { a.get(a.add("d-12345678")) }); n != 0 {
		t.Fatalf("%.1f allocations per add", n)
	}
}

func FuzzTextArena(f *testing.F) {
	f.Add("a", "", "bcd")
	f.Fuzz(func(t *testing.T, x, y, z string) {
		var a textArena
		in := []string{x, y, z}
		var refs []textRef
		for _, s := range in {
			if len(s) > maxArenaText {
				return
			}
			refs = append(refs, a.add(s))
		}
		for i, s := range in {
			if a.get(refs[i]) != s {
				t.Fatalf("text %d changed", i)
			}
		}
	})
}
