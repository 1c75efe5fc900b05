package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"vaxtrace"
	"vaxtrace/engine"
	"vaxtrace/httpapi"
	"vaxtrace/pii"
	"vaxtrace/postgres"
	"vaxtrace/scenario"
	"vaxtrace/snapshot"
	"vaxtrace/sqlite"
)

// ServeConfig configures the serving process the bench starts on the store
// its dose run wrote (`vaxtrace bench --serve-store`).
type ServeConfig struct {
	// Path is the store: a SQLite file, or a postgres:// URL (an API node
	// sharing the journal: it catches up by polling and validates inside
	// the write transaction, as serve does there; its token is made by the
	// bench beforehand, so the report's Token is empty).
	Path string
	// ReadOnly opens the store read-only (serve --read-only): writes are
	// refused and the node only catches up with the writers.
	ReadOnly bool
	// MemoryLimit, when positive, is passed to debug.SetMemoryLimit before
	// the state is loaded (as serve --memory-limit does).
	MemoryLimit int64
	// HTTPPeople people without doses are registered after the memory was
	// read, for the single-dose HTTP measurement.
	HTTPPeople int
	// Snapshots is the snapshot directory the state starts from (the
	// newest valid snapshot and the journal's tail; "" replays the whole
	// journal).
	Snapshots string
	// WriteSnapshot, when set, is where the process writes a snapshot of
	// the state it loaded, after reading its memory (before the HTTP people).
	WriteSnapshot string
	// CPUProfile, when set, is where the CPU profile of the serving (after
	// start-up, until In ends) is written.
	CPUProfile string
	In         io.Reader // the process serves until In ends
	Out        io.Writer // one JSON line: serveReport
}

// serveReport is what the serving process tells the bench.
type serveReport struct {
	StartUp float64 `json:"startup_s"`
	Events  uint64  `json:"events"`
	Tail    uint64  `json:"tail"` // events replayed after the snapshot (all without one)
	// SnapshotWrite and SnapshotBytes: the snapshot written (WriteSnapshot)
	SnapshotWrite float64 `json:"snapshot_write_s,omitempty"`
	SnapshotBytes int64   `json:"snapshot_bytes,omitempty"`
	Heap          uint64  `json:"heap_bytes"`       // live heap after start-up and a GC, less the empty process's
	HeapTotal     uint64  `json:"heap_total_bytes"` // the whole live heap (the runtime's and the packages' too)
	RSS           float64 `json:"rss_mib"`          // resident after start-up, memory returned to the OS
	HWM           float64 `json:"hwm_mib"`          // peak resident (the start-up's high-water mark)
	Addr          string  `json:"addr"`
	Token         string  `json:"token"`
	Err           string  `json:"err,omitempty"`
}

// ServeStore is the serving process: it opens the store as a server does
// (the state rebuilt from the journal, nothing else in the process), reads
// its memory after a GC with the freed memory returned to the operating
// system, registers the HTTP people, serves the API on loopback and reports
// on Out. It serves until In ends.
func ServeStore(ctx context.Context, c ServeConfig) error {
	rep, srv, closeFn, err := serveStore(ctx, c)
	if err != nil {
		rep.Err = err.Error()
	}
	if werr := json.NewEncoder(c.Out).Encode(rep); werr != nil && err == nil {
		err = werr
	}
	if err != nil {
		return err
	}
	defer closeFn()
	stopProfile, err := startProfile(c.CPUProfile)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, c.In)
	if err := stopProfile(); err != nil {
		return err
	}
	return srv.Close()
}

func serveStore(ctx context.Context, c ServeConfig) (serveReport, *http.Server, func(), error) {
	var rep serveReport
	if c.MemoryLimit > 0 {
		debug.SetMemoryLimit(c.MemoryLimit)
	}
	runtime.GC()
	var m0 runtime.MemStats
	runtime.ReadMemStats(&m0)
	start := time.Now()
	j, pg, err := openStore(ctx, c.Path, c.ReadOnly)
	if err != nil {
		return rep, nil, nil, err
	}
	o := engine.Options{Logger: discardLogger(), Snapshots: c.Snapshots, ReadOnly: c.ReadOnly}
	if pg {
		o.Poll, o.Serial = nodePoll, true
	}
	eng, err := engine.Open(ctx, j, o)
	if err != nil {
		j.Close()
		return rep, nil, nil, err
	}
	rep.StartUp = time.Since(start).Seconds()
	closeFn := func() { eng.Close(); j.Close() }
	rep.Events = eng.Seq()
	rep.Tail = rep.Events
	if c.Snapshots != "" {
		if seq := newestSnapshot(c.Snapshots); seq <= rep.Events {
			rep.Tail = rep.Events - seq
		}
	}
	runtime.GC()
	debug.FreeOSMemory()
	var m1 runtime.MemStats
	runtime.ReadMemStats(&m1)
	rep.Heap = m1.HeapAlloc - min(m0.HeapAlloc, m1.HeapAlloc)
	rep.HeapTotal = m1.HeapAlloc
	rep.RSS, rep.HWM = procMemory("self")
	if c.WriteSnapshot != "" {
		t := time.Now()
		path, err := writeSnapshot(ctx, j, eng, c.WriteSnapshot)
		if err != nil {
			closeFn()
			return rep, nil, nil, err
		}
		rep.SnapshotWrite = time.Since(t).Seconds()
		if fi, err := os.Stat(path); err == nil {
			rep.SnapshotBytes = fi.Size()
		}
	}
	if err := registerHTTPPeople(ctx, eng, c.HTTPPeople); err != nil {
		closeFn()
		return rep, nil, nil, err
	}
	keys, err := pii.New(make([]byte, 64))
	if err != nil {
		closeFn()
		return rep, nil, nil, err
	}
	if !pg {
		tok, hash := httpapi.NewToken()
		if err := j.PutToken(ctx, vaxtrace.Token{Hash: hash, Principal: vaxtrace.Principal{Name: fmt.Sprint("bench-", time.Now().UnixNano()), Role: vaxtrace.RoleAdmin}, Created: time.Now().Unix()}); err != nil {
			closeFn()
			return rep, nil, nil, err
		}
		rep.Token = tok
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		closeFn()
		return rep, nil, nil, err
	}
	srv := httpapi.New(eng, keys, httpapi.Options{Logger: discardLogger()}).HTTPServer()
	go srv.Serve(ln)
	rep.Addr = ln.Addr().String()
	return rep, srv, closeFn, nil
}

