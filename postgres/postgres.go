// Package postgres implements the vaxtrace journal (vaxtrace.Journal) on
// PostgreSQL, for deployments where several API nodes share one store. It
// passes the same conformance suite as the SQLite journal (package
// journaltest).
//
// # Writers on several nodes
//
// Every node keeps the full derived state in memory and validates commands
// against it, so two nodes must never decide against stale state. Write
// therefore serialises write transactions across all nodes of a database:
//
//	BEGIN (READ COMMITTED)
//	SELECT pg_advisory_xact_lock(journalLock)    -- one writer at a time, all nodes
//	SELECT max(seq) FROM events                  -- same round trip as the lock
//	SELECT ... FROM events WHERE seq > after     -- catchUp: what other nodes committed
//	build(max+1)                                 -- validate against the caught-up state
//	INSERT ... / COPY events                     -- small batches / bulk batches
//	COMMIT                                       -- synchronous_commit=on: durable
//
// The advisory lock is released only after the commit is visible, and under
// READ COMMITTED every statement after the lock takes a fresh snapshot, so
// the writer that takes the lock next sees every committed event. (REPEATABLE
// READ would take its snapshot before the lock wait and miss them: Write sets
// the isolation level explicitly.) Sequence numbers are max(seq)+1 under the
// lock, hence dense and in commit order: a reader never sees seq n+1 without
// seq n, which is what lets Replay page by seq. This gives the guarantees the
// SQLite journal gets from BEGIN IMMEDIATE: no lot goes below zero and no
// person gets two first doses even when nodes race.
//
// Open refuses synchronous_commit=off in the connection settings and sets it
// to on when unset: Write must not acknowledge what a crash can lose.
//
// # Schema
//
// Migrations are SQL files embedded in the binary (migrations/NNNN_name.sql)
// and recorded in schema_migrations; Open applies missing ones under an
// advisory lock, so nodes starting together do not race. Migrate is exported
// for the `vaxtrace migrate` command. On a hot standby (pg_is_in_recovery)
// Open migrates nothing, checks that the primary's schema is exactly this
// build's, and returns a read-only journal (ReadOnly; Write, PutToken and
// RevokeToken fail with EUNAVAILABLE) for read nodes.
//
//   - events(seq bigint primary key, kind, key, actor text, recorded bigint
//     Unix nanoseconds, hash bigint, data bytea, chain bytea). chain is the
//     SHA-256 link to the previous event (vaxtrace.Chain), computed by Write
//     and verified by Replay. hash is the uint64 content
//     hash as its two's-complement bigint (values ≥ 2^63 are negative in SQL
//     and round-trip exactly). recorded keeps full nanosecond precision, which
//     timestamptz (microseconds) would not.
//   - data is bytea, not jsonb. The journal is the source of truth and is only
//     ever read back whole by Replay; bytea keeps the bytes exactly as
//     vaxtrace.EncodePayload produced them (jsonb reorders keys and drops
//     duplicates), costs the server no JSON parsing on the ingest path (COPY of
//     millions of doses) and none on output during replays, and binary COPY
//     sends it as is. Ad-hoc SQL can still look inside:
//     convert_from(data, 'UTF8')::jsonb ->> 'lot'.
//   - a partial UNIQUE index on non-empty keys: the engine refuses reused
//     idempotency keys from memory; the index is defence in depth against a
//     writer that bypassed the lock or catch-up.
//   - tokens (same columns as the SQLite store; revoked is a boolean) and meta
//     (schema_version).
//
// # Ingest and replay
//
// Write inserts batches of fewer than CopyThreshold events with one multi-row
// INSERT, larger ones (the bulk ingest path) with binary COPY. Replay pages
// through the journal by primary key in batches of a few thousand rows
// (keyset pagination, no long-lived snapshot or connection) and decodes
// batches on all cores while the caller applies earlier ones in order, so
// replaying 40 M events runs in bounded memory and is not limited to one
// core's JSON decoding speed.
//
// # Backup and restore
//
// Backup runs `pg_dump --format=custom` (a consistent snapshot, online) with
// the host, port, user, password, database and sslmode of the pool's
// configuration, passed through libpq environment variables. Restore runs
// pg_restore in a single transaction into an existing, empty database. Both
// need the PostgreSQL client programs (package postgresql-client) of at least
// the server's major version on PATH.
//
// # Tests
//
// postgres_test.go runs the journaltest conformance suite against a server
// named by VAXTRACE_PG_URL (default
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable); every test uses
// its own freshly created database, dropped afterwards. Without a reachable
// server the tests skip, except in CI (CI=true) where they fail.
// scripts/pg-test-setup.sh provisions such a server.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"vaxtrace"
)

