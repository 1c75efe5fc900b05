//go:build unix

package main

import (
	"log/slog"
	"syscall"
)

// raiseOpenFiles raises the process's soft limit on open files to the hard
// limit: every client connection holds a file descriptor, and a server
// under load must not fail its accepts with "too many open files" while
// the system would allow more. (Go raises it too when package os starts;
// doing it here makes the server's limit explicit and logged.) It returns
// the soft limit now in force.
func raiseOpenFiles() uint64 {
	var r syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &r); err != nil {
		slog.Warn("cannot read the open-files limit", "err", err)
		return 0
	}
	if r.Cur < r.Max {
		want := r
		want.Cur = r.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &want); err != nil {
			slog.Warn("cannot raise the open-files limit", "from", r.Cur, "to", r.Max, "err", err)
			return r.Cur
		}
		r = want
	}
	return r.Cur
}
