package keyring_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"vaxtrace"
	"vaxtrace/certs"
	"vaxtrace/engine"
	"vaxtrace/hcert"
	"vaxtrace/keyring"
	"vaxtrace/pii"
	"vaxtrace/scenario"
	"vaxtrace/sqlite"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

const testIIN = "871008401427"

func openDB(t *testing.T, path string) *sqlite.DB {
	t.Helper()
	j, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	return j
}

// seedStore fills an empty store: the minimal fixture, one person (sealed
// IIN) with a dose at point 1.
func seedStore(t *testing.T, j vaxtrace.Journal, keys *pii.Keys) (*engine.Engine, vaxtrace.PersonID) {
	t.Helper()
	ctx := context.Background()
	eng, err := engine.Open(ctx, j, engine.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	if err := scenario.Minimal(ctx, eng, 1, 100); err != nil {
		t.Fatal(err)
	}
	id, sealed, err := keys.Person(testIIN)
	if err != nil {
		t.Fatal(err)
	}
	admin := vaxtrace.Principal{Name: "test", Role: vaxtrace.RoleAdmin}
	for _, c := range []engine.Command{
		{Key: "person:" + id.String(), Actor: admin, Data: vaxtrace.PersonRegistered{Person: vaxtrace.Person{ID: id, IINSealed: sealed, Family: "Test", Given: "Person", BirthDate: vaxtrace.MkDate(1987, 10, 8), Sex: vaxtrace.SexMale, Region: "KZ-AKM"}}},
		{Key: "dose:k1", Actor: admin, Data: vaxtrace.DoseAdministered{ID: "k1", Person: id, At: time.Date(2021, 3, 1, 6, 0, 0, 0, time.UTC), Place: scenario.PointID(1), Lot: "FIX-I", Vaccinator: "nurse"}},
	} {
		if res := eng.Submit(ctx, c); res.Err != nil {
			t.Fatal(res.Err)
		}
	}
	return eng, id
}

func TestOpenPIIMakesKeysOnlyForAnEmptyStore(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := filepath.Join(dir, "s.db")
	kp := filepath.Join(dir, "s.db.keys")
	j := openDB(t, db)

	k, err := keyring.OpenPII(ctx, j, kp, quiet)
	if err != nil {
		t.Fatal(err)
	}
	if !k.Created || !k.Recorded {
		t.Fatalf("empty store: created=%v recorded=%v", k.Created, k.Recorded)
	}
	if fp, ok, _ := j.Meta(ctx, keyring.MetaPII); !ok || fp != k.Fingerprint() {
		t.Fatalf("fingerprint not recorded: %q %v", fp, ok)
	}
	if st, _ := os.Stat(kp); st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v", st.Mode())
	}
	seedStore(t, j, k.Keys)

	// the same file opens again
	k2, err := keyring.OpenPII(ctx, j, kp, quiet)
	if err != nil || k2.Created || k2.Fingerprint() != k.Fingerprint() {
		t.Fatalf("reopen: %v created=%v", err, k2 != nil && k2.Created)
	}

	cases := []struct {
		name    string
		prepare func(t *testing.T) string // returns the key path to open
		want    string
	}{
		{"missing key file", func(t *testing.T) string { return filepath.Join(t.TempDir(), "gone.keys") }, "is missing"},
		{"another key file", func(t *testing.T) string {
			p := filepath.Join(t.TempDir(), "other.keys")
			if _, _, err := pii.Create(p); err != nil {
				t.Fatal(err)
			}
			return p
		}, "does not belong to this store"},
		{"readable by others", func(t *testing.T) string {
			p := filepath.Join(t.TempDir(), "copy.keys")
			b, _ := os.ReadFile(kp)
			if err := os.WriteFile(p, b, 0o644); err != nil {
				t.Fatal(err)
			}
			return p
		}, "accessible by group or others"},
		{"readable by group", func(t *testing.T) string {
			p := filepath.Join(t.TempDir(), "copy.keys")
			b, _ := os.ReadFile(kp)
			if err := os.WriteFile(p, b, 0o640); err != nil {
				t.Fatal(err)
			}
			return p
		}, "accessible by group or others"},
		{"not hex", func(t *testing.T) string {
			p := filepath.Join(t.TempDir(), "bad.keys")
			os.WriteFile(p, []byte("hello"), 0o600)
			return p
		}, "not hex"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := c.prepare(t)
			_, err := keyring.OpenPII(ctx, j, p, quiet)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want an error containing %q", err, c.want)
			}
			if !strings.Contains(err.Error(), p) {
				t.Errorf("the error does not name the file: %v", err)
			}
			if c.name == "missing key file" {
				if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
					t.Error("a key file was made for a store that has data")
				}
			}
		})
	}
}

