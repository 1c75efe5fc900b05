package postgres_test

import (
	"bytes"
	"context"
	"testing"

	"vaxtrace"
	"vaxtrace/journaltest"
	"vaxtrace/postgres"
)

// pgTamper edits events with SQL, behind the journal's back.
type pgTamper struct{}

func (pgTamper) SetData(t testing.TB, j vaxtrace.Journal, seq uint64, data []byte) {
	t.Helper()
	if _, err := j.(*postgres.DB).Pool().Exec(context.Background(), "UPDATE events SET data = $1 WHERE seq = $2", data, int64(seq)); err != nil {
		t.Fatal(err)
	}
}

func (pgTamper) Delete(t testing.TB, j vaxtrace.Journal, seq uint64) {
	t.Helper()
	if _, err := j.(*postgres.DB).Pool().Exec(context.Background(), "DELETE FROM events WHERE seq = $1", int64(seq)); err != nil {
		t.Fatal(err)
	}
}

func TestDamage(t *testing.T) { journaltest.RunDamage(t, stores, pgTamper{}) }

// chains returns every stored chain hash in seq order.
func chains(t *testing.T, d *postgres.DB) [][]byte {
	t.Helper()
	rows, err := d.Pool().Query(context.Background(), "SELECT chain FROM events ORDER BY seq")
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

// TestChainMigration takes a journal back to the schema before the chain
// and migrates it again: the SQL migration must compute exactly the links
// Write computes (non-ASCII text and negative hashes included), and the
// migrated journal must replay.
func TestChainMigration(t *testing.T) {
	ctx := context.Background()
	u := createDB(t)
	d := open(t, u)
	defer d.Close()
	err := d.Write(ctx, 0, nil, func(next uint64) ([]vaxtrace.Event, error) {
		evs := make([]vaxtrace.Event, 70)
		for i := range evs {
			evs[i] = journaltest.DoseEvent(int(next)+i, "mig-ключ-"+string(rune('a'+i%26)))
			evs[i].Key += string(rune('0' + i/26))
			evs[i].Seq = next + uint64(i)
			evs[i].Actor = "медсестра Әсел"
			evs[i].Hash = 1<<63 + uint64(i) // stored as a negative bigint
		}
		return evs, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := chains(t, d)
	if len(want) != 70 || len(want[0]) != vaxtrace.ChainSize {
		t.Fatalf("%d chains, first %x", len(want), want[0])
	}
	if _, err := d.Pool().Exec(ctx, "ALTER TABLE events DROP COLUMN chain; DELETE FROM schema_migrations WHERE version = 16"); err != nil {
		t.Fatal(err)
	}
	if err := d.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	got := chains(t, d)
	for i := range want {
		if !bytes.Equal(got[i], want[i]) {
			t.Fatalf("event %d: migration chained %x, Write chained %x", i+1, got[i], want[i])
		}
	}
	if n := len(replay(t, d, 0)); n != 70 {
		t.Fatalf("replayed %d events after migration", n)
	}
}
