package vaxtrace

import (
	"fmt"
	"io"
)

// snapshotFormat is the version of the state's encoding; a snapshot written
// by another version is refused and the journal replayed instead. Bump it
// with any change to what encodeRooms or encodeRegistry write.
const snapshotFormat = 4

// EncodeSnapshot writes the whole derived state (everything Apply keeps,
// nothing it can rebuild from the rest, e.g. hash indexes) in the snapshot
// codec. The same state always gives the same bytes.
func (s *State) EncodeSnapshot(w io.Writer) error {
	e := newSnapEncoder(w)
	e.uvarint(snapshotFormat)
	e.u64(s.Seq)
	e.section("rooms")
	s.encodeRooms(e) // snapshot_rooms.go: catalog, supply, stock, cold chain, replenishment, campaign counters
	e.section("registry")
	s.encodeRegistry(e) // snapshot_registry.go: people, doses, certificates, due lists, reminders
	e.section("end")
	return e.flush()
}

// DecodeSnapshot reads a state written by EncodeSnapshot. Any failure is
// an error wrapping ErrSnapshotCorrupt; the partial state is discarded.
func DecodeSnapshot(r io.Reader) (*State, error) {
	d := newSnapDecoder(r)
	if v := d.uvarint(); d.err == nil && v != snapshotFormat {
		return nil, fmt.Errorf("%w: state format %d, this build reads %d", ErrSnapshotCorrupt, v, snapshotFormat)
	}
	s := NewState()
	s.Seq = d.u64()
	d.section("rooms")
	s.decodeRooms(d)
	d.section("registry")
	s.decodeRegistry(d)
	d.section("end")
	if d.err != nil {
		return nil, d.err
	}
	return s, nil
}