func TestOpenPIIRefusesNewKeysForDataWithoutFingerprint(t *testing.T) {
	// A store whose data predates fingerprints (or whose meta row is gone)
	// still has data: a missing key file is refused, never replaced.
	ctx := context.Background()
	dir := t.TempDir()
	j := openDB(t, filepath.Join(dir, "s.db"))
	keys, _ := pii.LoadOrCreate(filepath.Join(dir, "old.keys"))
	seedStore(t, j, keys)
	missing := filepath.Join(dir, "new.keys")
	if _, err := keyring.OpenPII(ctx, j, missing, quiet); err == nil || !strings.Contains(err.Error(), "holds") {
		t.Fatalf("got %v", err)
	}
	if _, err := os.Stat(missing); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("new keys made for a store with data")
	}
}

func TestLegacyStoreAdoptsKeysOnlyAfterProof(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	j := openDB(t, filepath.Join(dir, "s.db"))
	good := filepath.Join(dir, "good.keys")
	keys, _ := pii.LoadOrCreate(good)
	eng, _ := seedStore(t, j, keys)

	// wrong keys: opened (no fingerprint to compare), but the proof fails
	wrong := filepath.Join(dir, "wrong.keys")
	if _, _, err := pii.Create(wrong); err != nil {
		t.Fatal(err)
	}
	k, err := keyring.OpenPII(ctx, j, wrong, quiet)
	if err != nil || k.Recorded {
		t.Fatalf("legacy open: %v recorded=%v", err, k != nil && k.Recorded)
	}
	if err := k.Prove(ctx, j, eng.Read, quiet); err == nil || !strings.Contains(err.Error(), "wrong key file") {
		t.Fatalf("wrong keys proved: %v", err)
	}
	if _, ok, _ := j.Meta(ctx, keyring.MetaPII); ok {
		t.Fatal("a fingerprint was recorded for unproved keys")
	}
	// the right keys are proved and adopted
	k, err = keyring.OpenPII(ctx, j, good, quiet)
	if err != nil {
		t.Fatal(err)
	}
	if err := k.Prove(ctx, j, eng.Read, quiet); err != nil {
		t.Fatal(err)
	}
	if fp, ok, _ := j.Meta(ctx, keyring.MetaPII); !ok || fp != keys.Fingerprint() {
		t.Fatal("proved keys not recorded")
	}
	// from now on the wrong file is refused before the state is read
	if _, err := keyring.OpenPII(ctx, j, wrong, quiet); err == nil || !strings.Contains(err.Error(), "does not belong") {
		t.Fatalf("got %v", err)
	}
}

func TestProvePIIDetectsHalfWrongKeys(t *testing.T) {
	// same AES key, other HMAC key: the IIN opens but the ids differ
	dir := t.TempDir()
	j := openDB(t, filepath.Join(dir, "s.db"))
	secret := bytes.Repeat([]byte{7}, 64)
	keys, _ := pii.New(secret)
	eng, _ := seedStore(t, j, keys)
	other := append([]byte(nil), secret...)
	other[0] ^= 1
	half, _ := pii.New(other)
	var err error
	eng.Read(func(s *vaxtrace.State) { _, err = keyring.ProvePII(s, half) })
	if err == nil || !strings.Contains(err.Error(), "other person ids") {
		t.Fatalf("got %v", err)
	}
	eng.Read(func(s *vaxtrace.State) { _, err = keyring.ProvePII(s, keys) })
	if err != nil {
		t.Fatal(err)
	}
}

