package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3"

	"vaxtrace"
	"vaxtrace/scenario"
	"vaxtrace/sqlite"
)

// TestCheckExitsNonZeroOnBreach journals, behind the rules' back, a
// write-off larger than the stock (a valid chain, known lot and place):
// `vaxtrace check` must print the breach and exit non-zero.
func TestCheckExitsNonZeroOnBreach(t *testing.T) {
	path := seedSQLite(t, t.TempDir())
	mustRun(t, nil, "check", "--db", path)
	j, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	err = j.Write(context.Background(), 0, nil, func(next uint64) ([]vaxtrace.Event, error) {
		p := vaxtrace.StockAdjusted{Place: scenario.PointID(1), Lot: "FIX-I", Delta: -1_000_000, Reason: vaxtrace.ReasonDamaged, Occurred: time.Date(2021, 3, 2, 6, 0, 0, 0, time.UTC)}
		return []vaxtrace.Event{{Seq: next, Kind: p.Kind(), Key: "raw:overdraw", Actor: "raw", Recorded: time.Date(2021, 3, 2, 7, 0, 0, 0, time.UTC), Data: p}}, nil
	})
	j.Close()
	if err != nil {
		t.Fatal(err)
	}
	out, errs, err := run(t, nil, "check", "--db", path)
	if err == nil || !strings.Contains(out, "BREACH:") || !strings.Contains(out, "negative") && !strings.Contains(out, "went to") {
		t.Fatalf("check on a store with negative stock: %v, want a breach and a non-zero exit status\n%s%s", err, out, errs)
	}
}

// TestCheckReportsDamagedJournal damages a seeded store in each way a
// journal can be damaged and runs `check`, `report` and `serve` on it: each
// must exit non-zero naming the first bad sequence number, never panic.
func TestCheckReportsDamagedJournal(t *testing.T) {
	cases := []struct {
		name string
		sql  func(db *sql.DB) (bad int64, err error)
	}{
		{"edited receipt", func(db *sql.DB) (int64, error) {
			var seq int64
			var data []byte
			if err := db.QueryRow("SELECT seq, data FROM events WHERE kind = 'stock.received' ORDER BY seq LIMIT 1").Scan(&seq, &data); err != nil {
				return 0, err
			}
			edited := bytes.Replace(data, []byte(`"doses":`), []byte(`"doses":9`), 1)
			_, err := db.Exec("UPDATE events SET data = ? WHERE seq = ?", edited, seq)
			return seq, err
		}},
		{"deleted event", func(db *sql.DB) (int64, error) {
			_, err := db.Exec("DELETE FROM events WHERE seq = 5")
			return 5, err
		}},
		{"chain of the last event zeroed", func(db *sql.DB) (int64, error) {
			var last int64
			if err := db.QueryRow("SELECT MAX(seq) FROM events").Scan(&last); err != nil {
				return 0, err
			}
			_, err := db.Exec("UPDATE events SET chain = zeroblob(32) WHERE seq = ?", last)
			return last, err
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			path := seedSQLite(t, dir)
			db, err := sql.Open("sqlite3", path)
			if err != nil {
				t.Fatal(err)
			}
			bad, err := c.sql(db)
			db.Close()
			if err != nil {
				t.Fatal(err)
			}
			want := fmt.Sprintf("journal damaged at seq %d", bad)
			for _, args := range [][]string{{"check"}, {"report"}} {
				out, errs, err := run(t, nil, append(args, "--db", path)...)
				if err == nil || !strings.Contains(errs, want) || strings.Contains(errs+out, "panic") {
					t.Errorf("vaxtrace %s on a journal with %s: %v, want exit status non-zero and %q\n%s%s", args[0], c.name, err, want, out, errs)
				}
			}
		})
	}
}
