package e2e

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"vaxtrace"
	"vaxtrace/engine"
	"vaxtrace/httpapi"
	"vaxtrace/password"
	"vaxtrace/pii"
	"vaxtrace/sqlite"
	"vaxtrace/web"
	"vaxtrace/web/point"
)

// pointServer is the in-process server of the point app's browser test:
// the seeded ledger plus people who sign in, and a point with enough stock
// for the 5,000-record sync measurement.
type pointServer struct {
	URL        string
	AdminToken string
	stop       func()
}

// Accounts of the point test (passwords are test data).
const (
	pointUser     = "nurse.akm"
	pointPassword = "correct horse battery"
	perfUser      = "nurse.perf"
	adminUser     = "chief"
	adminPassword = "the chief's passphrase"
	perfPoint     = "PT-PERF"
)

func startPointServer(t *testing.T) *pointServer {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "point.db"))
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	eng, err := engine.Open(ctx, db, engine.Options{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	secret := make([]byte, 64)
	for i := range secret {
		secret[i] = byte(i*5 + 3)
	}
	keys, err := pii.New(secret)
	if err != nil {
		t.Fatal(err)
	}
	seed(t, eng, keys)
	// a point with 6,000 first doses for the sync measurement
	admin := vaxtrace.Principal{Name: "seed", Role: vaxtrace.RoleAdmin}
	d := vaxtrace.MkDate(2021, 3, 1)
	for i, p := range []vaxtrace.Payload{
		vaxtrace.PlaceDefined{Place: vaxtrace.Place{ID: perfPoint, Kind: vaxtrace.PlacePoint, Name: "Mass vaccination centre, Kokshetau", Region: "KZ-AKM", Parent: "WH-AKM"}},
		vaxtrace.ShipmentDispatched{Shipment: "SH-PERF", From: "NAT-SKP", To: perfPoint, Occurred: at(d, 8), Lines: []vaxtrace.ShipmentLine{{Lot: "I-0221-B", Doses: 6000}}},
		vaxtrace.ShipmentReceived{Shipment: "SH-PERF", Occurred: at(d, 15)},
	} {
		if r := eng.Submit(ctx, engine.Command{Key: fmt.Sprintf("perf:%d", i), Actor: admin, Data: p}); r.Err != nil {
			t.Fatalf("perf point: %v", r.Err)
		}
	}
	now := time.Now().Unix()
	for _, u := range []struct {
		vaxtrace.User
		pw string
	}{
		{vaxtrace.User{Name: pointUser, FullName: "Aigerim Nurse", Role: vaxtrace.RolePoint, Place: "PT-AKM-1"}, pointPassword},
		{vaxtrace.User{Name: perfUser, FullName: "Perf Nurse", Role: vaxtrace.RolePoint, Place: perfPoint}, pointPassword},
		{vaxtrace.User{Name: adminUser, FullName: "Chief Administrator", Role: vaxtrace.RoleAdmin}, adminPassword},
	} {
		u.PasswordHash, u.Created, u.Updated, u.UpdatedBy = password.Hash(u.pw), now, now, "e2e"
		if err := db.CreateUser(ctx, u.User); err != nil {
			t.Fatal(err)
		}
	}
	tok, hash := httpapi.NewToken()
	if err := db.PutToken(ctx, vaxtrace.Token{Hash: hash, Principal: vaxtrace.Principal{Name: "e2e-admin", Role: vaxtrace.RoleAdmin}, Created: now}); err != nil {
		t.Fatal(err)
	}
	h := httpapi.New(eng, keys, httpapi.Options{Logger: log, UI: point.With(web.Handler())})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	return &pointServer{URL: "http://" + ln.Addr().String(), AdminToken: tok, stop: func() {
		c, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(c)
		eng.Close()
		db.Close()
	}}
}

// TestPointApp drives the point app in headless Chromium (point.mjs):
// sign-in and lockout, 50 doses recorded offline across a browser restart
// and uploaded exactly once, rejected records fixed and resent, a
// correction, a session close, GS1 scanning, a point user's scope, the
// admin screen, phone-width screenshots in en, ru and kk, and the
// measurements of the issue (shell load on slow 3G with 4x CPU slowdown,
// 5,000 queued records synced).
func TestPointApp(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	nodeBin, err := exec.LookPath("node")
	need(t, "node", err == nil)
	need(t, chromiumPath, exists(chromiumPath))
	need(t, "e2e/node_modules/playwright-core", exists("node_modules/playwright-core/package.json"))
	srv := startPointServer(t)
	defer srv.stop()
	art, _ := filepath.Abs(filepath.Join("artifacts", "point"))
	if err := os.MkdirAll(art, 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, nodeBin, "point.mjs")
	cmd.Env = append(os.Environ(),
		"BASE_URL="+srv.URL, "ADMIN_TOKEN="+srv.AdminToken,
		"POINT_USER="+pointUser, "PERF_USER="+perfUser, "POINT_PASSWORD="+pointPassword,
		"ADMIN_USER="+adminUser, "ADMIN_PASSWORD="+adminPassword,
		"ARTIFACTS="+art, "CHROMIUM="+chromiumPath, "USER_DATA_DIR="+t.TempDir(),
	)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var measures []string
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		line := sc.Text()
		t.Log(line)
		if m, ok := strings.CutPrefix(line, "MEASURE "); ok {
			measures = append(measures, m)
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("point app scenario failed: %v (screenshots in %s)", err, art)
	}
	for _, m := range measures {
		t.Logf("measured: %s", m)
	}
}
