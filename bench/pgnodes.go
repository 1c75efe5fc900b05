package bench

import (
	"context"
	"fmt"
	"runtime/debug"
	"time"

	"vaxtrace"
	"vaxtrace/engine"
	"vaxtrace/httpapi"
	"vaxtrace/postgres"
	"vaxtrace/scenario"
)

// NodesConfig sizes the PostgreSQL run with several API nodes (`vaxtrace
// bench --postgres URL --nodes`).
type NodesConfig struct {
	URL    string // an EMPTY PostgreSQL database
	People int    // people, each given two doses before the nodes start
	Batch  int    // commands per group commit while filling
	// Snapshots, when set, is where the first writer writes a snapshot of
	// the state it loaded; the three nodes are then started again from it
	// (and the HTTP runs go to those). Empty: full replays only.
	Snapshots string
	// ReplayNodes is how many of the nodes (in order: writer 1, writer 2,
	// reader) are first started by a full replay and reported (0: all).
	// With Snapshots, fewer saves the national-scale run the replays whose
	// figures only repeat the first's; at least one replays, to write the
	// snapshot.
	ReplayNodes int
	// HTTPRates are the rates (requests per second) at which single doses
	// are sent over HTTP, split evenly across both writers, HTTPSeconds
	// long each, from at most HTTPConns connections.
	HTTPRates              []int
	HTTPSeconds, HTTPConns int
	// Exe is the vaxtrace executable the nodes are started with.
	Exe string
	// CatchUp is how long the nodes may take to reach the writers' last
	// event after a run before the bench fails (default 2 minutes).
	CatchUp time.Duration
}

func (c NodesConfig) httpPeople() int {
	return Config{HTTPRates: c.HTTPRates, HTTPSeconds: c.HTTPSeconds}.httpPeople()
}

// node is one API node of the run.
type node struct {
	name string
	*child
	caughtUp time.Duration // how long it took to reach the last event after the latest run
}

func (n node) base() string { return "http://" + n.rep.Addr }

// nodeRoles are the run's nodes: two writers and one read-only node.
var nodeRoles = []struct {
	name     string
	readOnly bool
}{{"writer 1", false}, {"writer 2", false}, {"read-only node", true}}

// PGNodes fills an empty PostgreSQL database with People people and two
// doses each through the engine (COPY group commits), then starts two
// writer nodes and one read-only node on it, each a fresh process holding
// nothing but the state (as the SQLite serving measurement does), and
// reports for each its start-up (full replay; from a snapshot too with
// Snapshots), live heap and resident memory per person. It then sends
// single doses over HTTP at each rate, alternately to both writers, and
// reports the achieved rate, latency and errors, how far the read-only
// node fell behind and how long it took to reach the writers' last event.
// Last it asks every node the same coverage and overview questions: it
// fails when a node has not caught up within CatchUp or when the nodes'
// answers at the same sequence number differ.
func PGNodes(ctx context.Context, c NodesConfig, emit func(Result)) error {
	if c.Batch == 0 {
		c.Batch = 10000
	}
	if c.CatchUp == 0 {
		c.CatchUp = 2 * time.Minute
	}
	if c.Exe == "" {
		return fmt.Errorf("bench: no executable to start the nodes with")
	}
	httpPeople := c.httpPeople()
	token, err := fillPG(ctx, c, httpPeople, emit)
	if err != nil {
		return err
	}
	// the fill's state is garbage now: give its memory back before three
	// nodes load the same state beside this process
	debug.FreeOSMemory()
	nodes, err := startNodes(ctx, c, c.People+httpPeople, emit)
	defer func() {
		for _, n := range nodes {
			n.stop()
		}
	}()
	if err != nil {
		return err
	}
	client := newClient(max(64, c.HTTPConns))
	defer client.CloseIdleConnections()
	next := 0 // the next HTTP person
	for _, rate := range c.HTTPRates {
		n := rate * c.HTTPSeconds
		if n == 0 {
			continue
		}
		if err := nodesLoad(ctx, c, client, nodes, token, rate, next, n, emit); err != nil {
			return err
		}
		next += n
	}
	for _, n := range nodes {
		rss, hwm := n.memory()
		emit(Result{fmt.Sprintf("%s: resident memory after the HTTP runs / peak", n.name), rss, "MiB", fmt.Sprintf("peak %.0f MiB", hwm)})
	}
	seq, err := caughtUp(ctx, client, nodes, c.CatchUp, time.Now())
	if err != nil {
		return err
	}
	if err := nodesAgree(ctx, client, nodes, token, seq); err != nil {
		return err
	}
	emit(Result{fmt.Sprintf("all %d nodes give the same coverage and overview answers at seq %d", len(nodes), seq), float64(len(agreementQueries())), "queries", ""})
	return nil
}

