package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"vaxtrace"
	"vaxtrace/engine"
	"vaxtrace/httpapi"
	"vaxtrace/pii"
	"vaxtrace/scenario"
	"vaxtrace/sqlite"
)

// ServeConfig configures the serving process the bench starts on the store
// its dose run wrote (`vaxtrace bench --serve-store`).
type ServeConfig struct {
	Path string // the SQLite store
	// MemoryLimit, when positive, is passed to debug.SetMemoryLimit before
	// the state is loaded (as serve --memory-limit does).
	MemoryLimit int64
	// HTTPPeople people without doses are registered after the memory was
	// read, for the single-dose HTTP measurement.
	HTTPPeople int
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
	Heap    uint64  `json:"heap_bytes"` // live heap after start-up and a GC
	RSS     float64 `json:"rss_mib"`    // resident after start-up, memory returned to the OS
	HWM     float64 `json:"hwm_mib"`    // peak resident (the start-up's high-water mark)
	Addr    string  `json:"addr"`
	Token   string  `json:"token"`
	Err     string  `json:"err,omitempty"`
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
	j, err := sqlite.Open(c.Path)
	if err != nil {
		return rep, nil, nil, err
	}
	eng, err := engine.Open(ctx, j, engine.Options{Logger: discardLogger()})
	if err != nil {
		j.Close()
		return rep, nil, nil, err
	}
	rep.StartUp = time.Since(start).Seconds()
	closeFn := func() { eng.Close(); j.Close() }
	rep.Events = eng.Seq()
	runtime.GC()
	debug.FreeOSMemory()
	var m1 runtime.MemStats
	runtime.ReadMemStats(&m1)
	rep.Heap = m1.HeapAlloc - min(m0.HeapAlloc, m1.HeapAlloc)
	rep.RSS, rep.HWM = procMemory("self")
	if err := registerHTTPPeople(ctx, eng, c.HTTPPeople); err != nil {
		closeFn()
		return rep, nil, nil, err
	}
	keys, err := pii.New(make([]byte, 64))
	if err != nil {
		closeFn()
		return rep, nil, nil, err
	}
	tok, hash := httpapi.NewToken()
	if err := j.PutToken(ctx, vaxtrace.Token{Hash: hash, Principal: vaxtrace.Principal{Name: fmt.Sprint("bench-", time.Now().UnixNano()), Role: vaxtrace.RoleAdmin}, Created: time.Now().Unix()}); err != nil {
		closeFn()
		return rep, nil, nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		closeFn()
		return rep, nil, nil, err
	}
	srv := httpapi.New(eng, keys, httpapi.Options{Logger: discardLogger()}).HTTPServer()
	go srv.Serve(ln)
	rep.Addr, rep.Token = ln.Addr().String(), tok
	return rep, srv, closeFn, nil
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
