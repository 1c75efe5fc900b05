package vaxtrace

import (
	"context"
	"strings"
	"unicode/utf8"
)

// User is a person who signs in with a name and a password (vaccinators,
// coordinators, administrators); machines keep using API tokens. A user has
// the same roles and scopes as a token. In the journal a user's changes
// carry the actor "user:<name>" (see Principal).
type User struct {
	Name     string `json:"name"`                // sign-in name: 2-64 of a-z 0-9 . _ -
	FullName string `json:"full_name,omitempty"` // shown in the app, e.g. the vaccinator's name
	Role     string `json:"role"`
	Region   string `json:"region,omitempty"` // for RoleRegion
	Place    string `json:"place,omitempty"`  // for RolePoint
	// PasswordHash is the argon2id hash in PHC string form; it never leaves
	// the server.
	PasswordHash string `json:"-"`
	Disabled     bool   `json:"disabled"`
	// Failures counts consecutive failed sign-ins; LockedUntil (Unix
	// nanoseconds) refuses sign-ins until then, even with the right password.
	Failures    int   `json:"failures"`
	LockedUntil int64 `json:"locked_until,omitempty"`
	Created     int64 `json:"created"` // Unix seconds
	Updated     int64 `json:"updated"`
	// UpdatedBy is the actor who created or last changed the account.
	UpdatedBy string `json:"updated_by,omitempty"`
}

// UserActorPrefix starts the journal actor of a signed-in user.
const UserActorPrefix = "user:"

// Principal is what the user may do, named "user:<name>" so that the
// journal tells people from machine tokens.
func (u User) Principal() Principal {
	return Principal{Name: UserActorPrefix + u.Name, Role: u.Role, Region: u.Region, Place: u.Place}
}

// ValidUserName checks a sign-in name.
func ValidUserName(name string) error {
	if len(name) < 2 || len(name) > 64 {
		return FieldError("name", "2 to 64 characters")
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return FieldError("name", "only lower-case letters a-z, digits and . _ - (character %d is %q)", i+1, string(rune(c)))
		}
	}
	return nil
}

// Validate checks the account's name, role and scope fields (that the
// region or place exists is checked against the state by the caller).
func (u *User) Validate() error {
	if err := ValidUserName(u.Name); err != nil {
		return err
	}
	if utf8.RuneCountInString(u.FullName) > 100 || !utf8.ValidString(u.FullName) || strings.ContainsRune(u.FullName, 0) {
		return FieldError("full_name", "at most 100 characters of text")
	}
	switch u.Role {
	case RoleAdmin, RoleAuditor:
		if u.Region != "" || u.Place != "" {
			return FieldError("role", "role %s is national: give no region or place", u.Role)
		}
	case RoleRegion:
		if u.Region == "" || u.Place != "" {
			return FieldError("region", "role region needs a region and no place")
		}
	case RolePoint:
		if u.Place == "" || u.Region != "" {
			return FieldError("place", "role point needs a vaccination point and no region")
		}
	default:
		return FieldError("role", "must be admin, region, point or auditor")
	}
	return nil
}

// MinPasswordLen and MaxPasswordLen bound passwords (bytes; the upper bound
// keeps hashing cheap to refuse).
const (
	MinPasswordLen = 10
	MaxPasswordLen = 256
)

// ValidPassword checks a new password for user name.
func ValidPassword(name, password string) error {
	switch {
	case len(password) < MinPasswordLen:
		return FieldError("password", "at least %d characters", MinPasswordLen)
	case len(password) > MaxPasswordLen:
		return FieldError("password", "at most %d characters", MaxPasswordLen)
	case !utf8.ValidString(password) || strings.ContainsRune(password, 0):
		return FieldError("password", "must be text")
	case strings.EqualFold(password, name):
		return FieldError("password", "must not be the user name")
	}
	return nil
}

// Session is a signed-in browser: only the SHA-256 of its secret is stored.
type Session struct {
	Hash    string `json:"hash"`
	User    string `json:"user"`
	Created int64  `json:"created"` // Unix nanoseconds
	Expires int64  `json:"expires"` // Unix nanoseconds
}

// UserStore keeps users and their sessions next to the journal, in the same
// store (both engines implement it; journaltest.RunUsers is its conformance
// suite). Users are not events: password hashes and failure counters must
// be changeable and removable, which an append-only journal is not.
type UserStore interface {
	// CreateUser adds a user; ECONFLICT if the name is taken.
	CreateUser(ctx context.Context, u User) error
	// User finds a user by name (ENOTFOUND if none).
	User(ctx context.Context, name string) (User, error)
	// Users lists every user by name.
	Users(ctx context.Context) ([]User, error)
	// UpdateUser changes a user atomically: fn gets the stored user and
	// edits it; nothing is written if fn fails. The name cannot change.
	UpdateUser(ctx context.Context, name string, fn func(*User) error) (User, error)
	// CreateSession stores a session (and drops expired ones).
	CreateSession(ctx context.Context, s Session) error
	// Session finds a session by hash; EUNAUTHORIZED if unknown or expired
	// at now (Unix nanoseconds).
	Session(ctx context.Context, hash string, now int64) (Session, error)
	// DeleteSession ends one session (signing out); unknown is not an error.
	DeleteSession(ctx context.Context, hash string) error
	// DeleteUserSessions ends every session of a user (disabled, password
	// reset).
	DeleteUserSessions(ctx context.Context, user string) error
}
