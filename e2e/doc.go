// Package e2e holds the browser tests of vaxtrace. e2e_test.go starts a real
// server (the vaxtrace binary's demo when the CLI has it, otherwise an
// in-process server built from engine, httpapi and web over a small seeded
// SQLite ledger) and drives Debian's headless Chromium with playwright-core
// through run.mjs: sign-in, overview, map, drill-down, dose entry, language
// switch, a region-scoped refusal and the public view. Screenshots go to
// e2e/artifacts/ (not committed). Run scripts/e2e-setup.sh first; the test
// fails instead of skipping when CI=true and the browser is missing.
package e2e
