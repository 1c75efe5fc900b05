package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"strconv"
	"strings"

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

// insertEvents appends evs from seq next on, chaining each to prev (the
// chain hash of seq next-1), inside the transaction open on conn. The
// statements run on the driver's own connection: the values are already
// the driver's types, so database/sql's conversion of every argument is
// skipped.
func insertEvents(ctx context.Context, conn *sql.Conn, evs []vaxtrace.Event, next uint64, prev []byte) error {
	return conn.Raw(func(dc any) error {
		ins := inserter{dc: dc, stmts: map[int]driver.Stmt{}}
		defer ins.close()
		return ins.insert(ctx, evs, next, prev)
	})
}

type inserter struct {
	dc    any
	stmts map[int]driver.Stmt // by rows
	args  []driver.NamedValue
}

func (ins *inserter) close() {
	for _, s := range ins.stmts {
		s.Close()
	}
}

func (ins *inserter) stmt(ctx context.Context, rows int) (driver.Stmt, error) {
	if s := ins.stmts[rows]; s != nil {
		return s, nil
	}
	var (
		s   driver.Stmt
		err error
	)
	if p, ok := ins.dc.(driver.ConnPrepareContext); ok {
		s, err = p.PrepareContext(ctx, insertSQL(rows))
	} else if c, ok := ins.dc.(driver.Conn); ok {
		s, err = c.Prepare(insertSQL(rows))
	} else {
		err = fmt.Errorf("driver connection %T cannot prepare statements", ins.dc)
	}
	if err != nil {
		return nil, fmt.Errorf("prepare: %w", err)
	}
	ins.stmts[rows] = s
	return s, nil
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
		s, err := ins.stmt(ctx, n)
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
