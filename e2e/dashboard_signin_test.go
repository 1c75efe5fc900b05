package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestDashboardSignIn drives the dashboard's password sign-in in headless
// Chromium (dashboard_signin.mjs): a wrong password refused with a message,
// the right one opening the overview on the session cookie (no token in
// localStorage), a write carried by the CSRF token, sign-out ending the
// session, and token sign-in still there as the secondary option.
func TestDashboardSignIn(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	nodeBin, err := exec.LookPath("node")
	need(t, "node", err == nil)
	need(t, chromiumPath, exists(chromiumPath))
	need(t, "e2e/node_modules/playwright-core", exists("node_modules/playwright-core/package.json"))
	runScenario(t, nodeBin, "dashboard_signin.mjs", "dashboard-signin")
}

// TestDueScreens drives the due lists in headless Chromium (due.mjs): the
// dashboard's Due screen (national, a region, paging) and the point app's,
// online and then offline from the device's cache, in en, ru and kk.
func TestDueScreens(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	nodeBin, err := exec.LookPath("node")
	need(t, "node", err == nil)
	need(t, chromiumPath, exists(chromiumPath))
	need(t, "e2e/node_modules/playwright-core", exists("node_modules/playwright-core/package.json"))
	runScenario(t, nodeBin, "due.mjs", "due")
}

// runScenario runs a browser script against a fresh point server.
func runScenario(t *testing.T, nodeBin, script, artifacts string) {
	t.Helper()
	srv := startPointServer(t)
	defer srv.stop()
	art, _ := filepath.Abs(filepath.Join("artifacts", artifacts))
	if err := os.MkdirAll(art, 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, nodeBin, script)
	cmd.Env = append(os.Environ(),
		"BASE_URL="+srv.URL, "ADMIN_TOKEN="+srv.AdminToken,
		"ADMIN_USER="+adminUser, "ADMIN_PASSWORD="+adminPassword,
		"POINT_USER="+pointUser, "POINT_PASSWORD="+pointPassword,
		"ARTIFACTS="+art, "CHROMIUM="+chromiumPath,
	)
	out, err := cmd.CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("%s failed: %v (screenshots in %s)", script, err, art)
	}
}
