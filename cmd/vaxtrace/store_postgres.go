package main

import (
	"context"
	"flag"
	"fmt"

	"vaxtrace"
	"vaxtrace/postgres"
)

func init() {
	openPostgres = func(ctx context.Context, dsn string) (vaxtrace.Journal, error) { return postgres.Open(ctx, dsn) }
	openPostgresReadOnly = func(ctx context.Context, dsn string) (vaxtrace.Journal, error) {
		return postgres.OpenReadOnly(ctx, dsn)
	}
	postgresInitialized = postgres.Initialized
	register("migrate", "create or upgrade the PostgreSQL schema (SQLite migrates itself on open)", runMigrate)
}

func runMigrate(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	var sf storeFlags
	sf.add(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if !isPostgres(sf.db) {
		j, err := openJournal(ctx, sf.db)
		if err != nil {
			return err
		}
		fmt.Println("SQLite store", sf.db, "is up to date")
		return j.Close()
	}
	db, err := postgres.Open(ctx, sf.db)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		return err
	}
	v, err := db.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	fmt.Println("PostgreSQL schema at version", v)
	return nil
}
