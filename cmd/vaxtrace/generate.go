package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"vaxtrace"
	"vaxtrace/bench"
	"vaxtrace/engine"
	"vaxtrace/gen"
	"vaxtrace/pii"
	"vaxtrace/scenario"
)

func init() {
	register("generate", "fill a store with a synthetic national population and campaign of any size (for benchmarks and demos)", runGenerate)
}

func runGenerate(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("generate", flag.ContinueOnError)
	var sf storeFlags
	sf.add(fs)
	people := fs.Int("people", 100000, "people in the population (about 46% get a first dose, 92% of those a second)")
	perRegion := fs.Int("points-per-region", 20, "vaccination points per region")
	seed := fs.Int64("seed", 2021, "random seed (same seed, same population)")
	batch := fs.Int("batch", 10000, "commands per group commit")
	owid := fs.String("owid", "", "instead of a synthetic campaign, write a migration replaying this OWID country file (e.g. the national 2021-2023 series) as CSV files into --out, and define the catalog and regions in the (empty) store they will be imported into")
	outDir := fs.String("out", "migration", "with --owid: the directory for the CSV files")
	scale := fs.Float64("scale", 1, "with --owid: multiply every figure (1 = as published)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *owid != "" {
		return generateMigration(ctx, sf, *owid, *outDir, *scale, *perRegion)
	}
	if *people <= 0 {
		return vaxtrace.FieldError("people", "must be positive")
	}
	eng, keys, err := sf.openOrCreate(ctx, 0)
	if err != nil {
		return err
	}
	defer closeAll(eng)
	var empty bool
	eng.Read(func(s *vaxtrace.State) { empty = s.Seq == 0 })
	if !empty {
		return vaxtrace.FieldError("db", "generate fills an empty store; %s already holds events", sf.db)
	}
	return generatePopulation(ctx, eng, keys, *people, *perRegion, *seed, *batch, true)
}

// generatePopulation fills an empty engine with the reference catalog and
// regions, a supply chain and a synthetic population's doses (package gen);
// the same arguments always give the same journal.
func generatePopulation(ctx context.Context, eng *engine.Engine, keys *pii.Keys, people, perRegion int, seed int64, batch int, verbose bool) error {
	ref, err := scenario.LoadReference()
	if err != nil {
		return err
	}
	t0 := time.Date(2021, 1, 20, 4, 0, 0, 0, time.UTC)
	if err := scenario.Seed(ctx, eng, ref, t0); err != nil {
		return err
	}
	regions := ref.Regions2021()
	cfg := gen.DefaultConfig(people, regions, ref.Products)
	cfg.Seed, cfg.PointsPerRegion = seed, perRegion
	g, err := gen.New(cfg)
	if err != nil {
		return err
	}
	admin := vaxtrace.Principal{Name: "generate", Role: vaxtrace.RoleAdmin}
	submit := func(cmds []engine.Command) (acc, rej int, first error) {
		for _, r := range eng.SubmitBatch(ctx, cmds) {
			switch {
			case r.Err != nil:
				rej++
				if first == nil {
					first = r.Err
				}
			default:
				acc++
			}
		}
		return
	}
	// places, and a lot of every product component stocked at every point
	cmds := []engine.Command{{Key: "place:NW-GEN", Actor: admin, Recorded: t0, Data: vaxtrace.PlaceDefined{Place: vaxtrace.Place{ID: "NW-GEN", Kind: vaxtrace.PlaceNational, Name: "National warehouse (generated)"}}}}
	for _, p := range gen.Places("NW-GEN", regions, perRegion) {
		cmds = append(cmds, engine.Command{Key: "place:" + p.ID, Actor: admin, Recorded: t0, Data: vaxtrace.PlaceDefined{Place: p}})
	}
	points := gen.Points(regions, perRegion)
	per := int64(people)*2/int64(len(points))*3 + 100
	for _, ps := range cfg.Products {
		for _, c := range ps.Product.Components {
			lot := "GEN-" + ps.Product.Code + "-" + c.Code
			total := per * int64(len(points))
			cmds = append(cmds,
				engine.Command{Key: "lot:" + lot, Actor: admin, Recorded: t0, Data: vaxtrace.LotRegistered{Lot: vaxtrace.Lot{ID: lot, Product: ps.Product.Code, Component: c.Code, Manufacturer: ps.Product.Holder, Manufactured: vaxtrace.MkDate(2021, 1, 1), Expiry: vaxtrace.MkDate(2023, 12, 31), Origin: vaxtrace.OriginDomestic}}},
				engine.Command{Key: "receipt:" + lot, Actor: admin, Recorded: t0, Data: vaxtrace.StockReceived{Receipt: "GRN-" + lot, Place: "NW-GEN", Lot: lot, Doses: total, Occurred: t0}},
				engine.Command{Key: "release:" + lot, Actor: admin, Recorded: t0, Data: vaxtrace.LotReleased{Lot: lot, Occurred: vaxtrace.DateOf(t0)}})
			for _, pt := range points {
				sid := "GS-" + pt + "-" + lot
				cmds = append(cmds,
					engine.Command{Key: "shipment:" + sid, Actor: admin, Recorded: t0, Data: vaxtrace.ShipmentDispatched{Shipment: sid, From: "NW-GEN", To: pt, Occurred: t0, Lines: []vaxtrace.ShipmentLine{{Lot: lot, Doses: per}}}},
					engine.Command{Key: "receive:" + sid, Actor: admin, Recorded: t0, Data: vaxtrace.ShipmentReceived{Shipment: sid, Occurred: t0}})
			}
		}
	}
	if _, rej, first := submit(cmds); rej > 0 {
		return fmt.Errorf("setting up the supply chain: %w", first)
	}
	expected := int64(float64(people) * cfg.FirstDoseShare * (1 + cfg.SecondDoseShare))
	bar := newProgress("generating", expected)
	if !verbose {
		bar = nil
	}
	start := time.Now()
	cmds = cmds[:0]
	var doses, acc, rej int
	var firstErr error
	flush := func() {
		a, r, f := submit(cmds)
		acc, rej = acc+a, rej+r
		if firstErr == nil {
			firstErr = f
		}
		cmds = cmds[:0]
		if bar != nil {
			bar.set(int64(doses), false)
		}
	}
	for d := range g.Doses {
		if d.New != nil {
			id, sealed, err := keys.Person(d.New.IIN)
			if err != nil {
				return err
			}
			cmds = append(cmds, engine.Command{Key: "person:" + id.String(), Actor: admin, Recorded: d.At.Add(-time.Minute), Data: vaxtrace.PersonRegistered{Person: d.New.Registry(id, sealed)}})
		}
		id := keys.ID(d.IIN)
		lot := "GEN-" + d.Product + "-" + d.Component
		cmds = append(cmds, engine.Command{Key: "dose:" + d.ID, Actor: admin, Recorded: d.At.Add(30 * time.Minute), Data: d.Administered(id, lot)})
		doses++
		if len(cmds) >= batch {
			flush()
		}
	}
	flush()
	if !verbose {
		if firstErr != nil && acc == 0 {
			return firstErr
		}
		return nil
	}
	bar.set(int64(doses), true)
	el := time.Since(start)
	fmt.Printf("generated %d doses for a population of %d in %s (%.0f commands/s): %d events accepted, %d rejected\n", doses, people, el.Round(time.Millisecond), float64(acc+rej)/el.Seconds(), acc, rej)
	if firstErr != nil {
		fmt.Println("first rejection:", describe(firstErr))
	}
	printMemory(people)
	return nil
}