// fillPG registers the people, gives each two doses through the engine's
// batch path, registers the HTTP people (no doses) and makes the admin
// token the HTTP runs use (returned).
func fillPG(ctx context.Context, c NodesConfig, httpPeople int, emit func(Result)) (string, error) {
	j, err := postgres.Open(ctx, c.URL)
	if err != nil {
		return "", err
	}
	defer j.Close()
	if last, err := j.Last(ctx); err != nil {
		return "", err
	} else if last > 0 {
		return "", fmt.Errorf("bench: the PostgreSQL database holds %d events already: give an empty one", last)
	}
	eng, err := engine.Open(ctx, j, engine.Options{MaxBatch: 50000, Logger: discardLogger()})
	if err != nil {
		return "", err
	}
	defer eng.Close()
	const points = 100
	if err := scenario.Minimal(ctx, eng, points, int64(c.People+httpPeople)); err != nil {
		return "", err
	}
	start := time.Now()
	if err := registerPeople(ctx, eng, c.People, c.Batch); err != nil {
		return "", err
	}
	emit(Result{"PostgreSQL fill: people registered, durably committed", float64(c.People) / time.Since(start).Seconds(), "/s", ""})
	start = time.Now()
	for dose := 1; dose <= 2; dose++ {
		lot, off := "FIX-I", 0
		if dose == 2 {
			lot, off = "FIX-II", 21
		}
		for i := 0; i < c.People; i += c.Batch {
			cmds := make([]engine.Command, 0, c.Batch)
			for k := i; k < min(i+c.Batch, c.People); k++ {
				id := fmt.Sprintf("d%d-%d", k, dose)
				when := at.AddDate(0, 0, off+k%60)
				cmds = append(cmds, engine.Command{Key: "dose:" + id, Actor: scenario.Admin, Recorded: when.Add(time.Hour),
					Data: vaxtrace.DoseAdministered{ID: id, Person: pid(k), At: when, Place: scenario.PointID(1 + k%points), Lot: lot, Vaccinator: "nurse"}})
			}
			if err := submit(ctx, eng, cmds); err != nil {
				return "", err
			}
		}
	}
	emit(Result{"PostgreSQL fill: validated doses durably committed (engine, COPY)", float64(2*c.People) / time.Since(start).Seconds(), "/s", ""})
	if err := registerHTTPPeople(ctx, eng, httpPeople); err != nil {
		return "", err
	}
	tok, hash := httpapi.NewToken()
	p := vaxtrace.Principal{Name: fmt.Sprint("bench-nodes-", time.Now().UnixNano()), Role: vaxtrace.RoleAdmin}
	if err := j.PutToken(ctx, vaxtrace.Token{Hash: hash, Principal: p, Created: time.Now().Unix()}); err != nil {
		return "", err
	}
	return tok, nil
}

// startNodes starts the three nodes by a full replay and reports each.
// With Snapshots the first writer writes a snapshot of what it loaded,
// each node is stopped after its report (one state in memory at a time),
// and the three are started again from the snapshot. The nodes returned
// are running (also those started before an error).
func startNodes(ctx context.Context, c NodesConfig, people int, emit func(Result)) ([]node, error) {
	cfg := Config{Exe: c.Exe}
	keep := c.Snapshots == ""
	var nodes []node
	replay := nodeRoles
	if n := c.ReplayNodes; n > 0 && n < len(nodeRoles) && !keep {
		replay = nodeRoles[:n]
	}
	for i, r := range replay {
		o := server{readOnly: r.readOnly}
		if i == 0 && !keep {
			o.writeSnapshot = c.Snapshots
		}
		ch, err := startServer(ctx, cfg, c.URL, o)
		if err != nil {
			return nodes, fmt.Errorf("%s: %w", r.name, err)
		}
		emitServerMemory(people, ch.rep, " — "+r.name, emit)
		if o.writeSnapshot != "" {
			emit(Result{fmt.Sprintf("snapshot of the state written by %s (seq %d)", r.name, ch.rep.Events), ch.rep.SnapshotWrite, "s", fmt.Sprintf("%.0f MiB, %.0f B/person", float64(ch.rep.SnapshotBytes)/(1<<20), float64(ch.rep.SnapshotBytes)/float64(people))})
		}
		if keep {
			nodes = append(nodes, node{name: r.name, child: ch})
		} else if err := ch.stop(); err != nil {
			return nodes, fmt.Errorf("%s: %w", r.name, err)
		}
	}
	if keep {
		return nodes, nil
	}
	for _, r := range nodeRoles {
		ch, err := startServer(ctx, cfg, c.URL, server{readOnly: r.readOnly, snapshots: c.Snapshots})
		if err != nil {
			return nodes, fmt.Errorf("%s: %w", r.name, err)
		}
		nodes = append(nodes, node{name: r.name, child: ch})
		emitServerMemory(people, ch.rep, " — "+r.name, emit)
	}
	return nodes, nil
}
