package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"

	"vaxtrace"
	"vaxtrace/bench"
)

func init() {
	register("bench", "measure ingest, queries and memory on this machine (not part of the tests)", runBench)
}

func runBench(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	c := bench.Config{Out: os.Stdout}
	fs.IntVar(&c.People, "people", 200000, "people (each gets two doses); the brief's national scale is 20000000")
	fs.IntVar(&c.Batch, "batch", 10000, "commands per group commit")
	fs.IntVar(&c.Places, "places", 10000, "places for the stock position benchmark (0: skip it)")
	fs.IntVar(&c.Lots, "lots", 1000, "lots for the stock position benchmark (0: skip it)")
	fs.IntVar(&c.Movements, "movements", 500000, "stock movements (0: skip)")
	rates := fs.String("http-rates", "1000,10000", "rates (requests/s) at which single doses are sent over HTTP to the serving process, comma-separated")
	fs.IntVar(&c.HTTPSeconds, "http-seconds", 5, "seconds at each HTTP rate (0: no single-dose HTTP measurement)")
	fs.IntVar(&c.HTTPConns, "http-conns", 256, "at most this many HTTP requests in flight (keep-alive connections)")
	fs.IntVar(&c.PerRowPeople, "per-row-people", 0, "people for the per-row SQL baseline (default --people, at most 1000000)")
	fs.StringVar(&c.Dir, "dir", os.TempDir(), "directory for the benchmark databases")
	fs.StringVar(&c.CPUProfile, "cpuprofile", "", "write the CPU profile of the dose phase (batch path) to this file, and the stock movements' and the serving process's next to it (name-movements.ext, name-server.ext)")
	memLimit := fs.String("memory-limit", "", "also start a serving process under this memory limit (e.g. 3GiB, or auto: 1.25 × the live heap of a server on the same store) and report its memory")
	pg := fs.String("postgres", "", "also measure dose ingest on this EMPTY PostgreSQL database (postgres:// URL)")
	nodes := fs.Bool("nodes", false, "with --postgres: fill the database with --people people and two doses each, start two writer nodes and one read-only node on it and report their start-up, memory, HTTP doses across both writers, the reader's lag and that all three agree (with --snapshot-dir: also their start from a snapshot written there)")
	readOnly := fs.Bool("read-only", false, "internal: the serving process is a read-only node")
	serveStore := fs.String("serve-store", "", "internal: be the serving process the bench measures, on this store")
	httpPeople := fs.Int("http-people", 0, "internal: people the serving process registers for the HTTP measurement")
	replayNodes := fs.Int("replay-nodes", 0, "with --nodes and --snapshot-dir: how many nodes are first started by a full replay (writer 1, writer 2, reader in that order; 0: all three); the first writes the snapshot")
	snapDir := fs.String("snapshot-dir", "", "with --nodes: where the first writer writes a snapshot the nodes are started again from; internal: the serving process starts from the newest snapshot here")
	writeSnap := fs.String("write-snapshot", "", "internal: the serving process writes a snapshot of what it loaded here")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var err error
	if *memLimit == "auto" && *serveStore == "" {
		c.MemoryLimit = bench.AutoMemoryLimit
	} else if c.MemoryLimit, err = parseMemoryLimit("memory-limit", *memLimit); err != nil {
		return err
	}
	if *serveStore != "" {
		raiseOpenFiles()
		return bench.ServeStore(ctx, bench.ServeConfig{Path: *serveStore, MemoryLimit: c.MemoryLimit, HTTPPeople: *httpPeople, CPUProfile: c.CPUProfile,
			Snapshots: *snapDir, WriteSnapshot: *writeSnap, ReadOnly: *readOnly, In: os.Stdin, Out: os.Stdout})
	}
	if *replayNodes < 0 || *replayNodes > 3 {
		return vaxtrace.FieldError("replay-nodes", "must be a %s", "number from 0 (all three) to 3")
	}
	if *nodes && *pg == "" {
		return vaxtrace.FieldError("postgres", "required") // --nodes runs on an empty PostgreSQL database
	}
	if *pg != "" && !*nodes {
		return bench.PostgresDoses(ctx, *pg, c.People, c.Batch, func(r bench.Result) { fmt.Println(r) })
	}
	for _, r := range strings.Split(*rates, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(r))
		if err != nil || n <= 0 {
			return vaxtrace.FieldError("http-rates", "must be a %s", "comma-separated list of positive rates")
		}
		c.HTTPRates = append(c.HTTPRates, n)
	}
	if c.Exe, err = os.Executable(); err != nil {
		return err
	}
	if *nodes {
		raiseOpenFiles()
		return bench.PGNodes(ctx, bench.NodesConfig{URL: *pg, People: c.People, Batch: c.Batch, Snapshots: *snapDir, ReplayNodes: *replayNodes, HTTPRates: c.HTTPRates,
			HTTPSeconds: c.HTTPSeconds, HTTPConns: c.HTTPConns, Exe: c.Exe}, func(r bench.Result) { fmt.Println(r) })
	}
	_, err = bench.Run(ctx, c)
	return err
}
