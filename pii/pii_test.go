package pii

import (
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
