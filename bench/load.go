package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"sync"
	"time"
)

// loadResult summarises one open-loop run.
type loadResult struct {
	sent, failed int
	firstErr     string
	achieved     float64 // completed requests per second of wall time
	p50, p99     float64 // ms from each request's scheduled start
	maxInflight  int
}

// newClient returns an HTTP client with a bounded keep-alive pool of conns
// connections: a load generator that opens a connection per request runs
// the server out of file descriptors ("too many open files") long before
// it runs out of anything else.
func newClient(conns int) *http.Client {
	return &http.Client{
		Transport: &http.Transport{
			MaxConnsPerHost:     conns,
			MaxIdleConnsPerHost: conns,
			MaxIdleConns:        conns,
			IdleConnTimeout:     time.Minute,
			DisableCompression:  true,
		},
		Timeout: 30 * time.Second,
	}
}

// openLoop sends n requests at rate per second whatever the answers take
// (an open loop: a slow server does not slow the schedule), from inflight
// workers sharing client, so at most inflight requests are outstanding.
// Latency is counted from each request's scheduled start: when the server
// (or the client) falls behind, the queueing shows in the percentiles
// instead of being hidden by a later send (no coordinated omission).
// newReq builds request i; a request succeeds with a 2xx answer.
func openLoop(ctx context.Context, client *http.Client, n, rate, inflight int, newReq func(i int) (*http.Request, error)) loadResult {
	type job struct {
		i   int
		due time.Time
	}
	jobs := make(chan job, n) // the pacer never blocks: a backlog waits here
	lat := make([]float64, n)
	var (
		mu       sync.Mutex
		res      loadResult
		busy     int
		wg       sync.WaitGroup
		interval = time.Second / time.Duration(rate)
	)
	fail := func(msg string) {
		mu.Lock()
		res.failed++
		if res.firstErr == "" {
			res.firstErr = msg
		}
		mu.Unlock()
	}
	for range inflight {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				mu.Lock()
				busy++
				res.maxInflight = max(res.maxInflight, busy)
				mu.Unlock()
				req, err := newReq(j.i)
				if err == nil {
					var resp *http.Response
					resp, err = client.Do(req.WithContext(ctx))
					if err == nil {
						io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
						if resp.StatusCode >= 300 {
							err = fmt.Errorf("HTTP %d", resp.StatusCode)
						}
					}
				}
				lat[j.i] = float64(time.Since(j.due).Microseconds()) / 1000
				if err != nil {
					fail(err.Error())
				}
				mu.Lock()
				busy--
				mu.Unlock()
			}
		}()
	}
	start := time.Now()
	for i := 0; i < n; {
		due := min(n, int(time.Since(start)/interval)+1)
		for ; i < due; i++ {
			jobs <- job{i, start.Add(time.Duration(i) * interval)}
		}
		if i < n {
			time.Sleep(time.Until(start.Add(time.Duration(i) * interval)))
		}
	}
	close(jobs)
	wg.Wait()
	res.sent = n
	res.achieved = float64(n) / time.Since(start).Seconds()
	sort.Float64s(lat)
	res.p50, res.p99 = lat[n/2], lat[n*99/100]
	return res
}

// getLatency sends n GET requests to url one after the other and returns
// the latency distribution; any answer but 200 is an error.
func getLatency(ctx context.Context, client *http.Client, url, token string, n int) (latency, error) {
	var failed error
	lat := measure(n, func() {
		req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
		if err != nil {
			failed = err
			return
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := client.Do(req)
		if err != nil {
			failed = err
			return
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			failed = fmt.Errorf("GET %s: HTTP %d", url, resp.StatusCode)
		}
	})
	return lat, failed
}
