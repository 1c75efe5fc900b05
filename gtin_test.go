package vaxtrace_test

import (
	"strings"
	"testing"

	vt "vaxtrace"
)

func TestNormalizeGTIN(t *testing.T) {
	cases := []struct {
		in, want, err string
	}{
		{"04601234567893", "04601234567893", ""},
		{"4601234567893", "04601234567893", ""}, // GTIN-13
		{"036000291452", "00036000291452", ""},  // GTIN-12 (UPC-A)
		{"12345670", "00000012345670", ""},      // GTIN-8
		{"04601234567894", "", "check digit"},
		{"0460123456789", "", "check digit"},
		{"046012345678a3", "", "digits only"},
		{"123", "", "8, 12, 13 or 14 digits"},
		{"", "", "8, 12, 13 or 14 digits"},
	}
	for _, c := range cases {
		got, err := vt.NormalizeGTIN(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) || vt.ErrorField(err) != "gtin" {
				t.Errorf("%q: got %q, %v; want an error about %q", c.in, got, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%q: got %q, %v; want %q", c.in, got, err, c.want)
		}
	}
}

// TestProductGTINs: a product's GTINs are checked, stored in the 14-digit
// form, resolve to their component, and no two products share one.
func TestProductGTINs(t *testing.T) {
	w := newWorld(t)
	at := t0
	withGTINs := func(p vt.Product, items ...vt.TradeItem) vt.Product { p.GTINs = items; return p }
	cases := []struct {
		name  string
		p     vt.Product
		field string
	}{
		{"bad check digit", withGTINs(sputnik, vt.TradeItem{GTIN: "04601234567894", Component: "I"}), "gtins[0].gtin"},
		{"unknown component", withGTINs(sputnik, vt.TradeItem{GTIN: "04601234567893", Component: "III"}), "gtins[0].component"},
		{"listed twice (13 and 14 digits)", withGTINs(sputnik, vt.TradeItem{GTIN: "04601234567893", Component: "I"}, vt.TradeItem{GTIN: "4601234567893", Component: "II"}), "gtins[1].gtin"},
		{"negative doses per vial", withGTINs(sputnik, vt.TradeItem{GTIN: "04601234567893", Component: "I", DosesPerVial: -1}), "gtins[0].doses_per_vial"},
	}
	for _, c := range cases {
		err := w.do(vt.ProductDefined{Product: c.p}, at)
		if err == nil || vt.ErrorField(err) != c.field {
			t.Errorf("%s: got %v, want an error on %s", c.name, err, c.field)
		}
	}
	submitted := withGTINs(sputnik, vt.TradeItem{GTIN: "4601234567893", Component: "I"}, vt.TradeItem{GTIN: "09506000134352", Component: "II", DosesPerVial: 5})
	w.must(vt.ProductDefined{Product: submitted}, at)
	if submitted.GTINs[0].GTIN != "4601234567893" {
		t.Fatalf("Decide changed the submitted payload: %q", submitted.GTINs[0].GTIN)
	}
	p, item := w.s.ProductByGTIN("04601234567893")
	if p == nil || p.Code != "sputnik-v" || item.Component != "I" || item.GTIN != "04601234567893" {
		t.Fatalf("ProductByGTIN(14 digits) = %v, %+v", p, item)
	}
	if p, item = w.s.ProductByGTIN("9506000134352"); p == nil || item.Component != "II" || item.DosesPerVial != 5 {
		t.Fatalf("ProductByGTIN(13 digits) = %v, %+v", p, item)
	}
	if p, _ = w.s.ProductByGTIN("00012345600012"); p != nil {
		t.Fatalf("an unknown GTIN resolved to %s", p.Code)
	}
	// another product may not claim it; the same product may be redefined with it
	err := w.do(vt.ProductDefined{Product: withGTINs(light, vt.TradeItem{GTIN: "04601234567893", Component: "I"})}, at)
	if err == nil || vt.ErrorField(err) != "gtins[0].gtin" || !strings.Contains(err.Error(), "sputnik-v") {
		t.Fatalf("a GTIN claimed by two products: %v", err)
	}
	w.must(vt.ProductDefined{Product: submitted}, at)
}
