package postgres

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"vaxtrace"
)

// Temperature readings (vaxtrace.ReadingStore) live in tables devices and
// readings (migration 0015), written in their own short transactions and
// never under the journal's advisory lock, so a burst of readings does not
// hold up event writes. A batch is one INSERT … SELECT FROM unnest(…) ON
// CONFLICT DO NOTHING: a single round trip however many readings it
// carries, repeated readings skipped.

// readingCache maps device names to ids (devices are never renamed or removed).
type readingCache struct {
	mu  sync.Mutex
	ids map[string]int32
}

func (d *DB) deviceIDs(ctx context.Context, rs []vaxtrace.Reading) (map[string]int32, error) {
	d.rd.mu.Lock()
	defer d.rd.mu.Unlock()
	if d.rd.ids == nil {
		d.rd.ids = map[string]int32{}
	}
	var missing []string
	seen := map[string]bool{}
	for _, r := range rs {
		if _, ok := d.rd.ids[r.Device]; !ok && !seen[r.Device] {
			seen[r.Device] = true
			missing = append(missing, r.Device)
		}
	}
	if len(missing) > 0 {
		if _, err := d.pool.Exec(ctx, "INSERT INTO devices(name) SELECT unnest($1::text[]) ON CONFLICT (name) DO NOTHING", missing); err != nil {
			return nil, fmt.Errorf("postgres: devices: %w", err)
		}
		rows, err := d.pool.Query(ctx, "SELECT id, name FROM devices WHERE name = ANY($1)", missing)
		if err != nil {
			return nil, fmt.Errorf("postgres: devices: %w", err)
		}
		for rows.Next() {
			var id int32
			var name string
			if err := rows.Scan(&id, &name); err != nil {
				rows.Close()
				return nil, fmt.Errorf("postgres: devices: %w", err)
			}
			d.rd.ids[name] = id
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("postgres: devices: %w", err)
		}
	}
	out := make(map[string]int32, len(seen))
	for _, r := range rs {
		out[r.Device] = d.rd.ids[r.Device]
	}
	return out, nil
}

// AppendReadings implements vaxtrace.ReadingStore.
func (d *DB) AppendReadings(ctx context.Context, rs []vaxtrace.Reading) (int, error) {
	if len(rs) == 0 {
		return 0, nil
	}
	if d.standby {
		return 0, errStandby()
	}
	ids, err := d.deviceIDs(ctx, rs)
	if err != nil {
		return 0, err
	}
	dev := make([]int32, len(rs))
	ts := make([]int64, len(rs))
	cc := make([]int16, len(rs))
	for i, r := range rs {
		p := vaxtrace.ToPoint(r.At, r.C)
		dev[i], ts[i], cc[i] = ids[r.Device], p.T, p.CC
	}
	tag, err := d.pool.Exec(ctx, "INSERT INTO readings(device, t, cc) SELECT * FROM unnest($1::int4[], $2::int8[], $3::int2[]) ON CONFLICT DO NOTHING", dev, ts, cc)
	if err != nil {
		return 0, fmt.Errorf("postgres: readings: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

// Readings implements vaxtrace.ReadingStore.
func (d *DB) Readings(ctx context.Context, device string, from, to time.Time, fn func(vaxtrace.Point) error) error {
	rows, err := d.pool.Query(ctx, `SELECT r.t, r.cc FROM readings r JOIN devices v ON v.id = r.device
		WHERE v.name = $1 AND r.t >= $2 AND r.t < $3 ORDER BY r.t`, device, from.Unix(), to.Unix())
	if err != nil {
		return fmt.Errorf("postgres: readings: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var p vaxtrace.Point
		if err := rows.Scan(&p.T, &p.CC); err != nil {
			return fmt.Errorf("postgres: readings: %w", err)
		}
		if err := fn(p); err != nil {
			return err
		}
	}
	return rows.Err()
}

// LastReadings implements vaxtrace.ReadingStore.
func (d *DB) LastReadings(ctx context.Context) (map[string]vaxtrace.Point, error) {
	rows, err := d.pool.Query(ctx, `SELECT v.name, r.t, r.cc FROM devices v
		CROSS JOIN LATERAL (SELECT t, cc FROM readings WHERE device = v.id ORDER BY t DESC LIMIT 1) r`)
	if err != nil {
		return nil, fmt.Errorf("postgres: readings: %w", err)
	}
	defer rows.Close()
	out := map[string]vaxtrace.Point{}
	for rows.Next() {
		var name string
		var p vaxtrace.Point
		if err := rows.Scan(&name, &p.T, &p.CC); err != nil {
			return nil, fmt.Errorf("postgres: readings: %w", err)
		}
		out[name] = p
	}
	return out, rows.Err()
}

// LastReading implements vaxtrace.ReadingStore.
func (d *DB) LastReading(ctx context.Context, device string) (vaxtrace.Point, bool, error) {
	var p vaxtrace.Point
	err := d.pool.QueryRow(ctx, `SELECT r.t, r.cc FROM readings r JOIN devices v ON v.id = r.device
		WHERE v.name = $1 ORDER BY r.t DESC LIMIT 1`, device).Scan(&p.T, &p.CC)
	if errors.Is(err, pgx.ErrNoRows) {
		return p, false, nil
	}
	if err != nil {
		return p, false, fmt.Errorf("postgres: readings: %w", err)
	}
	return p, true, nil
}

// ReadingCount implements vaxtrace.ReadingStore.
func (d *DB) ReadingCount(ctx context.Context) (int64, error) {
	var n int64
	err := d.pool.QueryRow(ctx, "SELECT COUNT(*) FROM readings").Scan(&n)
	return n, err
}
