package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"vaxtrace"
)

// Temperature readings (vaxtrace.ReadingStore) live beside the journal in
// two tables of their own, written in their own short transactions, never
// inside an event write:
//
//	devices(id INTEGER PRIMARY KEY, name TEXT UNIQUE)
//	readings(device, t, cc) PRIMARY KEY (device, t) WITHOUT ROWID
//
// t is Unix seconds and cc hundredths of a degree, so a reading costs a
// small integer, a 4-byte time and a 2-byte value in a table clustered by
// device and time: a month of one device's readings is one range scan.

const readingsSchema = `
CREATE TABLE IF NOT EXISTS devices (
	id   INTEGER PRIMARY KEY,
	name TEXT NOT NULL UNIQUE
);
CREATE TABLE IF NOT EXISTS readings (
	device INTEGER NOT NULL,
	t      INTEGER NOT NULL,
	cc     INTEGER NOT NULL,
	PRIMARY KEY (device, t)
) WITHOUT ROWID;
`

// readingTables caches device ids (devices are never renamed or removed).
type readingTables struct {
	once sync.Once
	err  error
	mu   sync.Mutex
	ids  map[string]int64
}

func (d *DB) readingsReady(ctx context.Context) error {
	d.rd.once.Do(func() {
		if _, err := d.db.ExecContext(ctx, readingsSchema); err != nil {
			d.rd.err = fmt.Errorf("readings schema: %w", err)
			return
		}
		d.rd.ids = map[string]int64{}
	})
	return d.rd.err
}

// readingsChunk rows per INSERT (3 variables each, well under SQLite's limit).
const readingsChunk = 300

// AppendReadings implements vaxtrace.ReadingStore.
func (d *DB) AppendReadings(ctx context.Context, rs []vaxtrace.Reading) (int, error) {
	if len(rs) == 0 {
		return 0, nil
	}
	if err := d.readingsReady(ctx); err != nil {
		return 0, err
	}
	d.rd.mu.Lock() // one appender at a time: the device cache is filled inside the transaction
	defer d.rd.mu.Unlock()
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("readings: begin: %w", err)
	}
	defer tx.Rollback()
	fresh := map[string]int64{}
	id := func(name string) (int64, error) {
		if v, ok := d.rd.ids[name]; ok {
			return v, nil
		}
		if v, ok := fresh[name]; ok {
			return v, nil
		}
		if _, err := tx.ExecContext(ctx, "INSERT OR IGNORE INTO devices(name) VALUES (?)", name); err != nil {
			return 0, err
		}
		var v int64
		if err := tx.QueryRowContext(ctx, "SELECT id FROM devices WHERE name = ?", name).Scan(&v); err != nil {
			return 0, err
		}
		fresh[name] = v
		return v, nil
	}
	var full *sql.Stmt
	if len(rs) >= readingsChunk {
		full, err = tx.PrepareContext(ctx, readingsInsert(readingsChunk))
		if err != nil {
			return 0, fmt.Errorf("readings: prepare: %w", err)
		}
		defer full.Close()
	}
	inserted := 0
	args := make([]any, 0, 3*readingsChunk)
	for i := 0; i < len(rs); i += readingsChunk {
		part := rs[i:min(i+readingsChunk, len(rs))]
		args = args[:0]
		for _, r := range part {
			dev, err := id(r.Device)
			if err != nil {
				return 0, fmt.Errorf("readings: device %q: %w", r.Device, err)
			}
			p := vaxtrace.ToPoint(r.At, r.C)
			args = append(args, dev, p.T, int64(p.CC))
		}
		var res sql.Result
		if len(part) == readingsChunk && full != nil {
			res, err = full.ExecContext(ctx, args...)
		} else {
			res, err = tx.ExecContext(ctx, readingsInsert(len(part)), args...)
		}
		if err != nil {
			return 0, fmt.Errorf("readings: insert: %w", err)
		}
		n, _ := res.RowsAffected()
		inserted += int(n)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("readings: commit: %w", err)
	}
	for k, v := range fresh {
		d.rd.ids[k] = v
	}
	return inserted, nil
}

func readingsInsert(n int) string {
	var b strings.Builder
	b.WriteString("INSERT OR IGNORE INTO readings(device, t, cc) VALUES ")
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("(?,?,?)")
	}
	return b.String()
}

// Readings implements vaxtrace.ReadingStore.
func (d *DB) Readings(ctx context.Context, device string, from, to time.Time, fn func(vaxtrace.Point) error) error {
	if err := d.readingsReady(ctx); err != nil {
		return err
	}
	rows, err := d.db.QueryContext(ctx, `SELECT r.t, r.cc FROM readings r JOIN devices d ON d.id = r.device
		WHERE d.name = ? AND r.t >= ? AND r.t < ? ORDER BY r.t`, device, from.Unix(), to.Unix())
	if err != nil {
		return fmt.Errorf("readings: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var p vaxtrace.Point
		var cc int64
		if err := rows.Scan(&p.T, &cc); err != nil {
			return fmt.Errorf("readings: %w", err)
		}
		p.CC = int16(cc)
		if err := fn(p); err != nil {
			return err
		}
	}
	return rows.Err()
}

// LastReadings implements vaxtrace.ReadingStore.
func (d *DB) LastReadings(ctx context.Context) (map[string]vaxtrace.Point, error) {
	if err := d.readingsReady(ctx); err != nil {
		return nil, err
	}
	// one index seek per device: the newest row of (device, t)
	rows, err := d.db.QueryContext(ctx, `SELECT d.name, r.t, r.cc FROM devices d
		JOIN readings r ON r.device = d.id AND r.t = (SELECT MAX(t) FROM readings WHERE device = d.id)`)
	if err != nil {
		return nil, fmt.Errorf("readings: %w", err)
	}
	defer rows.Close()
	out := map[string]vaxtrace.Point{}
	for rows.Next() {
		var name string
		var p vaxtrace.Point
		var cc int64
		if err := rows.Scan(&name, &p.T, &cc); err != nil {
			return nil, fmt.Errorf("readings: %w", err)
		}
		p.CC = int16(cc)
		out[name] = p
	}
	return out, rows.Err()
}

// LastReading implements vaxtrace.ReadingStore.
func (d *DB) LastReading(ctx context.Context, device string) (vaxtrace.Point, bool, error) {
	if err := d.readingsReady(ctx); err != nil {
		return vaxtrace.Point{}, false, err
	}
	var p vaxtrace.Point
	var cc int64
	err := d.db.QueryRowContext(ctx, `SELECT r.t, r.cc FROM readings r JOIN devices d ON d.id = r.device
		WHERE d.name = ? ORDER BY r.t DESC LIMIT 1`, device).Scan(&p.T, &cc)
	if errors.Is(err, sql.ErrNoRows) {
		return p, false, nil
	}
	if err != nil {
		return p, false, fmt.Errorf("readings: %w", err)
	}
	p.CC = int16(cc)
	return p, true, nil
}

// ReadingCount implements vaxtrace.ReadingStore.
func (d *DB) ReadingCount(ctx context.Context) (int64, error) {
	if err := d.readingsReady(ctx); err != nil {
		return 0, err
	}
	var n int64
	err := d.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM readings").Scan(&n)
	return n, err
}
