//go:build unix

package main

import (
	"syscall"
	"testing"
)

func TestRaiseOpenFilesLiftsSoftToHard(t *testing.T) {
	var orig syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &orig); err != nil {
		t.Skip(err)
	}
	if orig.Max < 128 {
		t.Skipf("hard limit %d too low to lower the soft one", orig.Max)
	}
	t.Cleanup(func() { syscall.Setrlimit(syscall.RLIMIT_NOFILE, &orig) })
	low := orig
	low.Cur = 64
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &low); err != nil {
		t.Skip(err)
	}
	if got := raiseOpenFiles(); got != orig.Max {
		t.Errorf("raiseOpenFiles = %d, want the hard limit %d", got, orig.Max)
	}
	var now syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &now); err != nil {
		t.Fatal(err)
	}
	if now.Cur != orig.Max {
		t.Errorf("soft limit after raiseOpenFiles = %d, want %d", now.Cur, orig.Max)
	}
}
