package fhir

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"vaxtrace"
	"vaxtrace/engine"
	"vaxtrace/pii"
)

func otherKeys(t testing.TB) *pii.Keys {
	k, err := pii.New(bytes.Repeat([]byte{42}, 64))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// doseFacts summarises a store's doses independently of its keys: IIN (or
// portable person id), dose id, time, lot, place, number, voided.
func doseFacts(t *testing.T, keys *pii.Keys, s *vaxtrace.State) []string {
	var out []string
	s.EachDose(func(d *vaxtrace.DoseState) bool {
		who := d.Person().String()
		if p := d.PersonOf(); p != nil && s.PersonText(p).IINSealed() != "" {
			iin, err := keys.Open(s.PersonText(p).IINSealed())
			if err != nil {
				t.Fatal(err)
			}
			who = iin
		}
		out = append(out, fmt.Sprintf("%s %s %s %s %s n=%d void=%v", who, d.ID, d.At().UTC().Format(time.RFC3339), d.Lot(), d.Place(), d.Number(), d.Voided()))
		return true
	})
	sort.Strings(out)
	return out
}

// TestExportImportsWholeIntoAnotherInstallation: one installation's bulk
// export (Patient.ndjson, then Immunization.ndjson, in two separate
// imports) goes whole into a second installation whose keys differ, so its
// person ids (keyed hashes) differ too. References resolve by the IIN
// business identifier, not by the other installation's resource ids.
func TestExportImportsWholeIntoAnotherInstallation(t *testing.T) {
	ctx := context.Background()
	srcKeys, dstKeys := testKeys(t), otherKeys(t)
	src := newEngine(t)
	seedBase(t, src, 1000)
	seedPeople(t, src, srcKeys, 40)
	out := bufs{}
	if err := ExportNDJSON(ctx, src, srcKeys, "", out.w, nil); err != nil {
		t.Fatal(err)
	}
	dst := newEngine(t)
	seedBase(t, dst, 1000)
	for _, rt := range []string{"Patient", "Immunization"} {
		rep, err := Import(ctx, dst, dstKeys, migration, bytes.NewReader(out[rt].Bytes()), "ndjson")
		if err != nil {
			t.Fatal(err)
		}
		if rep.Rejected != 0 || rep.Accepted != strings.Count(out[rt].String(), "\n") {
			t.Fatalf("%s: %d accepted, %d rejected: %s", rt, rep.Accepted, rep.Rejected, summarize(rep))
		}
	}
	var a, b []string
	src.Read(func(s *vaxtrace.State) { a = doseFacts(t, srcKeys, s) })
	dst.Read(func(s *vaxtrace.State) { b = doseFacts(t, dstKeys, s) })
	if strings.Join(a, "\n") != strings.Join(b, "\n") {
		t.Fatalf("the second installation differs:\n%s\n---\n%s", strings.Join(a, "\n"), strings.Join(b, "\n"))
	}
	var sameID bool
	src.Read(func(s *vaxtrace.State) {
		dst.Read(func(d *vaxtrace.State) { sameID = d.Person(s.Dose("d000005-1").Person()) != nil })
	})
	if sameID {
		t.Fatal("the two installations share person ids; the test does not exercise different keys")
	}
	// without the identifier in the reference, the other installation's
	// resource id resolves to nobody: the identifier is what carries it
	stripped := strings.ReplaceAll(out["Immunization"].String(), `,"identifier":{"system":"`+IINSystem+`"`, `,"x":{"system":"`+IINSystem+`"`)
	dst2 := newEngine(t)
	seedBase(t, dst2, 1000)
	Import(ctx, dst2, dstKeys, migration, bytes.NewReader(out["Patient"].Bytes()), "ndjson")
	rep, _ := Import(ctx, dst2, dstKeys, migration, strings.NewReader(stripped), "ndjson")
	if rep.Accepted != 0 || rep.Rejected == 0 || rep.Results[0].Field != "patient" {
		t.Errorf("references by resource id of another installation should not resolve: %s", summarize(rep))
	}
}

func sinopharmProducts() []vaxtrace.Product {
	mk := func(code, name, holder, icd, dcc, ma string) vaxtrace.Product {
		return vaxtrace.Product{Code: code, Name: name, Holder: holder, Components: []vaxtrace.Component{{Code: "1", Name: name}}, SeriesDoses: 2, IntervalDays: 21,
			Presentations: []vaxtrace.Presentation{{DosesPerVial: 1}}, StorageMinC: 2, StorageMaxC: 8,
			Codes: vaxtrace.ProductCodes{CVX: "510", ICD11: icd, DCCProduct: dcc, DCCManufacturer: ma, DCCProphylaxis: "J07BX03"}, Disease: "COVID-19"}
	}
	return []vaxtrace.Product{
		mk("sinopharm-bibp", "Sinopharm BIBP (BBIBP-CorV)", "Beijing Institute of Biological Products (CNBG, Sinopharm)", "XM8866", "BBIBP-CorV", "ORG-100020693"),
		mk("hayat-vax", "Hayat-Vax", "Gulf Pharmaceutical Industries (Julphar)", "XM9FQ7", "Hayat-Vax", "ORG-100023050"),
	}
}

// TestSinopharmHayatVax: CVX 510 names both Sinopharm BIBP and Hayat-Vax.
// The importer uses every coding, the manufacturer and the lot, and
// refuses with a clear message when nothing tells them apart.
func TestSinopharmHayatVax(t *testing.T) {
	ctx := context.Background()
	keys := testKeys(t)
	eng := newEngine(t)
	seedBase(t, eng, 100)
	at := time.Date(2021, 1, 12, 9, 0, 0, 0, time.UTC)
	for _, p := range sinopharmProducts() {
		lot := map[string]string{"sinopharm-bibp": "HB-BIBP", "hayat-vax": "HV-0421"}[p.Code]
		submit(t, eng, []engine.Command{
			cmd("product:"+p.Code, vaxtrace.ProductDefined{Product: p}),
			cmd("lot:"+lot, vaxtrace.LotRegistered{Lot: vaxtrace.Lot{ID: lot, Product: p.Code, Component: "1", Manufacturer: p.Holder, Manufactured: vaxtrace.MkDate(2021, 1, 1), Expiry: vaxtrace.MkDate(2022, 12, 31), Origin: vaxtrace.OriginDomestic}}),
			cmd("release:"+lot, vaxtrace.LotReleased{Lot: lot, Occurred: vaxtrace.MkDate(2021, 1, 10)}),
			cmd("receipt:"+lot, vaxtrace.StockReceived{Receipt: "r-" + lot, Place: "nat", Lot: lot, Doses: 100, Occurred: at}),
			cmd("ship:"+lot, vaxtrace.ShipmentDispatched{Shipment: "sh-" + lot, From: "nat", To: "p-ala", Occurred: at, Lines: []vaxtrace.ShipmentLine{{Lot: lot, Doses: 100}}}),
			cmd("arrive:"+lot, vaxtrace.ShipmentReceived{Shipment: "sh-" + lot, Occurred: at}),
		})
	}
	var nd strings.Builder
	for i := 0; i < 8; i++ {
		fmt.Fprintln(&nd, strings.ReplaceAll(strings.ReplaceAll(goodPatient, "%IIN%", iinFor(700+i)), `"id":"p1"`, fmt.Sprintf(`"id":"sp%d"`, i)))
	}
	imm := func(i int, coding, extra string) string {
		return fmt.Sprintf(`{"resourceType":"Immunization","identifier":[{"system":"%s","value":"sp-%d"}],"status":"completed","vaccineCode":{"coding":[%s]},"patient":{"reference":"Patient/sp%d"},"occurrenceDateTime":"2021-04-01T10:00:00+06:00","location":{"identifier":{"system":"%s","value":"p-ala"}},"performer":[{"actor":{"display":"nurse"}}]%s}`,
			DoseSystem, i, coding, i, PlaceSystem, extra)
	}
	cvx510 := `{"system":"http://hl7.org/fhir/sid/cvx","code":"510"}`
	cases := []struct {
		coding, extra string
		outcome       string
		product       string // for accepted
		field, reason string // for rejected
	}{
		{cvx510, `,"lotNumber":"HB-BIBP"`, Accepted, "sinopharm-bibp", "", ""},                                                          // the lot decides
		{cvx510, `,"lotNumber":"HV-0421"`, Accepted, "hayat-vax", "", ""},                                                               // the lot decides
		{cvx510 + `,{"system":"http://id.who.int/icd11/mms","code":"XM9FQ7"}`, `,"lotNumber":"HV-0421"`, Accepted, "hayat-vax", "", ""}, // ICD-11 decides, agreeing with the lot
		{cvx510, ``, Rejected, "", "vaccineCode", "ambiguous: http://hl7.org/fhir/sid/cvx|510 names hayat-vax and sinopharm-bibp; vaxtrace does not guess"},
		{cvx510 + `,{"system":"http://id.who.int/icd11/mms","code":"XM5ZJ4"}`, `,"lotNumber":"HB-BIBP"`, Rejected, "", "vaccineCode.coding[1]", "the codings disagree"},
		{cvx510, `,"manufacturer":{"display":"Julphar"},"lotNumber":"HB-BIBP"`, Rejected, "", "product", "lot \"HB-BIBP\" is sinopharm-bibp, not hayat-vax"},
		{cvx510 + `,{"system":"http://id.who.int/icd11/mms","code":"XM8866"}`, `,"lotNumber":"HV-0421"`, Rejected, "", "product", "is hayat-vax, not sinopharm-bibp"},
		{`{"system":"` + ProductSystem + `","code":"sinopharm-bibp"}`, `,"lotNumber":"HB-BIBP"`, Accepted, "sinopharm-bibp", "", ""},
	}
	for i, c := range cases {
		nd.WriteString(imm(i, c.coding, c.extra) + "\n")
	}
	rep, err := Import(ctx, eng, keys, admin, strings.NewReader(nd.String()), "ndjson")
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range cases {
		r := rep.Results[8+i]
		if r.Outcome != c.outcome || (c.outcome == Rejected && (r.Field != c.field || !strings.Contains(r.Reason, c.reason))) {
			t.Errorf("case %d (%s %s): %s %s %q, want %s %s %q", i, c.coding, c.extra, r.Outcome, r.Field, r.Reason, c.outcome, c.field, c.reason)
		}
		if c.outcome == Accepted {
			eng.Read(func(s *vaxtrace.State) {
				if d := s.Dose(fmt.Sprintf("sp-%d", i)); d == nil || d.LotOf().Product != c.product {
					t.Errorf("case %d: dose %v, want product %s", i, d, c.product)
				}
			})
		}
	}
	t.Logf("ambiguity message: %s", rep.Results[8+3].Reason)
}

// TestRejectionsAllReported: every rejection reaches the Rejected sink,
// however many there are, while Report.Results stays capped.
func TestRejectionsAllReported(t *testing.T) {
	ctx := context.Background()
	keys := testKeys(t)
	eng := newMemEngine(t)
	seedBase(t, eng, 10)
	var nd strings.Builder
	const n = 2500
	for i := 0; i < n; i++ {
		fmt.Fprintf(&nd, `{"resourceType":"Patient","id":"x%d","name":[{"family":"F"}],"birthDate":"1980-01-01"}`+"\n", i) // no identifier
	}
	var got []int
	im := &Importer{MaxResults: 100, Rejected: func(r EntryResult) error { got = append(got, r.Index); return nil }}
	rep, err := im.Import(ctx, eng, keys, admin, strings.NewReader(nd.String()), "ndjson")
	if err != nil {
		t.Fatal(err)
	}
	if rep.Rejected != n || len(got) != n || len(rep.Results) != 100 || !rep.Truncated {
		t.Fatalf("rejected %d, sink %d, results %d (truncated %v)", rep.Rejected, len(got), len(rep.Results), rep.Truncated)
	}
	for i, idx := range got {
		if idx != i {
			t.Fatalf("sink entry %d has index %d", i, idx)
		}
	}
}

// TestRecordedKeptForMigrationOnly: Immunization.recorded is the time the
// source registry knew the dose; only a migration keeps it.
func TestRecordedKeptForMigrationOnly(t *testing.T) {
	ctx := context.Background()
	keys := testKeys(t)
	for _, tc := range []struct {
		who      vaxtrace.Principal
		recorded string
		keep     bool
		reject   string
	}{
		{migration, "2021-04-03T09:00:00Z", true, ""},
		{admin, "2021-04-03T09:00:00Z", false, ""},
		{migration, "2021-03-30T09:00:00Z", false, "before the record occurred"},
		{migration, "2099-01-01T00:00:00Z", false, "future"},
	} {
		eng := newEngine(t)
		seedBase(t, eng, 10)
		pat := strings.ReplaceAll(goodPatient, "%IIN%", iinFor(800))
		imm := goodImm(func(s string) string {
			return strings.Replace(s, `"occurrenceDateTime"`, `"recorded":"`+tc.recorded+`","occurrenceDateTime"`, 1)
		})
		rep, err := Import(ctx, eng, keys, tc.who, strings.NewReader(pat+"\n"+imm+"\n"), "ndjson")
		if err != nil {
			t.Fatal(err)
		}
		r := rep.Results[1]
		if tc.reject != "" {
			if r.Outcome != Rejected || r.Field != "recorded" || !strings.Contains(r.Reason, tc.reject) {
				t.Errorf("%s %s: %s %s %q", tc.who.Role, tc.recorded, r.Outcome, r.Field, r.Reason)
			}
			continue
		}
		eng.Read(func(s *vaxtrace.State) {
			d := s.Dose("imp-1")
			if d == nil {
				t.Fatalf("%s: not imported: %s", tc.who.Role, summarize(rep))
			}
			kept := d.Recorded().Format(time.RFC3339) == tc.recorded
			if kept != tc.keep {
				t.Errorf("%s: recorded %v, keep=%v", tc.who.Role, d.Recorded(), tc.keep)
			}
		})
	}
}

// TestDecodeFastTakesExports: every line of a bulk export takes the fast
// decoder and decodes exactly as encoding/json does (the fuzz test covers
// arbitrary input).
func TestDecodeFastTakesExports(t *testing.T) {
	keys := testKeys(t)
	eng := newMemEngine(t)
	seedBase(t, eng, 100)
	seedPeople(t, eng, keys, 40)
	out := bufs{}
	if err := ExportNDJSON(context.Background(), eng, keys, "", out.w, nil); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, rt := range []string{"Patient", "Immunization"} {
		for _, line := range strings.Split(strings.TrimSpace(out[rt].String()), "\n") {
			var fast, slow anyResource
			if !decodeFast([]byte(line), &fast) {
				t.Fatalf("the fast decoder gave up on an exported %s: %s", rt, line)
			}
			if err := json.Unmarshal([]byte(line), &slow); err != nil || !reflect.DeepEqual(fast, slow) {
				t.Fatalf("decoders differ on %s (%v)", line, err)
			}
			n++
		}
	}
	if n < 80 {
		t.Fatalf("%d lines", n)
	}
}
