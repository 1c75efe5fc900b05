package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"vaxtrace"
)

// nodesLoad sends n single doses at rate over HTTP, person first, first+1,
// ..., alternately to the two writers, while the read-only node's lag is
// sampled; then it waits until every node has the writers' last event.
func nodesLoad(ctx context.Context, c NodesConfig, client *http.Client, nodes []node, token string, rate, first, n int, emit func(Result)) error {
	writers, reader := nodes[:2], &nodes[2] // caughtUp records into nodes
	conns := max(64, c.HTTPConns)
	sctx, stopSampling := context.WithCancel(ctx)
	var maxLag uint64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // the reader's lag behind the journal, every 50 ms
		defer wg.Done()
		for sctx.Err() == nil {
			if r, err := getReady(sctx, client, *reader); err == nil {
				maxLag = max(maxLag, r.Lag)
			}
			select {
			case <-sctx.Done():
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()
	res := openLoop(ctx, client, n, rate, conns, func(i int) (*http.Request, error) {
		return doseRequest(writers[i%2].base(), token, first+i)
	})
	end := time.Now()
	stopSampling()
	wg.Wait()
	what := fmt.Sprintf("single dose over HTTP at %d req/s across 2 writers", rate)
	emit(Result{fmt.Sprintf("%s (%d requests, ≤ %d in flight), p50", what, n, conns), res.p50, "ms", ""})
	emit(Result{what + ", p99", res.p99, "ms", ""})
	emit(Result{what + ", achieved rate", res.achieved, "/s", fmt.Sprintf("at most %d in flight", res.maxInflight)})
	emit(Result{what + ", errors", float64(res.failed), "", firstErr(res)})
	seq, err := caughtUp(ctx, client, nodes, c.CatchUp, end)
	if err != nil {
		return err
	}
	emit(Result{fmt.Sprintf("%s: largest lag behind the journal during the run", reader.name), float64(maxLag), "events", "sampled every 50 ms"})
	emit(Result{fmt.Sprintf("%s: caught up with the writers' last event (seq %d) after the run", reader.name, seq), reader.caughtUp.Seconds() * 1000, "ms", fmt.Sprintf("polls every %s", nodePoll)})
	return nil
}

func firstErr(r loadResult) string {
	if r.failed == 0 {
		return ""
	}
	return "first: " + r.firstErr
}

// ready is a node's /readyz answer.
type ready struct {
	JournalSeq uint64 `json:"journal_seq"`
	StateSeq   uint64 `json:"state_seq"`
	Lag        uint64 `json:"lag"`
}

func getReady(ctx context.Context, client *http.Client, n node) (ready, error) {
	var r ready
	body, _, err := get(ctx, client, n.base()+"/readyz", "")
	if err == nil {
		err = json.Unmarshal(body, &r)
	}
	if err != nil {
		return r, fmt.Errorf("%s: readyz: %w", n.name, err)
	}
	return r, nil
}

// get fetches url (with token, if any) and returns the body and the
// X-Vaxtrace-Seq the node answered at; any answer but 200 is an error.
func get(ctx context.Context, client *http.Client, url, token string) ([]byte, uint64, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		return nil, 0, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, 0, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, 0, fmt.Errorf("GET %s: HTTP %d: %s", url, resp.StatusCode, bytes.TrimSpace(body))
	}
	seq, err := strconv.ParseUint(resp.Header.Get("X-Vaxtrace-Seq"), 10, 64)
	if err != nil {
		return nil, 0, fmt.Errorf("GET %s: X-Vaxtrace-Seq: %w", url, err)
	}
	return body, seq, nil
}

// caughtUp reads the journal's last sequence number from the first writer
// (nothing writes any more) and waits until every node's state has
// reached it, recording in each node how long after since that took. It
// fails when a node has not within limit.
func caughtUp(ctx context.Context, client *http.Client, nodes []node, limit time.Duration, since time.Time) (uint64, error) {
	r, err := getReady(ctx, client, nodes[0])
	if err != nil {
		return 0, err
	}
	last := r.JournalSeq
	deadline := since.Add(limit)
	for i := range nodes {
		n := &nodes[i]
		for {
			r, err := getReady(ctx, client, *n)
			if err != nil {
				return 0, err
			}
			if r.StateSeq >= last {
				n.caughtUp = time.Since(since)
				break
			}
			if time.Now().After(deadline) {
				return 0, fmt.Errorf("%s not caught up: its state is at seq %d, the writers' last event %d, %s after the run", n.name, r.StateSeq, last, limit)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	return last, nil
}

// query is one question every node is asked.
type query struct {
	name, path string
	auth       bool
}

func agreementQueries() []query {
	day := vaxtrace.DateOf(at)
	return []query{
		{"coverage of KZ-AKM", fmt.Sprintf("/api/v1/coverage?region=KZ-AKM&from=%s&to=%s", day, day.AddDays(120)), false},
		{"coverage of the country", fmt.Sprintf("/api/v1/coverage?from=%s&to=%s", day, day.AddDays(120)), false},
		{"overview", fmt.Sprintf("/api/v1/overview?as_of=%s", day.AddDays(60)), true},
	}
}

// answer is one node's answer to a query.
type answer struct {
	node string
	seq  uint64 // X-Vaxtrace-Seq
	body []byte
}

// nodesAgree asks every node each agreement query and checks the answers.
func nodesAgree(ctx context.Context, client *http.Client, nodes []node, token string, seq uint64) error {
	for _, q := range agreementQueries() {
		var as []answer
		for _, n := range nodes {
			tok := ""
			if q.auth {
				tok = token
			}
			body, s, err := get(ctx, client, n.base()+q.path, tok)
			if err != nil {
				return fmt.Errorf("%s: %s: %w", n.name, q.name, err)
			}
			as = append(as, answer{n.name, s, body})
		}
		if err := agree(q.name, seq, as); err != nil {
			return err
		}
	}
	return nil
}

// agree checks that every node answered at seq and that all the answers
// are the same, byte for byte.
func agree(what string, seq uint64, as []answer) error {
	for _, a := range as {
		if a.seq != seq {
			return fmt.Errorf("nodes disagree: %s: %s answered at seq %d, not the writers' last event %d", what, a.node, a.seq, seq)
		}
		if !bytes.Equal(a.body, as[0].body) {
			return fmt.Errorf("nodes disagree: %s at seq %d: %s answers %.200s, %s answers %.200s", what, seq, as[0].node, as[0].body, a.node, a.body)
		}
	}
	return nil
}
