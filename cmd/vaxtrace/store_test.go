package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"vaxtrace"
	"vaxtrace/engine"
	"vaxtrace/keyring"
	"vaxtrace/pii"
	"vaxtrace/postgres"
	"vaxtrace/scenario"
	"vaxtrace/sqlite"
)

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// binary builds the vaxtrace command once per test run.
func binary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the vaxtrace binary")
	}
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "vaxtrace-cmd-test-")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "vaxtrace")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

// run runs the binary with env added and returns stdout, stderr and the error.
func run(t *testing.T, env []string, args ...string) (string, string, error) {
	t.Helper()
	cmd := exec.Command(binary(t), args...)
	cmd.Env = append(os.Environ(), env...)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	return out.String(), errb.String(), err
}

// mustRun is run that fails the test on an error.
func mustRun(t *testing.T, env []string, args ...string) string {
	t.Helper()
	out, errs, err := run(t, env, args...)
	if err != nil {
		t.Fatalf("vaxtrace %s: %v\n%s%s", strings.Join(args, " "), err, out, errs)
	}
	return out
}

const seedIIN = "871008401427"

// otherIIN is a valid IIN that is never registered.
func otherIIN(t *testing.T) string {
	for _, p := range []string{"85010130012", "85010140012", "85010130013"} {
		if s, ok := vaxtrace.CompleteIIN(p); ok {
			return s
		}
	}
	t.Fatal("no IIN")
	return ""
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// seed fills an empty store through the library, as an import would: the
// minimal fixture and one person with a dose, keys made by keyring.
func seed(t *testing.T, j vaxtrace.Journal, keyPath string) *pii.Keys {
	t.Helper()
	ctx := context.Background()
	st, err := keyring.AsStore(j)
	if err != nil {
		t.Fatal(err)
	}
	k, err := keyring.OpenPII(ctx, st, keyPath, quiet)
	if err != nil {
		t.Fatal(err)
	}
	eng, err := engine.Open(ctx, j, engine.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	if err := scenario.Minimal(ctx, eng, 2, 100); err != nil {
		t.Fatal(err)
	}
	id, sealed, err := k.Person(seedIIN)
	if err != nil {
		t.Fatal(err)
	}
	admin := vaxtrace.Principal{Name: "test", Role: vaxtrace.RoleAdmin}
	for _, c := range []engine.Command{
		{Key: "person:" + id.String(), Actor: admin, Data: vaxtrace.PersonRegistered{Person: vaxtrace.Person{ID: id, IINSealed: sealed, Family: "Test", Given: "Person", BirthDate: vaxtrace.MkDate(1987, 10, 8), Sex: vaxtrace.SexMale, Region: "KZ-AKM"}}},
		{Key: "dose:c1", Actor: admin, Data: vaxtrace.DoseAdministered{ID: "c1", Person: id, At: time.Date(2021, 3, 1, 6, 0, 0, 0, time.UTC), Place: scenario.PointID(1), Lot: "FIX-I", Vaccinator: "nurse"}},
	} {
		if res := eng.Submit(ctx, c); res.Err != nil {
			t.Fatal(res.Err)
		}
	}
	return k.Keys
}

func seedSQLite(t *testing.T, dir string) (db string) {
	t.Helper()
	db = filepath.Join(dir, "store.db")
	j, err := sqlite.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	seed(t, j, db+".keys")
	return db
}

// pgBase is the PostgreSQL server the tests use (each test makes its own database).
func pgBase() string {
	if u := os.Getenv("VAXTRACE_PG_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

// freshPG creates an empty database, dropped when the test ends.
func freshPG(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	c, err := pgx.Connect(ctx, pgBase())
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("PostgreSQL not reachable: %v", err)
		}
		t.Skipf("PostgreSQL not reachable: %v", err)
	}
	defer c.Close(ctx)
	var b [6]byte
	rand.Read(b[:])
	name := "vaxtrace_cmd_" + hex.EncodeToString(b[:])
	if _, err := c.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), pgBase())
		if err == nil {
			c.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			c.Close(context.Background())
		}
	})
	u, _ := url.Parse(pgBase())
	u.Path = "/" + name
	return u.String()
}

