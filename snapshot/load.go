package snapshot

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"os"

	"vaxtrace"
)

// Loaded is a snapshot read, checked and decoded.
type Loaded struct {
	Path   string
	Header Header
	State  *vaxtrace.State
}

// refusals are the reasons a snapshot is refused (and an older one tried).
var refusals = []error{ErrTruncated, ErrChecksum, ErrFormat, ErrVersion, ErrStore, ErrZone, ErrNewer, ErrLink, ErrPayload}

// Refused reports whether err is a snapshot's refusal (Load tries the next
// older one) rather than a failure to read the journal or the disk.
func Refused(err error) bool {
	for _, r := range refusals {
		if errors.Is(err, r) {
			return true
		}
	}
	return false
}

// Load returns the newest snapshot in dir that LoadFile accepts for t,
// logging one warning (the file and the reason) for each newer one it
// refuses; nil when none is usable (the caller replays the whole journal).
// It removes temporary files a crashed writer left, unless a writer is busy.
func Load(ctx context.Context, dir string, t Target, log *slog.Logger) (*Loaded, error) {
	if log == nil {
		log = slog.Default()
	}
	paths, err := List(dir)
	if err != nil {
		return nil, err
	}
	if len(paths) > 0 || dirExists(dir) {
		if unlock, err := lockDir(dir); err == nil {
			err = removeTemps(dir)
			unlock()
			if err != nil {
				log.Warn("cannot remove a temporary snapshot file", "dir", dir, "err", err)
			}
		}
	}
	for _, p := range paths {
		l, err := LoadFile(ctx, p, t)
		if err == nil {
			return l, nil
		}
		if !Refused(err) {
			return nil, err
		}
		log.Warn("snapshot refused; trying an older one or the journal", "file", p, "reason", err)
	}
	return nil, nil
}

func dirExists(dir string) bool {
	st, err := os.Stat(dir)
	return err == nil && st.IsDir()
}

// LoadFile reads the snapshot at path and checks it against t: its header
// (checksum, version, store, zone, a sequence number the journal holds and
// the journal's chain link there), then its payload, decoded while its
// checksum is computed. A refused snapshot is an error for which Refused is
// true; the state is returned only when every check passed.
func LoadFile(ctx context.Context, path string, t Target) (*Loaded, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("snapshot: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("snapshot: %w", err)
	}
	crc := crc32.New(castagnoli)
	h, err := ReadHeader(io.TeeReader(f, crc))
	if err != nil {
		return nil, err
	}
	if h.Length > uint64(fi.Size()) {
		return nil, fmt.Errorf("%w: %d bytes, the header announces a payload of %d", ErrTruncated, fi.Size(), h.Length)
	}
	if want := h.Size() + int64(h.Length) + trailerLen; fi.Size() < want {
		return nil, fmt.Errorf("%w: %d bytes, the header announces %d", ErrTruncated, fi.Size(), want)
	} else if fi.Size() > want {
		return nil, fmt.Errorf("%w: %d bytes after the checksum", ErrFormat, fi.Size()-want)
	}
	if err := h.Check(ctx, t); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	payload := io.TeeReader(io.LimitReader(f, int64(h.Length)), crc)
	st, decErr := vaxtrace.DecodeSnapshot(payload)
	if _, err := io.Copy(io.Discard, payload); err != nil {
		return nil, fmt.Errorf("snapshot: read %s: %w", path, err)
	}
	var tr [trailerLen]byte
	if _, err := io.ReadFull(f, tr[:]); err != nil {
		return nil, fmt.Errorf("%w: no checksum at the end", ErrTruncated)
	}
	if got, sum := binary.BigEndian.Uint32(tr[:]), crc.Sum32(); got != sum {
		return nil, fmt.Errorf("%w (stored %08x, computed %08x)", ErrChecksum, got, sum)
	}
	if decErr != nil {
		return nil, fmt.Errorf("%w: %w", ErrPayload, decErr)
	}
	if st.Seq != h.Seq {
		return nil, fmt.Errorf("%w: the state is at seq %d, the header says %d", ErrPayload, st.Seq, h.Seq)
	}
	return &Loaded{Path: path, Header: h, State: st}, nil
}

// Check compares a header with the journal it is to be loaded for.
func (h *Header) Check(ctx context.Context, t Target) error {
	if h.Store != t.Store {
		return fmt.Errorf("%w (snapshot of store %s, this store is %s)", ErrStore, h.Store, orNone(t.Store))
	}
	if h.Zone != t.Zone {
		return fmt.Errorf("%w (days cut in %s, this node cuts them in %s)", ErrZone, h.Zone, t.Zone)
	}
	if h.Seq > t.Last {
		return fmt.Errorf("%w (covers seq %d, the journal ends at %d)", ErrNewer, h.Seq, t.Last)
	}
	link, err := t.Link(ctx, h.Seq)
	if errors.Is(err, vaxtrace.ErrNoEvent) {
		return fmt.Errorf("%w (the journal has no event %d)", ErrLink, h.Seq)
	}
	if err != nil {
		return err
	}
	var want [vaxtrace.ChainSize]byte
	copy(want[:], link)
	if len(link) != 0 && len(link) != vaxtrace.ChainSize || !bytes.Equal(want[:], h.Link[:]) {
		return fmt.Errorf("%w at seq %d: another history", ErrLink, h.Seq)
	}
	return nil
}

func orNone(id string) string {
	if id == "" {
		return "(none yet)"
	}
	return id
}
