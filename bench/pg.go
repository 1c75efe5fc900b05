package bench

import (
	"context"
	"fmt"
	"time"

	"vaxtrace"
	"vaxtrace/engine"
	"vaxtrace/postgres"
	"vaxtrace/scenario"
)

// PostgresDoses measures validated, durably committed doses through the
// engine on a PostgreSQL journal (an empty database at url).
func PostgresDoses(ctx context.Context, url string, people, batch int, emit func(Result)) error {
	j, err := postgres.Open(ctx, url)
	if err != nil {
		return err
	}
	defer j.Close()
	eng, err := engine.Open(ctx, j, engine.Options{MaxBatch: 50000})
	if err != nil {
		return err
	}
	defer eng.Close()
	if err := scenario.Minimal(ctx, eng, 100, int64(people)); err != nil {
		return err
	}
	for i := 0; i < people; i += batch {
		cmds := make([]engine.Command, 0, batch)
		for k := i; k < min(i+batch, people); k++ {
			cmds = append(cmds, engine.Command{Key: "person:" + pid(k).String(), Actor: scenario.Admin, Recorded: at,
				Data: vaxtrace.PersonRegistered{Person: vaxtrace.Person{ID: pid(k), Family: "F", BirthDate: vaxtrace.MkDate(1970, 1, 1), Sex: "F", Region: "KZ-AKM"}}})
		}
		if err := submit(ctx, eng, cmds); err != nil {
			return err
		}
	}
	start := time.Now()
	for i := 0; i < people; i += batch {
		cmds := make([]engine.Command, 0, batch)
		for k := i; k < min(i+batch, people); k++ {
			id := fmt.Sprint("d", k)
			cmds = append(cmds, engine.Command{Key: "dose:" + id, Actor: scenario.Admin, Recorded: at.Add(time.Hour),
				Data: vaxtrace.DoseAdministered{ID: id, Person: pid(k), At: at, Place: scenario.PointID(1 + k%100), Lot: "FIX-I", Vaccinator: "nurse"}})
		}
		if err := submit(ctx, eng, cmds); err != nil {
			return err
		}
	}
	emit(Result{"PostgreSQL: validated doses durably committed (engine, COPY)", float64(people) / time.Since(start).Seconds(), "/s", "goal ≥ 50,000/s"})
	return nil
}
