package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"sync"
	"time"

	"vaxtrace"
	"vaxtrace/engine"
	"vaxtrace/httpapi"
	"vaxtrace/pii"
	"vaxtrace/scenario"
)

// httpDoses sends single doses over HTTP (loopback) at a fixed rate from
// many clients and reports the latency distribution. Each request is
// validated and durably committed before it is answered; concurrent requests
// share group commits.
func httpDoses(ctx context.Context, c Config, emit func(Result)) error {
	eng, j, err := openEngine(ctx, c.Dir, "http.db")
	if err != nil {
		return err
	}
	defer j.Close()
	defer eng.Close()
	const points = 50
	n := c.HTTPRequests
	if err := scenario.Minimal(ctx, eng, points, int64(n)+10); err != nil {
		return err
	}
	secret := make([]byte, 64)
	keys, _ := pii.New(secret)
	tok, hash := httpapi.NewToken()
	if err := j.PutToken(ctx, vaxtrace.Token{Hash: hash, Principal: scenario.Admin, Created: time.Now().Unix()}); err != nil {
		return err
	}
	// register the people first (batch path, not measured)
	for i := 0; i < n; i += c.Batch {
		cmds := make([]engine.Command, 0, c.Batch)
		for k := i; k < min(i+c.Batch, n); k++ {
			cmds = append(cmds, engine.Command{Key: fmt.Sprint("person:", k), Actor: scenario.Admin, Recorded: at,
				Data: vaxtrace.PersonRegistered{Person: vaxtrace.Person{ID: pid(k), Family: "F", BirthDate: vaxtrace.MkDate(1970, 1, 1), Sex: "M", Region: "KZ-AKM"}}})
		}
		if err := submit(ctx, eng, cmds); err != nil {
			return err
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: httpapi.New(eng, keys, httpapi.Options{Logger: discardLogger()})}
	go srv.Serve(ln)
	defer srv.Close()
	url := "http://" + ln.Addr().String() + "/api/v1/doses"
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}, Timeout: 10 * time.Second}
	lat := make([]float64, n)
	var wg sync.WaitGroup
	var failed int
	var mu sync.Mutex
	interval := time.Second / time.Duration(c.HTTPRate)
	start := time.Now()
	for i := 0; i < n; i++ {
		next := start.Add(time.Duration(i) * interval)
		time.Sleep(time.Until(next))
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			body, _ := json.Marshal(map[string]any{"id": fmt.Sprint("h", i), "person": pid(i).String(), "at": at.Format(time.RFC3339),
				"place": scenario.PointID(1 + i%points), "lot": "FIX-I", "vaccinator": "nurse"})
			req, _ := http.NewRequest("POST", url, bytes.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+tok)
			req.Header.Set("Content-Type", "application/json")
			t := time.Now()
			resp, err := client.Do(req)
			d := time.Since(t)
			ok := err == nil && resp.StatusCode < 300
			if resp != nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			mu.Lock()
			lat[i] = float64(d.Microseconds()) / 1000
			if !ok {
				failed++
			}
			mu.Unlock()
		}(i)
	}
	wg.Wait()
	el := time.Since(start)
	if failed > 0 {
		return fmt.Errorf("http bench: %d of %d requests failed", failed, n)
	}
	sort.Float64s(lat)
	emit(Result{fmt.Sprintf("single dose over HTTP at %d req/s (%d requests), p50", c.HTTPRate, n), lat[n/2], "ms", ""})
	emit(Result{fmt.Sprintf("single dose over HTTP at %d req/s, p99", c.HTTPRate), lat[n*99/100], "ms", "goal ≤ 5 ms"})
	emit(Result{"single dose over HTTP, achieved rate", float64(n) / el.Seconds(), "/s", ""})
	return nil
}
