package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"
)

// OpenReadOnly opens the database for a read-only API node (serve
// --read-only), on the primary or a hot standby alike: nothing is migrated,
// the schema must be exactly this build's, and Write, PutToken and
// RevokeToken fail with EUNAVAILABLE as on a standby (ReadOnly is true).
func OpenReadOnly(ctx context.Context, url string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return openConfig(ctx, cfg, true)
}
