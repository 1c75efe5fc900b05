package replica_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"vaxtrace"
	"vaxtrace/engine"
	"vaxtrace/postgres"
	"vaxtrace/scenario"
)

const defaultURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

func primaryURL() string {
	if u := os.Getenv("VAXTRACE_PG_URL"); u != "" {
		return u
	}
	return defaultURL
}

// gate skips unless the replica tests were asked for: scripts/pg-replica.sh
// may edit and reload the primary's pg_hba.conf, which a test suite must
// not do to a shared server on its own (see docs/SCALE.md).
func gate(t *testing.T) {
	t.Helper()
	if os.Getenv("VAXTRACE_REPLICA_TEST") != "1" {
		t.Skip("replica tests are opt-in: set VAXTRACE_REPLICA_TEST=1 to let scripts/pg-replica.sh start a streaming replica of " +
			redact(primaryURL()) + " on this machine (it may add a replication rule to the primary's pg_hba.conf and reload it)")
	}
}

func redact(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxx")
	}
	return u.String()
}

func withDatabase(base, name string) string {
	if strings.HasPrefix(base, "postgres://") || strings.HasPrefix(base, "postgresql://") {
		if u, err := url.Parse(base); err == nil {
			u.Path = "/" + name
			u.RawPath = ""
			return u.String()
		}
	}
	return base + " dbname=" + name
}

// ---- the replica

var (
	replicaOnce    sync.Once
	replicaURL     string // the replica's postgres database
	replicaErr     error
	replicaStarted bool // by this test binary: stop it in TestMain
)

