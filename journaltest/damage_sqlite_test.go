package journaltest_test

import (
	"bytes"
	"fmt"
	"path/filepath"
	"testing"

	"vaxtrace"
	"vaxtrace/journaltest"
	"vaxtrace/sqlite"
)

// sqliteTamper edits events with SQL, behind the journal's back.
type sqliteTamper struct{}

func (sqliteTamper) SetData(t testing.TB, j vaxtrace.Journal, seq uint64, data []byte) {
	t.Helper()
	if _, err := j.(*sqlite.DB).SQL().Exec("UPDATE events SET data = ? WHERE seq = ?", data, int64(seq)); err != nil {
		t.Fatal(err)
	}
}

func (sqliteTamper) Delete(t testing.TB, j vaxtrace.Journal, seq uint64) {
	t.Helper()
	if _, err := j.(*sqlite.DB).SQL().Exec("DELETE FROM events WHERE seq = ?", int64(seq)); err != nil {
		t.Fatal(err)
	}
}

func TestSQLiteDamage(t *testing.T) { journaltest.RunDamage(t, sqliteStores, sqliteTamper{}) }

func sqliteChains(t *testing.T, d *sqlite.DB) [][]byte {
	t.Helper()
	rows, err := d.SQL().Query("SELECT chain FROM events ORDER BY seq")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out [][]byte
	for rows.Next() {
		var c []byte
		if err := rows.Scan(&c); err != nil {
			t.Fatal(err)
		}
		out = append(out, c)
	}
	return out
}

// TestSQLiteChainMigration takes a store back to schema version 1 (no
// chain column) and opens it again: the migration must chain the existing
// events exactly as Write does (across its pages of 10,000 rows), and the
// store must replay.
func TestSQLiteChainMigration(t *testing.T) {
	const total = 10_050
	path := filepath.Join(t.TempDir(), "old.db")
	d, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	err = d.Write(t.Context(), 0, nil, func(next uint64) ([]vaxtrace.Event, error) {
		evs := make([]vaxtrace.Event, total)
		for i := range evs {
			evs[i] = journaltest.DoseEvent(i+1, fmt.Sprintf("mig-%d", i))
			evs[i].Seq = next + uint64(i)
			evs[i].Actor = "медсестра Әсел"
			evs[i].Hash = 1<<63 + uint64(i)
		}
		return evs, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := sqliteChains(t, d)
	if _, err := d.SQL().Exec("ALTER TABLE events DROP COLUMN chain; UPDATE meta SET v = '1' WHERE k = 'schema_version'"); err != nil {
		t.Fatal(err)
	}
	d.Close()
	d, err = sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	got := sqliteChains(t, d)
	if len(got) != len(want) || len(want) != total {
		t.Fatalf("%d chains after migration, %d before", len(got), len(want))
	}
	for i := range want {
		if !bytes.Equal(got[i], want[i]) {
			t.Fatalf("event %d: migration chained %x, Write chained %x", i+1, got[i], want[i])
		}
	}
	if v, _, _ := d.Meta(t.Context(), "schema_version"); v != "2" {
		t.Fatalf("schema_version %q after migration", v)
	}
	n := 0
	if err := d.Replay(t.Context(), 0, func(vaxtrace.Event) error { n++; return nil }); err != nil || n != total {
		t.Fatalf("replayed %d events after migration: %v", n, err)
	}
}