// Advisory lock keys (per database). journalLock serialises Write across all
// nodes; migrateLock serialises migrations.
const (
	journalLock int64 = 0x7661787472616365 // "vaxtrace"
	migrateLock int64 = journalLock + 1
)

// CopyThreshold is the batch size from which Write uses COPY instead of a
// multi-row INSERT (see BenchmarkWrite).
const CopyThreshold = 64

// ReplayBatch is the number of events Replay fetches per query.
const ReplayBatch = 4096

// DB is a journal in one PostgreSQL database.
type DB struct {
	pool *pgxpool.Pool
	conn *pgx.ConnConfig // for pg_dump

	replayBatch   int
	copyThreshold int
	standby       bool // a hot standby: read-only

	rd readingCache // temperature readings (readings.go)
}

// Open connects to the database named by url (a postgres:// URL or a
// keyword/value string, including pgxpool settings such as pool_max_conns)
// and applies missing migrations.
func Open(ctx context.Context, url string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return OpenConfig(ctx, cfg)
}

// OpenConfig is Open with a parsed pool configuration.
func OpenConfig(ctx context.Context, cfg *pgxpool.Config) (*DB, error) {
	return openConfig(ctx, cfg, false)
}

func openConfig(ctx context.Context, cfg *pgxpool.Config, readOnly bool) (*DB, error) {
	cfg = cfg.Copy()
	rp := cfg.ConnConfig.RuntimeParams
	if rp == nil {
		rp = map[string]string{}
		cfg.ConnConfig.RuntimeParams = rp
	}
	switch strings.ToLower(rp["synchronous_commit"]) {
	case "":
		rp["synchronous_commit"] = "on"
	case "off", "false", "0", "no":
		return nil, errors.New("postgres: synchronous_commit=off would acknowledge writes that a crash can lose; the journal needs durable commits")
	}
	if rp["application_name"] == "" {
		rp["application_name"] = "vaxtrace"
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %s: %w", describe(cfg.ConnConfig), err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: connect to %s: %w", describe(cfg.ConnConfig), err)
	}
	d := &DB{pool: pool, conn: cfg.ConnConfig.Copy(), replayBatch: ReplayBatch, copyThreshold: CopyThreshold}
	if err := pool.QueryRow(ctx, "SELECT pg_is_in_recovery()").Scan(&d.standby); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if d.standby || readOnly {
		d.standby = true
		err = d.checkStandbySchema(ctx)
	} else {
		err = d.Migrate(ctx)
	}
	if err != nil {
		pool.Close()
		return nil, err
	}
	return d, nil
}

// ReadOnly reports whether the database is a hot standby (a streaming
// replica). Such a journal replays, catches up and serves tokens, but Write
// fails with EUNAVAILABLE: writes go to the primary.
func (d *DB) ReadOnly() bool { return d.standby }

// checkStandbySchema verifies, on a hot standby where nothing can be
// migrated, that the primary has migrated to exactly this build's schema.
func (d *DB) checkStandbySchema(ctx context.Context) error {
	ms, err := loadMigrations()
	if err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	latest := ms[len(ms)-1].version
	var exists bool
	if err := d.pool.QueryRow(ctx, "SELECT to_regclass('schema_migrations') IS NOT NULL").Scan(&exists); err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	v := 0
	if exists {
		if v, err = d.SchemaVersion(ctx); err != nil {
			return err
		}
	}
	switch {
	case v < latest:
		return fmt.Errorf("postgres: this hot standby has schema version %d, this build needs %d: run `vaxtrace migrate` against the primary", v, latest)
	case v > latest:
		return fmt.Errorf("postgres: the database schema is at version %d, newer than this build knows (%d); upgrade vaxtrace", v, latest)
	}
	return nil
}

func errStandby() error {
	return vaxtrace.Errorf(vaxtrace.EUNAVAILABLE, "this node reads a hot standby; writes go to the primary")
}

// describe names a server without its password.
func describe(c *pgx.ConnConfig) string {
	return fmt.Sprintf("%s:%d/%s as %s", c.Host, c.Port, c.Database, c.User)
}

