// Package planning connects the pure planning maths of package plan to the
// live ledger: FromState maps vaxtrace.State onto plan.State (products,
// regions, stock, national availability, dose histories, second-dose
// cohorts, supply pipeline with supplier lateness, lots, targets); Planner
// runs forecasts, reachability answers and allocation proposals on the
// engine and turns an accepted proposal into ShipmentDispatched commands;
// Handler serves it all under /api/v1/plan/ (see Server for the routes).
//
// Allocation proposals are kept in memory only (not journaled, lost on a
// restart, not shared between API nodes). Only acceptance writes to the
// ledger: one shipment per national warehouse and region, idempotency key
// "plan:<proposal id>:<shipment id>".
//
// The OWID Kazakhstan series used by the backtest is embedded from
// owid/Kazakhstan.csv (Our World in Data, CC BY 4.0; attribution in
// owid/SOURCE.txt).
package planning