func TestTwoNodesRacingForKeys(t *testing.T) {
	// two nodes with different key paths start on one empty store: the
	// first records its keys, the second refuses and removes what it made
	ctx := context.Background()
	dir := t.TempDir()
	j := openDB(t, filepath.Join(dir, "s.db"))
	a := filepath.Join(dir, "a.keys")
	if _, err := keyring.OpenPII(ctx, j, a, quiet); err != nil {
		t.Fatal(err)
	}
	b := filepath.Join(dir, "b.keys")
	_, err := keyring.OpenPII(ctx, j, b, quiet)
	if err == nil || !strings.Contains(err.Error(), "is missing") {
		// the store recorded a's keys: b's file is not made at all
		t.Fatalf("got %v", err)
	}
	if _, err := os.Stat(b); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("second node made keys")
	}
}

func issue(t *testing.T, eng *engine.Engine, svc *certs.Service, id vaxtrace.PersonID) certs.Issued {
	t.Helper()
	svc.Now = func() time.Time { return time.Now() }
	is, err := svc.Issue(context.Background(), eng, vaxtrace.Principal{Name: "test", Role: vaxtrace.RoleAdmin}, id)
	if err != nil {
		t.Fatal(err)
	}
	return is
}

func TestOpenCerts(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	j := openDB(t, filepath.Join(dir, "s.db"))
	k, err := keyring.OpenPII(ctx, j, filepath.Join(dir, "s.keys"), quiet)
	if err != nil {
		t.Fatal(err)
	}
	eng, id := seedStore(t, j, k.Keys)
	cdir := filepath.Join(dir, "certs")
	now := time.Now()

	// a store with data but no certificate yet gets an authority
	svc, err := keyring.OpenCerts(ctx, j, eng.Read, cdir, "pass-1", certs.Country, now, quiet)
	if err != nil {
		t.Fatal(err)
	}
	fp := svc.Authority().Fingerprint()
	if got, ok, _ := j.Meta(ctx, keyring.MetaAuthority); !ok || got != fp {
		t.Fatal("authority fingerprint not recorded")
	}
	is := issue(t, eng, svc, id)

	// reopened: same authority
	if _, err := keyring.OpenCerts(ctx, j, eng.Read, cdir, "pass-1", certs.Country, now, quiet); err != nil {
		t.Fatal(err)
	}
	// missing: refused, nothing made
	gone := filepath.Join(dir, "gone")
	if _, err := keyring.OpenCerts(ctx, j, eng.Read, gone, "pass-1", certs.Country, now, quiet); err == nil || !strings.Contains(err.Error(), "is missing") {
		t.Fatalf("got %v", err)
	}
	if _, err := os.Stat(filepath.Join(gone, certs.AuthorityFile)); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("a new authority was made for a store with certificates")
	}
	// another authority: refused by fingerprint
	other := filepath.Join(dir, "other")
	if _, err := certs.Open(other, "pass-2", certs.Country, now); err != nil {
		t.Fatal(err)
	}
	if _, err := keyring.OpenCerts(ctx, j, eng.Read, other, "pass-2", certs.Country, now, quiet); err == nil || !strings.Contains(err.Error(), "does not belong") {
		t.Fatalf("got %v", err)
	}
	if _, err := keyring.LoadCerts(ctx, j, other, "pass-2", certs.Country); err == nil {
		t.Fatal("LoadCerts accepted another authority")
	}
	// the issued certificate's key id must be held (even with no fingerprint recorded)
	if err := keyring.CheckSigners(svc.Authority(), map[string]bool{is.KID: true}); err != nil {
		t.Fatal(err)
	}
	o, _ := certs.Load(other, "pass-2", certs.Country)
	if err := keyring.CheckSigners(o.Authority(), map[string]bool{is.KID: true}); err == nil {
		t.Fatal("another authority holds the issued key id?")
	}
	// signing keys proved against the trust list; another list refuses them
	if err := svc.Authority().ProveSigners(svc.TrustList()); err != nil {
		t.Fatal(err)
	}
	if err := svc.Authority().ProveSigners(o.TrustList()); err == nil {
		t.Fatal("proved against another authority's trust list")
	}
}

