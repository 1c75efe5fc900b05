// Package sms is the client of an SMS gateway reached over HTTP, with
// retries, backoff and a rate limit.
//
// The contract (a gateway, or an adapter in front of one, implements it):
//
//	POST <url>
//	Authorization: Bearer <token>
//	Idempotency-Key: <message id>
//	Content-Type: application/json
//	{"id": "<message id>", "to": "+77011234567", "text": "…", "lang": "kk"}
//
// The gateway answers 200, 201 or 202 with {"id": "<gateway id>",
// "status": "accepted"} (or "delivered"). It must treat a second request
// with the same Idempotency-Key as the first (answer the same, send
// nothing): that is what makes a send repeated after a crash harmless. 429
// (with Retry-After in seconds) and 5xx answers, time-outs and network
// errors are retried with exponential backoff; any other 4xx is a permanent
// refusal and is not retried. Delivery reports and replies come back to the
// server (see package httpapi: POST /api/v1/reminders/status and
// /api/v1/reminders/inbound).
package sms

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Message is one SMS.
type Message struct {
	ID   string `json:"id"` // the sender's id, also the idempotency key
	To   string `json:"to"`
	Text string `json:"text"`
	Lang string `json:"lang,omitempty"`
}

// Result is the gateway's answer to an accepted message.
type Result struct {
	GatewayID string `json:"id"`
	Status    string `json:"status"`
	Attempts  int    `json:"-"` // HTTP requests made
}

// Client sends messages. The zero value is not usable: set URL.
type Client struct {
	URL   string
	Token string
	HTTP  *http.Client // default: 10 s time-out
	// MaxAttempts is the number of HTTP requests per Send (default 5).
	MaxAttempts int
	// Backoff is the first wait between attempts, doubling up to
	// MaxBackoff (defaults 1 s and 1 min); a Retry-After is honoured up to
	// MaxBackoff.
	Backoff, MaxBackoff time.Duration
	// PerSecond limits the requests per second (0: 5).
	PerSecond float64

	mu   sync.Mutex
	next time.Time
}

// PermanentError is a refusal that retrying will not change.
type PermanentError struct {
	Status int
	Body   string
}

func (e *PermanentError) Error() string {
	return fmt.Sprintf("sms gateway refused the message: HTTP %d %s", e.Status, e.Body)
}

// IsPermanent reports whether err is a permanent refusal.
func IsPermanent(err error) bool {
	var p *PermanentError
	return errors.As(err, &p)
}

func (c *Client) wait(ctx context.Context) error {
	return sleep(ctx, time.Until(c.reserve(time.Now())))
}

// reserve takes the next send slot at or after now: slots are spaced by the
// rate limit, so a burst is spread out rather than refused.
func (c *Client) reserve(now time.Time) time.Time {
	per := c.PerSecond
	if per <= 0 {
		per = 5
	}
	gap := time.Duration(float64(time.Second) / per)
	c.mu.Lock()
	defer c.mu.Unlock()
	at := c.next
	if at.Before(now) {
		at = now
	}
	c.next = at.Add(gap)
	return at
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Send hands m to the gateway, retrying transient failures. It returns a
// *PermanentError when the gateway refuses the message, ctx's error when
// cancelled, and the last transient error when the attempts run out.
func (c *Client) Send(ctx context.Context, m Message) (Result, error) {
	if c.URL == "" {
		return Result{}, errors.New("sms: no gateway URL configured")
	}
	body, err := json.Marshal(m)
	if err != nil {
		return Result{}, err
	}
	attempts := c.MaxAttempts
	if attempts <= 0 {
		attempts = 5
	}
	backoff, maxBackoff := c.Backoff, c.MaxBackoff
	if backoff <= 0 {
		backoff = time.Second
	}
	if maxBackoff <= 0 {
		maxBackoff = time.Minute
	}
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 10 * time.Second}
	}
	var last error
	for i := 1; i <= attempts; i++ {
		if err := c.wait(ctx); err != nil {
			return Result{Attempts: i - 1}, err
		}
		res, retryAfter, err := c.post(ctx, hc, m.ID, body)
		res.Attempts = i
		if err == nil || IsPermanent(err) {
			return res, err
		}
		if ctx.Err() != nil {
			return res, ctx.Err()
		}
		last = err
		if i == attempts {
			break
		}
		d := max(retryDelay(i, backoff, maxBackoff), retryAfter)
		if err := sleep(ctx, min(d, maxBackoff)); err != nil {
			return res, err
		}
	}
	return Result{Attempts: attempts}, fmt.Errorf("sms: gateway unavailable after %d attempts: %w", attempts, last)
}

// retryDelay is the wait before attempt i+1: backoff doubled per attempt,
// at most limit (doubling stops there, so many attempts never overflow).
func retryDelay(i int, backoff, limit time.Duration) time.Duration {
	d := backoff
	for n := 1; n < i && d < limit; n++ {
		d *= 2
	}
	return min(d, limit)
}

func (c *Client) post(ctx context.Context, hc *http.Client, id string, body []byte) (Result, time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL, bytes.NewReader(body))
	if err != nil {
		return Result{}, 0, &PermanentError{Status: 0, Body: err.Error()}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", id)
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return Result{}, 0, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		var r Result
		if err := json.Unmarshal(raw, &r); err != nil {
			return Result{}, 0, fmt.Errorf("sms: the gateway's answer is not JSON: %w", err)
		}
		if r.Status == "" {
			r.Status = "accepted"
		}
		return r, 0, nil
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		var wait time.Duration
		if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 {
			wait = time.Duration(min(s, 86400)) * time.Second // a day at most: larger would overflow
		}
		return Result{}, wait, fmt.Errorf("sms: gateway answered HTTP %d", resp.StatusCode)
	}
	return Result{}, 0, &PermanentError{Status: resp.StatusCode, Body: string(bytes.TrimSpace(raw[:min(len(raw), 200)]))}
}
