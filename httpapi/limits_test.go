package httpapi

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// limited starts the API of a fixture on a real TCP listener with short
// limits, as serve does with the defaults.
func limited(t *testing.T, f *fixture) (addr string, s *Server) {
	t.Helper()
	s = newServer(f.eng, f.keys, Options{
		Logger:  slog.New(slog.NewJSONHandler(f.logs, nil)),
		MaxBody: 1 << 10, // uploads over 1 KiB are "large"
		Limits: Limits{
			ReadHeaderTimeout: 200 * time.Millisecond,
			ReadTimeout:       300 * time.Millisecond,
			WriteTimeout:      5 * time.Second,
			IdleTimeout:       300 * time.Millisecond,
			UploadIdle:        300 * time.Millisecond,
			UploadTimeout:     5 * time.Second,
			MaxUploads:        1,
			RetryAfter:        3 * time.Second,
		},
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := s.HTTPServer()
	go hs.Serve(ln)
	t.Cleanup(func() { hs.Close() })
	return ln.Addr().String(), s
}

// dial opens a raw connection with a generous client-side deadline: a test
// that hits it means the server kept a connection it should have cut.
func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(20 * time.Second))
	t.Cleanup(func() { c.Close() })
	return c
}

// closedByServer reads until the server closes the connection and returns
// what it sent; it fails if the client-side deadline fires first.
func closedByServer(t *testing.T, c net.Conn) string {
	t.Helper()
	b, err := io.ReadAll(c)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("the server kept the connection open (read so far: %q)", b)
	}
	return string(b)
}

func batchHeader(token string, length int) string {
	return fmt.Sprintf("POST /api/v1/doses/batch HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/x-ndjson\r\nContent-Length: %d\r\n\r\n", token, length)
}

// a batch of n records that parse (they are rejected for their content,
// which does not matter here: the answer is 200 with per-record results).
func batchBody(n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, `{"id":"slow-%d","person":"%032x","at":"2021-03-01T10:00:00+06:00","place":"AKM-P1","lot":"L1","vaccinator":"n"}`+"\n", i, i)
	}
	return b.String()
}

func TestSlowHeadersAreCutOff(t *testing.T) {
	f := newFixture(t)
	addr, _ := limited(t, f)
	c := dial(t, addr)
	io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n") // and never the blank line
	closedByServer(t, c)
}

func TestSlowBodyIsCutOff(t *testing.T) {
	f := newFixture(t)
	addr, _ := limited(t, f)
	// many clients each send a few bytes of a small body and stall
	const clients = 50
	var wg sync.WaitGroup
	for i := 0; i < clients; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := dial(t, addr)
			fmt.Fprintf(c, "POST /api/v1/lots HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Length: 500\r\n\r\n{\"id\":", f.tokens["admin"])
			got := closedByServer(t, c)
			if strings.Contains(got, "201 Created") {
				t.Errorf("a stalled body was accepted: %q", got)
			}
		}()
	}
	wg.Wait()
}

func TestIdleConnectionIsClosed(t *testing.T) {
	f := newFixture(t)
	addr, _ := limited(t, f)
	c := dial(t, addr)
	io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("healthz: %d", resp.StatusCode)
	}
	// keep-alive: the server closes the idle connection
	rest, err := io.ReadAll(br)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatal("an idle keep-alive connection was kept")
	}
	if len(rest) != 0 {
		t.Fatalf("unexpected bytes: %q", rest)
	}
}

func TestUploadSlots(t *testing.T) {
	f := newFixture(t)
	addr, s := limited(t, f)
	tok := f.tokens["p1"]
	body := batchBody(40) // a few KiB: a large upload under MaxBody = 1 KiB

	// a stalled upload holds the only slot...
	stalled := dial(t, addr)
	io.WriteString(stalled, batchHeader(tok, len(body))+body[:len(body)/2])
	waitFor(t, func() bool { return len(s.uploads) == 1 })

	// ...so another large upload is refused at once with Retry-After
	c := dial(t, addr)
	io.WriteString(c, batchHeader(tok, len(body))+body)
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	msg, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "3" || !strings.Contains(string(msg), "retry after") {
		t.Fatalf("second upload: %d Retry-After=%q %s", resp.StatusCode, resp.Header.Get("Retry-After"), msg)
	}
	// small uploads do not need a slot
	small := batchBody(1)
	c2 := dial(t, addr)
	io.WriteString(c2, batchHeader(tok, len(small))+small)
	resp, err = http.ReadResponse(bufio.NewReader(c2), nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("small upload: %v %v", err, resp)
	}

	// the stalled upload is cut off after UploadIdle without data, and its slot freed
	closedByServer(t, stalled)
	waitFor(t, func() bool { return len(s.uploads) == 0 })

	// a slow but steady upload outlives ReadTimeout: each piece arrives
	// well within UploadIdle
	steady := dial(t, addr)
	io.WriteString(steady, batchHeader(tok, len(body)))
	for i := 0; i < len(body); i += len(body) / 8 {
		io.WriteString(steady, body[i:min(i+len(body)/8, len(body))])
		time.Sleep(100 * time.Millisecond)
	}
	resp, err = http.ReadResponse(bufio.NewReader(steady), nil)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.Contains(string(out), `"results"`) {
		t.Fatalf("steady upload: %d %s", resp.StatusCode, out)
	}

	// a declared body over MaxBatchBody is refused before it is read
	c3 := dial(t, addr)
	io.WriteString(c3, batchHeader(tok, int(s.opts.MaxBatchBody)+1))
	resp, err = http.ReadResponse(bufio.NewReader(c3), nil)
	if err != nil || resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("oversized upload: %v %v", err, resp)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for i := 0; i < 2000; i++ {
		if cond() {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("condition not reached")
}
