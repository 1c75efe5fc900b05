package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"vaxtrace"
)

// usersSchema holds the people who sign in and their sessions
// (vaxtrace.UserStore). It lives next to the journal, not in it.
const usersSchema = `
CREATE TABLE IF NOT EXISTS users (
	name          TEXT PRIMARY KEY,
	full_name     TEXT    NOT NULL DEFAULT '',
	role          TEXT    NOT NULL,
	region        TEXT    NOT NULL DEFAULT '',
	place         TEXT    NOT NULL DEFAULT '',
	password_hash TEXT    NOT NULL,
	disabled      INTEGER NOT NULL DEFAULT 0,
	failures      INTEGER NOT NULL DEFAULT 0,
	locked_until  INTEGER NOT NULL DEFAULT 0,
	created       INTEGER NOT NULL,
	updated       INTEGER NOT NULL,
	updated_by    TEXT    NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS sessions (
	hash    TEXT PRIMARY KEY,
	user    TEXT    NOT NULL REFERENCES users(name),
	created INTEGER NOT NULL,
	expires INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_user ON sessions(user);
CREATE INDEX IF NOT EXISTS sessions_expires ON sessions(expires);
`

const userColumns = "name, full_name, role, region, place, password_hash, disabled, failures, locked_until, created, updated, updated_by"

type scanner interface{ Scan(dest ...any) error }

func scanUser(r scanner) (vaxtrace.User, error) {
	var u vaxtrace.User
	var disabled int
	err := r.Scan(&u.Name, &u.FullName, &u.Role, &u.Region, &u.Place, &u.PasswordHash, &disabled, &u.Failures, &u.LockedUntil, &u.Created, &u.Updated, &u.UpdatedBy)
	u.Disabled = disabled != 0
	return u, err
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// CreateUser implements vaxtrace.UserStore.
func (d *DB) CreateUser(ctx context.Context, u vaxtrace.User) error {
	_, err := d.db.ExecContext(ctx, "INSERT INTO users("+userColumns+") VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
		u.Name, u.FullName, u.Role, u.Region, u.Place, u.PasswordHash, boolInt(u.Disabled), u.Failures, u.LockedUntil, u.Created, u.Updated, u.UpdatedBy)
	if err != nil && strings.Contains(err.Error(), "UNIQUE") {
		return vaxtrace.Errorf(vaxtrace.ECONFLICT, "a user named %q already exists", u.Name)
	}
	if err != nil {
		return fmt.Errorf("sqlite: create user: %w", err)
	}
	return nil
}

// User implements vaxtrace.UserStore.
func (d *DB) User(ctx context.Context, name string) (vaxtrace.User, error) {
	u, err := scanUser(d.db.QueryRowContext(ctx, "SELECT "+userColumns+" FROM users WHERE name = ?", name))
	if errors.Is(err, sql.ErrNoRows) {
		return u, vaxtrace.NotFound("name", "no user named %q", name)
	}
	if err != nil {
		return u, fmt.Errorf("sqlite: user: %w", err)
	}
	return u, nil
}

// Users implements vaxtrace.UserStore.
func (d *DB) Users(ctx context.Context) ([]vaxtrace.User, error) {
	rows, err := d.db.QueryContext(ctx, "SELECT "+userColumns+" FROM users ORDER BY name")
	if err != nil {
		return nil, fmt.Errorf("sqlite: users: %w", err)
	}
	defer rows.Close()
	var out []vaxtrace.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: users: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// UpdateUser implements vaxtrace.UserStore in one immediate transaction.
func (d *DB) UpdateUser(ctx context.Context, name string, fn func(*vaxtrace.User) error) (vaxtrace.User, error) {
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return vaxtrace.User{}, fmt.Errorf("sqlite: begin: %w", err)
	}
	defer tx.Rollback()
	u, err := scanUser(tx.QueryRowContext(ctx, "SELECT "+userColumns+" FROM users WHERE name = ?", name))
	if errors.Is(err, sql.ErrNoRows) {
		return vaxtrace.User{}, vaxtrace.NotFound("name", "no user named %q", name)
	}
	if err != nil {
		return vaxtrace.User{}, fmt.Errorf("sqlite: user: %w", err)
	}
	if err := fn(&u); err != nil {
		return vaxtrace.User{}, err
	}
	u.Name = name
	_, err = tx.ExecContext(ctx, `UPDATE users SET full_name = ?, role = ?, region = ?, place = ?, password_hash = ?, disabled = ?,
		failures = ?, locked_until = ?, updated = ?, updated_by = ? WHERE name = ?`,
		u.FullName, u.Role, u.Region, u.Place, u.PasswordHash, boolInt(u.Disabled), u.Failures, u.LockedUntil, u.Updated, u.UpdatedBy, name)
	if err != nil {
		return vaxtrace.User{}, fmt.Errorf("sqlite: update user: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return vaxtrace.User{}, fmt.Errorf("sqlite: commit: %w", err)
	}
	return u, nil
}

// CreateSession implements vaxtrace.UserStore.
func (d *DB) CreateSession(ctx context.Context, s vaxtrace.Session) error {
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: begin: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, "DELETE FROM sessions WHERE expires <= ?", s.Created); err != nil {
		return fmt.Errorf("sqlite: expire sessions: %w", err)
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO sessions(hash, user, created, expires) VALUES (?,?,?,?)", s.Hash, s.User, s.Created, s.Expires); err != nil {
		if strings.Contains(err.Error(), "FOREIGN KEY") {
			return vaxtrace.NotFound("user", "no user named %q", s.User)
		}
		return fmt.Errorf("sqlite: create session: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: commit: %w", err)
	}
	return nil
}

// Session implements vaxtrace.UserStore.
func (d *DB) Session(ctx context.Context, hash string, now int64) (vaxtrace.Session, error) {
	var s vaxtrace.Session
	err := d.db.QueryRowContext(ctx, "SELECT hash, user, created, expires FROM sessions WHERE hash = ?", hash).Scan(&s.Hash, &s.User, &s.Created, &s.Expires)
	if errors.Is(err, sql.ErrNoRows) {
		return vaxtrace.Session{}, vaxtrace.Errorf(vaxtrace.EUNAUTHORIZED, "unknown session: sign in again")
	}
	if err != nil {
		return vaxtrace.Session{}, fmt.Errorf("sqlite: session: %w", err)
	}
	if s.Expires <= now {
		return vaxtrace.Session{}, vaxtrace.Errorf(vaxtrace.EUNAUTHORIZED, "your session has expired: sign in again")
	}
	return s, nil
}

// DeleteSession implements vaxtrace.UserStore.
func (d *DB) DeleteSession(ctx context.Context, hash string) error {
	if _, err := d.db.ExecContext(ctx, "DELETE FROM sessions WHERE hash = ?", hash); err != nil {
		return fmt.Errorf("sqlite: delete session: %w", err)
	}
	return nil
}

// DeleteUserSessions implements vaxtrace.UserStore.
func (d *DB) DeleteUserSessions(ctx context.Context, user string) error {
	if _, err := d.db.ExecContext(ctx, "DELETE FROM sessions WHERE user = ?", user); err != nil {
		return fmt.Errorf("sqlite: delete sessions: %w", err)
	}
	return nil
}