// nodePoll is how often a node on PostgreSQL catches up with the others
// (serve's default there).
const nodePoll = 200 * time.Millisecond

// openStore opens a SQLite file or, for a postgres:// URL, a PostgreSQL
// journal (pg true); readOnly opens it as a read-only node does.
func openStore(ctx context.Context, path string, readOnly bool) (j vaxtrace.Journal, pg bool, err error) {
	pg = strings.HasPrefix(path, "postgres://") || strings.HasPrefix(path, "postgresql://")
	switch {
	case pg && readOnly:
		j, err = postgres.OpenReadOnly(ctx, path)
	case pg:
		j, err = postgres.Open(ctx, path)
	case readOnly:
		j, err = sqlite.OpenReadOnly(path)
	default:
		j, err = sqlite.Open(path)
	}
	return j, pg, err
}

// writeSnapshot writes a snapshot of the engine's state into dir (the only
// one kept) and returns its path.
func writeSnapshot(ctx context.Context, j vaxtrace.Journal, eng *engine.Engine, dir string) (string, error) {
	t, err := snapshot.TargetOf(ctx, j, true)
	if err != nil {
		return "", err
	}
	var path string
	eng.Read(func(st *vaxtrace.State) {
		var link []byte
		if link, err = t.Link(ctx, st.Seq); err != nil {
			return
		}
		h := snapshot.Header{Store: t.Store, Zone: t.Zone, Seq: st.Seq, Created: time.Now().UTC()}
		copy(h.Link[:], link)
		path, err = snapshot.Write(dir, h, st, 1)
	})
	if err != nil {
		return "", fmt.Errorf("write a snapshot: %w", err)
	}
	return path, nil
}

// newestSnapshot is the sequence number the newest snapshot in dir covers
// (0 when none), read from its name.
func newestSnapshot(dir string) uint64 {
	paths, err := snapshot.List(dir)
	if err != nil || len(paths) == 0 {
		return 0
	}
	name := filepath.Base(paths[0]) // snapshot.FileName(seq)
	seq, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimPrefix(name, "snapshot-"), ".vxs"), 10, 64)
	if err != nil {
		return 0
	}
	return seq
}

// httpPID names the people of the single-dose HTTP measurement (apart from
// the dose run's people).
func httpPID(n int) vaxtrace.PersonID {
	p := pid(n)
	p[15] = 10
	return p
}

func registerHTTPPeople(ctx context.Context, eng *engine.Engine, n int) error {
	for i := 0; i < n; i += 10000 {
		cmds := make([]engine.Command, 0, 10000)
		for k := i; k < min(i+10000, n); k++ {
			cmds = append(cmds, engine.Command{Key: fmt.Sprint("http-person:", k), Actor: scenario.Admin, Recorded: at,
				Data: vaxtrace.PersonRegistered{Person: vaxtrace.Person{ID: httpPID(k), Family: "F", BirthDate: vaxtrace.MkDate(1970, 1, 1), Sex: "M", Region: "KZ-AKM"}}})
		}
		if err := submit(ctx, eng, cmds); err != nil {
			return fmt.Errorf("register the HTTP people: %w", err)
		}
	}
	return nil
}

// procMemory reads a process's resident memory and its peak (VmRSS and
// VmHWM, MiB) from /proc; pid is a number or "self". Zeros where /proc is
// missing.
func procMemory(pid string) (rss, hwm float64) {
	b, err := os.ReadFile("/proc/" + pid + "/status")
	if err != nil {
		return 0, 0
	}
	return statusMiB(string(b), "VmRSS:"), statusMiB(string(b), "VmHWM:")
}

// statusMiB reads one "Name:   1234 kB" line of /proc/<pid>/status as MiB.
func statusMiB(status, name string) float64 {
	for _, ln := range strings.Split(status, "\n") {
		if rest, ok := strings.CutPrefix(ln, name); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			if err != nil {
				return 0
			}
			return kb / 1024
		}
	}
	return 0
}
