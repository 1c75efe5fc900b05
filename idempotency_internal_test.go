package vaxtrace

import "testing"

// isDoseKey and isPersonKey answer what building the natural key and
// comparing would, for keys that are, almost are and are not natural keys.
func TestNaturalKeyMatch(t *testing.T) {
	var id PersonID
	for i := range id {
		id[i] = byte(i*17 + 3)
	}
	other := id
	other[15]++
	for _, key := range []string{"dose:d1", "dose:d12", "dose:", "dose:d", "Dose:d1", "d1", "", "person:" + id.String(), "person:" + other.String(),
		"person:" + id.String() + "0", "person:" + id.String()[1:], "dose:d1 "} {
		if got, want := isDoseKey(key, "d1"), key == "dose:"+"d1"; got != want {
			t.Errorf("isDoseKey(%q, d1) = %v, want %v", key, got, want)
		}
		if got, want := isPersonKey(key, id), key == "person:"+id.String(); got != want {
			t.Errorf("isPersonKey(%q) = %v, want %v", key, got, want)
		}
	}
	if n := testing.AllocsPerRun(100, func() { isPersonKey("person:"+"0123456789abcdef0123456789abcdef", id) }); n != 0 {
		t.Fatalf("isPersonKey allocates %v times", n)
	}
}
