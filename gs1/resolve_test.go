package gs1_test

import (
	"strings"
	"testing"
	"time"

	"vaxtrace"
	"vaxtrace/gs1"
)

// ledger builds a state with one two-component product carrying GTINs and
// three lots.
func ledger(t *testing.T) *vaxtrace.State {
	t.Helper()
	s := vaxtrace.NewState()
	at := time.Date(2021, 1, 10, 9, 0, 0, 0, time.UTC)
	seq := uint64(0)
	do := func(p vaxtrace.Payload) {
		d, err := s.Decide(p, at)
		if err != nil {
			t.Fatalf("%s: %v", p.Kind(), err)
		}
		seq++
		s.Apply(vaxtrace.Event{Seq: seq, Kind: p.Kind(), Key: p.Kind() + string(rune('a'+seq)), Recorded: at, Data: d})
	}
	do(vaxtrace.ProductDefined{Product: vaxtrace.Product{Code: "sputnik-v", Name: "Sputnik V", Components: []vaxtrace.Component{{Code: "I"}, {Code: "II"}},
		SeriesDoses: 2, IntervalDays: 21, Presentations: []vaxtrace.Presentation{{DosesPerVial: 5}}, StorageMinC: -25, StorageMaxC: -18,
		GTINs: []vaxtrace.TradeItem{{GTIN: "02900021001155", Component: "I", DosesPerVial: 5, Source: "illustrative"}, {GTIN: "02900021001254", Component: "II", DosesPerVial: 5}}}})
	for _, l := range []vaxtrace.Lot{
		{ID: "I-0221-B", Component: "I", Expiry: vaxtrace.MkDate(2021, 6, 30)},
		{ID: "II-0221-B", Component: "II", Expiry: vaxtrace.MkDate(2021, 6, 8)},
		{ID: "I-OLD", Component: "I", Expiry: vaxtrace.MkDate(2021, 3, 1)},
	} {
		l.Product, l.Manufacturer, l.Manufactured, l.Origin = "sputnik-v", "KPC", vaxtrace.MkDate(2020, 12, 1), vaxtrace.OriginDomestic
		do(vaxtrace.LotRegistered{Lot: l})
	}
	return s
}

func TestResolve(t *testing.T) {
	st := ledger(t)
	day := vaxtrace.MkDate(2021, 3, 20)
	cases := []struct {
		name, code   string
		lot, comp    string
		code2, field string // expected error code and field
		msg          string
	}{
		{name: "component I pack, day 00 expiry", code: "]d2010290002100115517210600\x1d10I-0221-B", lot: "I-0221-B", comp: "I"},
		{name: "component II pack, bracketed", code: "(01)02900021001254(17)210608(10)II-0221-B(21)77", lot: "II-0221-B", comp: "II"},
		{name: "no expiry printed", code: "(01)02900021001254(10)II-0221-B", lot: "II-0221-B", comp: "II"},
		{name: "GTIN not in the catalog", code: "(01)04601234567893(17)210630(10)I-0221-B", code2: vaxtrace.ENOTFOUND, field: "gtin", msg: "not in the catalog"},
		{name: "no GTIN", code: "(10)I-0221-B", code2: vaxtrace.EINVALID, field: "gtin", msg: "no GTIN"},
		{name: "no lot", code: "(01)02900021001155(17)210630", code2: vaxtrace.EINVALID, field: "lot", msg: "no lot"},
		{name: "unknown lot", code: "(01)02900021001155(17)210630(10)NOPE", code2: vaxtrace.ENOTFOUND, field: "lot", msg: "not registered"},
		{name: "lot of the other component", code: "(01)02900021001155(17)210608(10)II-0221-B", code2: vaxtrace.EINVALID, field: "lot", msg: "component II"},
		{name: "printed expiry disagrees", code: "(01)02900021001155(17)210631(10)I-0221-B", code2: vaxtrace.EINVALID, field: "expiry", msg: "no day 31"},
		{name: "printed expiry disagrees with the registered lot", code: "(01)02900021001155(17)210629(10)I-0221-B", code2: vaxtrace.EINVALID, field: "expiry", msg: "registered lot expires on 2021-06-30"},
		{name: "expired lot", code: "(01)02900021001155(17)210301(10)I-OLD", code2: vaxtrace.EINVALID, field: "lot", msg: "expired on 2021-03-01"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, err := gs1.Parse(c.code, day)
			var m gs1.Match
			if err == nil {
				m, err = gs1.Resolve(st, code, day)
			}
			if c.code2 != "" {
				if err == nil || vaxtrace.ErrorCode(err) != c.code2 || vaxtrace.ErrorField(err) != c.field || !strings.Contains(err.Error(), c.msg) {
					t.Fatalf("got %+v, %v; want %s on %s containing %q", m, err, c.code2, c.field, c.msg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if m.Lot != c.lot || m.Component != c.comp || m.Product != "sputnik-v" || m.LotStatus != vaxtrace.StatusQuarantined {
				t.Fatalf("got %+v", m)
			}
		})
	}
}
