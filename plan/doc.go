// Package plan holds the campaign-planning maths of vaxtrace: the supply
// pipeline (tranches with supplier lateness, domestic production, shipments in
// transit), the day-by-day campaign forecast (doses given by kind, stock by
// product/component, second doses falling due, coverage, binding limits,
// stock-outs and expiring lots), a backtest of the uptake model against the
// Our World in Data series, the WHO min/max allocation of national stock to
// regions with second-dose reservation and FEFO lot picking, and the
// "is this target reachable?" report.
//
// The package is pure: it does no I/O except reading an io.Reader handed to
// ParseOWID, keeps no global state and uses no randomness. Its input types
// (State, RegionState, Arrival, Lot, Target, ...) are its own; an adapter
// outside the package maps the live ledger state onto them.
//
// # Conventions
//
//   - Dates are Day values: whole civil days since 1970-01-01 (proleptic
//     Gregorian, no time zone). Use Date, ParseDay and Day.String.
//   - Stock is keyed by Key(product, component), "SPUTNIK-V/I"; a product
//     with a single component for every dose may use the component "" and
//     then its key is the product code alone.
//   - Histories (RegionState.DailyFirst, ...) hold doses per day, most recent
//     last; the last entry is the day before State.AsOf.
//   - Invalid input is reported as *InputError (wrapped with %w where context
//     is added), naming the offending field.
package plan