// TestBackupRestore brings a store back whole on each engine: a backup
// bundle restored into a new store finds the person by IIN, verifies a
// certificate issued before the backup, and signs new certificates that the
// trust list published before the backup accepts.
func TestBackupRestore(t *testing.T) {
	for _, engineName := range []string{"sqlite", "postgres"} {
		t.Run(engineName, func(t *testing.T) {
			dir := t.TempDir()
			var src, dst, srcKeys, dstKeys string
			switch engineName {
			case "sqlite":
				src = seedSQLite(t, dir)
				dst = filepath.Join(dir, "restored", "store.db")
				os.MkdirAll(filepath.Dir(dst), 0o700)
			case "postgres":
				src = freshPG(t)
				srcKeys = filepath.Join(dir, "src", "pii.keys")
				j, err := postgres.Open(context.Background(), src)
				if err != nil {
					t.Fatal(err)
				}
				seed(t, j, srcKeys)
				j.Close()
				dst = freshPG(t)
				dstKeys = filepath.Join(dir, "dst", "pii.keys")
			}
			srcFlags := []string{"--db", src}
			dstFlags := []string{"--db", dst}
			if srcKeys != "" {
				srcFlags = append(srcFlags, "--keys", srcKeys)
				dstFlags = append(dstFlags, "--keys", dstKeys)
			}
			env := []string{DefaultPassphraseEnv + "=backup passphrase for tests", "VAXTRACE_CERT_PASSPHRASE=source authority passphrase"}
			hc1 := strings.TrimSpace(mustRun(t, env, append([]string{"cert", "issue", "--iin", seedIIN}, srcFlags...)...))
			trust := filepath.Join(dir, "trust.json")
			os.WriteFile(trust, []byte(mustRun(t, env, append([]string{"cert", "trustlist"}, srcFlags...)...)), 0o644)
			hc1File := filepath.Join(dir, "before.hc1")
			os.WriteFile(hc1File, []byte(hc1), 0o644)

			bundle := filepath.Join(dir, "backup.vxb")
			mustRun(t, env, append([]string{"backup", "--out", bundle}, srcFlags...)...)
			raw, _ := os.ReadFile(bundle)
			keyData, _ := os.ReadFile(map[bool]string{true: src + ".keys", false: srcKeys}[srcKeys == ""])
			if strings.Contains(string(raw), strings.TrimSpace(string(keyData))) {
				t.Fatal("the bundle holds the key file in clear")
			}

			// a wrong passphrase is refused before anything is written
			bad := []string{DefaultPassphraseEnv + "=not the passphrase", "VAXTRACE_CERT_PASSPHRASE=target authority passphrase"}
			_, errs, err := run(t, bad, append([]string{"restore", "--from", bundle}, dstFlags...)...)
			if err == nil || !strings.Contains(errs, "wrong backup passphrase") {
				t.Fatalf("wrong passphrase: %v %s", err, errs)
			}
			if engineName == "sqlite" {
				if _, err := os.Stat(dst); err == nil {
					t.Fatal("a refused restore left a store behind")
				}
			} else if ok, _ := postgres.Initialized(context.Background(), dst); ok {
				t.Fatal("a refused restore filled the database")
			}

			// the real restore, into a target with its own authority passphrase
			tenv := []string{DefaultPassphraseEnv + "=backup passphrase for tests", "VAXTRACE_CERT_PASSPHRASE=target authority passphrase"}
			out := mustRun(t, tenv, append([]string{"restore", "--from", bundle, "--trust", trust}, dstFlags...)...)
			for _, want := range []string{"every lot balances", "a sealed IIN opens", "proved against the published trust list"} {
				if !strings.Contains(out, want) {
					t.Errorf("restore output lacks %q:\n%s", want, out)
				}
			}
			// the certificate issued before the backup verifies with the
			// restored store's trust list
			trust2 := filepath.Join(dir, "trust-restored.json")
			os.WriteFile(trust2, []byte(mustRun(t, tenv, append([]string{"cert", "trustlist"}, dstFlags...)...)), 0o644)
			mustRun(t, nil, "cert", "verify", "--trust", trust2, "--file", hc1File)
			// the person is found by IIN, and a new certificate verifies
			// with the trust list published before the backup
			hc2 := strings.TrimSpace(mustRun(t, tenv, append([]string{"cert", "issue", "--iin", seedIIN}, dstFlags...)...))
			hc2File := filepath.Join(dir, "after.hc1")
			os.WriteFile(hc2File, []byte(hc2), 0o644)
			mustRun(t, nil, "cert", "verify", "--trust", trust, "--file", hc2File)
			// an IIN that was never registered is not found
			if _, errs, err := run(t, tenv, append([]string{"cert", "issue", "--iin", otherIIN(t)}, dstFlags...)...); err == nil || !strings.Contains(errs, "not_found") {
				t.Fatalf("unknown IIN: %v %s", err, errs)
			}
		})
	}
}

