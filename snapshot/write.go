package snapshot

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"vaxtrace"
)

// filePrefix and fileSuffix name a finished snapshot: the prefix, the
// sequence number in 20 digits (names sort as the numbers) and the suffix.
const (
	filePrefix = "snapshot-"
	fileSuffix = ".vxs"
)

// FileName is the name of the snapshot covering seq.
func FileName(seq uint64) string { return fmt.Sprintf("%s%020d%s", filePrefix, seq, fileSuffix) }

// Write writes st as a snapshot described by h (Store, Zone, Link and
// Created; Seq must be st.Seq, Length is filled in) into dir, creating the
// directory, then keeps the newest keep snapshots (all when keep <= 0). It
// returns the new file's path. A crash at any point leaves the earlier
// snapshots usable: the file appears under its name only complete and
// synced. Another writer busy in dir makes it fail with ErrBusy.
func Write(dir string, h Header, st *vaxtrace.State, keep int) (string, error) {
	if h.Seq != st.Seq {
		return "", fmt.Errorf("snapshot: header seq %d for a state at seq %d", h.Seq, st.Seq)
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return "", fmt.Errorf("snapshot: %w", err)
	}
	unlock, err := lockDir(dir)
	if err != nil {
		return "", err
	}
	defer unlock()
	if err := removeTemps(dir); err != nil {
		return "", err
	}
	path, err := write(dir, h, st)
	if err != nil {
		return "", err
	}
	if keep > 0 {
		if err := prune(dir, keep); err != nil {
			return path, err
		}
	}
	return path, nil
}

// countWriter counts the bytes written through it.
type countWriter struct {
	w io.Writer
	n uint64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += uint64(n)
	return n, err
}

func write(dir string, h Header, st *vaxtrace.State) (path string, err error) {
	h.Version = Version
	f, err := os.CreateTemp(dir, tempPrefix+"*"+tempSuffix)
	if err != nil {
		return "", fmt.Errorf("snapshot: %w", err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	// the header first with a zero length, the payload, then the header
	// again with the payload's length
	hdr, err := h.AppendTo(nil)
	if err != nil {
		return "", err
	}
	if _, err := f.Write(hdr); err != nil {
		return "", fmt.Errorf("snapshot: write %s: %w", tmp, err)
	}
	cw := &countWriter{w: f}
	if err := st.EncodeSnapshot(cw); err != nil {
		return "", fmt.Errorf("snapshot: write %s: %w", tmp, err)
	}
	h.Length = cw.n
	if hdr, err = h.AppendTo(hdr[:0]); err != nil {
		return "", err
	}
	if _, err := f.WriteAt(hdr, 0); err != nil {
		return "", fmt.Errorf("snapshot: write %s: %w", tmp, err)
	}
	// the checksum of everything written, read back in one pass
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return "", fmt.Errorf("snapshot: %w", err)
	}
	crc := crc32.New(castagnoli)
	if _, err := io.Copy(crc, bufio.NewReaderSize(f, 1<<20)); err != nil {
		return "", fmt.Errorf("snapshot: read back %s: %w", tmp, err)
	}
	if _, err := f.Write(binary.BigEndian.AppendUint32(nil, crc.Sum32())); err != nil {
		return "", fmt.Errorf("snapshot: write %s: %w", tmp, err)
	}
	if err := f.Sync(); err != nil {
		return "", fmt.Errorf("snapshot: sync %s: %w", tmp, err)
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("snapshot: close %s: %w", tmp, err)
	}
	path = filepath.Join(dir, FileName(h.Seq))
	if err := os.Rename(tmp, path); err != nil {
		return "", fmt.Errorf("snapshot: %w", err)
	}
	return path, syncDir(dir)
}

// syncDir makes a rename or removal in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("snapshot: sync %s: %w", dir, err)
	}
	return nil
}

// List returns the paths of the snapshots in dir, newest (highest sequence
// number) first; a missing directory has none. Temporary files and other
// names are ignored.
func List(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("snapshot: %w", err)
	}
	var names []string
	for _, e := range ents {
		n := e.Name()
		if e.Type().IsRegular() && strings.HasPrefix(n, filePrefix) && strings.HasSuffix(n, fileSuffix) {
			names = append(names, n)
		}
	}
	sort.Sort(sort.Reverse(sort.StringSlice(names)))
	for i, n := range names {
		names[i] = filepath.Join(dir, n)
	}
	return names, nil
}

// Prune removes all but the newest keep snapshots in dir (keep >= 1) and
// any temporary file a crashed writer left. It fails with ErrBusy while a
// writer works in dir.
func Prune(dir string, keep int) error {
	if keep < 1 {
		return fmt.Errorf("snapshot: keep %d snapshots: at least 1", keep)
	}
	unlock, err := lockDir(dir)
	if err != nil {
		return err
	}
	defer unlock()
	if err := removeTemps(dir); err != nil {
		return err
	}
	return prune(dir, keep)
}

func prune(dir string, keep int) error {
	paths, err := List(dir)
	if err != nil || len(paths) <= keep {
		return err
	}
	for _, p := range paths[keep:] {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("snapshot: prune: %w", err)
		}
	}
	return syncDir(dir)
}
