package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	"vaxtrace"
	"vaxtrace/scenario"
)

// child is a serving process started on the dose run's store.
type child struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	rep   serveReport
}

// server is how a serving process is started.
type server struct {
	memLimit      int64  // bytes (0: none)
	httpPeople    int    // people it registers for the HTTP runs
	snapshots     string // the snapshot directory it starts from ("": full replay)
	writeSnapshot string // where it writes a snapshot of what it loaded
	profile       bool   // profile it (Config.CPUProfile)
	readOnly      bool   // a read-only node (ServeConfig.ReadOnly)
}

// startServer starts Exe as the serving process on the store at path (see
// ServeStore) and waits until it serves.
func startServer(ctx context.Context, c Config, path string, o server) (*child, error) {
	args := []string{"bench", "--serve-store", path, "--http-people", strconv.Itoa(o.httpPeople)}
	if o.memLimit > 0 {
		args = append(args, "--memory-limit", strconv.FormatInt(o.memLimit, 10))
	}
	if o.profile && c.CPUProfile != "" {
		args = append(args, "--cpuprofile", profilePath(c.CPUProfile, "server"))
	}
	if o.snapshots != "" {
		args = append(args, "--snapshot-dir", o.snapshots)
	}
	if o.writeSnapshot != "" {
		args = append(args, "--write-snapshot", o.writeSnapshot)
	}
	if o.readOnly {
		args = append(args, "--read-only")
	}
	cmd := exec.CommandContext(ctx, c.Exe, args...)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start the serving process: %w", err)
	}
	ch := &child{cmd: cmd, stdin: stdin}
	line, err := bufio.NewReader(stdout).ReadBytes('\n')
	if err == nil {
		err = json.Unmarshal(line, &ch.rep)
	}
	if err == nil && ch.rep.Err != "" {
		err = fmt.Errorf("serving process: %s", ch.rep.Err)
	}
	if err != nil {
		ch.stop()
		return nil, fmt.Errorf("serving process: %w", err)
	}
	return ch, nil
}

// memory reads the serving process's resident memory and peak (MiB).
func (ch *child) memory() (rss, hwm float64) {
	return procMemory(strconv.Itoa(ch.cmd.Process.Pid))
}

func (ch *child) stop() error {
	ch.stdin.Close()
	done := make(chan error, 1)
	go func() { done <- ch.cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(30 * time.Second):
		ch.cmd.Process.Kill()
		return <-done
	}
}

// serving measures what a server on the dose run's store costs and how fast
// it answers, each time in a fresh process that holds nothing but the
// state: first a full replay (start-up without a snapshot, live heap and
// resident memory per person), which writes a snapshot of what it loaded
// and then takes single doses over HTTP at each of HTTPRates and the
// coverage and overview APIs; then a start from that snapshot (and the
// HTTP runs' tail); with MemoryLimit, a start from the snapshot under that
// limit.
func serving(ctx context.Context, c Config, emit func(Result)) error {
	if c.Exe == "" {
		return fmt.Errorf("bench: no executable to start a serving process with")
	}
	path := filepath.Join(c.Dir, "doses.db")
	snaps := path + ".snapshots" // where serve, snapshot and check look by default
	os.RemoveAll(snaps)
	ch, err := startServer(ctx, c, path, server{httpPeople: c.httpPeople(), writeSnapshot: snaps, profile: true})
	if err != nil {
		return err
	}
	defer ch.stop()
	emitServerMemory(c.People, ch.rep, "", emit)
	emit(Result{fmt.Sprintf("snapshot of the state written (seq %d)", ch.rep.Events), ch.rep.SnapshotWrite, "s", fmt.Sprintf("%.0f MiB, %.0f B/person", float64(ch.rep.SnapshotBytes)/(1<<20), float64(ch.rep.SnapshotBytes)/float64(c.People))})
	if err := httpLoad(ctx, c, ch, emit); err != nil {
		return err
	}
	rss, hwm := ch.memory()
	emit(Result{"serving process resident memory after the HTTP runs / peak", rss, "MiB", fmt.Sprintf("peak %.0f MiB", hwm)})
	if err := ch.stop(); err != nil {
		return fmt.Errorf("serving process: %w", err)
	}
	people := c.People + c.httpPeople() // the HTTP runs' people are in the store now
	if c.MemoryLimit == AutoMemoryLimit {
		c.MemoryLimit = int64(ch.rep.HeapTotal) * 5 / 4
	}
	runs := []server{{snapshots: snaps}}
	if c.MemoryLimit > 0 {
		runs = append(runs, server{snapshots: snaps, memLimit: c.MemoryLimit})
	}
	for _, o := range runs {
		sc, err := startServer(ctx, c, path, o)
		if err != nil {
			return err
		}
		note := ""
		if o.memLimit > 0 {
			note = fmt.Sprintf(" (memory limit %d MiB)", o.memLimit>>20)
		}
		emitServerMemory(people, sc.rep, note, emit)
		if err := sc.stop(); err != nil {
			return fmt.Errorf("serving process: %w", err)
		}
	}
	return nil
}