// printMemory prints the live heap (after a collection) and the resident
// memory of the process holding the generated state.
func printMemory(people int) {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	fmt.Printf("memory holding the state: live heap %.0f MiB (%.0f B per person of the population), resident %.0f MiB\n",
		float64(m.HeapAlloc)/(1<<20), float64(m.HeapAlloc)/float64(people), bench.RSS())
}

// generateMigration writes the CSV files of a migration that replays an
// OWID series with recording times, and seeds the store's catalog and
// regions; the files are then imported with a migration token.
func generateMigration(ctx context.Context, sf storeFlags, owidPath, dir string, scale float64, perRegion int) error {
	f, err := os.Open(owidPath)
	if err != nil {
		return err
	}
	series, err := gen.ReadOWID(f)
	f.Close()
	if err != nil {
		return fmt.Errorf("%s: %w", owidPath, err)
	}
	ref, err := scenario.LoadReference()
	if err != nil {
		return err
	}
	var product vaxtrace.Product
	for _, p := range ref.Products {
		if p.Code == "sputnik-v" {
			product = p
		}
	}
	m, err := gen.NewMigration(gen.MigrationConfig{Series: series, Scale: scale, Regions: ref.Regions2021(), PointsPerRegion: perRegion, Product: product})
	if err != nil {
		return err
	}
	eng, _, err := sf.openOrCreate(ctx, 0)
	if err != nil {
		return err
	}
	defer closeAll(eng)
	var empty bool
	eng.Read(func(s *vaxtrace.State) { empty = s.Seq == 0 })
	if empty {
		if err := scenario.Seed(ctx, eng, ref, series[0].Day.Time().AddDate(0, 0, -30)); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	start := time.Now()
	n, err := m.WriteMigrationCSV(func(name string) (io.WriteCloser, error) { return os.Create(filepath.Join(dir, name)) })
	if err != nil {
		return err
	}
	fmt.Printf("wrote %d doses replaying %s (%d publications, scale %g) to %s in %s\n", n, owidPath, len(series), scale, dir, time.Since(start).Round(time.Second))
	fmt.Printf("import them, in this order, with a migration token (vaxtrace token --role migration):\n")
	for _, f := range gen.MigrationFiles {
		fmt.Printf("  vaxtrace import --db %s --token $MIGRATION_TOKEN --report %s %s\n", sf.db, filepath.Join(dir, strings.TrimSuffix(f, ".csv")+"-rejected.csv"), filepath.Join(dir, f))
	}
	return nil
}
