package pii

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSealOpenAndID(t *testing.T) {
	k, err := LoadOrCreate(filepath.Join(t.TempDir(), "k"))
	if err != nil {
		t.Fatal(err)
	}
	iin := "871008401427"
	id, sealed, err := k.Person(iin)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(sealed, iin) || strings.Contains(id.String(), iin) {
		t.Fatal("IIN visible")
	}
	if got, err := k.Open(sealed); err != nil || got != iin {
		t.Fatalf("open: %q %v", got, err)
	}
	if k.Seal(iin) != sealed {
		t.Fatal("sealing is not deterministic (re-imports would conflict)")
	}
	if k.ID(iin) != id {
		t.Fatal("id not stable")
	}
	if _, _, err := k.Person("871008401428"); err == nil {
		t.Fatal("bad check digit accepted")
	}
	other, _ := LoadOrCreate(filepath.Join(t.TempDir(), "k2"))
	if other.ID(iin) == id {
		t.Fatal("ids must depend on the key")
	}
	if _, err := other.Open(sealed); err == nil {
		t.Fatal("opened with the wrong key")
	}
}

func TestKeyFileReused(t *testing.T) {
	p := filepath.Join(t.TempDir(), "k")
	a, _ := LoadOrCreate(p)
	b, err := LoadOrCreate(p)
	if err != nil || a.ID("871008401427") != b.ID("871008401427") {
		t.Fatal("key file not reused")
	}
	st, _ := os.Stat(p)
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v", st.Mode())
	}
	if Mask("871008401427") != "••••••••1427" {
		t.Fatal(Mask("871008401427"))
	}
}

func TestKeyFileLoadCreateInstall(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "sub", "k")
	if _, err := Load(p); !errors.Is(err, ErrNoKeyFile) {
		t.Fatalf("missing file: %v", err)
	}
	k, data, err := Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := Create(p); err == nil {
		t.Fatal("Create replaced an existing key file")
	}
	if err := Install(p, data); err == nil {
		t.Fatal("Install replaced an existing key file")
	}
	st, _ := os.Stat(p)
	dst, _ := os.Stat(filepath.Dir(p))
	if st.Mode().Perm() != 0o600 || dst.Mode().Perm() != 0o700 {
		t.Fatalf("modes %v %v", st.Mode(), dst.Mode())
	}
	l, err := Load(p)
	if err != nil || l.Fingerprint() != k.Fingerprint() || l.ID("871008401427") != k.ID("871008401427") {
		t.Fatalf("load: %v", err)
	}
	if !strings.HasPrefix(k.Fingerprint(), "pii1:") || strings.Contains(string(data), strings.TrimPrefix(k.Fingerprint(), "pii1:")) {
		t.Fatalf("fingerprint %q", k.Fingerprint())
	}
	other, _, _ := Create(filepath.Join(dir, "k2"))
	if other.Fingerprint() == k.Fingerprint() {
		t.Fatal("two keys, one fingerprint")
	}
	for _, mode := range []os.FileMode{0o640, 0o604, 0o660, 0o602} {
		os.Chmod(p, mode)
		if _, err := Load(p); err == nil || !strings.Contains(err.Error(), "group or others") {
			t.Errorf("mode %04o accepted: %v", mode, err)
		}
	}
	os.Chmod(p, 0o400)
	if _, err := Load(p); err != nil {
		t.Errorf("mode 0400 refused: %v", err)
	}
	if err := Install(filepath.Join(dir, "bad"), []byte("zz")); err == nil {
		t.Fatal("Install accepted a malformed key")
	}
}
