package httpapi

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"strings"
	"time"

	"vaxtrace"
	"vaxtrace/httperr"
)

// NewToken returns a new API token secret (32 random bytes, base64url) and
// the SHA-256 hex hash under which it is stored. Only the hash is kept; the
// secret is shown once to whoever issues it.
func NewToken() (secret, hash string) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	secret = base64.RawURLEncoding.EncodeToString(b)
	return secret, HashToken(secret)
}

// HashToken returns the stored form of a token secret.
func HashToken(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

type cachedToken struct {
	p       vaxtrace.Principal
	expires time.Time
}

type principalKey struct{}

// principal returns the caller (set by wrap).
func principal(r *http.Request) vaxtrace.Principal {
	p, ok := r.Context().Value(principalKey{}).(vaxtrace.Principal)
	if !ok {
		return vaxtrace.Principal{Role: vaxtrace.RolePublic, Name: "public"}
	}
	return p
}

// authenticate resolves the bearer token. No Authorization header means the
// public role; a malformed, unknown or revoked token is refused.
func (s *Server) authenticate(r *http.Request) (vaxtrace.Principal, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		if p, ok, err := s.sessionPrincipal(r); ok { // a signed-in person (session.go)
			return p, err
		}
		return vaxtrace.Principal{Name: "public", Role: vaxtrace.RolePublic}, nil
	}
	scheme, secret, ok := strings.Cut(h, " ")
	secret = strings.TrimSpace(secret)
	if !ok || !strings.EqualFold(scheme, "Bearer") || secret == "" {
		return vaxtrace.Principal{}, vaxtrace.Errorf(vaxtrace.EUNAUTHORIZED, "Authorization must be \"Bearer <token>\"")
	}
	hash := HashToken(secret)
	now := s.clock()
	if v, ok := s.tokens.Load(hash); ok {
		c := v.(cachedToken)
		if now.Before(c.expires) {
			return c.p, nil
		}
		s.tokens.Delete(hash)
	}
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	t, err := s.eng.Journal().TokenByHash(ctx, hash)
	if err != nil {
		if vaxtrace.ErrorCode(err) == vaxtrace.EUNAUTHORIZED {
			return vaxtrace.Principal{}, vaxtrace.Errorf(vaxtrace.EUNAUTHORIZED, "unknown or revoked token")
		}
		s.log.Error("token look-up failed", "request_id", requestID(r), "err", err)
		return vaxtrace.Principal{}, httperr.Public(vaxtrace.Errorf(vaxtrace.EUNAVAILABLE, "cannot check the token right now; try again later"))
	}
	if t.Revoked || !vaxtrace.ValidRole(t.Principal.Role) {
		return vaxtrace.Principal{}, vaxtrace.Errorf(vaxtrace.EUNAUTHORIZED, "unknown or revoked token")
	}
	s.tokens.Store(hash, cachedToken{p: t.Principal, expires: now.Add(s.opts.TokenTTL)})
	return t.Principal, nil
}

// canSeePlace reports whether p may see a place's detail: admin and auditor
// everything, a region role the places of its region, a point role its own
// point only (it used to be offered every point of its region).
func canSeePlace(p vaxtrace.Principal, s *vaxtrace.State, pl *vaxtrace.PlaceState) bool {
	return p.CanReadPlace(s, pl.ID)
}

// canSeePerson reports whether p may see a person: admin and auditor always;
// region and point roles if the person lives in their region or has a dose
// in their scope.
func canSeePerson(p vaxtrace.Principal, s *vaxtrace.State, ps *vaxtrace.PersonState) bool {
	switch p.Role {
	case vaxtrace.RoleAdmin, vaxtrace.RoleAuditor, vaxtrace.RoleMigration:
		return true
	case vaxtrace.RoleRegion, vaxtrace.RolePoint:
	default:
		return false
	}
	if p.CanReadRegion(s, ps.Region()) {
		return true
	}
	for d := range s.PersonDoses(ps) {
		if p.CanReadPlace(s, d.Place()) {
			return true
		}
	}
	return false
}

// seesIIN reports whether p is shown the masked IIN.
func seesIIN(p vaxtrace.Principal) bool {
	switch p.Role {
	case vaxtrace.RoleAdmin, vaxtrace.RoleAuditor, vaxtrace.RolePoint:
		return true
	}
	return false
}

type revokeResponse struct {
	Revoked string `json:"revoked"`
}

// revokeToken revokes a token by name in the store and drops it from this
// node's cache, so that it stops working here at once. Other nodes cache a
// resolved token for Options.TokenTTL (the poll interval under serve) and
// refuse it after that.
func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	if err := s.eng.Journal().RevokeToken(r.Context(), name); err != nil {
		return err
	}
	s.forgetToken(name)
	s.log.Info("token revoked", "request_id", requestID(r), "token", name, "by", principal(r).Name)
	writeJSON(w, http.StatusOK, revokeResponse{Revoked: name})
	return nil
}

// forgetToken drops every cached resolution of the token named name.
func (s *Server) forgetToken(name string) {
	s.tokens.Range(func(k, v any) bool {
		if v.(cachedToken).p.Name == name {
			s.tokens.Delete(k)
		}
		return true
	})
}

// requestID is the id of r set by the middleware ("" outside it).
func requestID(r *http.Request) string {
	if ri := info(r.Context()); ri != nil {
		return ri.id
	}
	return ""
}

// viewRegistered is the person shown to whoever registered them: in full
// when the caller may see the record, else only what the caller submitted
// (a known person of another region comes back without doses, vaccinators
// or masked IIN).
func (s *Server) viewRegistered(p vaxtrace.Principal, st *vaxtrace.State, ps *vaxtrace.PersonState) personView {
	if canSeePerson(p, st, ps) {
		return s.viewPerson(p, st, ps)
	}
	t := st.PersonText(ps)
	return personView{ID: ps.ID, Family: t.Family(), Given: t.Given(), BirthDate: ps.BirthDate, Sex: ps.Sex(), Region: ps.Region(), Group: ps.Group(), Doses: []doseView{}}
}
