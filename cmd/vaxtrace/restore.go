package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	"vaxtrace"
	"vaxtrace/postgres"
)

func init() {
	register("restore", "restore a backup into an empty store (SQLite file or PostgreSQL database)", runRestore)
}

func runRestore(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("restore", flag.ContinueOnError)
	var sf storeFlags
	sf.add(fs)
	from := fs.String("from", "", "backup file written by 'vaxtrace backup'")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *from == "" {
		return vaxtrace.FieldError("from", "required")
	}
	if isPostgres(sf.db) {
		if err := postgres.Restore(ctx, sf.db, *from); err != nil {
			return err
		}
	} else {
		if st, err := os.Stat(sf.db); err == nil && st.Size() > 0 {
			return vaxtrace.FieldError("db", "%s exists; restore into a new file and move it into place while the server is stopped", sf.db)
		}
		if err := copyFile(*from, sf.db); err != nil {
			return err
		}
	}
	// prove the restored store: rebuild it and check conservation
	eng, _, err := sf.open(ctx, 0)
	if err != nil {
		return err
	}
	defer closeAll(eng)
	rep, err := eng.Check(ctx)
	if err != nil {
		return err
	}
	if !rep.OK() {
		return fmt.Errorf("restored store fails the conservation check: %v", rep.Breaches)
	}
	fmt.Printf("restored %s into %s: %d events, every lot balances\n", *from, sf.db, rep.Events)
	return nil
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
