package main

import (
	"context"
	"fmt"
	"time"

	"vaxtrace"
	"vaxtrace/engine"
	"vaxtrace/password"
)

// demoUsers makes sure the demo has two people who can sign in to the point
// app at /point/ — an administrator ("admin") and a vaccinator ("nurse") at
// the Akmola point with the most stock — with fresh passwords each run, and
// returns the lines the demo prints about them.
func demoUsers(ctx context.Context, eng *engine.Engine) (string, error) {
	store, ok := eng.Journal().(vaxtrace.UserStore)
	if !ok {
		return "", nil
	}
	var point string
	var most int64
	eng.Read(func(st *vaxtrace.State) {
		for _, pl := range st.Places("KZ-AKM", vaxtrace.PlacePoint) {
			var n int64
			for _, d := range pl.Stock {
				n += d
			}
			if n > most {
				point, most = pl.ID, n
			}
		}
	})
	now := time.Now()
	out := ""
	for _, u := range []vaxtrace.User{
		{Name: "admin", FullName: "Demo administrator", Role: vaxtrace.RoleAdmin},
		{Name: "nurse", FullName: "Aigerim Demo", Role: vaxtrace.RolePoint, Place: point},
	} {
		if u.Role == vaxtrace.RolePoint && point == "" {
			continue
		}
		pw := password.Generate()
		u.PasswordHash, u.Created, u.Updated, u.UpdatedBy = password.Hash(pw), now.Unix(), now.Unix(), "demo"
		err := store.CreateUser(ctx, u)
		if vaxtrace.ErrorCode(err) == vaxtrace.ECONFLICT {
			_, err = store.UpdateUser(ctx, u.Name, func(x *vaxtrace.User) error {
				x.PasswordHash, x.Disabled, x.Failures, x.LockedUntil, x.Updated, x.UpdatedBy = u.PasswordHash, false, 0, 0, u.Updated, "demo"
				return nil
			})
		}
		if err != nil {
			return "", err
		}
		scope := ""
		if u.Place != "" {
			scope = " at " + u.Place
		}
		out += fmt.Sprintf("point app user %q (%s%s), password: %s\n", u.Name, u.Role, scope, pw)
	}
	return out, nil
}