// TestReadCommandsRefuseMissingStore: a mistyped --db is an error, never a
// new empty store that reports zeros.
func TestReadCommandsRefuseMissingStore(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "typo.db")
	env := []string{DefaultPassphraseEnv + "=backup passphrase for tests"}
	cmds := [][]string{
		{"report"}, {"check"}, {"export", "owid"}, {"export", "fhir", "--out", filepath.Join(dir, "x")},
		{"token", "--name", "t", "--role", "admin"}, {"token", "--name", "t", "--revoke"},
		{"plan", "allocate"}, {"backup", "--out", filepath.Join(dir, "b.vxb")},
		{"cert", "revocations"}, {"cert", "trustlist"}, {"cert", "issue", "--iin", seedIIN},
		{"serve", "--addr", "127.0.0.1:0"},
	}
	pg := freshPG(t) // an existing but empty database is not a store either
	for _, c := range cmds {
		for _, db := range []string{missing, pg} {
			args := append(append([]string{}, c...), "--db", db, "--keys", filepath.Join(dir, "k.keys"))
			_, errs, err := run(t, env, args...)
			if err == nil || !strings.Contains(errs, "no vaxtrace store") {
				t.Errorf("vaxtrace %s --db %s: %v\n%s", strings.Join(c, " "), db[:8], err, errs)
			}
		}
		if _, err := os.Stat(missing); err == nil {
			t.Fatalf("vaxtrace %s created the store", strings.Join(c, " "))
		}
		if ok, _ := postgres.Initialized(context.Background(), pg); ok {
			t.Fatalf("vaxtrace %s migrated an empty database", strings.Join(c, " "))
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "k.keys")); err == nil {
		t.Fatal("a key file was made")
	}
}

func TestPostgresNeedsANamedKeyFile(t *testing.T) {
	db := freshPG(t)
	j, err := postgres.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	j.Close()
	cwd := t.TempDir()
	for _, c := range [][]string{{"check"}, {"report"}, {"token", "--name", "x", "--role", "admin"}, {"serve", "--addr", "127.0.0.1:0"}} {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // serve would run forever
		cmd := exec.CommandContext(ctx, binary(t), append(c, "--db", db)...)
		cmd.Dir = cwd
		cmd.Env = append(os.Environ(), "VAXTRACE_KEYS=")
		out, err := cmd.CombinedOutput()
		cancel()
		if err == nil || !strings.Contains(string(out), "--keys or VAXTRACE_KEYS") {
			t.Errorf("%v: %v\n%s", c, err, out)
		}
	}
	if ents, _ := os.ReadDir(cwd); len(ents) > 0 {
		t.Fatalf("files made in the current directory: %v", ents)
	}
}

