// Package sqlite implements the vaxtrace journal on an embedded SQLite file
// (WAL mode, synchronous=FULL: a committed group survives kill -9 and power
// loss). It is the default store: no server needed.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"strings"
	"time"

	"vaxtrace"
)

// DefaultDriver is the database/sql driver used by Open. Both drivers are
// registered (see drivers.go); README explains the measured choice.
var DefaultDriver = "sqlite3"

// DB is a journal in one SQLite file.
type DB struct {
	db     *sql.DB
	path   string
	driver string
	rd     readingTables // temperature readings (readings.go)
	w      writeConn     // the journal's writes (insert.go)
}

const schema = `
CREATE TABLE IF NOT EXISTS events (
	seq      INTEGER PRIMARY KEY,
	kind     TEXT    NOT NULL,
	key      TEXT    NOT NULL,
	actor    TEXT    NOT NULL,
	recorded INTEGER NOT NULL,
	hash     INTEGER NOT NULL,
	data     BLOB    NOT NULL,
	chain    BLOB    NOT NULL
);
CREATE TABLE IF NOT EXISTS tokens (
	hash    TEXT PRIMARY KEY,
	name    TEXT NOT NULL UNIQUE,
	role    TEXT NOT NULL,
	region  TEXT NOT NULL DEFAULT '',
	place   TEXT NOT NULL DEFAULT '',
	created INTEGER NOT NULL,
	revoked INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
INSERT OR IGNORE INTO meta(k, v) VALUES ('schema_version', '2');
`

// Open opens (creating if needed) the SQLite journal at path with the default driver.
func Open(path string) (*DB, error) { return OpenDriver(path, DefaultDriver) }

// OpenDriver opens the journal with a named driver ("sqlite3" = mattn/go-sqlite3, "sqlite" = modernc.org/sqlite).
func OpenDriver(path, driver string) (*DB, error) {
	var dsn string
	switch driver {
	case "sqlite3":
		q := url.Values{}
		q.Set("_journal_mode", "WAL")
		q.Set("_synchronous", "FULL")
		q.Set("_busy_timeout", "10000")
		q.Set("_txlock", "immediate")
		q.Set("_foreign_keys", "on")
		dsn = "file:" + path + "?" + q.Encode()
	case "sqlite":
		dsn = "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=busy_timeout(10000)&_txlock=immediate"
	default:
		return nil, fmt.Errorf("unknown sqlite driver %q", driver)
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	db.SetMaxOpenConns(4)
	if _, err := db.Exec(schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("migrate %s: %w", path, err)
	}
	if err := migrateChain(db); err != nil {
		db.Close()
		return nil, fmt.Errorf("migrate %s: %w", path, err)
	}
	if _, err := db.Exec(usersSchema); err != nil {
		db.Close()
		return nil, fmt.Errorf("migrate %s: users: %w", path, err)
	}
	return &DB{db: db, path: path, driver: driver}, nil
}

// Close closes the database.
func (d *DB) Close() error {
	d.w.close()
	return d.db.Close()
}

// SQL exposes the database for tools and benchmarks.
func (d *DB) SQL() *sql.DB { return d.db }

// Write implements vaxtrace.Journal.
func (d *DB) Write(ctx context.Context, after uint64, catchUp func(vaxtrace.Event) error, build func(next uint64) ([]vaxtrace.Event, error)) (err error) {
	d.w.mu.Lock()
	defer d.w.mu.Unlock()
	defer func() {
		if err != nil {
			d.w.drop() // the next write starts on a fresh connection
		}
	}()
	conn, err := d.w.get(ctx, d.db)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	tx, err := conn.BeginTx(ctx, nil) // BEGIN IMMEDIATE: one writer across processes
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	last, prev, err := d.w.head(ctx)
	if err != nil {
		return err
	}
	// events after the caller's: other writers' (or a journal behind the
	// caller's state, which the replay then reports as it finds it)
	if catchUp != nil && last != after {
		if err := replayTx(ctx, tx, after, catchUp); err != nil {
			return err
		}
	}
	evs, err := build(last + 1)
	if err != nil {
		return err
	}
	if len(evs) == 0 {
		return tx.Commit()
	}
	if err := d.w.insertEvents(ctx, evs, last+1, prev); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

type queryer interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

const selectEvents = "SELECT seq, kind, key, actor, recorded, hash, data, chain FROM events WHERE seq > ? ORDER BY seq"

// chainAt returns the chain hash of event seq (nil for seq 0), the link a
// replay after seq starts from.
func chainAt(ctx context.Context, q queryer, seq uint64) ([]byte, error) {
	if seq == 0 {
		return nil, nil
	}
	var c []byte
	err := q.QueryRowContext(ctx, "SELECT chain FROM events WHERE seq = ?", int64(seq)).Scan(&c)
	if errors.Is(err, sql.ErrNoRows) {
		// after the end there is nothing to replay; before it, a hole
		var later bool
		if err := q.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM events WHERE seq > ?)", int64(seq)).Scan(&later); err != nil {
			return nil, fmt.Errorf("replay: %w", err)
		}
		if later {
			return nil, &vaxtrace.JournalDamage{Seq: seq, Reason: "event missing (later events exist)"}
		}
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("replay: %w", err)
	}
	return c, nil
}