// Close closes the pool.
func (d *DB) Close() error {
	d.pool.Close()
	return nil
}

// Pool exposes the connection pool for tools and tests.
func (d *DB) Pool() *pgxpool.Pool { return d.pool }

// ---- migrations

//go:embed migrations/*.sql
var migrationFiles embed.FS

type migration struct {
	version int
	name    string
	sql     string
}

func loadMigrations() ([]migration, error) {
	ents, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, e := range ents {
		base, ok := strings.CutSuffix(e.Name(), ".sql")
		if !ok {
			continue
		}
		num, name, _ := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if err != nil || v <= 0 {
			return nil, fmt.Errorf("migration file %s: name must be NNNN_name.sql", e.Name())
		}
		b, err := migrationFiles.ReadFile("migrations/" + e.Name())
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: name, sql: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	for i := 1; i < len(out); i++ {
		if out[i].version == out[i-1].version {
			return nil, fmt.Errorf("two migrations numbered %d", out[i].version)
		}
	}
	return out, nil
}

// Migrate applies the embedded migrations the database has not seen yet, each
// in its own transaction under an advisory lock (safe when several nodes
// start at once). It fails if the database was migrated by a newer build.
func (d *DB) Migrate(ctx context.Context) error {
	if d.standby {
		return fmt.Errorf("postgres: cannot migrate a hot standby; migrate the primary")
	}
	ms, err := loadMigrations()
	if err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	for _, m := range ms {
		if err := d.migrate(ctx, m); err != nil {
			return fmt.Errorf("postgres: migration %04d_%s: %w", m.version, m.name, err)
		}
	}
	v, err := d.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	if latest := ms[len(ms)-1].version; v > latest {
		return fmt.Errorf("postgres: the database schema is at version %d, newer than this build knows (%d); upgrade vaxtrace", v, latest)
	}
	return nil
}

func (d *DB) migrate(ctx context.Context, m migration) error {
	tx, err := d.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", migrateLock); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
	version    integer     PRIMARY KEY,
	name       text        NOT NULL,
	applied_at timestamptz NOT NULL DEFAULT now()
)`); err != nil {
		return err
	}
	var done bool
	if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = $1)", m.version).Scan(&done); err != nil {
		return err
	}
	if done {
		return tx.Commit(ctx)
	}
	// No arguments: pgx sends it with the simple protocol, which allows
	// several statements in one string.
	if _, err := tx.Exec(ctx, m.sql); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, "INSERT INTO schema_migrations(version, name) VALUES ($1, $2)", m.version, m.name); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, "INSERT INTO meta(k, v) VALUES ('schema_version', $1) ON CONFLICT (k) DO UPDATE SET v = EXCLUDED.v", strconv.Itoa(m.version)); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// SchemaVersion returns the highest applied migration (0 for none).
func (d *DB) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := d.pool.QueryRow(ctx, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations").Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("postgres: schema version: %w", err)
	}
	return v, nil
}

// ---- journal

const eventColumns = "seq, kind, key, actor, recorded, hash, data, chain"

var insertSQLs sync.Map // int -> string

// insertSQL returns a multi-row INSERT of n events.
func insertSQL(n int) string {
	if s, ok := insertSQLs.Load(n); ok {
		return s.(string)
	}
	var b strings.Builder
	b.WriteString("INSERT INTO events(" + eventColumns + ") VALUES ")
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		p := i*8 + 1
		fmt.Fprintf(&b, "($%d,$%d,$%d,$%d,$%d,$%d,$%d,$%d)", p, p+1, p+2, p+3, p+4, p+5, p+6, p+7)
	}
	s := b.String()
	insertSQLs.Store(n, s)
	return s
}

// Write implements vaxtrace.Journal; see the package comment for the protocol.
func (d *DB) Write(ctx context.Context, after uint64, catchUp func(vaxtrace.Event) error, build func(next uint64) ([]vaxtrace.Event, error)) error {
	if d.standby {
		return errStandby()
	}
	tx, err := d.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted})
	if err != nil {
		return fmt.Errorf("postgres: begin: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))

	var b pgx.Batch
	b.Queue("SELECT pg_advisory_xact_lock($1)", journalLock)
	b.Queue("SELECT COALESCE(MAX(seq), 0), (SELECT chain FROM events ORDER BY seq DESC LIMIT 1) FROM events")
	br := tx.SendBatch(ctx, &b)
	_, err = br.Exec()
	var (
		last int64
		prev []byte // chain hash of seq last
	)
	if err == nil {
		err = br.QueryRow().Scan(&last, &prev)
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("postgres: lock journal: %w", err)
	}
	switch {
	case uint64(last) < after:
		return fmt.Errorf("postgres: the journal ends at seq %d but the writer has applied seq %d (a different or restored database?)", last, after)
	case uint64(last) > after:
		if err := d.replay(ctx, tx, after, uint64(last), catchUp); err != nil {
			return err
		}
	}
	next := uint64(last) + 1
	evs, err := build(next)
	if err != nil {
		return err
	}
	if len(evs) == 0 {
		return tx.Commit(ctx)
	}
	rows, err := rowsOf(evs, next, prev)
	if err != nil {
		return err
	}
	if len(evs) >= d.copyThreshold {
		err = copyEvents(ctx, tx, rows)
	} else {
		err = insertEvents(ctx, tx, rows)
	}
	if err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("postgres: commit: %w", err)
	}
	return nil
}

// rowsOf returns the column values of evs, checking that they carry
// consecutive seqs from next, each chained to the one before (prev is the
// chain hash of seq next-1).
func rowsOf(evs []vaxtrace.Event, next uint64, prev []byte) ([][]any, error) {
	ch := vaxtrace.NewChain()
	chains := make([]byte, 0, len(evs)*vaxtrace.ChainSize) // never grows: rows point into it
	rows := make([][]any, len(evs))
	for i := range evs {
		ev := &evs[i]
		if want := next + uint64(i); ev.Seq != want {
			return nil, fmt.Errorf("postgres: event seq %d out of order (want %d)", ev.Seq, want)
		}
		body, err := vaxtrace.EncodeEvent(*ev)
		if err != nil {
			return nil, fmt.Errorf("postgres: encode event %d: %w", ev.Seq, err)
		}
		rec := ev.Recorded.UnixNano()
		chains = ch.Next(chains, prev, ev.Seq, ev.Kind, ev.Key, ev.Actor, rec, ev.Hash, body)
		prev = chains[len(chains)-vaxtrace.ChainSize:]
		rows[i] = []any{int64(ev.Seq), ev.Kind, ev.Key, ev.Actor, rec, int64(ev.Hash), body, prev}
	}
	return rows, nil
}

func insertEvents(ctx context.Context, tx pgx.Tx, rows [][]any) error {
	args := make([]any, 0, len(rows)*8)
	for _, r := range rows {
		args = append(args, r...)
	}
	if _, err := tx.Exec(ctx, insertSQL(len(rows)), args...); err != nil {
		return insertError(err)
	}
	return nil
}

var copyColumns = strings.Split(strings.ReplaceAll(eventColumns, " ", ""), ",")

func copyEvents(ctx context.Context, tx pgx.Tx, rows [][]any) error {
	n, err := tx.CopyFrom(ctx, pgx.Identifier{"events"}, copyColumns, pgx.CopyFromRows(rows))
	if err != nil {
		return insertError(err)
	}
	if n != int64(len(rows)) {
		return fmt.Errorf("postgres: copy wrote %d of %d events", n, len(rows))
	}
	return nil
}

func insertError(err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" {
		what := "sequence number"
		if pe.ConstraintName == "events_key" {
			what = "idempotency key"
		}
		return fmt.Errorf("postgres: insert events: %s already journaled (a writer bypassed the journal lock or catch-up?): %w", what, err)
	}
	return fmt.Errorf("postgres: insert events: %w", err)
}

type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// replay passes fn every event with after < seq (<= upTo unless upTo is 0),
// in order. Decoding JSON is most of the cost of a replay, so it runs in a
// pipeline: one goroutine fetches pages of rows, GOMAXPROCS workers decode
// whole pages in parallel, and the caller's goroutine applies them in seq
// order. At most workers+2 pages are in memory. Only the fetcher uses q, and
// replay returns after every goroutine has stopped.
func (d *DB) replay(ctx context.Context, q querier, after, upTo uint64, fn func(vaxtrace.Event) error) error {
	workers := max(1, runtime.GOMAXPROCS(0))
	order := make(chan *page, workers+1) // pages in seq order, for the caller
	jobs := make(chan *page)             // pages to decode
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range jobs {
				p.decode()
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(jobs)
		defer close(order)
		d.fetch(ctx, q, after, upTo, order, jobs, stop)
	}()
	var err error
	for p := range order {
		if err != nil {
			continue // drain until the fetcher notices stop
		}
		r := <-p.done
		for _, ev := range r.evs {
			if err = fn(ev); err != nil {
				break
			}
		}
		if err == nil {
			err = r.err
		}
		if err != nil {
			close(stop)
		}
	}
	wg.Wait()
	return err
}

// page is one fetched batch of rows on its way to becoming events.
type page struct {
	prevSeq uint64 // the event before rows[0]
	prev    []byte // and its chain hash
	rows    []rawEvent
	done    chan decoded // receives exactly one result (buffered)
}

type rawEvent struct {
	seq, rec, hash   int64
	kind, key, actor string
	data, chain      []byte
}

type decoded struct {
	evs []vaxtrace.Event
	err error
}

// decode verifies the page's chain links and decodes its events. The events
// before a damaged one are kept, so that the caller stops exactly there.
func (p *page) decode() {
	evs := make([]vaxtrace.Event, 0, len(p.rows))
	ch := vaxtrace.NewChain()
	prevSeq, prev := p.prevSeq, p.prev
	for i := range p.rows {
		r := &p.rows[i]
		if err := ch.Verify(prevSeq, prev, uint64(r.seq), r.kind, r.key, r.actor, r.rec, uint64(r.hash), r.data, r.chain); err != nil {
			p.done <- decoded{evs: evs, err: err}
			return
		}
		prevSeq, prev = uint64(r.seq), r.chain
		pl, err := vaxtrace.DecodePayload(r.kind, r.data)
		if err != nil {
			p.done <- decoded{evs: evs, err: &vaxtrace.JournalDamage{Seq: uint64(r.seq), Reason: fmt.Sprintf("cannot decode %s: %v", r.kind, err)}}
			return
		}
		evs = append(evs, vaxtrace.Event{Seq: uint64(r.seq), Kind: r.kind, Key: r.key, Actor: r.actor, Recorded: time.Unix(0, r.rec).UTC(), Hash: uint64(r.hash), Data: pl})
	}
	p.done <- decoded{evs: evs}
}

// fetch pages through the journal, handing every page first to order (so
// the caller sees pages in seq order) and then to the decoders. A fetch
// error travels as an already decoded page.
func (d *DB) fetch(ctx context.Context, q querier, after, upTo uint64, order, jobs chan<- *page, stop <-chan struct{}) {
	limit := d.replayBatch
	if upTo == 0 {
		upTo = 1<<63 - 1
	}
	prevSeq := after
	prev, err := chainAt(ctx, q, after)
	if err != nil {
		p := &page{done: make(chan decoded, 1)}
		p.done <- decoded{err: err}
		select {
		case order <- p:
		case <-stop:
		}
		return
	}
	for after < upTo {
		select {
		case <-stop:
			return
		default:
		}
		rows, err := fetchPage(ctx, q, after, upTo, limit)
		p := &page{prevSeq: prevSeq, prev: prev, rows: rows, done: make(chan decoded, 1)}
		if err != nil {
			p.done <- decoded{err: err}
		}
		if err == nil && len(rows) == 0 {
			return
		}
		select {
		case order <- p:
		case <-stop:
			return
		}
		if err != nil {
			return
		}
		select {
		case jobs <- p:
		case <-stop:
			return
		}
		if len(rows) < limit {
			return
		}
		after = uint64(rows[len(rows)-1].seq)
		prevSeq, prev = after, rows[len(rows)-1].chain
	}
}

// chainAt returns the chain hash of event seq (nil for seq 0), the link a
// replay after seq starts from.
func chainAt(ctx context.Context, q querier, seq uint64) ([]byte, error) {
	if seq == 0 {
		return nil, nil
	}
	rows, err := q.Query(ctx, "SELECT chain FROM events WHERE seq = $1", int64(seq))
	if err != nil {
		return nil, fmt.Errorf("postgres: replay: %w", err)
	}
	defer rows.Close()
	var c []byte
	found := false
	for rows.Next() {
		if err := rows.Scan(&c); err != nil {
			return nil, fmt.Errorf("postgres: replay: %w", err)
		}
		found = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: replay: %w", err)
	}
	if !found {
		// after the end there is nothing to replay; before it, a hole
		var later bool
		if err := q.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM events WHERE seq > $1)", int64(seq)).Scan(&later); err != nil {
			return nil, fmt.Errorf("postgres: replay: %w", err)
		}
		if later {
			return nil, &vaxtrace.JournalDamage{Seq: seq, Reason: "event missing (later events exist)"}
		}
		return nil, nil
	}
	return c, nil
}

func fetchPage(ctx context.Context, q querier, after, upTo uint64, limit int) ([]rawEvent, error) {
	rows, err := q.Query(ctx, "SELECT "+eventColumns+" FROM events WHERE seq > $1 AND seq <= $2 ORDER BY seq LIMIT $3", int64(after), int64(upTo), limit)
	if err != nil {
		return nil, fmt.Errorf("postgres: replay: %w", err)
	}
	defer rows.Close()
	out := make([]rawEvent, 0, min(limit, 1024))
	for rows.Next() {
		var r rawEvent
		// Scan copies bytea into a new slice: it outlives the rows.
		if err := rows.Scan(&r.seq, &r.kind, &r.key, &r.actor, &r.rec, &r.hash, &r.data, &r.chain); err != nil {
			return nil, fmt.Errorf("postgres: replay scan: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: replay: %w", err)
	}
	return out, nil
}

// Replay implements vaxtrace.Journal. It pages through the journal by seq, so
// it holds no snapshot or connection while fn runs; events committed while it
// runs may or may not be included (never with a gap).
func (d *DB) Replay(ctx context.Context, after uint64, fn func(vaxtrace.Event) error) error {
	return d.replay(ctx, d.pool, after, 0, fn)
}

// Last implements vaxtrace.Journal.
func (d *DB) Last(ctx context.Context) (uint64, error) {
	var last int64
	if err := d.pool.QueryRow(ctx, "SELECT COALESCE(MAX(seq), 0) FROM events").Scan(&last); err != nil {
		return 0, fmt.Errorf("postgres: last seq: %w", err)
	}
	return uint64(last), nil
}

// ---- tokens

// PutToken implements vaxtrace.Journal.
func (d *DB) PutToken(ctx context.Context, t vaxtrace.Token) error {
	if d.standby {
		return errStandby()
	}
	_, err := d.pool.Exec(ctx, "INSERT INTO tokens(hash, name, role, region, place, created) VALUES ($1, $2, $3, $4, $5, $6)",
		t.Hash, t.Principal.Name, t.Principal.Role, t.Principal.Region, t.Principal.Place, t.Created)
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" {
		if pe.ConstraintName == "tokens_pkey" {
			return vaxtrace.Errorf(vaxtrace.ECONFLICT, "a token with this secret already exists")
		}
		return vaxtrace.Errorf(vaxtrace.ECONFLICT, "a token named %q already exists", t.Principal.Name)
	}
	if err != nil {
		return fmt.Errorf("postgres: put token: %w", err)
	}
	return nil
}

// TokenByHash implements vaxtrace.Journal.
func (d *DB) TokenByHash(ctx context.Context, hash string) (vaxtrace.Token, error) {
	var t vaxtrace.Token
	err := d.pool.QueryRow(ctx, "SELECT hash, name, role, region, place, created, revoked FROM tokens WHERE hash = $1", hash).
		Scan(&t.Hash, &t.Principal.Name, &t.Principal.Role, &t.Principal.Region, &t.Principal.Place, &t.Created, &t.Revoked)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && t.Revoked) {
		return vaxtrace.Token{}, vaxtrace.Errorf(vaxtrace.EUNAUTHORIZED, "unknown or revoked token")
	}
	if err != nil {
		return vaxtrace.Token{}, fmt.Errorf("postgres: token: %w", err)
	}
	return t, nil
}

// Tokens implements vaxtrace.Journal.
func (d *DB) Tokens(ctx context.Context) ([]vaxtrace.Token, error) {
	rows, err := d.pool.Query(ctx, "SELECT hash, name, role, region, place, created, revoked FROM tokens ORDER BY name")
	if err != nil {
		return nil, fmt.Errorf("postgres: tokens: %w", err)
	}
	defer rows.Close()
	var out []vaxtrace.Token
	for rows.Next() {
		var t vaxtrace.Token
		if err := rows.Scan(&t.Hash, &t.Principal.Name, &t.Principal.Role, &t.Principal.Region, &t.Principal.Place, &t.Created, &t.Revoked); err != nil {
			return nil, fmt.Errorf("postgres: tokens: %w", err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: tokens: %w", err)
	}
	return out, nil
}

// RevokeToken implements vaxtrace.Journal.
func (d *DB) RevokeToken(ctx context.Context, name string) error {
	if d.standby {
		return errStandby()
	}
	tag, err := d.pool.Exec(ctx, "UPDATE tokens SET revoked = true WHERE name = $1", name)
	if err != nil {
		return fmt.Errorf("postgres: revoke token: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return vaxtrace.NotFound("name", "no token named %q", name)
	}
	return nil
}

// ---- backup and restore

// PgDump and PgRestore are the client programs Backup and Restore run.
var (
	PgDump    = "pg_dump"
	PgRestore = "pg_restore"
)

// libpqEnv returns libpq environment variables that point a client program
// at the server and database of c. The password travels in the environment,
// not on the command line.
func libpqEnv(c *pgconn.Config) []string {
	env := []string{
		"PGHOST=" + c.Host,
		"PGPORT=" + strconv.Itoa(int(c.Port)),
		"PGDATABASE=" + c.Database,
		"PGUSER=" + c.User,
		"PGSSLMODE=" + sslMode(c),
		"PGAPPNAME=vaxtrace-backup",
	}
	if c.Password != "" {
		env = append(env, "PGPASSWORD="+c.Password)
	}
	return env
}

// sslMode maps pgx's parsed TLS settings back to a libpq sslmode.
func sslMode(c *pgconn.Config) string {
	switch {
	case c.TLSConfig == nil:
		if len(c.Fallbacks) > 0 && c.Fallbacks[0].TLSConfig != nil {
			return "allow"
		}
		return "disable"
	case len(c.Fallbacks) > 0 && c.Fallbacks[len(c.Fallbacks)-1].TLSConfig == nil:
		return "prefer"
	case c.TLSConfig.InsecureSkipVerify && c.TLSConfig.VerifyPeerCertificate != nil:
		return "verify-ca"
	case c.TLSConfig.InsecureSkipVerify:
		return "require"
	}
	return "verify-full"
}

// Backup implements vaxtrace.Journal: it writes a pg_dump custom-format
// archive (consistent, taken online) of the whole database to path, through
// a temporary file renamed into place on success.
func (d *DB) Backup(ctx context.Context, path string) error {
	if _, err := exec.LookPath(PgDump); err != nil {
		return fmt.Errorf("postgres: backup needs %s (install postgresql-client): %w", PgDump, err)
	}
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	cmd := exec.CommandContext(ctx, PgDump, "--format=custom", "--no-password", "--file="+tmp)
	cmd.Env = append(os.Environ(), libpqEnv(&d.conn.Config)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("postgres: backup: %s: %w: %s", PgDump, err, strings.TrimSpace(string(out)))
	}
	if err := syncFile(tmp); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("postgres: backup: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("postgres: backup: %w", err)
	}
	return nil
}

func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// Restore loads a Backup archive into the database named by url, which must
// exist and be empty (createdb it first). It runs pg_restore in a single
// transaction, so a failed restore leaves the database empty; objects are
// owned by the connecting user. Open the database afterwards as usual.
func Restore(ctx context.Context, url, path string) error {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("postgres: restore: %w", err)
	}
	if _, err := exec.LookPath(PgRestore); err != nil {
		return fmt.Errorf("postgres: restore needs %s (install postgresql-client): %w", PgRestore, err)
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("postgres: connect to %s: %w", describe(cfg), err)
	}
	var n int
	err = conn.QueryRow(ctx, `SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp%'`).Scan(&n)
	conn.Close(ctx)
	if err != nil {
		return fmt.Errorf("postgres: restore: %w", err)
	}
	if n > 0 {
		return vaxtrace.Errorf(vaxtrace.ECONFLICT, "database %s is not empty (%d relations); restore into a new database", cfg.Database, n)
	}
	// -d makes pg_restore connect instead of printing SQL; a conninfo
	// string keeps odd database names literal, the rest comes from PG* env.
	dbname := "dbname='" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(cfg.Database) + "'"
	cmd := exec.CommandContext(ctx, PgRestore, "--exit-on-error", "--single-transaction", "--no-owner", "--no-privileges", "--no-password", "--dbname="+dbname, path)
	cmd.Env = append(os.Environ(), libpqEnv(&cfg.Config)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("postgres: restore: %s: %w: %s", PgRestore, err, strings.TrimSpace(string(out)))
	}
	return nil
}

var _ vaxtrace.Journal = (*DB)(nil)
