package sms

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// TestSend: which answers are retried, which are final, and what Send
// returns for each.
func TestSend(t *testing.T) {
	for _, c := range []struct {
		name      string
		answers   []int // HTTP statuses in order; 200 answers with an id
		body      string
		wantErr   string // "", "permanent", "transient"
		wantCalls int
	}{
		{"accepted", []int{200}, `{"id":"g1","status":"accepted"}`, "", 1},
		{"server errors then accepted", []int{500, 502, 200}, `{"id":"g1"}`, "", 3},
		{"429 then accepted", []int{429, 200}, `{"id":"g1"}`, "", 2},
		{"bad request", []int{400}, "", "permanent", 1},
		{"unauthorized", []int{401}, "", "permanent", 1},
		{"always down", []int{503, 503, 503}, "", "transient", 3},
		{"answer not JSON", []int{200, 200, 200}, "<html>", "transient", 3},
	} {
		t.Run(c.name, func(t *testing.T) {
			var calls atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n := int(calls.Add(1)) - 1
				if r.Header.Get("Idempotency-Key") != "m1" || r.Header.Get("Authorization") != "Bearer tok" {
					t.Errorf("headers %v", r.Header)
				}
				st := c.answers[min(n, len(c.answers)-1)]
				if st == 429 {
					w.Header().Set("Retry-After", "1")
				}
				w.WriteHeader(st)
				if st == 200 {
					fmt.Fprint(w, c.body)
				}
			}))
			defer srv.Close()
			cl := &Client{URL: srv.URL, Token: "tok", MaxAttempts: 3, Backoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, PerSecond: 1000}
			res, err := cl.Send(context.Background(), Message{ID: "m1", To: "+77011234567", Text: "hi"})
			switch c.wantErr {
			case "":
				if err != nil || res.GatewayID != "g1" || res.Status != "accepted" {
					t.Errorf("res %+v err %v", res, err)
				}
			case "permanent":
				if !IsPermanent(err) {
					t.Errorf("want a permanent error, got %v", err)
				}
			default:
				if err == nil || IsPermanent(err) {
					t.Errorf("want a transient error, got %v", err)
				}
			}
			if int(calls.Load()) != c.wantCalls {
				t.Errorf("%d requests, want %d", calls.Load(), c.wantCalls)
			}
		})
	}
}

// TestRateLimit: requests are spaced by the rate limit (counted, not timed:
// ten sends at 1,000 a second reserve ten slots a millisecond apart, and a
// send after a quiet spell goes at once).
func TestRateLimit(t *testing.T) {
	cl := &Client{PerSecond: 1000}
	now := time.Date(2021, 4, 1, 9, 0, 0, 0, time.UTC)
	for i := range 10 {
		if at := cl.reserve(now); !at.Equal(now.Add(time.Duration(i) * time.Millisecond)) {
			t.Fatalf("send %d at %v, want %v", i, at.Sub(now), time.Duration(i)*time.Millisecond)
		}
	}
	later := now.Add(time.Second)
	if at := cl.reserve(later); !at.Equal(later) {
		t.Errorf("after a quiet second the send waits %v", at.Sub(later))
	}
	if err := cl.wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	slow := &Client{PerSecond: 0.001, next: time.Now().Add(time.Hour)}
	if err := slow.wait(ctx); err == nil {
		t.Error("a cancelled wait returned no error")
	}
}

// TestRetryDelay: the backoff doubles per attempt up to its cap and never
// wraps, however many attempts are configured.
func TestRetryDelay(t *testing.T) {
	for _, c := range []struct {
		attempt int
		want    time.Duration
	}{{1, time.Second}, {2, 2 * time.Second}, {4, 8 * time.Second}, {7, time.Minute}, {40, time.Minute}, {1000, time.Minute}} {
		if got := retryDelay(c.attempt, time.Second, time.Minute); got != c.want {
			t.Errorf("attempt %d: %v, want %v", c.attempt, got, c.want)
		}
	}
}