func TestStartupRefusesMissingOrWrongKeys(t *testing.T) {
	dir := t.TempDir()
	db := seedSQLite(t, dir)
	if err := os.Rename(db+".keys", filepath.Join(dir, "moved.keys")); err != nil {
		t.Fatal(err)
	}
	for _, c := range [][]string{{"serve", "--addr", "127.0.0.1:0"}, {"check"}, {"report"}, {"export", "owid"}, {"token", "--name", "x", "--role", "admin"}} {
		_, errs, err := run(t, nil, append(c, "--db", db)...)
		if err == nil || !strings.Contains(errs, db+".keys is missing") || !strings.Contains(errs, "restore") {
			t.Errorf("%v with the key file gone: %v\n%s", c, err, errs)
		}
		if _, err := os.Stat(db + ".keys"); err == nil {
			t.Fatalf("%v made new keys for a store with data", c)
		}
	}
	other := filepath.Join(dir, "other.keys")
	if _, _, err := pii.Create(other); err != nil {
		t.Fatal(err)
	}
	_, errs, err := run(t, nil, "check", "--db", db, "--keys", other)
	if err == nil || !strings.Contains(errs, "does not belong to this store") {
		t.Errorf("other keys: %v\n%s", err, errs)
	}
	os.Chmod(filepath.Join(dir, "moved.keys"), 0o644)
	_, errs, err = run(t, nil, "check", "--db", db, "--keys", filepath.Join(dir, "moved.keys"))
	if err == nil || !strings.Contains(errs, "accessible by group or others") {
		t.Errorf("world-readable keys: %v\n%s", err, errs)
	}
	os.Chmod(filepath.Join(dir, "moved.keys"), 0o600)
	mustRun(t, nil, "check", "--db", db, "--keys", filepath.Join(dir, "moved.keys"))
}

func TestTokenRefusesUnknownScope(t *testing.T) {
	db := seedSQLite(t, t.TempDir())
	bad := []struct {
		args []string
		want string
	}{
		{[]string{"--role", "region", "--region", "KZ-NOPE"}, `no region "KZ-NOPE"`},
		{[]string{"--role", "point", "--place", "VP-NOPE"}, `no place "VP-NOPE"`},
		{[]string{"--role", "point", "--place", "RW-AKM"}, "not a vaccination point"},
		{[]string{"--role", "point", "--place", scenario.PointID(1), "--region", "KZ-AKM"}, "not a region"},
		{[]string{"--role", "admin", "--region", "KZ-AKM"}, "not limited"},
		{[]string{"--role", "region"}, "required for role region"},
		{[]string{"--role", "king"}, "must be one of"},
	}
	for i, c := range bad {
		_, errs, err := run(t, nil, append([]string{"token", "--db", db, "--name", fmt.Sprint("t", i)}, c.args...)...)
		if err == nil || !strings.Contains(errs, c.want) {
			t.Errorf("%v: %v\n%s", c.args, err, errs)
		}
	}
	for i, args := range [][]string{{"--role", "region", "--region", "KZ-AKM"}, {"--role", "point", "--place", scenario.PointID(2)}, {"--role", "auditor"}} {
		if out := mustRun(t, nil, append([]string{"token", "--db", db, "--name", fmt.Sprint("ok", i)}, args...)...); len(strings.TrimSpace(out)) < 40 {
			t.Errorf("%v: no token printed: %q", args, out)
		}
	}
	j, _ := sqlite.Open(db)
	defer j.Close()
	toks, _ := j.Tokens(context.Background())
	if len(toks) != 3 {
		t.Fatalf("%d tokens stored, want the 3 valid ones", len(toks))
	}
}

