// Command vaxtrace is the single binary of vaxtrace: the API server with the
// embedded dashboard, the March 2021 demo, imports, exports, reports, the
// invariant check, operations and benchmarks.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"

	"vaxtrace"
)

type command struct {
	name, usage string
	run         func(ctx context.Context, args []string) error
}

var commands []command

func register(name, usage string, run func(ctx context.Context, args []string) error) {
	commands = append(commands, command{name, usage, run})
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "vaxtrace — the vaccine supply-to-arm ledger\n\nusage: vaxtrace <command> [flags]\n\ncommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.usage)
	}
	fmt.Fprintln(w, "\nRun 'vaxtrace <command> -h' for a command's flags. Environment: VAXTRACE_DB (store: SQLite path or postgres:// URL), VAXTRACE_ADDR, VAXTRACE_KEYS (personal-data key file), VAXTRACE_CERTS (certificate authority directory), VAXTRACE_SNAPSHOT_DIR (state snapshots).")
}

// tuneGC trades memory for CPU: the state is large and long-lived, so the
// default GOGC=100 spends a quarter of the ingest path marking it again and
// again. GOGC=400 with a soft memory limit at 70% of physical memory keeps
// collections rare without letting the heap outgrow the machine. GOGC and
// GOMEMLIMIT in the environment win.
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		if b, err := os.ReadFile("/proc/meminfo"); err == nil {
			var kb int64
			if _, err := fmt.Sscanf(string(b), "MemTotal: %d kB", &kb); err == nil && kb > 0 {
				debug.SetMemoryLimit(kb * 1024 * 7 / 10)
			}
		}
	}
}

func main() {
	tuneGC()
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo})))
	if len(os.Args) < 2 || os.Args[1] == "-h" || os.Args[1] == "--help" || os.Args[1] == "help" {
		usage(os.Stdout)
		return
	}
	if err := vaxtrace.ZoneFromEnv(); err != nil {
		fmt.Fprintln(os.Stderr, "vaxtrace: "+describe(err))
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	for _, c := range commands {
		if c.name == os.Args[1] {
			if err := c.run(ctx, os.Args[2:]); err != nil {
				if errors.Is(err, flag.ErrHelp) {
					return
				}
				fmt.Fprintln(os.Stderr, "vaxtrace "+c.name+": "+describe(err))
				os.Exit(1)
			}
			return
		}
	}
	fmt.Fprintf(os.Stderr, "vaxtrace: unknown command %q\n\n", os.Args[1])
	usage(os.Stderr)
	os.Exit(2)
}

func describe(err error) string {
	var e *vaxtrace.Error
	if errors.As(err, &e) {
		return e.Error()
	}
	return err.Error()
}

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// storeFlags are the flags every command that opens the store shares.
type storeFlags struct {
	db, keys, certs string
	readOnly        bool   // serve --read-only: no migrations, writes refused
	snapDir         string // the state starts from a snapshot here (serve --snapshot-dir)
}

func (s *storeFlags) add(fs *flag.FlagSet) {
	fs.StringVar(&s.db, "db", env("VAXTRACE_DB", "vaxtrace.db"), "store: SQLite file path, or a postgres:// URL")
	fs.StringVar(&s.keys, "keys", env("VAXTRACE_KEYS", ""), "personal-data key file (default: <db>.keys beside a SQLite file; required for PostgreSQL)")
	fs.Func("tz", "deployment time zone that cuts every day, an IANA name (default: "+vaxtrace.ZoneEnv+" or "+vaxtrace.DefaultZone+")", func(name string) error {
		loc, err := vaxtrace.LoadZone(name)
		if err == nil {
			vaxtrace.SetZone(loc)
		}
		return err
	})
}

// addCerts adds --certs for commands that use the certificate authority.
func (s *storeFlags) addCerts(fs *flag.FlagSet) {
	fs.StringVar(&s.certs, "certs", env("VAXTRACE_CERTS", ""), "certificate authority directory (default: <db>.certs beside a SQLite file; for PostgreSQL the key file's name with .certs for .keys)")
}

// keyPath is the personal-data key file. For a SQLite store it sits beside
// the database; a PostgreSQL store is shared by nodes on several machines, so
// its key file must be named (the current directory is no place for keys).
func (s *storeFlags) keyPath() (string, error) {
	if s.keys != "" {
		return s.keys, nil
	}
	if isPostgres(s.db) {
		return "", vaxtrace.FieldError("keys", "a PostgreSQL store needs its personal-data key file named with --keys or VAXTRACE_KEYS "+
			"(for example /etc/vaxtrace/pii.keys, the same file on every node); vaxtrace does not guess where keys live")
	}
	return s.db + ".keys", nil
}

// certDir is the certificate authority directory.
func (s *storeFlags) certDir() (string, error) {
	if s.certs != "" {
		return s.certs, nil
	}
	if isPostgres(s.db) {
		k, err := s.keyPath()
		if err != nil {
			return "", err
		}
		return strings.TrimSuffix(k, ".keys") + ".certs", nil
	}
	return s.db + ".certs", nil
}

// where names the store for messages, without a password.
func (s *storeFlags) where() string {
	if isPostgres(s.db) {
		if u, err := url.Parse(s.db); err == nil {
			return u.Redacted()
		}
		return "the PostgreSQL store"
	}
	return s.db
}

func isPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}
