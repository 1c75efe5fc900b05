package e2e

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

const chromiumPath = "/usr/bin/chromium"

// need fails under CI=true and skips otherwise when a tool is missing.
func need(t *testing.T, what string, ok bool) {
	t.Helper()
	if ok {
		return
	}
	msg := what + " is missing: run scripts/e2e-setup.sh (installs Debian's chromium and e2e/node_modules)"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

func exists(p string) bool { _, err := os.Stat(p); return err == nil }

// TestBrowser drives the UI end to end in headless Chromium.
func TestBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	node, err := exec.LookPath("node")
	need(t, "node", err == nil)
	need(t, chromiumPath, exists(chromiumPath))
	need(t, "e2e/node_modules/playwright-core", exists("node_modules/playwright-core/package.json"))

	start := time.Now()
	srv := startServer(t)
	defer srv.stop()
	t.Logf("server ready at %s in %v", srv.URL, time.Since(start).Round(time.Millisecond))

	art, _ := filepath.Abs("artifacts")
	if err := os.MkdirAll(art, 0o755); err != nil {
		t.Fatal(err)
	}
	profile := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "run.mjs")
	cmd.Env = append(os.Environ(),
		"BASE_URL="+srv.URL,
		"ADMIN_TOKEN="+srv.AdminToken,
		"REGION_TOKEN="+srv.RegionToken,
		"REGION_CODE="+srv.RegionCode,
		"ARTIFACTS="+art,
		"CHROMIUM="+chromiumPath,
		"USER_DATA_DIR="+profile,
		"DEMO="+map[bool]string{true: "1", false: "0"}[srv.Demo],
	)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var timings []string
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		line := sc.Text()
		t.Log(line)
		if strings.HasPrefix(line, "TIMING ") {
			timings = append(timings, strings.TrimPrefix(line, "TIMING "))
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("browser scenario failed: %v (screenshots in %s)", err, art)
	}
	t.Logf("page timings: %s", strings.Join(timings, ", "))
}

// startServer prefers the CLI's demo when the binary has one and falls back
// to the in-process server otherwise (or when VAXTRACE_E2E_INPROCESS=1).
func startServer(t *testing.T) *server {
	if os.Getenv("VAXTRACE_E2E_INPROCESS") != "1" {
		if s, err := startCLI(t); err == nil {
			return s
		} else {
			t.Logf("CLI demo not usable (%v); using the in-process server", err)
		}
	}
	return startInProcess(t)
}

var (
	reListening = regexp.MustCompile(`listening on (http://\S+)`)
	reAdmin     = regexp.MustCompile(`admin token: (\S+)`)
)

// startCLI builds ./cmd/vaxtrace and runs `vaxtrace demo`, reading the
// address and admin token it prints, then issues a region-scoped token.
func startCLI(t *testing.T) (*server, error) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "vaxtrace")
	build := exec.Command("go", "build", "-o", bin, "./cmd/vaxtrace")
	build.Dir = ".."
	if b, err := build.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("build: %v: %s", err, firstLine(b))
	}
	help, _ := exec.Command(bin, "help").CombinedOutput()
	if !regexp.MustCompile(`(?m)^\s+demo\s`).Match(help) || !regexp.MustCompile(`(?m)^\s+token\s`).Match(help) {
		return nil, fmt.Errorf("the CLI has no demo/token command yet")
	}
	db := filepath.Join(dir, "demo.db")
	cmd := exec.Command(bin, "demo", "--db", db, "--addr", "127.0.0.1:0", "--no-serve=false")
	cmd.Dir = dir
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{RegionCode: "KZ-AKM", Demo: true}
	found := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		sent := false
		for sc.Scan() {
			line := sc.Text()
			if m := reListening.FindStringSubmatch(line); m != nil {
				s.URL = strings.TrimRight(m[1], "/")
			}
			if m := reAdmin.FindStringSubmatch(line); m != nil {
				s.AdminToken = m[1]
			}
			if !sent && s.URL != "" && s.AdminToken != "" {
				found <- nil
				sent = true
			}
		}
		if !sent {
			found <- fmt.Errorf("demo exited before printing its address and admin token")
		}
	}()
	stop := func() {
		cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
		}
		pw.Close()
	}
	select {
	case err := <-found:
		if err != nil {
			stop()
			return nil, err
		}
	case <-time.After(3 * time.Minute):
		stop()
		return nil, fmt.Errorf("demo did not start within 3 minutes")
	}
	tok, err := exec.Command(bin, "token", "--db", db, "--name", "e2e-akmola", "--role", "region", "--region", "KZ-AKM").Output()
	if err != nil {
		stop()
		return nil, fmt.Errorf("token: %v", err)
	}
	fields := strings.Fields(string(tok))
	if len(fields) == 0 {
		stop()
		return nil, fmt.Errorf("token printed nothing")
	}
	s.RegionToken = fields[len(fields)-1]
	s.stop = stop
	return s, nil
}

func firstLine(b []byte) string {
	s, _, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
	return s
}
