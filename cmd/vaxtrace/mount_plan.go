package main

import (
	"vaxtrace/engine"
	"vaxtrace/httpapi"
	"vaxtrace/pii"
	"vaxtrace/planning"
)

var planPatterns = []struct{ pattern, summary string }{
	{"GET /api/v1/plan/forecast", "day-by-day forecast by region with the binding limit per week, target results, stock-outs and expiring lots"},
	{"GET /api/v1/plan/reachability", "is a target reachable with the known pipeline, and what limits it"},
	{"POST /api/v1/plan/allocations", "propose how to split national stock across regions (WHO min/max, second doses reserved, FEFO)"},
	{"GET /api/v1/plan/allocations/{id}", "an allocation proposal"},
	{"POST /api/v1/plan/allocations/{id}/accept", "accept a proposal (optionally edited): it becomes shipments"},
	{"POST /api/v1/plan/allocations/{id}/reject", "reject a proposal"},
	{"GET /api/v1/plan/backtest", "forecast error over the real 2021-2022 series"},
}

func init() {
	mounts = append(mounts, func(api *httpapi.Server, eng *engine.Engine, _ *pii.Keys, _ storeFlags) error {
		h := planning.Handler(eng, api.Authenticate)
		for _, p := range planPatterns {
			api.Mount(p.pattern, "planning", p.summary, h)
		}
		return nil
	})
}
