package journaltest

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"vaxtrace"
	snapfile "vaxtrace/snapshot"
)

// testChainLink checks the chain link every stored event carries, as read
// by ChainLink (a snapshot records the link of the event it covers): the
// link of the written events computed as the journal must, nil for seq 0,
// ErrNoEvent past the end, the same through a second handle.
func testChainLink(t *testing.T, open func(t *testing.T) vaxtrace.Journal) {
	ctx := context.Background()
	j := handle(t, open)
	cl, ok := j.(vaxtrace.ChainLinker)
	if !ok {
		t.Fatalf("%T does not implement vaxtrace.ChainLinker", j)
	}
	w := &writer{j: j}
	evs := mustWrite(t, w, doses(0, 5, "link-")...)
	evs = append(evs, mustWrite(t, w, doses(5, 3, "link-")...)...)
	if l, err := cl.ChainLink(ctx, 0); err != nil || l != nil {
		t.Fatalf("link of seq 0: %x, %v; want nil", l, err)
	}
	other := handle(t, open).(vaxtrace.ChainLinker)
	ch := vaxtrace.NewChain()
	var prev []byte
	for _, ev := range evs {
		body, err := vaxtrace.EncodeEvent(ev)
		if err != nil {
			t.Fatal(err)
		}
		want := ch.Next(nil, prev, ev.Seq, ev.Kind, ev.Key, ev.Actor, ev.Recorded.UnixNano(), ev.Hash, body)
		for _, c := range []vaxtrace.ChainLinker{cl, other} {
			got, err := c.ChainLink(ctx, ev.Seq)
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("link of seq %d: %x, %v; want %x", ev.Seq, got, err, want)
			}
		}
		prev = want
	}
	if _, err := cl.ChainLink(ctx, uint64(len(evs))+1); !errors.Is(err, vaxtrace.ErrNoEvent) {
		t.Fatalf("link past the end: %v, want ErrNoEvent", err)
	}
}

// testStoreID checks the store's id (snapfile.StoreID): none until a writer
// asks, then made once and the same on every handle.
func testStoreID(t *testing.T, open func(t *testing.T) vaxtrace.Journal) {
	ctx := context.Background()
	a, b := handle(t, open), handle(t, open)
	if id, err := snapfile.StoreID(ctx, a, false); err != nil || id != "" {
		t.Fatalf("a new store's id: %q, %v; want none", id, err)
	}
	id, err := snapfile.StoreID(ctx, a, true)
	if err != nil || len(id) != 32 {
		t.Fatalf("store id %q, %v", id, err)
	}
	for _, j := range []vaxtrace.Journal{a, b} {
		if again, err := snapfile.StoreID(ctx, j, true); err != nil || again != id {
			t.Fatalf("store id again: %q, %v; want %s", again, err, id)
		}
	}
}
