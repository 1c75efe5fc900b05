package vaxtrace

import (
	"context"
	"errors"
)

// ChainLinker is implemented by journals that can read the chain link (see
// Chain) stored with one event: both engines do. A snapshot records the link
// of the event it covers, and a snapshot whose link differs from the
// journal's at that sequence number belongs to another history and is
// refused.
type ChainLinker interface {
	// ChainLink returns the stored chain hash of event seq: nil for seq 0
	// (the chain starts from 32 zero bytes), an error wrapping ErrNoEvent
	// when the journal holds no event seq.
	ChainLink(ctx context.Context, seq uint64) ([]byte, error)
}

// ErrNoEvent is returned by ChainLink for a sequence number the journal
// does not hold.
var ErrNoEvent = errors.New("no such event in the journal")
