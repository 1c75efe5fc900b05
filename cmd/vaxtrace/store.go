package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"vaxtrace"
	"vaxtrace/certs"
	"vaxtrace/engine"
	"vaxtrace/keyring"
	"vaxtrace/pii"
	"vaxtrace/sqlite"
)

// openPostgres, openPostgresReadOnly and postgresInitialized are set by
// store_postgres.go.
var (
	openPostgres         func(ctx context.Context, dsn string) (vaxtrace.Journal, error)
	openPostgresReadOnly func(ctx context.Context, dsn string) (vaxtrace.Journal, error)
	postgresInitialized  func(ctx context.Context, dsn string) (bool, error)
)

// openJournalReadOnly opens an existing store for a read-only node: nothing
// is migrated or created and every write fails before it reaches the store.
func openJournalReadOnly(ctx context.Context, dsn string) (vaxtrace.Journal, error) {
	if isPostgres(dsn) {
		if openPostgresReadOnly == nil {
			return nil, fmt.Errorf("this build has no PostgreSQL engine")
		}
		return openPostgresReadOnly(ctx, dsn)
	}
	return sqlite.OpenReadOnly(dsn)
}

func openJournal(ctx context.Context, dsn string) (vaxtrace.Journal, error) {
	if isPostgres(dsn) {
		if openPostgres == nil {
			return nil, fmt.Errorf("this build has no PostgreSQL engine")
		}
		return openPostgres(ctx, dsn)
	}
	return sqlite.Open(dsn)
}

// mustExist refuses a store that does not exist yet, so that a mistyped
// --db is an error instead of a new, empty store that reports zeros.
func (s *storeFlags) mustExist(ctx context.Context) error {
	var ok bool
	var err error
	if isPostgres(s.db) {
		if postgresInitialized == nil {
			return fmt.Errorf("this build has no PostgreSQL engine")
		}
		ok, err = postgresInitialized(ctx, s.db)
	} else {
		ok, err = sqlite.Exists(s.db)
	}
	if err != nil {
		return err
	}
	if !ok {
		return vaxtrace.FieldError("db", "no vaxtrace store at %s: give the path or URL of an existing store "+
			"(a new one is made by vaxtrace migrate, demo, import, generate or restore)", s.where())
	}
	return nil
}

// openExisting opens an existing store (see mustExist) with its keys.
func (s *storeFlags) openExisting(ctx context.Context) (vaxtrace.Journal, *keyring.PII, error) {
	if err := s.mustExist(ctx); err != nil {
		return nil, nil, err
	}
	return s.openKeys(ctx)
}

// openKeys opens the journal and the personal-data keys, checked against
// the store's recorded fingerprint (package keyring).
func (s *storeFlags) openKeys(ctx context.Context) (vaxtrace.Journal, *keyring.PII, error) {
	path, err := s.keyPath()
	if err != nil {
		return nil, nil, err
	}
	open := openJournal
	if s.readOnly {
		open = openJournalReadOnly
	}
	j, err := open(ctx, s.db)
	if err != nil {
		return nil, nil, err
	}
	st, err := keyring.AsStore(j)
	if err == nil {
		var k *keyring.PII
		if k, err = keyring.OpenPII(ctx, st, path, slog.Default()); err == nil {
			return j, k, nil
		}
	}
	j.Close()
	return nil, nil, err
}

// open opens an existing store: the journal, the keys (checked) and the
// engine (rebuilding the state).
func (s *storeFlags) open(ctx context.Context, poll time.Duration) (*engine.Engine, *pii.Keys, error) {
	if err := s.mustExist(ctx); err != nil {
		return nil, nil, err
	}
	return s.openOrCreate(ctx, poll)
}

