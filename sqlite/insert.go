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

// insertSQL is the statement that appends n events: the first row's seq is
// parameter 1 and row k's is ?1+k (events are consecutive), so each row
// binds seven values instead of eight; row k's other columns are
// parameters 2+7k to 8+7k.
func insertSQL(n int) string {
	var b strings.Builder
	b.WriteString("INSERT INTO events(seq, kind, key, actor, recorded, hash, data, chain) VALUES ")
	p := 2
	for k := 0; k < n; k++ {
		if k > 0 {
			b.WriteByte(',')
		}
		b.WriteString("(?1")
		if k > 0 {
			b.WriteByte('+')
			b.WriteString(strconv.Itoa(k))
		}
		for range 7 {
			b.WriteString(",?")
			b.WriteString(strconv.Itoa(p))
			p++
		}
		b.WriteByte(')')
	}
	return b.String()
}

// writeConn is the connection every Write runs on, with its statements
// prepared once on the driver's connection: a group of a few events (single
// requests under load) costs no statement compilation. Any failed write
// drops it, so a broken connection never serves the next write.
type writeConn struct {
	mu    sync.Mutex // one Write at a time (BEGIN IMMEDIATE serialises them anyway)
	conn  *sql.Conn
	stmts map[int]driver.Stmt // by rows; headRows is the head query
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

// stmt returns the statement for key (rows of an insert, or headRows)
// prepared on the driver connection dc.
func (w *writeConn) stmt(ctx context.Context, dc any, key int) (driver.Stmt, error) {
	if s := w.stmts[key]; s != nil {
		return s, nil
	}
	q := headSQL
	if key != headRows {
		q = insertSQL(key)
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
		ins := inserter{stmt: func(rows int) (driver.Stmt, error) { return w.stmt(ctx, dc, rows) }}
		return ins.insert(ctx, evs, next, prev)
	})
}

type inserter struct {
	stmt func(rows int) (driver.Stmt, error)
	args []driver.NamedValue
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
		s, err := ins.stmt(n)
		if err != nil {
			return err
		}
		ins.args = append(ins.args[:0], driver.NamedValue{Ordinal: 1, Value: int64(next)})
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
			o := len(ins.args) + 1
			ins.args = append(ins.args,
				driver.NamedValue{Ordinal: o, Value: ev.Kind},
				driver.NamedValue{Ordinal: o + 1, Value: ev.Key},
				driver.NamedValue{Ordinal: o + 2, Value: ev.Actor},
				driver.NamedValue{Ordinal: o + 3, Value: rec},
				driver.NamedValue{Ordinal: o + 4, Value: int64(ev.Hash)},
				driver.NamedValue{Ordinal: o + 5, Value: body},
				driver.NamedValue{Ordinal: o + 6, Value: prev})
		}
		if err := ins.exec(ctx, s); err != nil {
			return fmt.Errorf("insert events: %w", err)
		}
		i += n
	}
	return nil
}
