package vaxtrace_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"
	"time"

	vt "vaxtrace"
)

// blockWorld is a registry of n people, each with a dose and every fourth
// with a second one 200 days later, at times and from vaccinators that
// vary record to record (so that a block's time deltas and string table
// matter).
func blockWorld(t testing.TB, n int) *world {
	w := benchWorld(t, n+n/4)
	apply := func(p vt.Payload, at time.Time, key string) {
		w.seq++
		ev := vt.Event{Seq: w.seq, Kind: p.Kind(), Key: key, Recorded: at, Hash: w.seq * 0x9E3779B97F4A7C15, Data: p}
		w.s.Apply(ev)
		w.log = append(w.log, ev)
	}
	for k := range 2 {
		for i := 0; i < n; i++ {
			if k == 1 && i%4 != 0 {
				continue
			}
			at := t0.Add(time.Duration(i%7919)*time.Second).AddDate(0, 0, 200*k)
			v := vt.DoseAdministered{ID: "b-" + strconv.Itoa(i) + "-" + strconv.Itoa(k+1), Person: benchPerson(i), At: at,
				Place: "VP-AKM-1", Lot: "L-BIG", Vaccinator: "nurse-" + strconv.Itoa(i%37)}
			apply(v, at, "dose:"+v.ID)
		}
	}
	return w
}

// withProcs runs fn with GOMAXPROCS at n (the number of block workers).
func withProcs(n int, fn func()) {
	old := runtime.GOMAXPROCS(n)
	defer runtime.GOMAXPROCS(old)
	fn()
}

// A snapshot decoded by one worker or by several, whatever the number of
// blocks (none, one partial, exactly full, one record over, several),
// encodes again to the very bytes it was read from.
func TestSnapshotBlocksDecodeAlike(t *testing.T) {
	b := vt.SnapshotBlockRecords
	for _, n := range []int{0, 1, b - 1, b, b + 1, 2*b + 3} {
		w := blockWorld(t, n)
		enc := snapshot(t, w.s)
		if p, d := w.s.Counts(); p != n+n/4 || d != n+(n+3)/4 {
			t.Fatalf("n=%d: %d people, %d doses", n, p, d)
		}
		for _, procs := range []int{1, 2, 5} {
			withProcs(procs, func() {
				if got := snapshot(t, restore(t, enc)); !bytes.Equal(got, enc) {
					t.Fatalf("n=%d, %d workers: decoded state encodes differently (%d bytes, %d before)", n, procs, len(got), len(enc))
				}
			})
		}
	}
}

// registryBlocks returns, for the registry's part alone (as
// EncodeRegistrySnapshot writes it), the spans of the dose blocks: where
// each block's length starts and where its bytes start and end.
func registryBlocks(t *testing.T, enc []byte) (doses [][3]int) {
	t.Helper()
	pos := 0
	uv := func() int {
		v, k := binary.Uvarint(enc[pos:])
		if k <= 0 {
			t.Fatalf("no number at %d", pos)
		}
		pos += k
		return int(v)
	}
	people, nd := uv(), uv()
	b := vt.SnapshotBlockRecords
	skip := func(n int) (spans [][3]int) {
		for range (n + b - 1) / b {
			at := pos
			l := uv()
			spans = append(spans, [3]int{at, pos, pos + l})
			pos += l
		}
		return spans
	}
	skip(people)
	if l := uv(); string(enc[pos:pos+l]) != "§doses" {
		t.Fatalf("no doses section at %d", pos)
	} else {
		pos += l
	}
	return skip(nd)
}

// blockGoroutines counts goroutines still running a block decoder.
func blockGoroutines() int {
	var b bytes.Buffer
	pprof.Lookup("goroutine").WriteTo(&b, 1)
	return strings.Count(b.String(), "decodeBlocks")
}

