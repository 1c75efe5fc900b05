package vaxtrace

import "testing"

func TestNameIn(t *testing.T) {
	p := Product{Code: "sputnik-v", Name: "Sputnik V", Names: map[string]string{"ru": "Спутник V", "en": "Sputnik V (Gam-COVID-Vac)"}}
	pl := Place{ID: "VP-1", Name: "Room 1"}
	bare := Product{Code: "x"}
	cases := []struct{ got, want string }{
		{p.NameIn("ru"), "Спутник V"},
		{p.NameIn("kk"), "Sputnik V (Gam-COVID-Vac)"}, // no Kazakh name: English
		{p.NameIn(""), "Sputnik V (Gam-COVID-Vac)"},
		{pl.NameIn("kk"), "Room 1"}, // no names at all: Name
		{bare.NameIn("ru"), "x"},    // nor a Name: the code
		{(&Place{ID: "P"}).NameIn("en"), "P"},
	}
	for i, c := range cases {
		if c.got != c.want {
			t.Errorf("case %d: %q, want %q", i, c.got, c.want)
		}
	}
}
