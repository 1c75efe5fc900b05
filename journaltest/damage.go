package journaltest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"vaxtrace"
	"vaxtrace/engine"
)

// Tamper edits a store behind the journal's back, as a damaged disk, a
// restore of the wrong file or someone with write access to the database
// would. Each engine's test implements it with SQL.
type Tamper interface {
	// SetData overwrites the stored body of event seq.
	SetData(t testing.TB, j vaxtrace.Journal, seq uint64, data []byte)
	// Delete removes event seq.
	Delete(t testing.TB, j vaxtrace.Journal, seq uint64)
}

// RunDamage checks that a damaged journal is reported, never loaded and
// never a crash: an edited receipt, a deleted event, and events (with a
// valid chain) that refer to a lot, shipment, dose or person the journal
// never defined. Each case loads the engine ledger, damages it, and expects
// Replay, engine.Open and engine.Check to fail with a *JournalDamage naming
// the first bad sequence number.
func RunDamage(t *testing.T, open func(t *testing.T) vaxtrace.Journal, tamper Tamper) {
	// load writes the ledger and returns the seq of its first receipt.
	load := func(t *testing.T) (vaxtrace.Journal, uint64) {
		e := openEngine(t, open)
		for _, step := range ledger() {
			apply(t, e, step...)
		}
		j := e.Journal()
		var receipt uint64
		err := j.Replay(context.Background(), 0, func(ev vaxtrace.Event) error {
			if _, ok := ev.Data.(vaxtrace.StockReceived); ok && receipt == 0 {
				receipt = ev.Seq
			}
			return nil
		})
		if err != nil || receipt == 0 {
			t.Fatalf("ledger: receipt at %d, %v", receipt, err)
		}
		return j, receipt
	}
	// appendRaw journals evs after the ledger with a valid chain, as a
	// buggy or hostile writer that skipped Decide would.
	appendRaw := func(t *testing.T, j vaxtrace.Journal, ps ...vaxtrace.Payload) uint64 {
		var first uint64
		err := j.Write(context.Background(), 0, func(vaxtrace.Event) error { return nil }, func(next uint64) ([]vaxtrace.Event, error) {
			first = next
			evs := make([]vaxtrace.Event, len(ps))
			for i, p := range ps {
				evs[i] = vaxtrace.Event{Seq: next + uint64(i), Kind: p.Kind(), Key: fmt.Sprintf("raw:%d", next+uint64(i)), Actor: "raw", Recorded: Now, Data: p}
			}
			return evs, nil
		})
		if err != nil {
			t.Fatalf("raw write: %v", err)
		}
		return first
	}
	at := time.Date(2021, 4, 1, 9, 0, 0, 0, time.UTC)
	cases := []struct {
		name   string
		damage func(t *testing.T, j vaxtrace.Journal, receipt uint64) (bad uint64)
		chain  bool // the chain itself is broken (Replay alone fails)
	}{
		{"EditedReceipt", func(t *testing.T, j vaxtrace.Journal, receipt uint64) uint64 {
			data := storedData(t, j, receipt)
			edited := bytes.Replace(data, []byte(`"doses":3000`), []byte(`"doses":9000`), 1)
			if bytes.Equal(edited, data) {
				t.Fatalf("receipt %d has no doses to edit: %s", receipt, data)
			}
			tamper.SetData(t, j, receipt, edited)
			return receipt
		}, true},
		{"DeletedEvent", func(t *testing.T, j vaxtrace.Journal, receipt uint64) uint64 {
			tamper.Delete(t, j, receipt)
			return receipt
		}, true},
		{"MissingLot", func(t *testing.T, j vaxtrace.Journal, _ uint64) uint64 {
			return appendRaw(t, j, vaxtrace.StockAdjusted{Place: "nat", Lot: "NO-SUCH-LOT", Delta: -5, Reason: "damaged", Occurred: at})
		}, false},
		{"MissingShipment", func(t *testing.T, j vaxtrace.Journal, _ uint64) uint64 {
			return appendRaw(t, j, vaxtrace.ShipmentReceived{Shipment: "NO-SUCH-SHIPMENT", Occurred: at, Lines: []vaxtrace.ReceiptLine{{Lot: "L-I-1", Received: 1}}})
		}, false},
		{"MissingDose", func(t *testing.T, j vaxtrace.Journal, _ uint64) uint64 {
			return appendRaw(t, j, vaxtrace.DoseVoided{Dose: "no-such-dose", Reason: "x"})
		}, false},
		{"MissingPersonAfterValidEvent", func(t *testing.T, j vaxtrace.Journal, _ uint64) uint64 {
			first := appendRaw(t, j,
				vaxtrace.LotSuspended{Lot: "QV-1", Reason: "fine"},
				vaxtrace.DoseAdministered{ID: "ghost", Person: personID("ghost"), At: at, Place: "pt-1", Lot: "L-I-1", Vaccinator: "n"})
			return first + 1
		}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			j, receipt := load(t)
			bad := c.damage(t, j, receipt)

			var got uint64
			err := j.Replay(context.Background(), 0, func(ev vaxtrace.Event) error { got = ev.Seq; return nil })
			if c.chain {
				wantDamage(t, "Replay", err, bad)
				if got != bad-1 {
					t.Errorf("Replay delivered events up to seq %d, want %d (the one before the damage)", got, bad-1)
				}
			} else if err != nil {
				t.Fatalf("Replay of an intact chain: %v", err)
			}

			// a fresh engine (serve, check, report all start with one)
			jj := handle(t, open)
			_, err = openQuiet(jj)
			wantDamage(t, "engine.Open", err, bad)
		})
	}
	// a running engine catching up with another node's damage stops there
	// too (CatchUp, and Check which starts with it)
	t.Run("CatchUpStopsAtDamage", func(t *testing.T) {
		j, _ := load(t)
		e, err := openQuiet(handle(t, open))
		if err != nil {
			t.Fatal(err)
		}
		defer e.Close()
		bad := appendRaw(t, j, vaxtrace.DoseVoided{Dose: "no-such-dose", Reason: "x"})
		wantDamage(t, "CatchUp", e.CatchUp(context.Background()), bad)
		_, err = e.Check(context.Background())
		wantDamage(t, "Check", err, bad)
	})
}

func openQuiet(j vaxtrace.Journal) (*engine.Engine, error) {
	return engine.Open(context.Background(), j, engine.Options{Now: func() time.Time { return Now }})
}

// wantDamage fails t unless err is a *JournalDamage at seq bad.
func wantDamage(t *testing.T, what string, err error, bad uint64) {
	t.Helper()
	var d *vaxtrace.JournalDamage
	if !errors.As(err, &d) {
		t.Fatalf("%s on a damaged journal: got %v, want a journal damage error at seq %d", what, err, bad)
	}
	if d.Seq != bad {
		t.Errorf("%s reports the damage at seq %d (%v), want %d", what, d.Seq, err, bad)
	}
}

// storedData returns the stored body of event seq.
func storedData(t testing.TB, j vaxtrace.Journal, seq uint64) []byte {
	t.Helper()
	var data []byte
	err := j.Replay(context.Background(), seq-1, func(ev vaxtrace.Event) error {
		b, err := vaxtrace.EncodeEvent(ev)
		if err != nil {
			return err
		}
		data = b
		return errStopReplay
	})
	if !errors.Is(err, errStopReplay) {
		t.Fatalf("read event %d: %v", seq, err)
	}
	return data
}

var errStopReplay = errors.New("stop")
