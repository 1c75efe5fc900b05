// Package web serves the vaxtrace browser interface: a single-page
// application of plain HTML, CSS and vanilla JavaScript ES modules embedded
// in the binary (no build step, no CDN, no request leaves the server's
// origin). It talks only to the JSON API under /api/v1.
//
// Screens (hash routes): sign-in and public view, national overview with an
// as-of date, a choropleth map of the 17 regions of 2021, charts, drill-down
// from region to vaccination point to stock by lot, shipments in transit,
// lots with AEFI or quarantine, and data entry for doses and shipments.
// Labels exist in English, Russian and Kazakh.
//
// Handler returns the http.Handler that the CLI mounts at "/" (through
// httpapi's Options.UI).
package web
