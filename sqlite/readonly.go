package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"

	"vaxtrace"
)

// ReadOnlyDB is a journal file opened read-only, for a read-only API node on
// the same machine as the writer (serve --read-only): nothing is migrated or
// created, Replay and Last read what the writer committed, and every write
// fails with EUNAVAILABLE before it reaches the file.
type ReadOnlyDB struct{ *DB }

// OpenReadOnly opens an existing journal file read-only (SQLite mode=ro).
func OpenReadOnly(path string) (*ReadOnlyDB, error) {
	ok, err := Exists(path)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("open %s read-only: no vaxtrace store there", path)
	}
	q := url.Values{}
	q.Set("mode", "ro")
	q.Set("_busy_timeout", "10000")
	db, err := sql.Open(DefaultDriver, "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open %s read-only: %w", path, err)
	}
	db.SetMaxOpenConns(4)
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s read-only: %w", path, err)
	}
	return &ReadOnlyDB{&DB{db: db, path: path, driver: DefaultDriver}}, nil
}

// ReadOnly reports true: the engine refuses writes on this journal.
func (d *ReadOnlyDB) ReadOnly() bool { return true }

func errReadOnly() error {
	return vaxtrace.Errorf(vaxtrace.EUNAVAILABLE, "this node opened the store read-only; writes go to the writer")
}

// Write refuses: the file is open read-only.
func (d *ReadOnlyDB) Write(context.Context, uint64, func(vaxtrace.Event) error, func(uint64) ([]vaxtrace.Event, error)) error {
	return errReadOnly()
}

// PutToken refuses: the file is open read-only.
func (d *ReadOnlyDB) PutToken(context.Context, vaxtrace.Token) error { return errReadOnly() }

// RevokeToken refuses: the file is open read-only.
func (d *ReadOnlyDB) RevokeToken(context.Context, string) error { return errReadOnly() }
