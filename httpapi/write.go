package httpapi

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strings"

	"vaxtrace"
	"vaxtrace/engine"
)

// writeResult is the answer to a write.
type writeResult struct {
	Seq       uint64 `json:"seq,omitempty"`
	Duplicate bool   `json:"duplicate"`
	Key       string `json:"key"`
	Kind      string `json:"kind"`
	Data      any    `json:"data,omitempty"`
}

// idemKey chooses the idempotency key of a write, by one rule:
//
//   - the Idempotency-Key header, if the client sent one: a replay with the
//     same key and content changes nothing, other content is 409;
//   - else the natural key of a command that creates a thing under a
//     client-chosen id ("lot:"+id, "shipment:"+id, "dose:"+id, ...) or
//     that can happen only once to it ("shipment.receive:"+id): resending
//     it changes nothing, and the same id with other content is 409 naming
//     the id;
//   - else (state transitions, which may rightly repeat: suspend and
//     reinstate, a rename, a write-off, a count) a fresh key, so that every
//     request takes effect. A client that retries such a request after a
//     lost answer must send an Idempotency-Key.
func idemKey(r *http.Request, natural string, p vaxtrace.Payload) string {
	if k := strings.TrimSpace(r.Header.Get("Idempotency-Key")); k != "" {
		return k
	}
	if natural != "" {
		return natural
	}
	return onceKey()
}

// onceKey is a key no other request has: "once:" and 128 random bits.
func onceKey() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return "once:" + hex.EncodeToString(b[:])
}

// submit sends one command to the engine.
func (s *Server) submit(r *http.Request, key string, p vaxtrace.Payload) (engine.Result, error) {
	return s.submitAs(r, principal(r), key, p)
}

// submitAs submits p as actor (the gateway's callbacks carry no user).
func (s *Server) submitAs(r *http.Request, actor vaxtrace.Principal, key string, p vaxtrace.Payload) (engine.Result, error) {
	// text is checked before the key made from it, so that a bad id is
	// reported against its field, not as a bad idempotency key
	if err := vaxtrace.CheckPayloadText(p); err != nil {
		return engine.Result{}, err
	}
	res := s.eng.Submit(r.Context(), engine.Command{Key: key, Actor: actor, Data: p})
	return res, res.Err
}

// write submits p and answers with the decided payload. A duplicate gets
// the same status as a first success, with "duplicate": true.
func (s *Server) write(w http.ResponseWriter, r *http.Request, status int, natural string, p vaxtrace.Payload) error {
	key := idemKey(r, natural, p)
	res, err := s.submit(r, key, p)
	if err != nil {
		return err
	}
	var data any = res.Data
	if res.Data == nil {
		data = p
	}
	writeJSON(w, status, writeResult{Seq: res.Seq, Duplicate: res.Duplicate, Key: key, Kind: p.Kind(), Data: data})
	return nil
}

// read runs fn under the engine's read lock.
func (s *Server) read(fn func(st *vaxtrace.State) error) error {
	var err error
	s.eng.Read(func(st *vaxtrace.State) { err = fn(st) })
	return err
}
