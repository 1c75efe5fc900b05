package vaxtrace

import (
	"errors"
	"testing"
)

// The two links below were computed from the README's definition with an
// independent implementation (Python's hashlib and struct), so the format
// cannot drift without this test noticing.
func TestChainFormat(t *testing.T) {
	c := NewChain()
	h1 := c.Next(nil, nil, 1, "dose.administered", "dose:д1", "admin", 1614574800000000000, 0x9E3779B97F4A7C15, []byte(`{"id":"d1"}`))
	if got, want := ChainHex(h1), "ca3cb6149670039e1f7dc19d38f1811606996b25de11082ad65e655d6cd0b8cf"; got != want {
		t.Fatalf("chain(1) = %s, want %s", got, want)
	}
	h2 := c.Next(nil, h1, 2, "dose.voided", "", "", -1, 0, []byte(`{}`))
	if got, want := ChainHex(h2), "d4a7c86784b20bbab72714f48c9dad3a0d9517e42577d47a36f03249fdf3172e"; got != want {
		t.Fatalf("chain(2) = %s, want %s", got, want)
	}
}

// TestChainVerify changes each covered field in turn: every change must be
// refused at that event's seq, and a gap or a step back named.
func TestChainVerify(t *testing.T) {
	c := NewChain()
	prev := c.Next(nil, nil, 1, "k", "key", "actor", 5, 7, []byte("a"))
	good := c.Next(nil, prev, 2, "stock.received", "receipt:1", "admin", 1000, 42, []byte(`{"doses":3000}`))
	type ev struct {
		seq             uint64
		kind, key, act  string
		rec             int64
		hash            uint64
		data, prevChain []byte
	}
	base := ev{2, "stock.received", "receipt:1", "admin", 1000, 42, []byte(`{"doses":3000}`), prev}
	cases := []struct {
		name    string
		edit    func(e *ev)
		wantSeq uint64
	}{
		{"intact", func(e *ev) {}, 0},
		{"body", func(e *ev) { e.data = []byte(`{"doses":9000}`) }, 2},
		{"kind", func(e *ev) { e.kind = "stock.adjusted" }, 2},
		{"key", func(e *ev) { e.key = "receipt:2" }, 2},
		{"actor", func(e *ev) { e.act = "someone" }, 2},
		{"recorded", func(e *ev) { e.rec++ }, 2},
		{"content hash", func(e *ev) { e.hash++ }, 2},
		{"predecessor", func(e *ev) { e.prevChain = good }, 2},
		{"field boundary moved", func(e *ev) { e.kind, e.key = "stock.receivedr", "eceipt:1" }, 2},
		{"gap", func(e *ev) { e.seq = 4 }, 2},
		{"step back", func(e *ev) { e.seq = 1 }, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := base
			tc.edit(&e)
			err := c.Verify(1, e.prevChain, e.seq, e.kind, e.key, e.act, e.rec, e.hash, e.data, good)
			if tc.wantSeq == 0 {
				if err != nil {
					t.Fatalf("intact event refused: %v", err)
				}
				return
			}
			var d *JournalDamage
			if !errors.As(err, &d) || d.Seq != tc.wantSeq {
				t.Fatalf("got %v, want damage at seq %d", err, tc.wantSeq)
			}
		})
	}
	if err := c.Verify(1, prev, 2, base.kind, base.key, base.act, base.rec, base.hash, base.data, good[:31]); err == nil {
		t.Fatal("a short chain hash was accepted")
	}
}

// BenchmarkChain measures the cost of one link for a dose-sized event.
func BenchmarkChain(b *testing.B) {
	c := NewChain()
	data := make([]byte, 260)
	prev := make([]byte, ChainSize)
	buf := make([]byte, 0, ChainSize)
	b.SetBytes(int64(len(data)))
	for i := 0; b.Loop(); i++ {
		buf = c.Next(buf[:0], prev, uint64(i), KindDoseAdministered, "dose:d-123456", "point-VP-AKM-0001", 1614574800000000000, 1, data)
	}
}
