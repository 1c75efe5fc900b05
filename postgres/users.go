package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"vaxtrace"
)

// Users and sessions (vaxtrace.UserStore), in the tables of migration
// 0014_users.sql.

const userColumns = "name, full_name, role, region, place, password_hash, disabled, failures, locked_until, created, updated, updated_by"

func scanUser(r pgx.Row) (vaxtrace.User, error) {
	var u vaxtrace.User
	err := r.Scan(&u.Name, &u.FullName, &u.Role, &u.Region, &u.Place, &u.PasswordHash, &u.Disabled, &u.Failures, &u.LockedUntil, &u.Created, &u.Updated, &u.UpdatedBy)
	return u, err
}

// CreateUser implements vaxtrace.UserStore.
func (d *DB) CreateUser(ctx context.Context, u vaxtrace.User) error {
	if d.standby {
		return errStandby()
	}
	_, err := d.pool.Exec(ctx, "INSERT INTO users("+userColumns+") VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12)",
		u.Name, u.FullName, u.Role, u.Region, u.Place, u.PasswordHash, u.Disabled, u.Failures, u.LockedUntil, u.Created, u.Updated, u.UpdatedBy)
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" {
		return vaxtrace.Errorf(vaxtrace.ECONFLICT, "a user named %q already exists", u.Name)
	}
	if err != nil {
		return fmt.Errorf("postgres: create user: %w", err)
	}
	return nil
}

// User implements vaxtrace.UserStore.
func (d *DB) User(ctx context.Context, name string) (vaxtrace.User, error) {
	u, err := scanUser(d.pool.QueryRow(ctx, "SELECT "+userColumns+" FROM users WHERE name = $1", name))
	if errors.Is(err, pgx.ErrNoRows) {
		return vaxtrace.User{}, vaxtrace.NotFound("name", "no user named %q", name)
	}
	if err != nil {
		return vaxtrace.User{}, fmt.Errorf("postgres: user: %w", err)
	}
	return u, nil
}

// Users implements vaxtrace.UserStore.
func (d *DB) Users(ctx context.Context) ([]vaxtrace.User, error) {
	rows, err := d.pool.Query(ctx, "SELECT "+userColumns+" FROM users ORDER BY name")
	if err != nil {
		return nil, fmt.Errorf("postgres: users: %w", err)
	}
	defer rows.Close()
	var out []vaxtrace.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("postgres: users: %w", err)
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: users: %w", err)
	}
	return out, nil
}

// UpdateUser implements vaxtrace.UserStore: the row is locked (SELECT ...
// FOR UPDATE) while fn edits it, so concurrent sign-ins on several nodes
// count every failure.
func (d *DB) UpdateUser(ctx context.Context, name string, fn func(*vaxtrace.User) error) (vaxtrace.User, error) {
	if d.standby {
		return vaxtrace.User{}, errStandby()
	}
	tx, err := d.pool.Begin(ctx)
	if err != nil {
		return vaxtrace.User{}, fmt.Errorf("postgres: begin: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	u, err := scanUser(tx.QueryRow(ctx, "SELECT "+userColumns+" FROM users WHERE name = $1 FOR UPDATE", name))
	if errors.Is(err, pgx.ErrNoRows) {
		return vaxtrace.User{}, vaxtrace.NotFound("name", "no user named %q", name)
	}
	if err != nil {
		return vaxtrace.User{}, fmt.Errorf("postgres: user: %w", err)
	}
	if err := fn(&u); err != nil {
		return vaxtrace.User{}, err
	}
	u.Name = name
	_, err = tx.Exec(ctx, `UPDATE users SET full_name = $1, role = $2, region = $3, place = $4, password_hash = $5, disabled = $6,
		failures = $7, locked_until = $8, updated = $9, updated_by = $10 WHERE name = $11`,
		u.FullName, u.Role, u.Region, u.Place, u.PasswordHash, u.Disabled, u.Failures, u.LockedUntil, u.Updated, u.UpdatedBy, name)
	if err != nil {
		return vaxtrace.User{}, fmt.Errorf("postgres: update user: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return vaxtrace.User{}, fmt.Errorf("postgres: commit: %w", err)
	}
	return u, nil
}

// CreateSession implements vaxtrace.UserStore.
func (d *DB) CreateSession(ctx context.Context, s vaxtrace.Session) error {
	if d.standby {
		return errStandby()
	}
	b := &pgx.Batch{}
	b.Queue("DELETE FROM sessions WHERE expires <= $1", s.Created)
	b.Queue(`INSERT INTO sessions(hash, "user", created, expires) VALUES ($1, $2, $3, $4)`, s.Hash, s.User, s.Created, s.Expires)
	err := d.pool.SendBatch(ctx, b).Close()
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23503" {
		return vaxtrace.NotFound("user", "no user named %q", s.User)
	}
	if err != nil {
		return fmt.Errorf("postgres: create session: %w", err)
	}
	return nil
}

// Session implements vaxtrace.UserStore.
func (d *DB) Session(ctx context.Context, hash string, now int64) (vaxtrace.Session, error) {
	var s vaxtrace.Session
	err := d.pool.QueryRow(ctx, `SELECT hash, "user", created, expires FROM sessions WHERE hash = $1`, hash).Scan(&s.Hash, &s.User, &s.Created, &s.Expires)
	if errors.Is(err, pgx.ErrNoRows) {
		return vaxtrace.Session{}, vaxtrace.Errorf(vaxtrace.EUNAUTHORIZED, "unknown session: sign in again")
	}
	if err != nil {
		return vaxtrace.Session{}, fmt.Errorf("postgres: session: %w", err)
	}
	if s.Expires <= now {
		return vaxtrace.Session{}, vaxtrace.Errorf(vaxtrace.EUNAUTHORIZED, "your session has expired: sign in again")
	}
	return s, nil
}

// DeleteSession implements vaxtrace.UserStore.
func (d *DB) DeleteSession(ctx context.Context, hash string) error {
	if d.standby {
		return errStandby()
	}
	if _, err := d.pool.Exec(ctx, "DELETE FROM sessions WHERE hash = $1", hash); err != nil {
		return fmt.Errorf("postgres: delete session: %w", err)
	}
	return nil
}

// DeleteUserSessions implements vaxtrace.UserStore.
func (d *DB) DeleteUserSessions(ctx context.Context, user string) error {
	if d.standby {
		return errStandby()
	}
	if _, err := d.pool.Exec(ctx, `DELETE FROM sessions WHERE "user" = $1`, user); err != nil {
		return fmt.Errorf("postgres: delete sessions: %w", err)
	}
	return nil
}
