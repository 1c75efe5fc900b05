package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"

	"vaxtrace"
)

// rowsPerInsert is how many events one INSERT statement carries.
const rowsPerInsert = 128

// Columns a statement's rows may share: the events of one group commit
// usually have the same kind and actor (an upload of doses), often the same
// recording time. A shared column is bound once for the statement instead
// of once per row (each bind is a call into SQLite's C code); the stored
// values are the same.
const (
	shareKind = 1 << iota
	shareActor
	shareRecorded
	shareAll = shareKind | shareActor | shareRecorded
)

// insertSQL is the statement that appends n events: the first row's seq is
// parameter 1 and row k's is ?1+k (events are consecutive); then come the
// shared columns' parameters (kind, actor, recorded, those in share), bound
// once; then each row's own columns in table order.
func insertSQL(n, share int) string {
	var b strings.Builder
	b.WriteString("INSERT INTO events(seq, kind, key, actor, recorded, hash, data, chain) VALUES ")
	p := 2
	param := func(n int) string { return "?" + strconv.Itoa(n) }
	var shared [3]string // kind, actor, recorded
	for i := range shared {
		if share&(1<<i) != 0 {
			shared[i] = param(p)
			p++
		}
	}
	col := func(i int) { // a shared column's parameter, else the row's next one
		b.WriteByte(',')
		if shared[i] != "" {
			b.WriteString(shared[i])
			return
		}
		b.WriteString(param(p))
		p++
	}
	own := func() {
		b.WriteByte(',')
		b.WriteString(param(p))
		p++
	}
	for k := 0; k < n; k++ {
		if k > 0 {
			b.WriteByte(',')
		}
		b.WriteString("(?1")
		if k > 0 {
			b.WriteByte('+')
			b.WriteString(strconv.Itoa(k))
		}
		col(0) // kind
		own()  // key
		col(1) // actor
		col(2) // recorded
		own()  // hash
		own()  // data
		own()  // chain
		b.WriteByte(')')
	}
	return b.String()
}

// sharedColumns says which of kind, actor and recorded all of evs share.
func sharedColumns(evs []vaxtrace.Event) int {
	if len(evs) < 2 {
		return 0 // nothing to save: fewer statement shapes
	}
	share := shareAll
	first := &evs[0]
	for i := 1; i < len(evs) && share != 0; i++ {
		ev := &evs[i]
		if ev.Kind != first.Kind {
			share &^= shareKind
		}
		if ev.Actor != first.Actor {
			share &^= shareActor
		}
		if !ev.Recorded.Equal(first.Recorded) {
			share &^= shareRecorded
		}
	}
	return share
}

// stmtKey keys an insert of n rows sharing share among the prepared
// statements (never headRows: n ≥ 1).
func stmtKey(n, share int) int { return n<<3 | share }

// writeConn is the connection every Write runs on, with its statements
// prepared once on the driver's connection: a group of a few events (single
// requests under load) costs no statement compilation. Any failed write
// drops it, so a broken connection never serves the next write.
type writeConn struct {
	mu    sync.Mutex // one Write at a time (BEGIN IMMEDIATE serialises them anyway)
	conn  *sql.Conn
	stmts map[int]driver.Stmt // by stmtKey; headRows is the head query
}

// headRows keys the head query among the prepared inserts.
const headRows = 0

const headSQL = "SELECT seq, chain FROM events ORDER BY seq DESC LIMIT 1"

// get returns the write connection, opening it when there is none.
func (w *writeConn) get(ctx context.Context, db *sql.DB) (*sql.Conn, error) {
	if w.conn == nil {
		c, err := db.Conn(ctx)
		if err != nil {
			return nil, err
		}
		w.conn, w.stmts = c, map[int]driver.Stmt{}
	}
	return w.conn, nil
}

// drop closes the write connection and its statements.
func (w *writeConn) drop() {
	if w.conn == nil {
		return
	}
	w.conn.Raw(func(any) error {
		for _, s := range w.stmts {
			s.Close()
		}
		return nil
	})
	w.conn.Close()
	w.conn, w.stmts = nil, nil
}

// close drops the write connection when no Write is running.
func (w *writeConn) close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.drop()
}

// stmt returns the statement for key (stmtKey of an insert, or headRows)
// prepared on the driver connection dc.
func (w *writeConn) stmt(ctx context.Context, dc any, key int) (driver.Stmt, error) {
	if s := w.stmts[key]; s != nil {
		return s, nil
	}
	q := headSQL
	if key != headRows {
		q = insertSQL(key>>3, key&shareAll)
	}
	var (
		s   driver.Stmt
		err error
	)
	if p, ok := dc.(driver.ConnPrepareContext); ok {
		s, err = p.PrepareContext(ctx, q)
	} else if c, ok := dc.(driver.Conn); ok {
		s, err = c.Prepare(q)
	} else {
		err = fmt.Errorf("driver connection %T cannot prepare statements", dc)
	}
	if err != nil {
		return nil, fmt.Errorf("prepare: %w", err)
	}
	w.stmts[key] = s
	return s, nil
}