// noBlockWorkersLeft fails when a block worker is still running once the
// decoder has returned (after giving exiting goroutines a moment).
func noBlockWorkersLeft(t *testing.T) {
	t.Helper()
	for range 200 {
		if blockGoroutines() == 0 {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("%d block workers still running after the decoder returned", blockGoroutines())
}

// A damaged block in the middle of the doses is refused as corrupt, by
// one worker or several: no state, no panic, no worker left running. The
// damages: a place the rooms do not have (a reference), a byte too many
// in the block (its length no longer its records'), a person position
// out of range.
func TestSnapshotBlockDamagedInTheMiddle(t *testing.T) {
	b := vt.SnapshotBlockRecords
	w := blockWorld(t, 2*b+3)
	enc := registryBytes(t, w.s)
	spans := registryBlocks(t, enc)
	if len(spans) != 3 {
		t.Fatalf("%d dose blocks, want 3", len(spans))
	}
	mid := spans[1]
	rooms := func() *vt.State { // places and lots; the registry is replaced
		s := vt.NewState()
		for _, ev := range w.log {
			if ev.Kind != (vt.PersonRegistered{}).Kind() && ev.Kind != (vt.DoseAdministered{}).Kind() {
				s.Apply(ev)
			}
		}
		return s
	}
	if err := vt.DecodeRegistrySnapshot(rooms(), enc); err != nil {
		t.Fatalf("undamaged: %v", err)
	}
	damages := []struct {
		name, want string
		damage     func() []byte
	}{
		{"unknown place", "unknown place", func() []byte {
			out := bytes.Clone(enc)
			i := bytes.Index(out[mid[1]:mid[2]], []byte("VP-AKM-1"))
			if i < 0 {
				t.Fatal("the middle block names no place")
			}
			copy(out[mid[1]+i:], "VP-AKM-9")
			return out
		}},
		{"a byte too many", "bytes left after its records", func() []byte {
			// the block one byte longer: its length rewritten (same
			// width), a zero byte appended to it
			l := mid[2] - mid[1]
			lenBytes := binary.AppendUvarint(nil, uint64(l+1))
			if len(lenBytes) != mid[1]-mid[0] {
				t.Fatal("the block's length changes width")
			}
			out := append([]byte(nil), enc[:mid[0]]...)
			out = append(out, lenBytes...)
			out = append(out, enc[mid[1]:mid[2]]...)
			out = append(out, 0)
			return append(out, enc[mid[2]:]...)
		}},
		{"person out of range", "person position", func() []byte {
			// the block's first record: flags, id length, then the
			// person's position (after the blob of ids)
			out := bytes.Clone(enc)
			pos := mid[1]
			bl, k := binary.Uvarint(out[pos:])
			pos += k + int(bl)
			pos++ // flags (one byte)
			_, k = binary.Uvarint(out[pos:])
			pos += k
			_, k = binary.Uvarint(out[pos:])
			huge := binary.AppendUvarint(nil, 1<<(7*k)-1) // the same width, past every person
			copy(out[pos:], huge)
			return out
		}},
	}
	for _, dm := range damages {
		for _, procs := range []int{1, 2, 4} {
			t.Run(dm.name+"/"+strconv.Itoa(procs), func(t *testing.T) {
				withProcs(procs, func() {
					bad := dm.damage()
					err := vt.DecodeRegistrySnapshot(rooms(), bad)
					if !errors.Is(err, vt.ErrSnapshotCorrupt) || !strings.Contains(err.Error(), dm.want) {
						t.Fatalf("error %v, want corrupt: %s", err, dm.want)
					}
					noBlockWorkersLeft(t)
				})
			})
		}
	}
	// the whole snapshot with the middle block damaged: refused, no state
	full := snapshot(t, w.s)
	at := bytes.Index(full, enc[mid[1]:mid[2]])
	if at < 0 {
		t.Fatal("the dose block is not in the snapshot")
	}
	i := bytes.Index(full[at:], []byte("VP-AKM-1"))
	copy(full[at+i:], "VP-AKM-9")
	if s, err := vt.DecodeSnapshot(bytes.NewReader(full)); s != nil || !errors.Is(err, vt.ErrSnapshotCorrupt) {
		t.Fatalf("state %v, error %v; want no state, corrupt", s != nil, err)
	}
	noBlockWorkersLeft(t)
}
