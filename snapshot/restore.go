package snapshot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"vaxtrace"
)

// Start says how Restore built a state.
type Start struct {
	Path string        // the snapshot loaded; "" after a full replay
	From uint64        // its sequence number (0 after a full replay)
	Tail uint64        // events replayed after it
	Took time.Duration // the whole restore
}

// Restore builds the state of journal j: the newest usable snapshot in dir
// (see Load) brought forward by the journal's tail, or a replay of the
// whole journal when there is none (or dir is ""). create lets it make the
// store's id (StoreID). The state is complete or an error.
func Restore(ctx context.Context, j vaxtrace.Journal, dir string, create bool, log *slog.Logger) (*vaxtrace.State, Start, error) {
	begin := time.Now()
	var (
		st    = vaxtrace.NewState()
		start Start
	)
	if dir != "" {
		t, err := TargetOf(ctx, j, create)
		switch {
		case errors.Is(err, ErrUnsupported):
			if log == nil {
				log = slog.Default()
			}
			log.Warn("snapshots ignored; replaying the whole journal", "reason", err)
		case err != nil:
			return nil, start, err
		default:
			l, err := Load(ctx, dir, t, log)
			if err != nil {
				return nil, start, err
			}
			if l != nil {
				st, start.Path, start.From = l.State, l.Path, l.Header.Seq
			}
		}
	}
	if err := j.Replay(ctx, st.Seq, st.ApplyJournaled); err != nil {
		return nil, start, err
	}
	start.Tail = st.Seq - start.From
	start.Took = time.Since(begin)
	return st, start, nil
}

// Taken is what Take did.
type Taken struct {
	Path  string // the new snapshot ("" when the newest one was current)
	Seq   uint64 // the sequence number it covers
	Start Start  // how the state was built
	Took  time.Duration
}

// ErrNoStoreID is returned by Take for a store that has no id yet (a
// read-only handle cannot make one): open it once with a writer.
var ErrNoStoreID = errors.New("the store has no id yet: open it once for writing (serve, or vaxtrace snapshot without a writer running)")

// Take writes a snapshot of journal j into dir: the newest usable snapshot
// brought forward by the tail (or a full replay), written and then pruned to
// the newest keep. It writes nothing when the newest snapshot already
// covers the whole journal. A read-only journal works: nothing is written
// to the store.
func Take(ctx context.Context, j vaxtrace.Journal, dir string, keep int, now time.Time, log *slog.Logger) (Taken, error) {
	begin := time.Now()
	t, err := TargetOf(ctx, j, true)
	if err != nil {
		return Taken{}, err
	}
	if t.Store == "" {
		return Taken{}, ErrNoStoreID
	}
	st, start, err := Restore(ctx, j, dir, false, log)
	if err != nil {
		return Taken{}, err
	}
	out := Taken{Seq: st.Seq, Start: start}
	if start.Path != "" && start.Tail == 0 {
		out.Took = time.Since(begin)
		return out, nil
	}
	link, err := t.Link(ctx, st.Seq)
	if err != nil {
		return Taken{}, fmt.Errorf("snapshot: %w", err)
	}
	h := Header{Store: t.Store, Zone: t.Zone, Seq: st.Seq, Created: now.UTC()}
	copy(h.Link[:], link)
	if out.Path, err = Write(dir, h, st, keep); err != nil {
		return Taken{}, err
	}
	out.Took = time.Since(begin)
	return out, nil
}