// head returns the last event's seq and chain hash (0 and nil when empty),
// inside the transaction open on the write connection.
func (w *writeConn) head(ctx context.Context) (last uint64, chain []byte, err error) {
	err = w.conn.Raw(func(dc any) error {
		s, err := w.stmt(ctx, dc, headRows)
		if err != nil {
			return err
		}
		var rows driver.Rows
		if q, ok := s.(driver.StmtQueryContext); ok {
			rows, err = q.QueryContext(ctx, nil)
		} else {
			rows, err = s.Query(nil) //lint:ignore SA1019 drivers without QueryContext
		}
		if err != nil {
			return err
		}
		defer rows.Close()
		dest := make([]driver.Value, 2)
		switch err := rows.Next(dest); {
		case err == io.EOF:
			return nil
		case err != nil:
			return err
		}
		seq, ok := dest[0].(int64)
		c, ok2 := dest[1].([]byte)
		if !ok || !ok2 {
			return fmt.Errorf("last event: seq %T, chain %T", dest[0], dest[1])
		}
		last, chain = uint64(seq), append([]byte(nil), c...) // the driver may reuse its buffer
		return nil
	})
	if err != nil {
		return 0, nil, fmt.Errorf("last seq: %w", err)
	}
	return last, chain, nil
}

// insertEvents appends evs from seq next on, chaining each to prev (the
// chain hash of seq next-1), inside the transaction open on the write
// connection. The statements run on the driver's own connection: the
// values are already the driver's types, so database/sql's conversion of
// every argument is skipped.
func (w *writeConn) insertEvents(ctx context.Context, evs []vaxtrace.Event, next uint64, prev []byte) error {
	return w.conn.Raw(func(dc any) error {
		ins := inserter{stmt: func(key int) (driver.Stmt, error) { return w.stmt(ctx, dc, key) }}
		return ins.insert(ctx, evs, next, prev)
	})
}

type inserter struct {
	stmt func(key int) (driver.Stmt, error) // by stmtKey
	args []driver.NamedValue
}

// add appends the statement's next parameter.
func (ins *inserter) add(v driver.Value) {
	ins.args = append(ins.args, driver.NamedValue{Ordinal: len(ins.args) + 1, Value: v})
}

func (ins *inserter) exec(ctx context.Context, s driver.Stmt) error {
	if e, ok := s.(driver.StmtExecContext); ok {
		_, err := e.ExecContext(ctx, ins.args)
		return err
	}
	vals := make([]driver.Value, len(ins.args))
	for i, a := range ins.args {
		vals[i] = a.Value
	}
	_, err := s.Exec(vals) //lint:ignore SA1019 drivers without ExecContext
	return err
}

func (ins *inserter) insert(ctx context.Context, evs []vaxtrace.Event, next uint64, prev []byte) error {
	ch := vaxtrace.NewChain()
	// chains holds every link of this write: the arguments point into it
	// until the last insert has run.
	chains := make([]byte, 0, len(evs)*vaxtrace.ChainSize)
	for i := 0; i < len(evs); {
		n := min(rowsPerInsert, len(evs)-i)
		if n < rowsPerInsert {
			n = min(n, 8) // a short tail in small statements: fewer shapes to prepare
		}
		share := sharedColumns(evs[i : i+n])
		s, err := ins.stmt(stmtKey(n, share))
		if err != nil {
			return err
		}
		ins.args = append(ins.args[:0], driver.NamedValue{Ordinal: 1, Value: int64(next)})
		first := &evs[i]
		if share&shareKind != 0 {
			ins.args = append(ins.args, driver.NamedValue{Ordinal: len(ins.args) + 1, Value: first.Kind})
		}
		if share&shareActor != 0 {
			ins.args = append(ins.args, driver.NamedValue{Ordinal: len(ins.args) + 1, Value: first.Actor})
		}
		if share&shareRecorded != 0 {
			ins.args = append(ins.args, driver.NamedValue{Ordinal: len(ins.args) + 1, Value: first.Recorded.UnixNano()})
		}
		for _, ev := range evs[i : i+n] {
			if ev.Seq != next {
				return fmt.Errorf("event seq %d out of order (want %d)", ev.Seq, next)
			}
			next++
			body, err := vaxtrace.EncodeEvent(ev)
			if err != nil {
				return fmt.Errorf("encode event %d: %w", ev.Seq, err)
			}
			rec := ev.Recorded.UnixNano()
			chains = ch.Next(chains, prev, ev.Seq, ev.Kind, ev.Key, ev.Actor, rec, ev.Hash, body)
			prev = chains[len(chains)-vaxtrace.ChainSize:]
			if share&shareKind == 0 {
				ins.add(ev.Kind)
			}
			ins.add(ev.Key)
			if share&shareActor == 0 {
				ins.add(ev.Actor)
			}
			if share&shareRecorded == 0 {
				ins.add(rec)
			}
			ins.add(int64(ev.Hash))
			ins.add(body)
			ins.add(prev)
		}
		if err := ins.exec(ctx, s); err != nil {
			return fmt.Errorf("insert events: %w", err)
		}
		i += n
	}
	return nil
}
