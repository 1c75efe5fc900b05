package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
)

// Meta returns the value stored under k in the store's meta table (key
// fingerprints, schema version); ok is false when there is none.
func (d *DB) Meta(ctx context.Context, k string) (v string, ok bool, err error) {
	err = d.db.QueryRowContext(ctx, "SELECT v FROM meta WHERE k = ?", k).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("sqlite: read meta %s: %w", k, err)
	}
	return v, true, nil
}

// PutMetaIfAbsent stores v under k unless a value is already there, and
// returns the value the store holds afterwards (v, or the earlier one). The
// write is durable before it returns.
func (d *DB) PutMetaIfAbsent(ctx context.Context, k, v string) (string, error) {
	if _, err := d.db.ExecContext(ctx, "INSERT OR IGNORE INTO meta(k, v) VALUES (?, ?)", k, v); err != nil {
		return "", fmt.Errorf("sqlite: write meta %s: %w", k, err)
	}
	got, ok, err := d.Meta(ctx, k)
	if err == nil && !ok {
		err = fmt.Errorf("sqlite: meta %s vanished after writing it", k)
	}
	return got, err
}

// Exists reports whether a SQLite store exists at path (a non-empty file).
// Commands that only read a store check it first, so that a mistyped path
// is refused instead of becoming a new empty store.
func Exists(path string) (bool, error) {
	st, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if st.IsDir() {
		return false, fmt.Errorf("%s is a directory", path)
	}
	return st.Size() > 0, nil
}
