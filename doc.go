// Package vaxtrace holds the domain of the vaccine supply-to-arm ledger:
// catalog, places, agreements, lots, stock movements, people and doses, the
// events that change them and the rules that validate them. It does no I/O;
// storage engines, HTTP, certificates and FHIR live in their own packages.
package vaxtrace
