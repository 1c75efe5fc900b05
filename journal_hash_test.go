package vaxtrace

import (
	"hash/fnv"
	"math/rand/v2"
	"testing"
)

// HashBody is FNV-1a of kind, a zero byte and body, as hash/fnv computes it
// (the hashes stored in journals were made with hash/fnv).
func TestHashBodyIsFNV1a(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 500; i++ {
		kind := make([]byte, r.IntN(20))
		body := make([]byte, r.IntN(300))
		for j := range kind {
			kind[j] = byte(r.IntN(256))
		}
		for j := range body {
			body[j] = byte(r.IntN(256))
		}
		h := fnv.New64a()
		h.Write(kind)
		h.Write([]byte{0})
		h.Write(body)
		if got, want := HashBody(string(kind), body), h.Sum64(); got != want {
			t.Fatalf("HashBody(%q, %q) = %x, want %x", kind, body, got, want)
		}
	}
	if n := testing.AllocsPerRun(100, func() { HashBody(KindDoseAdministered, []byte(`{"id":"d1"}`)) }); n != 0 {
		t.Fatalf("HashBody allocates %v times", n)
	}
}
