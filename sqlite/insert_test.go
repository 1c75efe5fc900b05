package sqlite

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"vaxtrace"
)

// Statements whose rows share kind, actor or recording time bind them once;
// the stored rows are exactly those of one binding per row. Groups of every
// mix (all shared, each column differing, a single event, a full statement
// and a tail) are written, and each stored row is read back column by column
// and compared with the event written, and the chain with one computed here.
func TestInsertSharedColumnsStoreEveryRow(t *testing.T) {
	at := time.Date(2021, 3, 1, 5, 0, 0, 0, time.UTC)
	type mix struct {
		name                 string
		n                    int
		kind, actor, recTime bool // the column differs between rows
	}
	mixes := []mix{
		{"all shared", 130, false, false, false},
		{"kinds differ", 9, true, false, false},
		{"actors differ", 131, false, true, false},
		{"times differ", 12, false, false, true},
		{"one event", 1, false, false, false},
		{"nothing shared", 140, true, true, true},
		{"last row differs", 128, false, false, false},
	}
	for _, drv := range []string{"sqlite3", "sqlite"} {
		t.Run(drv, func(t *testing.T) {
			db, err := OpenDriver(filepath.Join(t.TempDir(), "j.db"), drv)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			ctx := context.Background()
			var want []vaxtrace.Event
			for _, m := range mixes {
				err := db.Write(ctx, uint64(len(want)), nil, func(next uint64) ([]vaxtrace.Event, error) {
					evs := make([]vaxtrace.Event, m.n)
					for i := range evs {
						ev := doseEvent(next + uint64(i))
						ev.Recorded, ev.Actor = at, "uploader"
						if m.kind && i%2 == 1 {
							v := vaxtrace.DoseVoided{Dose: "d1", Reason: "error"}
							ev.Kind, ev.Data = v.Kind(), v
						}
						if m.actor && i%3 == 2 {
							ev.Actor = fmt.Sprint("nurse-", i)
						}
						if m.recTime || (m.name == "last row differs" && i == m.n-1) {
							ev.Recorded = at.Add(time.Duration(i) * time.Millisecond)
						}
						evs[i] = ev
					}
					want = append(want, evs...)
					return evs, nil
				})
				if err != nil {
					t.Fatalf("%s: %v", m.name, err)
				}
			}
			rows, err := db.db.QueryContext(ctx, "SELECT seq, kind, key, actor, recorded, hash, data, chain FROM events ORDER BY seq")
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			ch := vaxtrace.NewChain()
			var prev []byte
			n := 0
			for rows.Next() {
				var r rawEvent
				if err := rows.Scan(&r.seq, &r.kind, &r.key, &r.actor, &r.rec, &r.hash, &r.data, &r.chain); err != nil {
					t.Fatal(err)
				}
				if n >= len(want) {
					t.Fatalf("more rows than events written")
				}
				ev := want[n]
				n++
				body, _ := vaxtrace.EncodeEvent(ev)
				link := ch.Next(nil, prev, ev.Seq, ev.Kind, ev.Key, ev.Actor, ev.Recorded.UnixNano(), ev.Hash, body)
				prev = link
				if uint64(r.seq) != ev.Seq || r.kind != ev.Kind || r.key != ev.Key || r.actor != ev.Actor || r.rec != ev.Recorded.UnixNano() ||
					uint64(r.hash) != ev.Hash || !bytes.Equal(r.data, body) || !bytes.Equal(r.chain, link) {
					t.Fatalf("row %d stored (%d %s %s %s %d %d %s) for event %+v", n, r.seq, r.kind, r.key, r.actor, r.rec, r.hash, r.data, ev)
				}
			}
			if err := rows.Err(); err != nil || n != len(want) {
				t.Fatalf("%d rows of %d: %v", n, len(want), err)
			}
		})
	}
}
