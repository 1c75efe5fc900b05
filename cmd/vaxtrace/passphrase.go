package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"golang.org/x/sys/unix"

	"vaxtrace"
)

// DefaultPassphraseEnv is the variable backup and restore read the backup
// passphrase from unless --passphrase-env names another. A passphrase is
// never taken as a flag value: process lists would show it.
const DefaultPassphraseEnv = "VAXTRACE_BACKUP_PASSPHRASE"

// minPassphrase is the shortest passphrase backup accepts.
const minPassphrase = 12

// passphraseFlag adds --passphrase-env.
func passphraseFlag(fs *flag.FlagSet) *string {
	return fs.String("passphrase-env", DefaultPassphraseEnv, "environment variable holding the backup passphrase (without it, a terminal prompt asks for it)")
}

// readPassphrase returns the backup passphrase from the environment
// variable named envName, or asks for it on the terminal without echo
// (twice when confirm is set). Without either it fails with a clear message.
func readPassphrase(envName string, confirm bool) ([]byte, error) {
	if envName == "" {
		return nil, vaxtrace.FieldError("passphrase-env", "must name an environment variable")
	}
	if v := os.Getenv(envName); v != "" {
		if confirm && len(v) < minPassphrase {
			return nil, vaxtrace.FieldError("passphrase-env", "the passphrase in %s is shorter than %d characters", envName, minPassphrase)
		}
		return []byte(v), nil
	}
	tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil {
		return nil, vaxtrace.FieldError("passphrase-env", "set the backup passphrase in %s (or the variable named by --passphrase-env), or run in a terminal to be asked for it", envName)
	}
	defer tty.Close()
	p, err := prompt(tty, "backup passphrase: ")
	if err != nil {
		return nil, err
	}
	if confirm {
		if len(p) < minPassphrase {
			return nil, vaxtrace.FieldError("passphrase-env", "the passphrase is shorter than %d characters", minPassphrase)
		}
		again, err := prompt(tty, "again: ")
		if err != nil {
			return nil, err
		}
		if string(again) != string(p) {
			return nil, vaxtrace.FieldError("passphrase-env", "the two passphrases differ")
		}
	}
	if len(p) == 0 {
		return nil, vaxtrace.FieldError("passphrase-env", "empty passphrase")
	}
	return p, nil
}

// prompt reads one line from the terminal with echo off.
func prompt(tty *os.File, label string) ([]byte, error) {
	fd := int(tty.Fd())
	old, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return nil, fmt.Errorf("terminal: %w", err)
	}
	quiet := *old
	quiet.Lflag &^= unix.ECHO
	quiet.Lflag |= unix.ICANON | unix.ISIG
	if err := unix.IoctlSetTermios(fd, unix.TCSETS, &quiet); err != nil {
		return nil, fmt.Errorf("terminal: %w", err)
	}
	defer unix.IoctlSetTermios(fd, unix.TCSETS, old)
	fmt.Fprint(tty, label)
	line, err := bufio.NewReader(tty).ReadString('\n')
	fmt.Fprintln(tty)
	if err != nil && !(errors.Is(err, os.ErrClosed) || line != "") {
		return nil, fmt.Errorf("terminal: %w", err)
	}
	return []byte(strings.TrimRight(line, "\r\n")), nil
}
