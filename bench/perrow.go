package bench

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

func (c Config) perRowPeople() int {
	switch {
	case c.PerRowPeople > 0:
		return min(c.PerRowPeople, c.People)
	case c.People > 1_000_000:
		return 1_000_000
	}
	return c.People
}

// perRowSQL is the baseline the brief describes: the same dose records
// through a plain relational implementation that looks each thing up and
// then inserts and updates, row by row (in transactions of Batch rows, with
// the same durability: WAL, synchronous=FULL).
//
// It runs on PerRowPeople people (default the run's people, at most
// 1,000,000): a rate, measured on a smaller table, that flatters the
// per-row path a little (shallower B-trees), so the ratio printed with it
// errs low.
func perRowSQL(ctx context.Context, c Config, emit func(Result)) error {
	c.People = c.perRowPeople()
	path := filepath.Join(c.Dir, "perrow.db")
	os.Remove(path)
	db, err := sql.Open("sqlite3", "file:"+path+"?_journal_mode=WAL&_synchronous=FULL&_txlock=immediate")
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	for _, q := range []string{
		`CREATE TABLE people(id BLOB PRIMARY KEY, birth INTEGER NOT NULL, region TEXT NOT NULL)`,
		`CREATE TABLE lots(id TEXT PRIMARY KEY, product TEXT, component TEXT, expiry INTEGER, released INTEGER)`,
		`CREATE TABLE stock(place TEXT, lot TEXT, qty INTEGER NOT NULL, PRIMARY KEY(place, lot))`,
		`CREATE TABLE doses(id TEXT PRIMARY KEY, person BLOB NOT NULL, lot TEXT NOT NULL, place TEXT NOT NULL, at INTEGER NOT NULL, number INTEGER NOT NULL)`,
		`CREATE INDEX doses_person ON doses(person)`,
		`INSERT INTO lots VALUES ('FIX-I','sputnik-v','I',1700000000,1), ('FIX-II','sputnik-v','II',1700000000,1)`,
	} {
		if _, err := db.Exec(q); err != nil {
			return err
		}
	}
	points := 100
	tx, _ := db.Begin()
	for p := 1; p <= points; p++ {
		for _, l := range []string{"FIX-I", "FIX-II"} {
			tx.Exec(`INSERT INTO stock VALUES (?,?,?)`, fmt.Sprintf("P%d", p), l, c.People)
		}
	}
	for k := 0; k < c.People; k++ {
		id := pid(k)
		tx.Exec(`INSERT INTO people VALUES (?,?,?)`, id[:], 1950+k%50, "KZ-AKM")
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	total := 0
	start := time.Now()
	for dose := 1; dose <= 2; dose++ {
		lot, comp, off := "FIX-I", "I", 0
		if dose == 2 {
			lot, comp, off = "FIX-II", "II", 21
		}
		for i := 0; i < c.People; i += c.Batch {
			tx, err := db.BeginTx(ctx, nil)
			if err != nil {
				return err
			}
			for k := i; k < min(i+c.Batch, c.People); k++ {
				id := pid(k)
				place := fmt.Sprintf("P%d", 1+k%points)
				when := at.AddDate(0, 0, off+k%60).Unix()
				var birth int
				if err := tx.QueryRow(`SELECT birth FROM people WHERE id = ?`, id[:]).Scan(&birth); err != nil {
					return fmt.Errorf("person: %w", err)
				}
				var pc string
				var expiry, released int64
				if err := tx.QueryRow(`SELECT component, expiry, released FROM lots WHERE id = ?`, lot).Scan(&pc, &expiry, &released); err != nil {
					return err
				}
				var qty int64
				if err := tx.QueryRow(`SELECT qty FROM stock WHERE place = ? AND lot = ?`, place, lot).Scan(&qty); err != nil {
					return err
				}
				var n int
				var last sql.NullInt64
				if err := tx.QueryRow(`SELECT COUNT(*), MAX(at) FROM doses WHERE person = ?`, id[:]).Scan(&n, &last); err != nil {
					return err
				}
				if pc != comp || released == 0 || expiry < when || qty < 1 || (last.Valid && when-last.Int64 < 21*86400) {
					return fmt.Errorf("baseline rejected a valid dose")
				}
				if _, err := tx.Exec(`INSERT INTO doses VALUES (?,?,?,?,?,?)`, fmt.Sprintf("d%d-%d", k, dose), id[:], lot, place, when, n+1); err != nil {
					return err
				}
				if _, err := tx.Exec(`UPDATE stock SET qty = qty - 1 WHERE place = ? AND lot = ?`, place, lot); err != nil {
					return err
				}
				total++
			}
			if err := tx.Commit(); err != nil {
				return err
			}
		}
	}
	emit(Result{fmt.Sprintf("same doses, plain per-row SQL (look up, insert, update; %d people)", c.People), float64(total) / time.Since(start).Seconds(), "/s", "(baseline for the ratio)"})
	return nil
}
