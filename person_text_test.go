package vaxtrace

import (
	"strings"
	"testing"
)

// A person's details read back exactly as registered, whatever the text:
// canonical sealed values (held raw), padded or non-base64 ones (held as
// text), empty fields, long and non-ASCII names.
func TestPersonDetailsRoundTrip(t *testing.T) {
	sealed := "q83vASNFZ4mrze8BI0VniavN7wEjRWeJq83vASNFZ4mrze8BI0VniavN7w"
	for _, c := range []struct {
		name string
		p    Person
	}{
		{"sealed IIN and phone", Person{IINSealed: sealed, PhoneSealed: sealed[:22], Family: "Ахметова", Given: "Айгерим", Sex: SexFemale, Region: "KZ-ALA", Group: "teacher", Lang: "kk"}},
		{"empty", Person{}},
		{"padded base64 kept as text", Person{IINSealed: "YWJj", PhoneSealed: "YWI=", Family: "F"}},
		{"not base64", Person{IINSealed: "x", PhoneSealed: "not base64!", Given: "G"}},
		{"non-canonical base64", Person{IINSealed: "YR", Family: "F"}},
		{"long names", Person{Family: strings.Repeat("Ф", 100), Given: strings.Repeat("g", 200), IINSealed: sealed}},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.p.ID = PersonID{1}
			c.p.BirthDate = MkDate(1980, 2, 3)
			var s State
			ps := PersonState{ID: c.p.ID}
			s.people.setDetails(&ps, &c.p)
			if got := s.PersonDetails(&ps); got != c.p {
				t.Fatalf("read back %+v, registered %+v", got, c.p)
			}
		})
	}
}

// Canonical sealed text is held as raw bytes, a quarter smaller.
func TestPersonTextHoldsSealedRaw(t *testing.T) {
	p := Person{IINSealed: strings.Repeat("QUJD", 13) + "QQ", Family: "F", Given: "G"}
	text := packPersonText(&p)
	if want := 1 + 1 + 1 + 1 + 1 + 1 + 40 + 1; len(text) != want {
		t.Fatalf("packed text is %d bytes, want %d (sealed IIN raw)", len(text), want)
	}
}

func FuzzPersonDetails(f *testing.F) {
	f.Add("q83vASNFZ4mrze8BI0VniavN7w", "", "Family", "Given", "M", "KZ-AKM", "", "ru")
	f.Add("YWI=", "x", "", "", "", "", "teacher", "")
	f.Fuzz(func(t *testing.T, iin, phone, family, given, sex, region, group, lang string) {
		p := Person{ID: PersonID{2}, IINSealed: iin, PhoneSealed: phone, Family: family, Given: given, Sex: sex, Region: region, Group: group, Lang: lang}
		var s State
		ps := PersonState{ID: p.ID}
		s.people.setDetails(&ps, &p)
		if got := s.PersonDetails(&ps); got != p {
			t.Fatalf("read back %+v, registered %+v", got, p)
		}
	})
}
