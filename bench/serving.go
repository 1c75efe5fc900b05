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

// startServer starts Exe as the serving process on the store at path (see
// ServeStore) and waits until it serves.
func startServer(ctx context.Context, c Config, path string, memLimit int64, httpPeople int) (*child, error) {
	args := []string{"bench", "--serve-store", path, "--http-people", strconv.Itoa(httpPeople)}
	if memLimit > 0 {
		args = append(args, "--memory-limit", strconv.FormatInt(memLimit, 10))
	} else if c.CPUProfile != "" {
		args = append(args, "--cpuprofile", profilePath(c.CPUProfile, "server"))
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
// it answers: start-up, live heap and resident memory per person of a fresh
// process that holds nothing but the state, single doses over HTTP at each
// of HTTPRates, and the coverage and overview APIs. With MemoryLimit it
// first starts a server under that limit and reports its memory.
func serving(ctx context.Context, c Config, emit func(Result)) error {
	if c.Exe == "" {
		return fmt.Errorf("bench: no executable to start a serving process with")
	}
	path := filepath.Join(c.Dir, "doses.db")
	if c.MemoryLimit > 0 {
		// first, while the store holds only the dose run's people
		lim, err := startServer(ctx, c, path, c.MemoryLimit, 0)
		if err != nil {
			return err
		}
		emitServerMemory(c, lim.rep, fmt.Sprintf(" (memory limit %d MiB)", c.MemoryLimit>>20), emit)
		if err := lim.stop(); err != nil {
			return fmt.Errorf("serving process: %w", err)
		}
	}
	ch, err := startServer(ctx, c, path, 0, c.httpPeople())
	if err != nil {
		return err
	}
	defer ch.stop()
	emitServerMemory(c, ch.rep, "", emit)
	if err := httpLoad(ctx, c, ch, emit); err != nil {
		return err
	}
	rss, hwm := ch.memory()
	emit(Result{"serving process resident memory after the HTTP runs / peak", rss, "MiB", fmt.Sprintf("peak %.0f MiB", hwm)})
	if err := ch.stop(); err != nil {
		return fmt.Errorf("serving process: %w", err)
	}
	return nil
}

func emitServerMemory(c Config, rep serveReport, note string, emit func(Result)) {
	emit(Result{fmt.Sprintf("start-up: state rebuilt from the journal (%d events, no snapshot)%s", rep.Events, note), rep.StartUp, "s", "goal ≤ 20 s at 20 M people with a snapshot"})
	emit(Result{"serving process: live heap per person (two doses each)" + note, float64(rep.Heap) / float64(c.People), "B", "goal ≤ 200 B (indexes included)"})
	emit(Result{"serving process: resident memory (RSS) per person" + note, rep.RSS * (1 << 20) / float64(c.People), "B", fmt.Sprintf("RSS %.0f MiB, start-up peak %.0f MiB; goal ≤ 4 GiB at 20 M people", rep.RSS, rep.HWM)})
}

// httpLoad sends single doses at each rate, then measures the coverage and
// overview APIs, against the serving process.
func httpLoad(ctx context.Context, c Config, ch *child, emit func(Result)) error {
	base := "http://" + ch.rep.Addr
	const points = 100 // scenario.Minimal's points in the dose run
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
			k := first + i
			body, _ := json.Marshal(map[string]any{"id": fmt.Sprint("h", k), "person": httpPID(k).String(), "at": at.Format(time.RFC3339),
				"place": scenario.PointID(1 + k%points), "lot": "FIX-I", "vaccinator": "nurse"})
			req, err := http.NewRequest("POST", base+"/api/v1/doses", bytes.NewReader(body))
			if err != nil {
				return nil, err
			}
			req.Header.Set("Authorization", "Bearer "+ch.rep.Token)
			req.Header.Set("Content-Type", "application/json")
			return req, nil
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