// TestExportFHIRPrivacy: the bulk export holds no IIN unless asked, and is
// written 0600 in a 0700 directory.
func TestExportFHIRPrivacy(t *testing.T) {
	dir := t.TempDir()
	db := seedSQLite(t, dir)
	out := filepath.Join(dir, "export")
	mustRun(t, nil, "export", "fhir", "--db", db, "--out", out)
	check := func(wantIIN bool) {
		t.Helper()
		st, _ := os.Stat(out)
		if st.Mode().Perm() != 0o700 {
			t.Errorf("directory mode %04o", st.Mode().Perm())
		}
		for _, f := range []string{"Patient.ndjson", "Immunization.ndjson"} {
			p := filepath.Join(out, f)
			st, err := os.Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			if st.Mode().Perm() != 0o600 {
				t.Errorf("%s mode %04o", f, st.Mode().Perm())
			}
			b, _ := os.ReadFile(p)
			// with --include-iin the Patient carries it, and each
			// Immunization's patient reference names it (so another
			// installation resolves the reference by business identifier)
			if got := strings.Contains(string(b), seedIIN); got != wantIIN {
				t.Errorf("%s holds the IIN: %v, want %v", f, got, wantIIN)
			}
		}
	}
	check(false)
	pb, _ := os.ReadFile(filepath.Join(out, "Patient.ndjson"))
	if !strings.Contains(string(pb), `"identifier"`) {
		t.Fatalf("a patient without any identifier: %s", pb)
	}
	// an explicit request writes them (a transfer to another health system)
	os.Chmod(filepath.Join(out, "Patient.ndjson"), 0o644) // an older, wider file is tightened
	mustRun(t, nil, "export", "fhir", "--db", db, "--out", out, "--include-iin")
	check(true)
	// a directory open to others is refused
	open := filepath.Join(dir, "open")
	os.Mkdir(open, 0o755)
	os.Chmod(open, 0o755)
	if _, errs, err := run(t, nil, "export", "fhir", "--db", db, "--out", open); err == nil || !strings.Contains(errs, "open to group or others") {
		t.Fatalf("0755 directory: %v\n%s", err, errs)
	}
	if _, errs, err := run(t, nil, "export", "owid", "--db", db, "--include-iin"); err == nil || !strings.Contains(errs, "only for the fhir export") {
		t.Fatalf("owid --include-iin: %v\n%s", err, errs)
	}
}

// TestRestoreRefusesKeysThatDoNotOpenTheData: a bundle whose keys are not
// the journal's (made by hand: backup never writes one) is refused, and the
// restore removes everything it wrote. With the fingerprint row gone (a store
// from before fingerprints) the proof on a sealed IIN catches it.
func TestRestoreRefusesKeysThatDoNotOpenTheData(t *testing.T) {
	for _, legacy := range []bool{false, true} {
		t.Run(fmt.Sprintf("legacy=%v", legacy), func(t *testing.T) {
			dir := t.TempDir()
			src := seedSQLite(t, dir)
			ctx := context.Background()
			j, err := sqlite.Open(src)
			if err != nil {
				t.Fatal(err)
			}
			copyPath := filepath.Join(dir, "journal.copy")
			if err := j.Backup(ctx, copyPath); err != nil {
				t.Fatal(err)
			}
			j.Close()
			if legacy {
				c, err := sqlite.Open(copyPath)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := c.SQL().Exec("DELETE FROM meta WHERE k = ?", keyring.MetaPII); err != nil {
					t.Fatal(err)
				}
				c.Close()
				os.Remove(copyPath + "-wal")
				os.Remove(copyPath + "-shm")
			}
			_, wrongKeys, err := pii.Create(filepath.Join(dir, "wrong.keys"))
			if err != nil {
				t.Fatal(err)
			}
			bundle := filepath.Join(dir, "forged.vxb")
			pass := "backup passphrase for tests"
			if err := keyring.WriteBundle(bundle, keyring.Manifest{Engine: keyring.EngineSQLite, Created: time.Now().UTC().Truncate(time.Second)}, copyPath, wrongKeys, nil, []byte(pass)); err != nil {
				t.Fatal(err)
			}
			dst := filepath.Join(dir, "restored.db")
			_, errs, err := run(t, []string{DefaultPassphraseEnv + "=" + pass}, "restore", "--db", dst, "--from", bundle)
			want := "does not belong to this store"
			if legacy {
				want = "wrong key file"
			}
			if err == nil || !strings.Contains(errs, want) {
				t.Fatalf("forged bundle: %v\n%s", err, errs)
			}
			for _, p := range []string{dst, dst + ".keys", dst + "-wal"} {
				if _, err := os.Stat(p); err == nil {
					t.Errorf("a failed restore left %s behind", filepath.Base(p))
				}
			}
		})
	}
}