func TestBundleRoundTrip(t *testing.T) {
	dir := t.TempDir()
	journal := filepath.Join(dir, "journal.copy")
	payload := bytes.Repeat([]byte("journal bytes "), 10000)
	os.WriteFile(journal, payload, 0o600)
	keyPath := filepath.Join(dir, "k.keys")
	keys, keyData, err := pii.Create(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	auth, err := hcert.GenerateAuthority("KZ", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	pass := []byte("a long passphrase")
	out := filepath.Join(dir, "b.vxb")
	m := keyring.Manifest{Engine: keyring.EngineSQLite, Created: time.Now().UTC().Truncate(time.Second), LastSeq: 42}
	if err := keyring.WriteBundle(out, m, journal, keyData, auth, pass); err != nil {
		t.Fatal(err)
	}
	if err := keyring.WriteBundle(out, m, journal, keyData, auth, pass); err == nil {
		t.Fatal("an existing bundle was replaced")
	}
	raw, _ := os.ReadFile(out)
	if bytes.Contains(raw, bytes.TrimSpace(keyData)) {
		t.Fatal("the key file is in clear in the bundle")
	}
	if !keyring.IsBundle(out) || keyring.IsBundle(journal) {
		t.Fatal("IsBundle")
	}

	b, err := keyring.OpenBundle(out, pass)
	if err != nil {
		t.Fatal(err)
	}
	if b.Manifest.PIIFingerprint != keys.Fingerprint() || b.Authority.Fingerprint() != auth.Fingerprint() || b.Manifest.LastSeq != 42 {
		t.Fatalf("manifest %+v", b.Manifest)
	}
	got := filepath.Join(dir, "restored")
	if err := b.ExtractJournal(got); err != nil {
		t.Fatal(err)
	}
	b.Close()
	if gb, _ := os.ReadFile(got); !bytes.Equal(gb, payload) {
		t.Fatal("journal differs")
	}

	if _, err := keyring.OpenBundle(out, []byte("wrong passphrase")); !errors.Is(err, keyring.ErrWrongPassphrase) {
		t.Fatalf("wrong passphrase: %v", err)
	}

	// a journal byte changed (same size): refused after extraction, nothing left behind
	bad := filepath.Join(dir, "bad.vxb")
	i := bytes.Index(raw, payload[:64])
	tampered := append([]byte(nil), raw...)
	tampered[i+100] ^= 1
	os.WriteFile(bad, tampered, 0o600)
	b, err = keyring.OpenBundle(bad, pass)
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(dir, "never")
	if err := b.ExtractJournal(dst); err == nil || !strings.Contains(err.Error(), "SHA-256") {
		t.Fatalf("tampered journal: %v", err)
	}
	b.Close()
	if _, err := os.Stat(dst); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("a damaged journal was left behind")
	}

	// the plain manifest edited: refused
	j := bytes.Index(raw, []byte(`"last_seq": 42`))
	edited := append([]byte(nil), raw...)
	copy(edited[j:], []byte(`"last_seq": 43`))
	os.WriteFile(bad, edited, 0o600)
	if _, err := keyring.OpenBundle(bad, pass); err == nil || !strings.Contains(err.Error(), "altered") {
		t.Fatalf("edited manifest: %v", err)
	}
}
