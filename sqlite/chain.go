package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"vaxtrace"
)

// migrateChain brings a store made before the hash chain (schema version 1)
// to version 2: it adds the chain column and computes every event's link in
// one immediate transaction, so that concurrent openers wait and a crash
// leaves the store as it was.
func migrateChain(db *sql.DB) error {
	ctx := context.Background()
	has, err := hasChainColumn(ctx, db)
	if err != nil || has {
		return err
	}
	tx, err := db.BeginTx(ctx, nil) // BEGIN IMMEDIATE
	if err != nil {
		return fmt.Errorf("chain: begin: %w", err)
	}
	defer tx.Rollback()
	if has, err = hasChainColumn(ctx, tx); err != nil || has {
		return err // another process migrated while we waited
	}
	if _, err := tx.ExecContext(ctx, "ALTER TABLE events ADD COLUMN chain BLOB NOT NULL DEFAULT x''"); err != nil {
		return fmt.Errorf("chain: add column: %w", err)
	}
	if err := fillChain(ctx, tx); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO meta(k, v) VALUES ('schema_version', '2') ON CONFLICT(k) DO UPDATE SET v = excluded.v"); err != nil {
		return fmt.Errorf("chain: schema version: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("chain: commit: %w", err)
	}
	return nil
}

type rowQueryer interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}

func hasChainColumn(ctx context.Context, q rowQueryer) (bool, error) {
	rows, err := q.QueryContext(ctx, "SELECT name FROM pragma_table_info('events')")
	if err != nil {
		return false, fmt.Errorf("chain: table info: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return false, fmt.Errorf("chain: table info: %w", err)
		}
		if name == "chain" {
			return true, nil
		}
	}
	return false, rows.Err()
}

// fillChain computes the chain of every event in seq order, a page of rows
// at a time (bounded memory for a journal of tens of millions of events).
// The events are trusted as they are (there is nothing to check them
// against): the chain protects them from here on.
func fillChain(ctx context.Context, tx *sql.Tx) error {
	up, err := tx.PrepareContext(ctx, "UPDATE events SET chain = ? WHERE seq = ?")
	if err != nil {
		return fmt.Errorf("chain: %w", err)
	}
	defer up.Close()
	ch := vaxtrace.NewChain()
	var (
		prev  []byte
		after int64
	)
	for {
		rows, err := tx.QueryContext(ctx, "SELECT seq, kind, key, actor, recorded, hash, data FROM events WHERE seq > ? ORDER BY seq LIMIT 10000", after)
		if err != nil {
			return fmt.Errorf("chain: read events: %w", err)
		}
		var page []rawEvent
		for rows.Next() {
			var r rawEvent
			if err := rows.Scan(&r.seq, &r.kind, &r.key, &r.actor, &r.rec, &r.hash, &r.data); err != nil {
				rows.Close()
				return fmt.Errorf("chain: read events: %w", err)
			}
			page = append(page, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("chain: read events: %w", err)
		}
		if len(page) == 0 {
			return nil
		}
		for _, r := range page {
			prev = ch.Next(nil, prev, uint64(r.seq), r.kind, r.key, r.actor, r.rec, uint64(r.hash), r.data)
			if _, err := up.ExecContext(ctx, prev, r.seq); err != nil {
				return fmt.Errorf("chain: event %d: %w", r.seq, err)
			}
		}
		after = page[len(page)-1].seq
	}
}

// ChainLink implements vaxtrace.ChainLinker: the stored chain hash of
// event seq (nil for seq 0).
func (d *DB) ChainLink(ctx context.Context, seq uint64) ([]byte, error) {
	if seq == 0 {
		return nil, nil
	}
	var c []byte
	err := d.db.QueryRowContext(ctx, "SELECT chain FROM events WHERE seq = ?", int64(seq)).Scan(&c)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("sqlite: chain link of event %d: %w", seq, vaxtrace.ErrNoEvent)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: chain link of event %d: %w", seq, err)
	}
	return c, nil
}