// verify checks r against its predecessor's seq and chain hash.
func (r *rawEvent) verify(ch *vaxtrace.Chain, prevSeq uint64, prev []byte) error {
	return ch.Verify(prevSeq, prev, uint64(r.seq), r.kind, r.key, r.actor, r.rec, uint64(r.hash), r.data, r.chain)
}

func (r *rawEvent) event() (vaxtrace.Event, error) {
	p, err := vaxtrace.DecodePayload(r.kind, r.data)
	if err != nil {
		return vaxtrace.Event{}, &vaxtrace.JournalDamage{Seq: uint64(r.seq), Reason: fmt.Sprintf("cannot decode %s: %v", r.kind, err)}
	}
	return vaxtrace.Event{Seq: uint64(r.seq), Kind: r.kind, Key: r.key, Actor: r.actor, Recorded: time.Unix(0, r.rec).UTC(), Hash: uint64(r.hash), Data: p}, nil
}

// replayTx replays sequentially inside a transaction (a writer's catch-up),
// verifying the chain.
func replayTx(ctx context.Context, q queryer, after uint64, fn func(vaxtrace.Event) error) error {
	prev, err := chainAt(ctx, q, after)
	if err != nil {
		return err
	}
	rows, err := q.QueryContext(ctx, selectEvents, int64(after))
	if err != nil {
		return fmt.Errorf("replay: %w", err)
	}
	defer rows.Close()
	ch := vaxtrace.NewChain()
	prevSeq := after
	for rows.Next() {
		var r rawEvent
		if err := rows.Scan(&r.seq, &r.kind, &r.key, &r.actor, &r.rec, &r.hash, &r.data, &r.chain); err != nil {
			return fmt.Errorf("replay scan: %w", err)
		}
		if err := r.verify(ch, prevSeq, prev); err != nil {
			return err
		}
		prevSeq, prev = uint64(r.seq), r.chain
		ev, err := r.event()
		if err != nil {
			return err
		}
		if err := fn(ev); err != nil {
			return err
		}
	}
	return rows.Err()
}

// Replay implements vaxtrace.Journal. Rows are read in one goroutine,
// decoded by one per CPU and handed to fn in order, so decoding overlaps
// with the caller's work (rebuilding the state).
func (d *DB) Replay(ctx context.Context, after uint64, fn func(vaxtrace.Event) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type batch struct {
		prevSeq uint64 // the event before rows[0]
		prev    []byte // and its chain hash
		rows    []rawEvent
		evs     []vaxtrace.Event
		err     error
		done    chan struct{}
	}
	ordered := make(chan *batch, 8)
	work := make(chan *batch, 8)
	var scanErr error
	go func() {
		defer close(ordered)
		defer close(work)
		prev, err := chainAt(ctx, d.db, after)
		if err != nil {
			scanErr = err
			return
		}
		rows, err := d.db.QueryContext(ctx, selectEvents, int64(after))
		if err != nil {
			scanErr = fmt.Errorf("replay: %w", err)
			return
		}
		defer rows.Close()
		b := &batch{prevSeq: after, prev: prev, done: make(chan struct{})}
		send := func() bool {
			last := b.rows[len(b.rows)-1] // before a worker owns b
			select {
			case ordered <- b:
			case <-ctx.Done():
				return false
			}
			select {
			case work <- b:
			case <-ctx.Done():
				return false
			}
			b = &batch{prevSeq: uint64(last.seq), prev: last.chain, done: make(chan struct{})}
			return true
		}
		for rows.Next() {
			var r rawEvent
			if err := rows.Scan(&r.seq, &r.kind, &r.key, &r.actor, &r.rec, &r.hash, &r.data, &r.chain); err != nil {
				scanErr = fmt.Errorf("replay scan: %w", err)
				return
			}
			b.rows = append(b.rows, r)
			if len(b.rows) == 2048 && !send() {
				return
			}
		}
		if err := rows.Err(); err != nil {
			scanErr = err
			return
		}
		if len(b.rows) > 0 {
			send()
		}
	}()
	for range max(1, runtime.NumCPU()) {
		go func() {
			ch := vaxtrace.NewChain()
			for b := range work {
				b.evs = make([]vaxtrace.Event, 0, len(b.rows))
				prevSeq, prev := b.prevSeq, b.prev
				for i := range b.rows {
					r := &b.rows[i]
					if b.err = r.verify(ch, prevSeq, prev); b.err != nil {
						break
					}
					prevSeq, prev = uint64(r.seq), r.chain
					ev, err := r.event()
					if err != nil {
						b.err = err
						break
					}
					b.evs = append(b.evs, ev)
				}
				b.rows = nil
				close(b.done)
			}
		}()
	}
	for b := range ordered {
		<-b.done
		// events before a damaged one are still delivered, so the caller
		// stops exactly at the first bad seq
		for _, ev := range b.evs {
			if err := fn(ev); err != nil {
				return err
			}
		}
		if b.err != nil {
			return b.err
		}
	}
	return scanErr
}

