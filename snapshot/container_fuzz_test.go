package snapshot

import (
	"bytes"
	"context"
	"encoding/binary"
	"hash/crc32"
	"os"
	"path/filepath"
	"testing"
	"time"

	"vaxtrace"
)

// FuzzLoadFile feeds arbitrary files to the container decoder (header,
// length, payload decoded under its checksum, trailer) for a journal they
// claim to match: it must refuse or accept without panicking, and accept
// only a state at the header's seq.
func FuzzLoadFile(f *testing.F) {
	h := Header{Version: Version, Store: "00112233445566778899aabbccddeeff", Zone: vaxtrace.Zone().String(), Seq: 0, Created: time.Unix(1, 0).UTC()}
	var payload bytes.Buffer
	if err := vaxtrace.NewState().EncodeSnapshot(&payload); err != nil {
		f.Fatal(err)
	}
	h.Length = uint64(payload.Len())
	good, _ := h.AppendTo(nil)
	good = append(good, payload.Bytes()...)
	good = binary.BigEndian.AppendUint32(good, crc32.Checksum(good, castagnoli))
	f.Add(good)
	f.Add(good[:len(good)-1])
	f.Add(append(bytes.Clone(good), 0))
	t := Target{Store: h.Store, Zone: h.Zone, Last: 10, Link: func(context.Context, uint64) ([]byte, error) { return nil, nil }}
	f.Fuzz(func(tt *testing.T, b []byte) {
		path := filepath.Join(tt.TempDir(), FileName(0))
		if err := os.WriteFile(path, b, 0o600); err != nil {
			tt.Fatal(err)
		}
		l, err := LoadFile(context.Background(), path, t)
		if err != nil {
			if !Refused(err) {
				tt.Fatalf("error %v is not a refusal", err)
			}
			return
		}
		if l.State == nil || l.State.Seq != l.Header.Seq {
			tt.Fatalf("accepted a state at seq %v for a header at %d", l.State, l.Header.Seq)
		}
	})
}
