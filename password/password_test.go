package password

import (
	"strings"
	"testing"
)

func TestPasswordHash(t *testing.T) {
	h := Hash("correct horse battery")
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q", h)
	}
	if !Check("correct horse battery", h) || Check("correct horse batterY", h) {
		t.Fatal("check")
	}
	if Hash("correct horse battery") == h {
		t.Fatal("no salt")
	}
	parts := strings.Split(h, "$")
	for _, bad := range []string{"", "$argon2i$v=19$m=64,t=1,p=1$" + parts[4] + "$" + parts[5], "$argon2id$v=19$m=99999999,t=1,p=1$" + parts[4] + "$" + parts[5],
		"$argon2id$v=19$m=19456,t=2,p=1$!!$" + parts[5], "$argon2id$v=19$m=19456,t=2,p=1$" + parts[4] + "$"} {
		if Check("correct horse battery", bad) {
			t.Errorf("malformed hash %q matched", bad)
		}
	}
}

func TestGenerate(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 100; i++ {
		p := Generate()
		if len(p) != 20 || seen[p] || strings.ContainsAny(p, "0O1lI5S8B") {
			t.Fatalf("generated %q", p)
		}
		seen[p] = true
	}
}
