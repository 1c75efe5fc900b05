package httpapi

import (
	"net/http"
	"strings"
	"time"

	"vaxtrace"
	"vaxtrace/password"
)

// Administration of the people who sign in: national administrators create
// accounts for a region or a vaccination point, disable and enable them and
// reset passwords. Each change records who made it (updated_by) and is
// logged; ending a user's sessions takes effect at once on this node and
// within a few seconds on the others.

func requireAdmin(r *http.Request) (vaxtrace.Principal, error) {
	p := principal(r)
	if p.Role != vaxtrace.RoleAdmin {
		return p, vaxtrace.Errorf(vaxtrace.EFORBIDDEN, "only a national administrator manages user accounts")
	}
	return p, nil
}

type userRequest struct {
	Name     string `json:"name"`
	FullName string `json:"full_name,omitempty"`
	Role     string `json:"role"`
	Region   string `json:"region,omitempty"`
	Place    string `json:"place,omitempty"`
	// Password is the first password; without one a random temporary
	// password is made and returned once.
	Password string `json:"password,omitempty"`
}

// userResult answers a creation or a reset; Password is set only when the
// server made it up (shown once, never stored in clear).
type userResult struct {
	User     userView `json:"user"`
	Password string   `json:"password,omitempty"`
}

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireAdmin(r); err != nil {
		return err
	}
	store, err := s.acct.users()
	if err != nil {
		return err
	}
	us, err := store.Users(r.Context())
	if err != nil {
		return s.acct.storeError(err)
	}
	out := make([]userView, 0, len(us))
	for _, u := range us {
		out = append(out, viewUser(u))
	}
	writeJSON(w, http.StatusOK, map[string]any{"users": out})
	return nil
}

// checkScope verifies that a user's region or point exists.
func (s *Server) checkScope(u vaxtrace.User) error {
	return s.read(func(st *vaxtrace.State) error {
		switch u.Role {
		case vaxtrace.RoleRegion:
			if st.Region(u.Region) == nil {
				return vaxtrace.NotFound("region", "unknown region %q", u.Region)
			}
		case vaxtrace.RolePoint:
			pl := st.Place(u.Place)
			if pl == nil {
				return vaxtrace.NotFound("place", "unknown place %q", u.Place)
			}
			if pl.Kind != vaxtrace.PlacePoint {
				return vaxtrace.FieldError("place", "%s is a %s warehouse, not a vaccination point", pl.ID, pl.Kind)
			}
		}
		return nil
	})
}

func (s *Server) createUser(w http.ResponseWriter, r *http.Request) error {
	p, err := requireAdmin(r)
	if err != nil {
		return err
	}
	store, err := s.acct.users()
	if err != nil {
		return err
	}
	var q userRequest
	if err := s.decode(w, r, &q); err != nil {
		return err
	}
	now := time.Now().Unix()
	u := vaxtrace.User{Name: strings.ToLower(strings.TrimSpace(q.Name)), FullName: strings.TrimSpace(q.FullName), Role: q.Role, Region: q.Region, Place: q.Place,
		Created: now, Updated: now, UpdatedBy: p.Name}
	if err := u.Validate(); err != nil {
		return err
	}
	if err := s.checkScope(u); err != nil {
		return err
	}
	var out userResult
	pw := q.Password
	if pw == "" {
		pw = password.Generate()
		out.Password = pw
	}
	if err := vaxtrace.ValidPassword(u.Name, pw); err != nil {
		return err
	}
	if err := s.acct.hash(r.Context(), func() { u.PasswordHash = password.Hash(pw) }); err != nil {
		return err
	}
	if err := store.CreateUser(r.Context(), u); err != nil {
		return s.acct.storeError(err)
	}
	s.log.Info("user created", "actor", p.Name, "user", u.Name, "role", u.Role)
	out.User = viewUser(u)
	writeJSON(w, http.StatusCreated, out)
	return nil
}

// changeUser applies an administrator's change to the user named in the
// path and ends the user's sessions when endSessions is set.
func (s *Server) changeUser(w http.ResponseWriter, r *http.Request, what string, endSessions bool, fn func(*vaxtrace.User) error) (vaxtrace.User, error) {
	p, err := requireAdmin(r)
	if err != nil {
		return vaxtrace.User{}, err
	}
	store, err := s.acct.users()
	if err != nil {
		return vaxtrace.User{}, err
	}
	name := r.PathValue("name")
	u, err := store.UpdateUser(r.Context(), name, func(u *vaxtrace.User) error {
		if err := fn(u); err != nil {
			return err
		}
		u.Updated, u.UpdatedBy = time.Now().Unix(), p.Name
		return nil
	})
	if err != nil {
		return u, s.acct.storeError(err)
	}
	if endSessions {
		if err := store.DeleteUserSessions(r.Context(), name); err != nil {
			return u, s.acct.storeError(err)
		}
		s.acct.forget(name)
	}
	s.log.Info("user "+what, "actor", p.Name, "user", name)
	return u, nil
}

func (s *Server) disableUser(w http.ResponseWriter, r *http.Request) error {
	me := principal(r)
	u, err := s.changeUser(w, r, "disabled", true, func(u *vaxtrace.User) error {
		if u.Principal().Name == me.Name {
			return vaxtrace.FieldError("name", "you cannot disable your own account")
		}
		u.Disabled = true
		return nil
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, userResult{User: viewUser(u)})
	return nil
}

func (s *Server) enableUser(w http.ResponseWriter, r *http.Request) error {
	u, err := s.changeUser(w, r, "enabled", false, func(u *vaxtrace.User) error { u.Disabled = false; return nil })
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, userResult{User: viewUser(u)})
	return nil
}

type resetRequest struct {
	Password string `json:"password,omitempty"` // empty: a random temporary password
}

// resetPassword sets a new password, lifts a lock and ends the user's
// sessions.
func (s *Server) resetPassword(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireAdmin(r); err != nil {
		return err
	}
	var q resetRequest
	if r.ContentLength != 0 {
		if err := s.decode(w, r, &q); err != nil {
			return err
		}
	}
	var out userResult
	pw := q.Password
	if pw == "" {
		pw = password.Generate()
		out.Password = pw
	}
	if err := vaxtrace.ValidPassword(r.PathValue("name"), pw); err != nil {
		return err
	}
	var hash string
	if err := s.acct.hash(r.Context(), func() { hash = password.Hash(pw) }); err != nil {
		return err
	}
	u, err := s.changeUser(w, r, "password reset", true, func(u *vaxtrace.User) error {
		u.PasswordHash, u.Failures, u.LockedUntil = hash, 0, 0
		return nil
	})
	if err != nil {
		return err
	}
	out.User = viewUser(u)
	writeJSON(w, http.StatusOK, out)
	return nil
}