func script(args ...string) (string, error) {
	cmd := exec.Command("bash", append([]string{"../scripts/pg-replica.sh"}, args...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("scripts/pg-replica.sh %s: %w\n%s", strings.Join(args, " "), err, errb.String())
	}
	return strings.TrimSpace(out.String()), nil
}

// startReplica starts the replica once per test binary and returns the URL
// of its postgres database. It fails the test when the replica cannot be
// made: the caller opted in.
func startReplica(t *testing.T) string {
	t.Helper()
	replicaOnce.Do(func() {
		_, statusErr := script("status")
		out, err := script("start")
		if err != nil {
			replicaErr = err
			return
		}
		replicaStarted = statusErr != nil
		lines := strings.Split(out, "\n")
		replicaURL = lines[len(lines)-1]
	})
	if replicaErr != nil {
		t.Fatalf("cannot start the replica: %v", replicaErr)
	}
	return replicaURL
}

func TestMain(m *testing.M) {
	code := m.Run()
	if replicaStarted && os.Getenv("VAXTRACE_REPLICA_KEEP") != "1" {
		if _, err := script("stop"); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	}
	os.Exit(code)
}

func connect(t testing.TB, u string) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, u)
	if err != nil {
		t.Fatalf("connect to %s: %v", redact(u), err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

// createDB creates a fresh database on the primary (and so, once replayed,
// on the replica), dropped when the test ends.
func createDB(t testing.TB) string {
	t.Helper()
	var b [6]byte
	rand.Read(b[:])
	name := "vaxtrace_replica_" + hex.EncodeToString(b[:])
	ctx := context.Background()
	c, err := pgx.Connect(ctx, primaryURL())
	if err != nil {
		t.Fatalf("connect to the primary %s: %v", redact(primaryURL()), err)
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatalf("create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(ctx, primaryURL())
		if err != nil {
			t.Errorf("drop database %s: %v", name, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	return name
}

// waitReplay waits until the replica has replayed everything the primary
// had written when it was called, and returns how long that took.
func waitReplay(t testing.TB, primary, replica *pgx.Conn) time.Duration {
	t.Helper()
	ctx := context.Background()
	var lsn string
	start := time.Now()
	if err := primary.QueryRow(ctx, "SELECT pg_current_wal_lsn()::text").Scan(&lsn); err != nil {
		t.Fatal(err)
	}
	for {
		var ok bool
		if err := replica.QueryRow(ctx, "SELECT coalesce(pg_last_wal_replay_lsn() >= $1::pg_lsn, false)", lsn).Scan(&ok); err != nil {
			t.Fatal(err)
		}
		if ok {
			return time.Since(start)
		}
		if time.Since(start) > 2*time.Minute {
			t.Fatalf("the replica has not replayed %s after 2 minutes", lsn)
		}
		time.Sleep(200 * time.Microsecond)
	}
}

// ---- a read-only journal on the standby

// readOnly is the journal of a read node on a hot standby. postgres.Open
// cannot be used there: it runs the migrations, whose CREATE TABLE IF NOT
// EXISTS is refused in a read-only transaction even when the table exists.
// Replay pages by seq like postgres.DB.Replay; writes are refused.
type readOnly struct{ pool *pgxpool.Pool }

func errReadOnly() error {
	return vaxtrace.Errorf(vaxtrace.EUNAVAILABLE, "this node reads a replica; writes go to the primary")
}

func (r *readOnly) Write(context.Context, uint64, func(vaxtrace.Event) error, func(uint64) ([]vaxtrace.Event, error)) error {
	return errReadOnly()
}

func (r *readOnly) Replay(ctx context.Context, after uint64, fn func(vaxtrace.Event) error) error {
	const batch = 4096
	for {
		rows, err := r.pool.Query(ctx, "SELECT seq, kind, key, actor, recorded, hash, data FROM events WHERE seq > $1 ORDER BY seq LIMIT $2", int64(after), batch)
		if err != nil {
			return err
		}
		var evs []vaxtrace.Event
		for rows.Next() {
			var (
				seq, rec, hash   int64
				kind, key, actor string
				data             []byte
			)
			if err := rows.Scan(&seq, &kind, &key, &actor, &rec, &hash, &data); err != nil {
				rows.Close()
				return err
			}
			p, err := vaxtrace.DecodePayload(kind, data)
			if err != nil {
				rows.Close()
				return fmt.Errorf("event %d: %w", seq, err)
			}
			evs = append(evs, vaxtrace.Event{Seq: uint64(seq), Kind: kind, Key: key, Actor: actor, Recorded: time.Unix(0, rec).UTC(), Hash: uint64(hash), Data: p})
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, ev := range evs {
			if err := fn(ev); err != nil {
				return err
			}
		}
		if len(evs) < batch {
			return nil
		}
		after = evs[len(evs)-1].Seq
	}
}

func (r *readOnly) Last(ctx context.Context) (uint64, error) {
	var last int64
	err := r.pool.QueryRow(ctx, "SELECT coalesce(max(seq), 0) FROM events").Scan(&last)
	return uint64(last), err
}

func (r *readOnly) PutToken(context.Context, vaxtrace.Token) error { return errReadOnly() }
func (r *readOnly) TokenByHash(context.Context, string) (vaxtrace.Token, error) {
	return vaxtrace.Token{}, errReadOnly()
}
func (r *readOnly) Tokens(context.Context) ([]vaxtrace.Token, error) { return nil, errReadOnly() }
func (r *readOnly) RevokeToken(context.Context, string) error        { return errReadOnly() }
func (r *readOnly) Backup(context.Context, string) error             { return errReadOnly() }
func (r *readOnly) Close() error                                     { r.pool.Close(); return nil }

var _ vaxtrace.Journal = (*readOnly)(nil)

func openReadOnly(t testing.TB, u string) *readOnly {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	r := &readOnly{pool: pool}
	t.Cleanup(func() { r.Close() })
	return r
}

// ---- load and compare

var at = time.Date(2021, 3, 1, 5, 0, 0, 0, time.UTC)

func pidOf(n int) vaxtrace.PersonID {
	var p vaxtrace.PersonID
	p[0], p[1], p[2], p[3], p[15] = byte(n), byte(n>>8), byte(n>>16), byte(n>>24), 9
	return p
}

func submit(t testing.TB, eng *engine.Engine, cmds []engine.Command) {
	t.Helper()
	for i, r := range eng.SubmitBatch(context.Background(), cmds) {
		if r.Err != nil {
			t.Fatalf("%s: %v", cmds[i].Key, r.Err)
		}
	}
}

func registrations(from, to int) []engine.Command {
	cmds := make([]engine.Command, 0, to-from)
	for k := from; k < to; k++ {
		cmds = append(cmds, engine.Command{Key: fmt.Sprint("person:", k), Actor: scenario.Admin, Recorded: at,
			Data: vaxtrace.PersonRegistered{Person: vaxtrace.Person{ID: pidOf(k), Family: "F", BirthDate: vaxtrace.MkDate(1940+k%60, 1, 1), Sex: "F", Region: "KZ-AKM"}}})
	}
	return cmds
}

// dose is person k's dose n (1: component I on 1 March, 2: II on 25 March)
// at point 1 + k%points.
func dose(k, n, points int) engine.Command {
	id := fmt.Sprintf("d%d-%d", k, n)
	lot, when := "FIX-I", at.Add(time.Duration(k%600)*time.Minute)
	if n == 2 {
		lot, when = "FIX-II", when.AddDate(0, 0, 24)
	}
	return engine.Command{Key: "dose:" + id, Actor: scenario.Admin, Recorded: when.Add(time.Minute),
		Data: vaxtrace.DoseAdministered{ID: id, Person: pidOf(k), At: when, Place: scenario.PointID(1 + k%points), Lot: lot, Vaccinator: "n"}}
}

// report is what a read node serves: stock positions and cumulative
// coverage, nationally and for the region, on several days.
type report struct {
	Seq   uint64
	Stock map[vaxtrace.Date][]vaxtrace.StockLine
	Cum   map[string][vaxtrace.NumMeasures]int64 // "region day" -> measures
}

var reportDays = []vaxtrace.Date{
	vaxtrace.MkDate(2021, 1, 9), vaxtrace.MkDate(2021, 1, 10), vaxtrace.MkDate(2021, 3, 1),
	vaxtrace.MkDate(2021, 3, 2), vaxtrace.MkDate(2021, 3, 25), vaxtrace.MkDate(2021, 3, 26), vaxtrace.MkDate(2021, 12, 31),
}

func reportOf(eng *engine.Engine) report {
	r := report{Stock: map[vaxtrace.Date][]vaxtrace.StockLine{}, Cum: map[string][vaxtrace.NumMeasures]int64{}}
	eng.Read(func(s *vaxtrace.State) {
		r.Seq = s.Seq
		for _, d := range reportDays {
			r.Stock[d] = s.StockPosition("", d)
			for _, region := range []string{"", "KZ-AKM", "KZ-ALA"} {
				var m [vaxtrace.NumMeasures]int64
				for i := range m {
					m[i] = s.Cumulative(region, i, d)
				}
				r.Cum[region+" "+d.String()] = m
			}
		}
	})
	return r
}

func sameReports(t *testing.T, primary, replica report) {
	t.Helper()
	if reflect.DeepEqual(primary, replica) {
		return
	}
	t.Errorf("the replica's reports differ from the primary's (seq %d vs %d)", replica.Seq, primary.Seq)
	keys := make([]string, 0, len(primary.Cum))
	for k := range primary.Cum {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if primary.Cum[k] != replica.Cum[k] {
			t.Errorf("cumulative %q: primary %v, replica %v", k, primary.Cum[k], replica.Cum[k])
		}
	}
	for _, d := range reportDays {
		if !reflect.DeepEqual(primary.Stock[d], replica.Stock[d]) {
			t.Errorf("stock %s:\nprimary %+v\nreplica %+v", d, primary.Stock[d], replica.Stock[d])
		}
	}
}

func percentile(ds []time.Duration, p float64) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[int(p*float64(len(s)-1))]
}

// TestReplicaServesIdenticalReports writes through the engine on the
// primary, lets the streaming replica replay, rebuilds an engine from the
// replica and checks that it reports exactly what the primary's does; then
// measures how long single commits take to become visible on the replica
// and that a read node catches up.
func TestReplicaServesIdenticalReports(t *testing.T) {
	gate(t)
	ctx := context.Background()
	repBase := startReplica(t)
	name := createDB(t)
	pURL, rURL := withDatabase(primaryURL(), name), withDatabase(repBase, name)
	padm, radm := connect(t, primaryURL()), connect(t, repBase)

	pj, err := postgres.Open(ctx, pURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pj.Close()
	eng, err := engine.Open(ctx, pj, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	const points, people, second = 2, 1200, 600
	if err := scenario.Minimal(ctx, eng, points, 1000); err != nil {
		t.Fatal(err)
	}
	submit(t, eng, registrations(0, people))
	var doses []engine.Command
	for k := 0; k < people; k++ {
		doses = append(doses, dose(k, 1, points))
	}
	submit(t, eng, doses[:people/2])     // one group commit (COPY)
	for _, c := range doses[people/2:] { // and one transaction per dose
		submit(t, eng, []engine.Command{c})
	}
	doses = doses[:0]
	for k := 0; k < second; k++ {
		doses = append(doses, dose(k, 2, points))
	}
	submit(t, eng, doses)

	lag := waitReplay(t, padm, radm)
	t.Logf("replica caught up %v after the last commit", lag)

	// postgres.Open runs the migrations, which a hot standby refuses.
	if d, err := postgres.Open(ctx, rURL); err == nil {
		d.Close()
		t.Log("postgres.Open works on the standby")
	} else {
		t.Logf("postgres.Open on the standby: %v (using a read-only journal instead)", err)
	}

	ro := openReadOnly(t, rURL)
	start := time.Now()
	reng, err := engine.Open(ctx, ro, engine.Options{})
	if err != nil {
		t.Fatalf("rebuild from the replica: %v", err)
	}
	defer reng.Close()
	last, _ := ro.Last(ctx)
	t.Logf("rebuilt %d events from the replica in %v", last, time.Since(start))

	want := reportOf(eng)
	sameReports(t, want, reportOf(reng))
	if c := want.Cum[" "+vaxtrace.MkDate(2021, 12, 31).String()]; c[vaxtrace.MDose1] != people || c[vaxtrace.MDose2] != second {
		t.Fatalf("primary counts %d first and %d second doses, want %d and %d", c[vaxtrace.MDose1], c[vaxtrace.MDose2], people, second)
	}

	// A read node refuses writes.
	if r := reng.Submit(ctx, dose(people-1, 2, points)); vaxtrace.ErrorCode(r.Err) != vaxtrace.EUNAVAILABLE {
		t.Fatalf("write on the replica's engine: %v, want %s", r.Err, vaxtrace.EUNAVAILABLE)
	}

	// Visibility lag of single commits: from the primary's acknowledgement
	// to the replica having replayed the commit record.
	var lags []time.Duration
	for k := second; k < second+100; k++ {
		submit(t, eng, []engine.Command{dose(k, 2, points)})
		lags = append(lags, waitReplay(t, padm, radm))
	}
	t.Logf("single-dose commits visible on the replica after: p50 %v, p90 %v, max %v (n=%d, includes one primary round trip)",
		percentile(lags, .5), percentile(lags, .9), percentile(lags, 1), len(lags))

	if err := reng.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	want = reportOf(eng)
	sameReports(t, want, reportOf(reng))
	if got := want.Cum[" "+vaxtrace.MkDate(2021, 12, 31).String()][vaxtrace.MDose2]; got != second+100 {
		t.Fatalf("second doses after catch-up: %d, want %d", got, second+100)
	}
}
