package postgres_test

import (
	"context"
	"testing"

	"vaxtrace/postgres"
)

func TestMetaAndInitialized(t *testing.T) {
	ctx := context.Background()
	u := createDB(t)
	if ok, err := postgres.Initialized(ctx, u); ok || err != nil {
		t.Fatalf("empty database reported initialized: %v %v", ok, err)
	}
	d := open(t, u)
	defer d.Close()
	if ok, err := postgres.Initialized(ctx, u); !ok || err != nil {
		t.Fatalf("migrated database not initialized: %v %v", ok, err)
	}
	if _, ok, err := d.Meta(ctx, "k"); ok || err != nil {
		t.Fatalf("absent key: %v %v", ok, err)
	}
	if v, err := d.PutMetaIfAbsent(ctx, "k", "first"); err != nil || v != "first" {
		t.Fatalf("put: %q %v", v, err)
	}
	// a second node's value loses
	other := open(t, u)
	defer other.Close()
	if v, err := other.PutMetaIfAbsent(ctx, "k", "second"); err != nil || v != "first" {
		t.Fatalf("second put won: %q %v", v, err)
	}
	if ok, err := postgres.Initialized(ctx, u+"&pool_max_conns=4"); !ok || err != nil {
		t.Fatalf("pool settings in the URL: %v %v", ok, err)
	}
	if _, err := postgres.Initialized(ctx, withDatabase(baseURL(), "vaxtrace_no_such_database")); err == nil {
		t.Fatal("a missing database was accepted")
	}
}
