package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"vaxtrace"
	"vaxtrace/dhis2"
	"vaxtrace/engine"
	"vaxtrace/fhir"
	"vaxtrace/pii"
	"vaxtrace/scenario"
	"vaxtrace/sqlite"
)

// The golden digests prove that a change of the state's representation
// answers exactly as before: every report of the March 2021 scenario and of
// a generated population is hashed and compared with testdata/golden.json,
// recorded before the change (VAXTRACE_GOLDEN_UPDATE=1 rewrites it).

var goldenClock = time.Date(2024, 1, 2, 12, 0, 0, 0, time.UTC)

func goldenKeys(t testing.TB) *pii.Keys {
	t.Helper()
	secret := make([]byte, 64)
	for i := range secret {
		secret[i] = byte(i * 7)
	}
	k, err := pii.New(secret)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func openGoldenEngine(t testing.TB, path string) *engine.Engine {
	t.Helper()
	j, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	eng, err := engine.Open(context.Background(), j, engine.Options{Now: func() time.Time { return goldenClock }, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	return eng
}

// goldenExtras exercises certificates, voids and corrections on a loaded
// store: the rejections are part of the digest, as are the accepted events.
func goldenExtras(t testing.TB, eng *engine.Engine) []string {
	t.Helper()
	ctx := context.Background()
	var doses []*vaxtrace.DoseState
	eng.Read(func(s *vaxtrace.State) {
		s.EachDose(func(d *vaxtrace.DoseState) bool {
			doses = append(doses, d)
			return true
		})
	})
	sort.Slice(doses, func(i, j int) bool { return doses[i].ID < doses[j].ID })
	admin := vaxtrace.Principal{Name: "golden", Role: vaxtrace.RoleAdmin}
	var cmds []engine.Command
	for i, d := range doses {
		if i >= 400 {
			break
		}
		switch i % 4 {
		case 0:
			cmds = append(cmds, engine.Command{Key: fmt.Sprintf("cert:%d", i), Actor: admin, Recorded: goldenClock, Data: vaxtrace.CertificateIssued{
				UVCI: fmt.Sprintf("URN:UVCI:01:KZ:GOLDEN%05d", i), Person: d.Person(), Dose: d.ID, KID: "k1", Issued: goldenClock, Expiry: goldenClock.AddDate(1, 0, 0)}})
		case 1:
			cmds = append(cmds, engine.Command{Key: fmt.Sprintf("void:%d", i), Actor: admin, Recorded: goldenClock, Data: vaxtrace.DoseVoided{Dose: d.ID, Reason: "entered in error"}})
		case 2:
			at := d.At().Add(-24 * time.Hour)
			cmds = append(cmds, engine.Command{Key: fmt.Sprintf("correct:%d", i), Actor: admin, Recorded: goldenClock, Data: vaxtrace.DoseCorrected{Dose: d.ID, At: &at, Reason: "wrong day"}})
		case 3:
			cmds = append(cmds, engine.Command{Key: fmt.Sprintf("cert:%d", i-3), Actor: admin, Recorded: goldenClock, Data: vaxtrace.CertificateRevoked{UVCI: fmt.Sprintf("URN:UVCI:01:KZ:GOLDEN%05d", i-3), Reason: "test"}})
		}
	}
	// people with two untouched doses: a certificate for each, then a void
	// of the first dose of every other one (revokes both)
	byPerson := map[vaxtrace.PersonID][]*vaxtrace.DoseState{}
	var order []vaxtrace.PersonID
	for _, d := range doses[min(400, len(doses)):] {
		if d.Voided() {
			continue
		}
		if byPerson[d.Person()] == nil {
			order = append(order, d.Person())
		}
		byPerson[d.Person()] = append(byPerson[d.Person()], d)
	}
	sort.Slice(order, func(i, j int) bool { return bytes.Compare(order[i][:], order[j][:]) < 0 })
	var voids []engine.Command
	n := 0
	for _, pid := range order {
		ds := byPerson[pid]
		if len(ds) < 2 || n >= 20 {
			continue
		}
		for k, d := range ds[:2] {
			cmds = append(cmds, engine.Command{Key: fmt.Sprintf("cert2:%d:%d", n, k), Actor: admin, Recorded: goldenClock, Data: vaxtrace.CertificateIssued{
				UVCI: fmt.Sprintf("URN:UVCI:01:KZ:TWO%03d%d", n, k), Person: pid, Dose: d.ID, KID: "k1", Issued: goldenClock, Expiry: goldenClock.AddDate(1, 0, 0)}})
		}
		if n%2 == 0 {
			voids = append(voids, engine.Command{Key: fmt.Sprintf("void2:%d", n), Actor: admin, Recorded: goldenClock, Data: vaxtrace.DoseVoided{Dose: ds[0].ID, Reason: "entered twice"}})
		}
		n++
	}
	cmds = append(cmds, voids...)
	var out []string
	accepted := 0
	defer func() { t.Logf("extras: %d of %d accepted", accepted, len(cmds)) }()
	for i, r := range eng.SubmitBatch(ctx, cmds) {
		if r.Err != nil {
			out = append(out, fmt.Sprintf("%d %s: %s", i, cmds[i].Key, describe(r.Err)))
		} else {
			accepted++
			out = append(out, fmt.Sprintf("%d %s: seq %d", i, cmds[i].Key, r.Seq))
		}
	}
	return out
}

// reportDigests hashes every report the state answers.
func reportDigests(t testing.TB, eng *engine.Engine, extras []string) map[string]string {
	t.Helper()
	ctx := context.Background()
	out := map[string]string{}
	sum := func(name string, b []byte) {
		h := sha256.Sum256(b)
		out[name] = hex.EncodeToString(h[:])
	}
	js := func(name string, v any) {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		sum(name, b)
	}
	if extras != nil {
		sum("extras", []byte(strings.Join(extras, "\n")))
	}
	var last vaxtrace.Date
	var regions []string
	eng.Read(func(s *vaxtrace.State) {
		last = s.LastDay()
		regions = append(regions, "")
		for _, r := range s.Regions() {
			regions = append(regions, r.Code)
		}
	})
	days := []vaxtrace.Date{scenario.ReportDay, scenario.AsOf, last}
	for _, day := range days {
		for _, f := range []string{"table", "json"} {
			var b bytes.Buffer
			if err := printReport(&b, eng, "", day, f); err != nil {
				t.Fatal(err)
			}
			sum(fmt.Sprintf("report/%s/%s", day, f), b.Bytes())
		}
	}
	eng.Read(func(s *vaxtrace.State) {
		from := vaxtrace.MkDate(2021, 1, 1)
		for _, r := range regions {
			var cov [][]int64
			for m := vaxtrace.MDose1; m <= vaxtrace.MFull; m++ {
				cov = append(cov, s.Daily(r, "", m, from, last))
				cov = append(cov, s.KnownSeries(r, m, from, last, func(d vaxtrace.Date) vaxtrace.Date { return d }))
				cov = append(cov, []int64{s.Cumulative(r, m, last), s.KnownCumulative(r, m, scenario.ReportDay, scenario.AsOf)})
				bs := s.BySex(r, m)
				cov = append(cov, bs[:], s.ByAge(r, m, last))
			}
			js("coverage/"+r, cov)
			js("late/"+r, s.LateRecords(r, from, last))
			js("stock/"+r, s.StockPosition(r, last))
			js("stockknown/"+r, s.StockPositionKnown(r, scenario.ReportDay, scenario.AsOf))
			js("tallies/"+r, s.Tallies(r, last))
		}
		js("supply", s.SupplyPosition(last))
		js("wastage", s.StockAndWastage(last, nil))
		js("levels", s.StockLevels(last, nil))
		js("owid", s.OWIDRows(last, func(d vaxtrace.Date) vaxtrace.Date { return d }, "Kazakhstan", ""))
		js("owid-known", s.OWIDRows(last, func(vaxtrace.Date) vaxtrace.Date { return last }, "Kazakhstan", ""))
		np, nd := s.Counts()
		js("counts", []int{np, nd})
		t.Logf("%d people, %d doses, journal seq %d", np, nd, s.Seq)
		sum("state", []byte(stateDump(s)))
		var facts []vaxtrace.DoseFact
		s.EachDoseFact(func(f vaxtrace.DoseFact) bool { facts = append(facts, f); return true })
		sort.Slice(facts, func(i, j int) bool { return fmt.Sprint(facts[i]) < fmt.Sprint(facts[j]) })
		js("dosefacts", facts)
		revoked := s.RevokedCertificates()
		sort.Strings(revoked)
		js("revoked", revoked)
	})
	// FHIR export, without and with the keys
	for _, withKeys := range []bool{false, true} {
		var keys *pii.Keys
		if withKeys {
			keys = goldenKeys(t)
		}
		bufs := map[string]*bytes.Buffer{}
		err := fhir.ExportNDJSON(ctx, eng, keys, "", func(rt string) io.Writer {
			if bufs[rt] == nil {
				bufs[rt] = &bytes.Buffer{}
			}
			return bufs[rt]
		}, nil)
		if err != nil {
			t.Fatal(err)
		}
		for rt, b := range bufs {
			sum(fmt.Sprintf("fhir/%v/%s", withKeys, rt), b.Bytes())
		}
	}
	// DHIS2 dataValueSets with the example mapping
	f, err := os.Open(filepath.Join("..", "..", "dhis2", "testdata", "mapping-example.json"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := dhis2.ParseMapping(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	per, err := dhis2.NewPeriods(dhis2.Daily, vaxtrace.MkDate(2021, 3, 1), scenario.AsOf)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	eng.Read(func(s *vaxtrace.State) {
		res := dhis2.Compute(s, m, per)
		if err := dhis2.EncodeJSON(&b, res, res.Values); err != nil {
			t.Fatal(err)
		}
	})
	sum("dhis2", b.Bytes())
	rep, err := eng.Check(ctx)
	if err != nil {
		t.Fatal(err)
	}
	js("check", rep)
	return out
}

// stateDump writes every person, dose and certificate with every field a
// reader can see, in id order.
func stateDump(s *vaxtrace.State) string {
	var b strings.Builder
	var people []*vaxtrace.PersonState
	s.EachPerson(func(p *vaxtrace.PersonState) bool { people = append(people, p); return true })
	sort.Slice(people, func(i, j int) bool { return bytes.Compare(people[i].ID[:], people[j].ID[:]) < 0 })
	for _, p := range people {
		merged := ""
		if into, ok := s.MergedInto(p); ok {
			merged = into.String()
		}
		t := s.PersonText(p)
		fmt.Fprintf(&b, "P %s %q %q %q %s %s %s %s m=%s rec=%s\n", p.ID, t.IINSealed(), t.Family(), t.Given(), p.BirthDate, p.Sex(), p.Region(), p.Group(), merged, p.Recorded().UTC().Format(time.RFC3339Nano))
		for d := range s.PersonDoses(p) {
			fmt.Fprintf(&b, "  d %s\n", d.ID)
		}
		for _, c := range s.PersonCertificates(p.ID) {
			fmt.Fprintf(&b, "  c %s %s %s %v %q\n", c.UVCI, c.Dose, c.KID, c.Revoked, c.RevokedBy)
			if got := s.Certificate(c.UVCI); got == nil || got.UVCI != c.UVCI {
				fmt.Fprintf(&b, "  c-lookup-missing %s\n", c.UVCI)
			}
		}
	}
	var doses []*vaxtrace.DoseState
	s.EachDose(func(d *vaxtrace.DoseState) bool { doses = append(doses, d); return true })
	sort.Slice(doses, func(i, j int) bool { return doses[i].ID < doses[j].ID })
	for _, d := range doses {
		h, _ := json.Marshal(d.History())
		fmt.Fprintf(&b, "D %s %s %s %s %s %s %s %s %q rec=%s v=%v %q n=%d b=%v c=%v %q h=%s\n", d.ID, d.Person(), d.At().UTC().Format(time.RFC3339Nano), d.Place(), d.Lot(), d.Product(), d.Component(), d.Vaccinator(), d.Override(),
			d.Recorded().UTC().Format(time.RFC3339Nano), d.Voided(), d.VoidWhy(), d.Number(), d.Booster(), d.Complete(), d.Anomaly(), h)
		if got := s.Dose(d.ID); got == nil || got.ID != d.ID {
			fmt.Fprintf(&b, "  lookup-missing %s\n", d.ID)
		}
	}
	return b.String()
}

func checkGolden(t *testing.T, name string, got map[string]string) {
	t.Helper()
	path := filepath.Join("testdata", "golden-"+name+".json")
	if os.Getenv("VAXTRACE_GOLDEN_UPDATE") != "" {
		b, _ := json.MarshalIndent(got, "", " ")
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s (%d digests)", path, len(got))
		return
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (record it with VAXTRACE_GOLDEN_UPDATE=1)", err)
	}
	var want map[string]string
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range want {
		keys = append(keys, k)
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		if got[k] != want[k] {
			t.Errorf("%s: digest %s, golden %s", k, short(got[k]), short(want[k]))
		}
	}
}

func short(s string) string {
	if len(s) > 12 {
		return s[:12]
	}
	if s == "" {
		return "(none)"
	}
	return s
}

// goldenCase loads a store, records its digests, then reopens the store
// (full replay) and checks that the replayed state answers identically.
func goldenCase(t *testing.T, name string, load func(context.Context, *engine.Engine) error) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), name+".db")
	eng := openGoldenEngine(t, path)
	if err := load(ctx, eng); err != nil {
		t.Fatal(err)
	}
	extras := goldenExtras(t, eng)
	live := reportDigests(t, eng, extras)
	eng.Close()
	checkGolden(t, name, live)
	eng = openGoldenEngine(t, path)
	defer eng.Close()
	replayed := reportDigests(t, eng, extras)
	for k, v := range live {
		if replayed[k] != v {
			t.Errorf("%s: state rebuilt by replay differs from the state kept incrementally", k)
		}
	}
}

func TestGoldenMarch2021(t *testing.T) {
	if testing.Short() {
		t.Skip("loads the March 2021 scenario")
	}
	goldenCase(t, "march2021", func(ctx context.Context, eng *engine.Engine) error {
		return scenario.March2021(ctx, eng, goldenKeys(t), scenario.DefaultOptions())
	})
}

func TestGoldenGenerated(t *testing.T) {
	if testing.Short() {
		t.Skip("generates a population")
	}
	goldenCase(t, "generated", func(ctx context.Context, eng *engine.Engine) error {
		return generatePopulation(ctx, eng, goldenKeys(t), 30000, 5, 7, 5000, false)
	})
}
