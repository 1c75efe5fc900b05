package httpapi

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
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

// idemKey chooses the idempotency key of a write: the Idempotency-Key
// header, else the natural key of the entity (e.g. "shipment:"+id), else
// "auto:" and the SHA-256 of method, path and the canonical payload, so that
// replaying the same request changes nothing.
func idemKey(r *http.Request, natural string, p vaxtrace.Payload) string {
	if k := strings.TrimSpace(r.Header.Get("Idempotency-Key")); k != "" {
		return k
	}
	if natural != "" {
		return natural
	}
	return autoKey(r, p)
}

func autoKey(r *http.Request, p vaxtrace.Payload) string {
	b, _ := json.Marshal(p)
	h := sha256.New()
	h.Write([]byte(r.Method))
	h.Write([]byte{0})
	h.Write([]byte(r.URL.Path))
	h.Write([]byte{0})
	h.Write([]byte(p.Kind()))
	h.Write([]byte{0})
	h.Write(b)
	return "auto:" + hex.EncodeToString(h.Sum(nil))
}

// submit sends one command to the engine.
func (s *Server) submit(r *http.Request, key string, p vaxtrace.Payload) (engine.Result, error) {
	res := s.eng.Submit(r.Context(), engine.Command{Key: key, Actor: principal(r), Data: p})
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
