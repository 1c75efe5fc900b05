package snapshot

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"

	"vaxtrace"
)

// ErrUnsupported is returned for a journal that keeps no store id or cannot
// read its chain links (a test double): Restore replays it whole.
var ErrUnsupported = errors.New("this journal does not support snapshots")

// MetaKey is the key of the store's id in its meta table.
const MetaKey = "store_id"

// metaStore is the meta table both engines keep (sqlite.DB, postgres.DB).
type metaStore interface {
	Meta(ctx context.Context, k string) (v string, ok bool, err error)
	PutMetaIfAbsent(ctx context.Context, k, v string) (string, error)
}

// StoreID returns the store's id: 16 random bytes in hex, made once per
// store (by the first writer that asks, create true) and kept in its meta
// table, so that a snapshot of one store is never loaded into another. It
// returns "" when the store has none and create is false or the journal is
// read-only.
func StoreID(ctx context.Context, j vaxtrace.Journal, create bool) (string, error) {
	m, ok := j.(metaStore)
	if !ok {
		return "", fmt.Errorf("snapshot: the %T journal has no meta table: %w", j, ErrUnsupported)
	}
	id, ok, err := m.Meta(ctx, MetaKey)
	if err != nil || ok {
		return id, err
	}
	if ro, isRO := j.(interface{ ReadOnly() bool }); !create || isRO && ro.ReadOnly() {
		return "", nil
	}
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("snapshot: store id: %w", err)
	}
	return m.PutMetaIfAbsent(ctx, MetaKey, hex.EncodeToString(b[:]))
}

// Target is what a snapshot must match to be loaded: the store, the time
// zone, the journal's last sequence number and its chain links.
type Target struct {
	Store string
	Zone  string
	Last  uint64
	Link  func(ctx context.Context, seq uint64) ([]byte, error)
}

// TargetOf reads the target of the journal j (creating the store id when
// create is true, see StoreID). The journal must be a vaxtrace.ChainLinker.
func TargetOf(ctx context.Context, j vaxtrace.Journal, create bool) (Target, error) {
	cl, ok := j.(vaxtrace.ChainLinker)
	if !ok {
		return Target{}, fmt.Errorf("snapshot: the %T journal cannot read its chain links: %w", j, ErrUnsupported)
	}
	id, err := StoreID(ctx, j, create)
	if err != nil {
		return Target{}, err
	}
	last, err := j.Last(ctx)
	if err != nil {
		return Target{}, fmt.Errorf("snapshot: %w", err)
	}
	return Target{Store: id, Zone: vaxtrace.Zone().String(), Last: last, Link: cl.ChainLink}, nil
}
