package main

import (
	"context"
	"flag"
	"fmt"
	"os"

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
	fs.IntVar(&c.HTTPRequests, "http-requests", 10000, "single-dose HTTP requests (0: skip)")
	fs.IntVar(&c.HTTPRate, "http-rate", 1000, "single-dose HTTP requests per second")
	fs.IntVar(&c.PerRowPeople, "per-row-people", 0, "people for the per-row SQL baseline (default --people, at most 1000000)")
	fs.StringVar(&c.Dir, "dir", os.TempDir(), "directory for the benchmark databases")
	pg := fs.String("postgres", "", "also measure dose ingest on this EMPTY PostgreSQL database (postgres:// URL)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *pg != "" {
		return bench.PostgresDoses(ctx, *pg, c.People, c.Batch, func(r bench.Result) { fmt.Println(r) })
	}
	_, err := bench.Run(ctx, c)
	return err
}
