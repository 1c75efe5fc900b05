package snapshot

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// ErrBusy is returned when another process is writing a snapshot into the
// same directory.
var ErrBusy = errors.New("another snapshot is being written into this directory")

// lockName is the lock file every writer holds (flock) while it writes and
// prunes; it is never removed.
const lockName = "lock"

// tempPrefix and tempSuffix name a snapshot being written.
const (
	tempPrefix = ".snapshot-"
	tempSuffix = ".tmp"
)

// lockDir takes the directory's writer lock without waiting.
func lockDir(dir string) (unlock func(), err error) {
	f, err := os.OpenFile(filepath.Join(dir, lockName), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("snapshot: lock %s: %w", dir, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("snapshot: %s: %w", dir, ErrBusy)
		}
		return nil, fmt.Errorf("snapshot: lock %s: %w", dir, err)
	}
	return func() { f.Close() }, nil // closing releases the lock
}

// removeTemps removes the files a writer that crashed left behind. The
// caller holds the lock, so no live writer owns one.
func removeTemps(dir string) error {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	for _, e := range ents {
		if n := e.Name(); strings.HasPrefix(n, tempPrefix) && strings.HasSuffix(n, tempSuffix) {
			if err := os.Remove(filepath.Join(dir, n)); err != nil && !errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("snapshot: remove %s: %w", n, err)
			}
		}
	}
	return nil
}