// emitServerMemory reports a serving process's start-up and memory, per
// person of people.
func emitServerMemory(people int, rep serveReport, note string, emit func(Result)) {
	how := "no snapshot"
	goal := "goal ≤ 20 s at 20 M people with a snapshot; also report the full replay"
	if rep.Tail < rep.Events {
		how = fmt.Sprintf("snapshot + %d events of tail", rep.Tail)
		goal = "goal ≤ 20 s at 20 M people"
	}
	emit(Result{fmt.Sprintf("start-up to serving: %d events, %s%s", rep.Events, how, note), rep.StartUp, "s", goal})
	emit(Result{fmt.Sprintf("serving process: live heap per person (%d people)%s", people, note), float64(rep.Heap) / float64(people), "B", "goal ≤ 200 B (indexes included)"})
	emit(Result{fmt.Sprintf("serving process: resident memory (RSS) per person%s", note), rep.RSS * (1 << 20) / float64(people), "B", fmt.Sprintf("RSS %.0f MiB, start-up peak %.0f MiB; goal ≤ 4 GiB at 20 M people", rep.RSS, rep.HWM)})
}

// doseRequest is the single first dose of HTTP person k, sent to the node
// at base (http://host:port) with token.
func doseRequest(base, token string, k int) (*http.Request, error) {
	const points = 100 // scenario.Minimal's points in the dose runs
	body, _ := json.Marshal(map[string]any{"id": fmt.Sprint("h", k), "person": httpPID(k).String(), "at": at.Format(time.RFC3339),
		"place": scenario.PointID(1 + k%points), "lot": "FIX-I", "vaccinator": "nurse"})
	req, err := http.NewRequest("POST", base+"/api/v1/doses", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	return req, nil
}

// httpLoad sends single doses at each rate, then measures the coverage and
// overview APIs, against the serving process.
func httpLoad(ctx context.Context, c Config, ch *child, emit func(Result)) error {
	base := "http://" + ch.rep.Addr
	conns := max(64, c.HTTPConns)
	client := newClient(conns)
	defer client.CloseIdleConnections()
	next := 0 // the next HTTP person
	for _, rate := range c.HTTPRates {
		n := rate * c.HTTPSeconds
		if n == 0 {
			continue
		}
		first := next
		next += n
		res := openLoop(ctx, client, n, rate, conns, func(i int) (*http.Request, error) {
			return doseRequest(base, ch.rep.Token, first+i)
		})
		goal := ""
		if rate >= 10000 {
			goal = "goal p99 ≤ 5 ms at 10,000/s"
		}
		emit(Result{fmt.Sprintf("single dose over HTTP at %d req/s (%d requests, ≤ %d in flight), p50", rate, n, conns), res.p50, "ms", ""})
		emit(Result{fmt.Sprintf("single dose over HTTP at %d req/s, p99", rate), res.p99, "ms", goal})
		emit(Result{fmt.Sprintf("single dose over HTTP at %d req/s, achieved rate", rate), res.achieved, "/s", fmt.Sprintf("at most %d in flight", res.maxInflight)})
		if res.failed > 0 {
			emit(Result{fmt.Sprintf("single dose over HTTP at %d req/s, errors", rate), float64(res.failed), "", "first: " + res.firstErr})
		}
	}
	day := vaxtrace.DateOf(at)
	cov := fmt.Sprintf("%s/api/v1/coverage?region=KZ-AKM&from=%s&to=%s", base, day, day.AddDays(120))
	lat, err := getLatency(ctx, client, cov, "", 200)
	if err != nil {
		return err
	}
	emit(Result{"coverage API: one region × 121 days × every dose number, p99", lat.p99, "ms", "goal ≤ 20 ms"})
	lat, err = getLatency(ctx, client, fmt.Sprintf("%s/api/v1/coverage?from=%s&to=%s", base, day, day.AddDays(120)), "", 200)
	if err != nil {
		return err
	}
	emit(Result{"coverage API: the whole country × 121 days, p99", lat.p99, "ms", "goal ≤ 20 ms"})
	lat, err = getLatency(ctx, client, fmt.Sprintf("%s/api/v1/overview?as_of=%s", base, day.AddDays(60)), ch.rep.Token, 200)
	if err != nil {
		return err
	}
	emit(Result{"overview API, p99", lat.p99, "ms", "goal ≤ 20 ms"})
	return nil
}
