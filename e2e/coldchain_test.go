package e2e

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestBrowserColdChain drives the cold-chain, requisition and EVM screens
// in headless Chromium against the March 2021 demo (coldchain.mjs):
// equipment and alarms, a freezer's temperature history with its
// excursion, a recorder file imported through the form, a requisition
// approved and shipped, the EVM reports on screen and in print, Russian and
// Kazakh, a regional token's scope and a phone-width chart. Screenshots
// land in e2e/artifacts/cc-*.png.
func TestBrowserColdChain(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	node, err := exec.LookPath("node")
	need(t, "node", err == nil)
	need(t, chromiumPath, exists(chromiumPath))
	need(t, "e2e/node_modules/playwright-core", exists("node_modules/playwright-core/package.json"))
	srv := startServer(t)
	defer srv.stop()
	if !strings.Contains(os.Getenv("VAXTRACE_E2E_INPROCESS"), "1") && srv.RegionCode != "KZ-AKM" {
		t.Fatalf("the cold-chain scenario needs the demo's Akmola token, got %s", srv.RegionCode)
	}
	art, _ := filepath.Abs("artifacts")
	if err := os.MkdirAll(art, 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "coldchain.mjs")
	cmd.Env = append(os.Environ(), "BASE_URL="+srv.URL, "ADMIN_TOKEN="+srv.AdminToken, "REGION_TOKEN="+srv.RegionToken,
		"REGION_CODE="+srv.RegionCode, "ARTIFACTS="+art, "CHROMIUM="+chromiumPath, "USER_DATA_DIR="+t.TempDir())
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		t.Log(sc.Text())
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("cold-chain browser scenario failed: %v (screenshots in %s)", err, art)
	}
}
