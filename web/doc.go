// Package web serves the vaxtrace browser interface: a single-page
// application of plain HTML, CSS and vanilla JavaScript ES modules embedded
// in the binary (no build step, no CDN, no request leaves the server's
// origin). It talks only to the JSON API under /api/v1.
//
// Screens (hash routes): sign-in and public view; the overview, the week's
// position at one glance, printable as a one-page brief; a choropleth map
// of the 17 regions of 2021; charts; drill-down from region to vaccination
// point to stock by lot; late records; shipments in transit; lots with AEFI
// or quarantine; the plan (reachability with its band, binding limits and
// what actually happened, forecast, allocation review); certificates; and
// data entry for doses and shipments. The day shown and the "as known on"
// day are in the URL and carried by every link.
//
// Labels (static/i18n/labels.json) and the translations of every server
// message template (static/i18n/messages.json) exist in Kazakh, Russian and
// English; the package's tests extract the templates from the module's Go
// source and the labels from the scripts and fail on a missing translation.
//
// Handler returns the http.Handler that the CLI mounts at "/" (through
// httpapi's Options.UI); New takes options such as the default day.
package web
