package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"vaxtrace"
)

// Meta returns the value stored under k in the store's meta table (key
// fingerprints, schema version); ok is false when there is none.
func (d *DB) Meta(ctx context.Context, k string) (v string, ok bool, err error) {
	err = d.pool.QueryRow(ctx, "SELECT v FROM meta WHERE k = $1", k).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("postgres: read meta %s: %w", k, err)
	}
	return v, true, nil
}

// PutMetaIfAbsent stores v under k unless a value is already there, and
// returns the value the store holds afterwards (v, or the one another node
// stored first). On a hot standby it fails with EUNAVAILABLE.
func (d *DB) PutMetaIfAbsent(ctx context.Context, k, v string) (string, error) {
	if d.standby {
		return "", errStandby()
	}
	if _, err := d.pool.Exec(ctx, "INSERT INTO meta(k, v) VALUES ($1, $2) ON CONFLICT (k) DO NOTHING", k, v); err != nil {
		return "", fmt.Errorf("postgres: write meta %s: %w", k, err)
	}
	got, ok, err := d.Meta(ctx, k)
	if err == nil && !ok {
		err = fmt.Errorf("postgres: meta %s vanished after writing it", k)
	}
	return got, err
}

// Initialized reports whether the database named by url exists and holds a
// vaxtrace schema, without creating or migrating anything. Commands that
// only read a store check it first, so that a mistyped database name is
// refused instead of becoming a new empty store.
func Initialized(ctx context.Context, url string) (bool, error) {
	pcfg, err := pgxpool.ParseConfig(url) // accepts pool settings such as pool_max_conns
	if err != nil {
		return false, fmt.Errorf("postgres: %w", err)
	}
	cfg := pcfg.ConnConfig
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return false, fmt.Errorf("postgres: connect to %s: %w", describe(cfg), err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var ok bool
	if err := conn.QueryRow(ctx, "SELECT to_regclass('schema_migrations') IS NOT NULL AND to_regclass('events') IS NOT NULL").Scan(&ok); err != nil {
		return false, fmt.Errorf("postgres: %w", err)
	}
	return ok, nil
}

// ChainLink implements vaxtrace.ChainLinker: the stored chain hash of
// event seq (nil for seq 0).
func (d *DB) ChainLink(ctx context.Context, seq uint64) ([]byte, error) {
	if seq == 0 {
		return nil, nil
	}
	var c []byte
	err := d.pool.QueryRow(ctx, "SELECT chain FROM events WHERE seq = $1", int64(seq)).Scan(&c)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("postgres: chain link of event %d: %w", seq, vaxtrace.ErrNoEvent)
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: chain link of event %d: %w", seq, err)
	}
	return c, nil
}
