package vaxtrace

import (
	"context"
	"encoding/json"
)

// Journal is the append-only event store. It is the only thing persisted as
// the source of truth; everything else is derived. SQLite and PostgreSQL
// implement it (packages sqlite and postgres) and pass the same conformance
// suite (package journaltest).
type Journal interface {
	// Write runs one exclusive, durable write transaction. It first passes
	// to catchUp, in order, every event with Seq > after (events committed
	// by other writers, e.g. other API nodes), then calls build with the
	// next free sequence number; build returns the events to append, whose
	// Seq must already be set consecutively from next. The events are
	// committed durably (fsync) before Write returns nil. If build returns
	// an error, nothing is written.
	Write(ctx context.Context, after uint64, catchUp func(Event) error, build func(next uint64) ([]Event, error)) error
	// Replay streams every event with Seq > after, in order.
	Replay(ctx context.Context, after uint64, fn func(Event) error) error
	// Last returns the highest committed sequence number.
	Last(ctx context.Context) (uint64, error)
	// Tokens stores API tokens by hash (never in clear).
	PutToken(ctx context.Context, t Token) error
	// TokenByHash finds an unrevoked token.
	TokenByHash(ctx context.Context, hash string) (Token, error)
	// Tokens lists tokens (hashes only).
	Tokens(ctx context.Context) ([]Token, error)
	// RevokeToken revokes a token by name.
	RevokeToken(ctx context.Context, name string) error
	// Backup writes a consistent copy of the store to path (engine-specific format).
	Backup(ctx context.Context, path string) error
	Close() error
}

// Token is an API token record; only the SHA-256 of the secret is stored.
type Token struct {
	Hash      string    `json:"hash"`
	Principal Principal `json:"principal"`
	Created   int64     `json:"created"`
	Revoked   bool      `json:"revoked"`
}

// EncodePayload encodes an event body for storage. Payloads with their own
// encoder (the hot ones) skip encoding/json's re-validation of its output.
func EncodePayload(p Payload) ([]byte, error) {
	if m, ok := p.(json.Marshaler); ok {
		return m.MarshalJSON()
	}
	return json.Marshal(p)
}

// EncodeEvent returns the stored body of an event.
func EncodeEvent(e Event) ([]byte, error) {
	if e.Raw != nil {
		return e.Raw, nil
	}
	return EncodePayload(e.Data)
}

// HashBody hashes an encoded submitted payload of kind: 64-bit FNV-1a of
// kind, a zero byte and body (hash/fnv's New64a, written out so that the
// hot path allocates no hasher).
func HashBody(kind string, body []byte) uint64 {
	const prime = 1099511628211
	h := uint64(14695981039346656037) // the offset basis
	for i := 0; i < len(kind); i++ {
		h = (h ^ uint64(kind[i])) * prime
	}
	h *= prime // the zero byte: h ^ 0 == h
	for _, c := range body {
		h = (h ^ uint64(c)) * prime
	}
	return h
}

// EncodeAndHash encodes a submitted payload (before Decide fills derived
// fields) and hashes it, so that replaying a request can be told apart from
// reusing its idempotency key with different content. The engine stores the
// encoding when Decide derives nothing.
func EncodeAndHash(p Payload) ([]byte, uint64, error) {
	b, err := EncodePayload(p)
	if err != nil {
		return nil, 0, err
	}
	return b, HashBody(p.Kind(), b), nil
}

// ContentHash is the hash part of EncodeAndHash (0 if p cannot be encoded).
func ContentHash(p Payload) uint64 {
	_, h, _ := EncodeAndHash(p)
	return h
}