// openOrCreate is open for the commands that may make a new store (demo,
// generate, import): a missing SQLite file is created, an empty PostgreSQL
// database migrated, and new personal-data keys made for it.
func (s *storeFlags) openOrCreate(ctx context.Context, poll time.Duration) (*engine.Engine, *pii.Keys, error) {
	j, k, err := s.openKeys(ctx)
	if err != nil {
		return nil, nil, err
	}
	start := time.Now()
	// API nodes sharing PostgreSQL validate inside the write transaction
	// (serial group commits): another node's commit would otherwise force
	// a rebuild (engine/commit.go).
	eng, err := engine.Open(ctx, j, engine.Options{Poll: poll, ReadOnly: s.readOnly, Serial: isPostgres(s.db), Snapshots: s.snapDir})
	if err != nil {
		j.Close()
		return nil, nil, fmt.Errorf("open engine: %w", err)
	}
	st, _ := keyring.AsStore(j)
	if err := k.Prove(ctx, st, eng.Read, slog.Default()); err != nil {
		closeAll(eng)
		return nil, nil, err
	}
	var seq uint64
	eng.Read(func(st *vaxtrace.State) { seq = st.Seq })
	if s.snapDir == "" { // else the engine said how it started
		slog.Info("state rebuilt from journal", "events", seq, "took", time.Since(start).Round(time.Millisecond))
	}
	return eng, k.Keys, nil
}

// openCerts opens the store's certificate authority (checked against the
// recorded fingerprint and the issued certificates; made for a store that
// has none and has issued none).
func (s *storeFlags) openCerts(ctx context.Context, eng *engine.Engine) (*certs.Service, error) {
	dir, pass, err := s.certPassphrase()
	if err != nil {
		return nil, err
	}
	st, err := keyring.AsStore(eng.Journal())
	if err != nil {
		return nil, err
	}
	svc, err := keyring.OpenCerts(ctx, st, eng.Read, dir, pass, certs.Country, time.Now(), slog.Default())
	if err != nil {
		return nil, err
	}
	warnRotation(svc)
	return svc, nil
}

// loadCerts opens the existing authority without the state (trust list,
// rotation): it never makes one, and checks the recorded fingerprint.
func (s *storeFlags) loadCerts(ctx context.Context) (*certs.Service, error) {
	if err := s.mustExist(ctx); err != nil {
		return nil, err
	}
	dir, err := s.certDir()
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(dir, certs.AuthorityFile)); err != nil {
		return nil, fmt.Errorf("no certificate authority in %s (%w): a store gets one when `vaxtrace serve` starts or the first certificate is issued; "+
			"if this store already has one, point --certs (VAXTRACE_CERTS) at it or restore it from the store's backup", dir, err)
	}
	dir, pass, err := s.certPassphrase()
	if err != nil {
		return nil, err
	}
	j, err := openJournal(ctx, s.db)
	if err != nil {
		return nil, err
	}
	defer j.Close()
	st, err := keyring.AsStore(j)
	if err != nil {
		return nil, err
	}
	svc, err := keyring.LoadCerts(ctx, st, dir, pass, certs.Country)
	if err != nil {
		return nil, err
	}
	warnRotation(svc)
	return svc, nil
}

func (s *storeFlags) certPassphrase() (dir, pass string, err error) {
	if dir, err = s.certDir(); err != nil {
		return "", "", err
	}
	pass, fromFile, err := certs.PassphraseFromEnv(dir)
	if err != nil {
		return "", "", err
	}
	if fromFile {
		slog.Warn("SIGNING KEYS ARE SEALED WITH A PASSPHRASE STORED BESIDE THEM: set "+certs.PassphraseEnv+" in production",
			"passphrase_file", dir+"/"+certs.PassphraseFile)
	}
	return dir, pass, nil
}

func warnRotation(svc *certs.Service) {
	if svc.NeedsRotation(time.Now()) {
		slog.Warn("the active signing key expires within a year: certificates get a shortened validity; run `vaxtrace cert rotate`")
	}
}

func closeAll(eng *engine.Engine) {
	eng.Close()
	eng.Journal().Close()
}
