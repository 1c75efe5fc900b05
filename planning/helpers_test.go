package planning

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"vaxtrace"
	"vaxtrace/engine"
	"vaxtrace/pii"
	"vaxtrace/scenario"
	"vaxtrace/sqlite"
)

var (
	shared     *engine.Engine
	sharedErr  error
	sharedOnce sync.Once
	sharedDir  string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if shared != nil {
		shared.Close()
		shared.Journal().Close()
	}
	if sharedDir != "" {
		os.RemoveAll(sharedDir)
	}
	os.Exit(code)
}

// loadScenario opens a fresh engine with the March 2021 scenario.
func loadScenario(tb testing.TB, dir string) (*engine.Engine, error) {
	ctx := context.Background()
	j, err := sqlite.Open(filepath.Join(dir, "march.db"))
	if err != nil {
		return nil, err
	}
	eng, err := engine.Open(ctx, j, engine.Options{})
	if err != nil {
		return nil, err
	}
	secret := make([]byte, 64)
	for i := range secret {
		secret[i] = byte(i)
	}
	keys, err := pii.New(secret)
	if err != nil {
		return nil, err
	}
	if err := scenario.March2021(ctx, eng, keys, scenario.DefaultOptions()); err != nil {
		return nil, err
	}
	return eng, nil
}

// scenarioEngine returns the shared, read-only March 2021 engine (tests
// that write must use ownScenario).
func scenarioEngine(tb testing.TB) *engine.Engine {
	tb.Helper()
	if testing.Short() {
		tb.Skip("loads the March 2021 scenario (~5 s)")
	}
	sharedOnce.Do(func() {
		sharedDir, sharedErr = os.MkdirTemp("", "planning-test")
		if sharedErr == nil {
			shared, sharedErr = loadScenario(tb, sharedDir)
		}
	})
	if sharedErr != nil {
		tb.Fatal(sharedErr)
	}
	return shared
}

// ownScenario loads a private copy of the scenario for tests that write.
func ownScenario(tb testing.TB) *engine.Engine {
	tb.Helper()
	if testing.Short() {
		tb.Skip("loads the March 2021 scenario (~5 s)")
	}
	eng, err := loadScenario(tb, tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { eng.Close(); eng.Journal().Close() })
	return eng
}

var admin = vaxtrace.Principal{Name: "admin", Role: vaxtrace.RoleAdmin}
