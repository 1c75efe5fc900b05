package journaltest_test

import (
	"context"
	"path/filepath"
	"strconv"
	"testing"

	"vaxtrace"
	"vaxtrace/journaltest"
	"vaxtrace/sqlite"
)

// sqliteStores gives every test its own SQLite file in a temporary directory.
var sqliteStores = journaltest.Opener(
	func(t testing.TB) string { return filepath.Join(t.TempDir(), "journal.db") },
	func(path string) (vaxtrace.Journal, error) { return sqlite.Open(path) },
)

func TestSQLite(t *testing.T) { journaltest.Run(t, sqliteStores) }

func TestSQLiteEngine(t *testing.T) { journaltest.RunEngine(t, sqliteStores) }

// TestSQLiteBackupRestores checks that a backup is a working journal.
func TestSQLiteBackupRestores(t *testing.T) {
	ctx := context.Background()
	j := sqliteStores(t)
	defer j.Close()
	var want []vaxtrace.Event
	err := j.Write(ctx, 0, nil, func(next uint64) ([]vaxtrace.Event, error) {
		for i := 0; i < 100; i++ {
			ev := journaltest.DoseEvent(i, "k"+strconv.Itoa(i))
			ev.Seq = next + uint64(i)
			want = append(want, ev)
		}
		return want, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "copy.db")
	if err := j.Backup(ctx, path); err != nil {
		t.Fatal(err)
	}
	c, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	n := 0
	if err := c.Replay(ctx, 0, func(ev vaxtrace.Event) error {
		if ev.Key != want[n].Key || ev.Seq != want[n].Seq {
			t.Fatalf("backup event %d: %s/%d, want %s/%d", n, ev.Key, ev.Seq, want[n].Key, want[n].Seq)
		}
		n++
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if n != len(want) {
		t.Fatalf("backup holds %d events, want %d", n, len(want))
	}
}

// BenchmarkWrite has the same shape as postgres.BenchmarkWrite, so that
// `go test -run '^$' -bench . ./journaltest/ ./postgres/` compares both.
func BenchmarkWrite(b *testing.B) {
	for _, batch := range []int{10000, 64, 1} {
		b.Run("sqlite/batch="+strconv.Itoa(batch), func(b *testing.B) {
			j, err := sqlite.Open(filepath.Join(b.TempDir(), "bench.db"))
			if err != nil {
				b.Fatal(err)
			}
			defer j.Close()
			journaltest.BenchWrite(b, j, batch)
		})
	}
}

func BenchmarkReplay(b *testing.B) {
	b.Run("sqlite/events=200000", func(b *testing.B) {
		j, err := sqlite.Open(filepath.Join(b.TempDir(), "bench.db"))
		if err != nil {
			b.Fatal(err)
		}
		defer j.Close()
		journaltest.BenchReplay(b, j, 200000)
	})
}
