// Package scenario loads reference data (the catalog and the regions of
// Kazakhstan, curated from shared/reference/kazakhstan-2021.yaml) and builds
// the March 2021 scenario by driving the real engine day by day, so the demo
// is subject to exactly the rules every user is.
package scenario

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"time"

	"vaxtrace"
	"vaxtrace/engine"
)

//go:embed data/kz2021.json
var refJSON []byte

// Reference is the curated reference data.
type Reference struct {
	Source   string             `json:"source"`
	Regions  []vaxtrace.Region  `json:"regions"`
	Products []vaxtrace.Product `json:"products"`
}

// LoadReference parses the embedded reference data.
func LoadReference() (*Reference, error) {
	var r Reference
	if err := json.Unmarshal(refJSON, &r); err != nil {
		return nil, fmt.Errorf("reference data: %w", err)
	}
	return &r, nil
}

// Admin is the principal the scenario acts as.
var Admin = vaxtrace.Principal{Name: "scenario", Role: vaxtrace.RoleAdmin}

// Regions2021 returns the 17 units of 2021 (without the 2022 additions).
func (r *Reference) Regions2021() []vaxtrace.Region {
	var out []vaxtrace.Region
	for _, g := range r.Regions {
		if g.ValidFrom == nil {
			out = append(out, g)
		}
	}
	return out
}

// submitAll submits commands in one group commit and fails on any rejection.
func submitAll(ctx context.Context, eng *engine.Engine, cmds []engine.Command) error {
	if len(cmds) == 0 {
		return nil
	}
	for i, r := range eng.SubmitBatch(ctx, cmds) {
		if r.Err != nil {
			return fmt.Errorf("scenario command %s (%s): %w", cmds[i].Key, cmds[i].Data.Kind(), r.Err)
		}
	}
	return nil
}

func cmd(key string, rec time.Time, p vaxtrace.Payload) engine.Command {
	return engine.Command{Key: key, Actor: Admin, Data: p, Recorded: rec}
}

// Seed defines the catalog and all regions (2021 units and the 2022 ones).
func Seed(ctx context.Context, eng *engine.Engine, ref *Reference, at time.Time) error {
	var cmds []engine.Command
	for _, p := range ref.Products {
		cmds = append(cmds, cmd("product:"+p.Code, at, vaxtrace.ProductDefined{Product: p}))
	}
	for _, g := range ref.Regions {
		cmds = append(cmds, cmd("region:"+g.Code, at, vaxtrace.RegionDefined{Region: g}))
	}
	return submitAll(ctx, eng, cmds)
}
