package journaltest

import (
	"context"
	"errors"
	"sync"
	"testing"

	"vaxtrace"
)

// RunUsers checks a store's vaxtrace.UserStore: users round-trip every
// field, names are unique, updates are atomic and serialised across handles
// (no lost failure count when sign-ins race on two API nodes), a failed
// update writes nothing, and sessions expire, end one by one or all for a
// user.
func RunUsers(t *testing.T, open func(t *testing.T) vaxtrace.Journal) {
	us := func(t *testing.T) vaxtrace.UserStore {
		t.Helper()
		j := handle(t, open)
		s, ok := j.(vaxtrace.UserStore)
		if !ok {
			t.Fatalf("%T does not implement vaxtrace.UserStore", j)
		}
		return s
	}
	ctx := context.Background()
	amina := vaxtrace.User{Name: "amina.k", FullName: "Амина Қасымова", Role: vaxtrace.RolePoint, Place: "PT-AKM-1",
		PasswordHash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA", Created: 1700000000, Updated: 1700000001, UpdatedBy: "user:admin"}

	t.Run("round trip and unique names", func(t *testing.T) {
		s := us(t)
		if err := s.CreateUser(ctx, amina); err != nil {
			t.Fatal(err)
		}
		other := vaxtrace.User{Name: "boss", Role: vaxtrace.RoleAdmin, PasswordHash: "h", Disabled: true, Failures: 3, LockedUntil: 1 << 62, Created: 1, Updated: 2}
		if err := s.CreateUser(ctx, other); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateUser(ctx, amina); vaxtrace.ErrorCode(err) != vaxtrace.ECONFLICT {
			t.Fatalf("a second user with the same name: %v, want %s", err, vaxtrace.ECONFLICT)
		}
		got, err := s.User(ctx, "amina.k")
		if err != nil || got != amina {
			t.Fatalf("User = %+v, %v\nwant %+v", got, err, amina)
		}
		if _, err := s.User(ctx, "nobody"); vaxtrace.ErrorCode(err) != vaxtrace.ENOTFOUND {
			t.Fatalf("unknown user: %v", err)
		}
		all, err := s.Users(ctx)
		if err != nil || len(all) != 2 || all[0] != amina || all[1] != other {
			t.Fatalf("Users = %+v, %v", all, err)
		}
		// another handle (another API node) sees them
		if got, err := us(t).User(ctx, "boss"); err != nil || got != other {
			t.Fatalf("second handle: %+v, %v", got, err)
		}
	})

	t.Run("update is atomic", func(t *testing.T) {
		s := us(t)
		if err := s.CreateUser(ctx, amina); err != nil {
			t.Fatal(err)
		}
		boom := errors.New("refused")
		if _, err := s.UpdateUser(ctx, "amina.k", func(u *vaxtrace.User) error { u.Disabled = true; return boom }); !errors.Is(err, boom) {
			t.Fatalf("fn's error: %v", err)
		}
		if got, _ := s.User(ctx, "amina.k"); got.Disabled {
			t.Fatal("a failed update was written")
		}
		u, err := s.UpdateUser(ctx, "amina.k", func(u *vaxtrace.User) error {
			u.Name = "renamed" // ignored: the name is the key
			u.FullName, u.PasswordHash, u.Disabled, u.Failures, u.LockedUntil, u.Updated, u.UpdatedBy = "A. K.", "new", true, 5, 99, 1800000000, "user:root"
			u.Role, u.Place, u.Region = vaxtrace.RoleRegion, "", "KZ-AKM"
			return nil
		})
		if err != nil || u.Name != "amina.k" {
			t.Fatalf("update: %+v, %v", u, err)
		}
		got, err := s.User(ctx, "amina.k")
		if err != nil || got != u {
			t.Fatalf("after update: %+v, %v\nwant %+v", got, err, u)
		}
		if _, err := s.UpdateUser(ctx, "nobody", func(*vaxtrace.User) error { return nil }); vaxtrace.ErrorCode(err) != vaxtrace.ENOTFOUND {
			t.Fatalf("update of an unknown user: %v", err)
		}
	})

	t.Run("concurrent updates on two handles lose nothing", func(t *testing.T) {
		a, b := us(t), us(t)
		if err := a.CreateUser(ctx, amina); err != nil {
			t.Fatal(err)
		}
		const n = 20
		var wg sync.WaitGroup
		errs := make(chan error, 2*n)
		for _, s := range []vaxtrace.UserStore{a, b} {
			wg.Add(1)
			go func(s vaxtrace.UserStore) {
				defer wg.Done()
				for i := 0; i < n; i++ {
					_, err := s.UpdateUser(ctx, "amina.k", func(u *vaxtrace.User) error { u.Failures++; return nil })
					if err != nil {
						errs <- err
					}
				}
			}(s)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		if got, _ := a.User(ctx, "amina.k"); got.Failures != 2*n {
			t.Fatalf("failures = %d after %d increments", got.Failures, 2*n)
		}
	})

	t.Run("sessions", func(t *testing.T) {
		s := us(t)
		if err := s.CreateUser(ctx, amina); err != nil {
			t.Fatal(err)
		}
		now := int64(1_000_000_000_000)
		for _, h := range []string{"s1", "s2", "old"} {
			exp := now + 3600e9
			if h == "old" {
				exp = now - 1
			}
			if err := s.CreateSession(ctx, vaxtrace.Session{Hash: h, User: "amina.k", Created: now - 10, Expires: exp}); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.Session(ctx, "s1", now)
		if err != nil || got != (vaxtrace.Session{Hash: "s1", User: "amina.k", Created: now - 10, Expires: now + 3600e9}) {
			t.Fatalf("Session = %+v, %v", got, err)
		}
		if _, err := s.Session(ctx, "old", now); vaxtrace.ErrorCode(err) != vaxtrace.EUNAUTHORIZED {
			t.Fatalf("an expired session: %v", err)
		}
		if _, err := s.Session(ctx, "s1", now+3600e9); vaxtrace.ErrorCode(err) != vaxtrace.EUNAUTHORIZED {
			t.Fatalf("a session at its expiry: %v", err)
		}
		if _, err := s.Session(ctx, "nope", now); vaxtrace.ErrorCode(err) != vaxtrace.EUNAUTHORIZED {
			t.Fatalf("an unknown session: %v", err)
		}
		if err := s.DeleteSession(ctx, "s1"); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteSession(ctx, "s1"); err != nil {
			t.Fatalf("ending an ended session: %v", err)
		}
		if _, err := s.Session(ctx, "s1", now); vaxtrace.ErrorCode(err) != vaxtrace.EUNAUTHORIZED {
			t.Fatalf("a signed-out session: %v", err)
		}
		if _, err := s.Session(ctx, "s2", now); err != nil {
			t.Fatalf("the other session ended too: %v", err)
		}
		if err := s.DeleteUserSessions(ctx, "amina.k"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Session(ctx, "s2", now); vaxtrace.ErrorCode(err) != vaxtrace.EUNAUTHORIZED {
			t.Fatalf("a session of a user whose sessions were ended: %v", err)
		}
	})
}
