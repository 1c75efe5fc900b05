package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"vaxtrace"
	"vaxtrace/engine"
	"vaxtrace/pii"
	"vaxtrace/sqlite"
)

// openPostgres is set by store_postgres.go.
var openPostgres func(ctx context.Context, dsn string) (vaxtrace.Journal, error)

func openJournal(ctx context.Context, dsn string) (vaxtrace.Journal, error) {
	if isPostgres(dsn) {
		if openPostgres == nil {
			return nil, fmt.Errorf("this build has no PostgreSQL engine")
		}
		return openPostgres(ctx, dsn)
	}
	return sqlite.Open(dsn)
}

// open opens the journal, the keys and the engine (rebuilding the state).
func (s *storeFlags) open(ctx context.Context, poll time.Duration) (*engine.Engine, *pii.Keys, error) {
	j, err := openJournal(ctx, s.db)
	if err != nil {
		return nil, nil, err
	}
	keys, err := pii.LoadOrCreate(s.keyPath())
	if err != nil {
		j.Close()
		return nil, nil, err
	}
	start := time.Now()
	eng, err := engine.Open(ctx, j, engine.Options{Poll: poll})
	if err != nil {
		j.Close()
		return nil, nil, fmt.Errorf("open engine: %w", err)
	}
	var seq uint64
	eng.Read(func(st *vaxtrace.State) { seq = st.Seq })
	slog.Info("state rebuilt from journal", "events", seq, "took", time.Since(start).Round(time.Millisecond))
	return eng, keys, nil
}

func closeAll(eng *engine.Engine) {
	eng.Close()
	eng.Journal().Close()
}