type rawEvent struct {
	seq, rec, hash   int64
	kind, key, actor string
	data, chain      []byte
}

// Last implements vaxtrace.Journal.
func (d *DB) Last(ctx context.Context) (uint64, error) {
	var last int64
	err := d.db.QueryRowContext(ctx, "SELECT COALESCE(MAX(seq), 0) FROM events").Scan(&last)
	return uint64(last), err
}

// PutToken implements vaxtrace.Journal.
func (d *DB) PutToken(ctx context.Context, t vaxtrace.Token) error {
	_, err := d.db.ExecContext(ctx, "INSERT INTO tokens(hash, name, role, region, place, created) VALUES (?,?,?,?,?,?)",
		t.Hash, t.Principal.Name, t.Principal.Role, t.Principal.Region, t.Principal.Place, t.Created)
	if err != nil && strings.Contains(err.Error(), "UNIQUE") {
		return vaxtrace.Errorf(vaxtrace.ECONFLICT, "a token named %q already exists", t.Principal.Name)
	}
	return err
}

// TokenByHash implements vaxtrace.Journal.
func (d *DB) TokenByHash(ctx context.Context, hash string) (vaxtrace.Token, error) {
	var t vaxtrace.Token
	var revoked int
	err := d.db.QueryRowContext(ctx, "SELECT hash, name, role, region, place, created, revoked FROM tokens WHERE hash = ?", hash).
		Scan(&t.Hash, &t.Principal.Name, &t.Principal.Role, &t.Principal.Region, &t.Principal.Place, &t.Created, &revoked)
	if errors.Is(err, sql.ErrNoRows) || revoked != 0 {
		return t, vaxtrace.Errorf(vaxtrace.EUNAUTHORIZED, "unknown or revoked token")
	}
	return t, err
}

// Tokens implements vaxtrace.Journal.
func (d *DB) Tokens(ctx context.Context) ([]vaxtrace.Token, error) {
	rows, err := d.db.QueryContext(ctx, "SELECT hash, name, role, region, place, created, revoked FROM tokens ORDER BY name")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []vaxtrace.Token
	for rows.Next() {
		var t vaxtrace.Token
		var revoked int
		if err := rows.Scan(&t.Hash, &t.Principal.Name, &t.Principal.Role, &t.Principal.Region, &t.Principal.Place, &t.Created, &revoked); err != nil {
			return nil, err
		}
		t.Revoked = revoked != 0
		out = append(out, t)
	}
	return out, rows.Err()
}

// RevokeToken implements vaxtrace.Journal.
func (d *DB) RevokeToken(ctx context.Context, name string) error {
	r, err := d.db.ExecContext(ctx, "UPDATE tokens SET revoked = 1 WHERE name = ?", name)
	if err != nil {
		return err
	}
	if n, _ := r.RowsAffected(); n == 0 {
		return vaxtrace.NotFound("name", "no token named %q", name)
	}
	return nil
}

// Backup writes a consistent snapshot with VACUUM INTO (online: readers and
// the writer keep going).
func (d *DB) Backup(ctx context.Context, path string) error {
	_, err := d.db.ExecContext(ctx, "VACUUM INTO ?", path)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	return nil
}
