package planning

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"vaxtrace"
	"vaxtrace/engine"
	"vaxtrace/plan"
)

// testAuthn takes the principal from the X-Role ("admin", "region:KZ-AKM",
// ...) header; a missing header is unauthorized.
func testAuthn(r *http.Request) (vaxtrace.Principal, error) {
	h := r.Header.Get("X-Role")
	if h == "" {
		return vaxtrace.Principal{}, vaxtrace.Errorf(vaxtrace.EUNAUTHORIZED, "no token")
	}
	role, region, _ := strings.Cut(h, ":")
	return vaxtrace.Principal{Name: "test-" + role, Role: role, Region: region}, nil
}

func call(t *testing.T, h http.Handler, role, method, path, body string, v any) int {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if role != "" {
		req.Header.Set("X-Role", role)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if v != nil {
		if err := json.Unmarshal(rec.Body.Bytes(), v); err != nil {
			t.Fatalf("%s %s: %v: %s", method, path, err, rec.Body.String())
		}
	}
	return rec.Code
}

type errBody struct {
	Error struct{ Code, Field, Message string } `json:"error"`
}

func TestFromStateScenario(t *testing.T) {
	eng := scenarioEngine(t)
	for _, asOf := range []vaxtrace.Date{vaxtrace.MkDate(2021, 3, 19), vaxtrace.MkDate(2021, 3, 23)} {
		eng.Read(func(s *vaxtrace.State) {
			ps, err := FromState(s, asOf, Options{})
			if err != nil {
				t.Fatal(err)
			}
			prev := asOf - 1
			if ps.AsOf != Day(asOf) || len(ps.Regions) != 17 {
				t.Fatalf("as of %s: asOf %s, %d regions", asOf, ps.AsOf, len(ps.Regions))
			}
			var waitAll, firstAll int
			for _, r := range ps.Regions {
				wait := 0
				for _, c := range r.Waiting {
					wait += c.People
					if c.FirstDose > Day(prev) || c.People <= 0 {
						t.Errorf("%s: bad cohort %+v", r.Code, c)
					}
				}
				want := int(s.Cumulative(r.Code, vaxtrace.MDose1, prev) - s.Cumulative(r.Code, vaxtrace.MDose2, prev))
				if wait != want {
					t.Errorf("as of %s %s: %d waiting for dose 2, want Cumulative(MDose1)-Cumulative(MDose2) = %d", asOf, r.Code, wait, want)
				}
				if len(r.DailyFirst) != 56 || len(r.DailySecond) != 56 || len(r.DailyBooster) != 56 {
					t.Errorf("%s: history lengths %d/%d/%d", r.Code, len(r.DailyFirst), len(r.DailySecond), len(r.DailyBooster))
				}
				// Eligible: those reached plus, per age band, what is left
				// below the band's ceiling.
				left := 0.0
				byAge := s.ByAge(r.Code, vaxtrace.MDose1, prev)
				for b, g := range DefaultAgeGroups {
					left += math.Max(0, g.Share*g.Ceiling*float64(r.Population)-float64(byAge[b]))
				}
				if want := r.PeopleFirst + int(math.Round(left)); r.Eligible != want || r.Eligible > r.Population*6/10 {
					t.Errorf("%s: eligible %d of %d, want %d", r.Code, r.Eligible, r.Population, want)
				}
				if r.Capacity < 100*len(r.Points)/2 || r.SecondDoseRate <= 0 || r.SecondDoseRate > 1 {
					t.Errorf("%s: capacity %d (+%d opening) for %d points, completion rate %v", r.Code, r.Capacity, r.CapacityOpening, len(r.Points), r.SecondDoseRate)
				}
				if r.PeopleFirst != int(s.Cumulative(r.Code, vaxtrace.MDose1, prev)) {
					t.Errorf("%s: people first %d", r.Code, r.PeopleFirst)
				}
				waitAll += wait
				firstAll += r.PeopleFirst
			}
			if waitAll == 0 || firstAll < 90000 {
				t.Errorf("as of %s: %d people with a first dose, %d waiting", asOf, firstAll, waitAll)
			}
			// Regional stock + national usable stock never exceed the flow totals.
			for _, ln := range s.StockPosition("", prev) {
				k := plan.Key(ln.Product, ln.Component)
				got := ps.National[k]
				if ln.Region != "" {
					for _, r := range ps.Regions {
						if r.Code == ln.Region {
							got = r.OnHand[k]
						}
					}
				}
				if int64(got) > ln.OnHand {
					t.Errorf("%q %s: %d on hand in the plan state, ledger %d", ln.Region, k, got, ln.OnHand)
				}
			}
			// Domestic production: KPC's April tranche becomes a 600,000-dose
			// daily flow over April, split between components I and II.
			prod := map[string]int{}
			for _, a := range ps.Pipeline {
				if a.Source == "production" && a.Date >= plan.Date(2021, time.April, 1) && a.Date <= plan.Date(2021, time.April, 30) {
					prod[a.Key()] += a.Doses
				}
			}
			if prod["sputnik-v/I"] != 300000 || prod["sputnik-v/II"] != 300000 {
				t.Errorf("as of %s: April production %v, want 300,000 of each component", asOf, prod)
			}
			// Lateness record: imported tranches carry a delay estimate.
			for _, a := range ps.Pipeline {
				if a.Source == "tranche" && strings.Contains(a.Supplier, "RDIF") && a.DelayP90 < a.DelayMean {
					t.Errorf("tranche %+v: p90 below mean", a)
				}
			}
			for _, l := range ps.Lots {
				if l.Region == "" && l.Expiry < Day(asOf) {
					t.Errorf("expired national lot %+v offered", l)
				}
			}
		})
	}
}

func TestReachabilityHTTP(t *testing.T) {
	h := NewHandler(scenarioEngine(t), testAuthn, HandlerOptions{})
	var r ReachJSON
	if code := call(t, h, "admin", "GET", "/api/v1/plan/reachability?target=T-2021-04-1M&as_of=2021-03-19", "", &r); code != 200 {
		t.Fatalf("status %d", code)
	}
	t.Logf("%s", r.Answer)
	tg := r.Target
	if tg.Value != 1_000_000 || tg.From != vaxtrace.MkDate(2021, 4, 1) || tg.To != vaxtrace.MkDate(2021, 4, 30) {
		t.Fatalf("target %+v", tg)
	}
	if r.Reachable != (r.Forecast >= tg.Value) || (!r.Reachable && tg.Shortfall != tg.Value-r.Forecast) {
		t.Errorf("reachable %v, forecast %d, shortfall %d", r.Reachable, r.Forecast, tg.Shortfall)
	}
	// Supply caps the forecast. The uptake-only run is a bound up to the
	// people who could not be served earlier and come back (demand
	// saturates on the pool still to reach): allow 1%.
	if r.Forecast > r.SupplyMax || float64(r.Forecast) > 1.01*float64(r.UptakeOnly) {
		t.Errorf("forecast %d above a counterfactual bound (supply %d, uptake %d)", r.Forecast, r.SupplyMax, r.UptakeOnly)
	}
	// An honest band: not zero-width, around the forecast.
	if !(r.BandLow < r.Forecast && r.Forecast < r.BandHigh) || r.Target.ErrorBand == nil {
		t.Errorf("band %d..%d around forecast %d (error band %+v)", r.BandLow, r.BandHigh, r.Forecast, r.Target.ErrorBand)
	}
	// One binding limit everywhere: the answer, the target, and the rule
	// applied to the national sums of the region rows.
	if r.Binding != tg.Binding {
		t.Errorf("answer binding %q, target binding %q", r.Binding, tg.Binding)
	}
	var dem, sup, res int
	for _, x := range tg.Regions {
		dem, sup, res = dem+x.FirstDemand, sup+x.ShortSupply, res+x.ShortReserve
	}
	if len(tg.Regions) != 17 || sup != tg.WindowShortSupply || res != tg.WindowShortReserve {
		t.Errorf("region rows (%d) do not add up to the window: short %d/%d vs %d/%d", len(tg.Regions), sup, res, tg.WindowShortSupply, tg.WindowShortReserve)
	}
	// What actually happened: OWID has over a million first doses in April
	// 2021, above the range, and the answer says why.
	hs := r.Hindsight
	if hs == nil || hs.Actual < 1_000_000 || hs.Verdict != "above" || len(hs.Points) < 3 || len(hs.Reasons) < 3 {
		t.Fatalf("hindsight %+v", hs)
	}
	opened := false
	for _, m := range hs.Reasons {
		opened = opened || strings.Contains(m.Text, "opened to all eligible adults")
	}
	if !opened {
		t.Errorf("hindsight reasons miss the opening of vaccination on 2 April: %+v", hs.Reasons)
	}
	for _, m := range append(r.Explanation, hs.Reasons...) {
		if m.Template == "" || m.Text == "" {
			t.Errorf("message without template or text: %+v", m)
		}
	}
	if r.SupplyMax > r.FirstDoseSupply {
		t.Errorf("supply max %d above first-dose supply %d", r.SupplyMax, r.FirstDoseSupply)
	}
	wantBinding := plan.LimitUptake
	if r.SupplyMax < r.UptakeOnly {
		wantBinding = "" // supply or second-dose reserve
	}
	if wantBinding != "" && r.Binding != wantBinding {
		t.Errorf("binding %q, uptake %d < supply %d", r.Binding, r.UptakeOnly, r.SupplyMax)
	}
	prefix := map[bool]string{true: "Yes:", false: "No:"}[r.Reachable]
	if !strings.HasPrefix(r.Answer, prefix) || !strings.Contains(r.Answer, thousands(r.Forecast)) || !strings.Contains(r.Answer, "Binding limit: "+r.Binding) {
		t.Errorf("answer does not match the numbers: %s", r.Answer)
	}
	// The region role may read national targets; the public may not.
	if code := call(t, h, "region:KZ-AKM", "GET", "/api/v1/plan/reachability?target=T-2021-04-1M&as_of=2021-03-19", "", nil); code != 200 {
		t.Errorf("region: status %d", code)
	}
}

func thousands(n int) string {
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func TestForecastHTTP(t *testing.T) {
	h := NewHandler(scenarioEngine(t), testAuthn, HandlerOptions{})
	var f ForecastJSON
	if code := call(t, h, "auditor", "GET", "/api/v1/plan/forecast?as_of=2021-03-23&horizon=60", "", &f); code != 200 {
		t.Fatalf("status %d", code)
	}
	if len(f.National.Days) != 60 || len(f.Regions) != 17 || len(f.Targets) != 2 || len(f.Limits) == 0 {
		t.Fatalf("forecast: %d days, %d regions, %d targets, %d limits", len(f.National.Days), len(f.Regions), len(f.Targets), len(f.Limits))
	}
	var g ForecastJSON
	if code := call(t, h, "region:KZ-AKM", "GET", "/api/v1/plan/forecast?as_of=2021-03-23&horizon=30&days=false", "", &g); code != 200 {
		t.Fatalf("status %d", code)
	}
	if len(g.Regions) != 1 || g.Regions[0].Region != "KZ-AKM" || g.National.Days != nil {
		t.Errorf("region view: %+v", g.Regions)
	}
	for _, l := range g.Limits {
		if l.Region != "" && l.Region != "KZ-AKM" {
			t.Fatalf("region view leaks %s", l.Region)
		}
	}
}

func TestBadInput(t *testing.T) {
	h := NewHandler(scenarioEngine(t), testAuthn, HandlerOptions{})
	tests := []struct {
		role, method, path, body string
		status                   int
		code, field              string
	}{
		{"admin", "GET", "/api/v1/plan/forecast?horizon=0", "", 400, vaxtrace.EINVALID, "horizon"},
		{"admin", "GET", "/api/v1/plan/forecast?horizon=731", "", 400, vaxtrace.EINVALID, "horizon"},
		{"admin", "GET", "/api/v1/plan/forecast?as_of=2020-06-01", "", 400, vaxtrace.EINVALID, "as_of"},
		{"admin", "GET", "/api/v1/plan/forecast?as_of=2099-01-01", "", 400, vaxtrace.EINVALID, "as_of"},
		{"admin", "GET", "/api/v1/plan/forecast?product=nope", "", 404, vaxtrace.ENOTFOUND, "product"},
		{"admin", "GET", "/api/v1/plan/reachability?target=T-2021-04-1M&as_of=2099-01-01", "", 400, vaxtrace.EINVALID, "as_of"},
		{"admin", "GET", "/api/v1/plan/forecast?horizon=x", "", 400, vaxtrace.EINVALID, "horizon"},
		{"admin", "GET", "/api/v1/plan/forecast?as_of=2021-02-30", "", 400, vaxtrace.EINVALID, "as_of"},
		{"admin", "GET", "/api/v1/plan/forecast?as_of=19.03.2021", "", 400, vaxtrace.EINVALID, "as_of"},
		{"admin", "GET", "/api/v1/plan/forecast?region=KZ-XXX", "", 404, vaxtrace.ENOTFOUND, "region"},
		{"region:KZ-AKM", "GET", "/api/v1/plan/forecast?region=KZ-ALM", "", 403, vaxtrace.EFORBIDDEN, ""},
		{"admin", "GET", "/api/v1/plan/reachability?target=T-NOPE", "", 404, vaxtrace.ENOTFOUND, "target"},
		{"admin", "GET", "/api/v1/plan/reachability", "", 400, vaxtrace.EINVALID, "target"},
		{"admin", "GET", "/api/v1/plan/reachability?target=T-2021-04-1M&horizon=0", "", 400, vaxtrace.EINVALID, "horizon"},
		{"admin", "GET", "/api/v1/plan/allocations/AP-nope", "", 404, vaxtrace.ENOTFOUND, "id"},
		{"admin", "POST", "/api/v1/plan/allocations", `{"period_days":-1}`, 400, vaxtrace.EINVALID, "period_days"},
		{"admin", "POST", "/api/v1/plan/allocations", `{"bogus":1}`, 400, vaxtrace.EINVALID, "bogus"},
		{"admin", "POST", "/api/v1/plan/allocations", `{"available":{"sputnik-v/II":99999999}}`, 400, vaxtrace.EINVALID, "available[sputnik-v/II]"},
		{"admin", "POST", "/api/v1/plan/allocations/AP-nope/accept", "", 404, vaxtrace.ENOTFOUND, "id"},
		{"auditor", "POST", "/api/v1/plan/allocations", "", 403, vaxtrace.EFORBIDDEN, ""},
		{"point", "GET", "/api/v1/plan/forecast", "", 403, vaxtrace.EFORBIDDEN, ""},
		{"public", "GET", "/api/v1/plan/forecast", "", 403, vaxtrace.EFORBIDDEN, ""},
		{"", "GET", "/api/v1/plan/forecast", "", 401, vaxtrace.EUNAUTHORIZED, ""},
		{"admin", "GET", "/api/v1/plan/backtest?step=0", "", 400, vaxtrace.EINVALID, "step"},
	}
	for _, tc := range tests {
		var e errBody
		code := call(t, h, tc.role, tc.method, tc.path, tc.body, &e)
		if code != tc.status || e.Error.Code != tc.code || e.Error.Field != tc.field || e.Error.Message == "" {
			t.Errorf("%s %s %s: %d %+v, want %d %s field %q", tc.role, tc.method, tc.path, code, e.Error, tc.status, tc.code, tc.field)
		}
	}
}

func TestBacktestHTTP(t *testing.T) {
	h := NewHandler(nil, testAuthn, HandlerOptions{})
	var b BacktestJSON
	if code := call(t, h, "auditor", "GET", "/api/v1/plan/backtest", "", &b); code != 200 {
		t.Fatalf("status %d", code)
	}
	if b.Cutoffs < 80 || len(b.Bands) == 0 || !strings.Contains(b.Attribution, "CC BY 4.0") {
		t.Errorf("backtest: %d cut-offs, %d bands, %q", b.Cutoffs, len(b.Bands), b.Attribution)
	}
	found := false
	for _, r := range b.Results {
		found = found || (r.Period == "2021" && r.Horizon == 28 && r.Kind == "all" && r.N > 20 && r.ModelWAPE > 0 && r.NaiveWAPE > 0)
	}
	if !found {
		t.Errorf("no 2021 28-day all-doses row: %+v", b.Results)
	}
}

func TestAllocationAccept(t *testing.T) {
	eng := ownScenario(t)
	h := NewHandler(eng, testAuthn, HandlerOptions{})
	var pr Proposal
	if code := call(t, h, "admin", "POST", "/api/v1/plan/allocations", `{"as_of":"2021-03-23","period_days":30}`, &pr); code != 201 {
		t.Fatalf("propose: status %d", code)
	}
	if pr.Status != StatusProposed || pr.ID == "" || len(pr.Lines) == 0 {
		t.Fatalf("proposal %+v", pr)
	}
	// The second-dose reserve is visible: component II lines with their
	// purpose and explanation, and the share in the summary.
	reserve := 0
	for _, l := range pr.Lines {
		if l.Explanation == "" || l.Lot == "" {
			t.Errorf("line without lot or explanation: %+v", l)
		}
		if l.Purpose == plan.PurposeSecondDoses {
			if l.Component != "II" {
				t.Errorf("second-dose reserve of component %s: %+v", l.Component, l)
			}
			reserve += l.Doses
		}
	}
	if reserve == 0 || reserve != pr.Summary.SecondDoseReserve || pr.Summary.ByKey["sputnik-v/II"] < reserve || pr.Summary.SecondDoseShare <= 0 {
		t.Errorf("reserve %d, summary %+v", reserve, pr.Summary)
	}
	// Only admin accepts; edits above what is available are a conflict.
	if code := call(t, h, "auditor", "POST", "/api/v1/plan/allocations/"+pr.ID+"/accept", "", nil); code != 403 {
		t.Errorf("auditor accept: %d", code)
	}
	big := pr.Lines[0]
	big.Doses = 10_000_000
	body, _ := json.Marshal(AcceptRequest{Lines: []LineJSON{big}})
	var e errBody
	if code := call(t, h, "admin", "POST", "/api/v1/plan/allocations/"+pr.ID+"/accept", string(body), &e); code != 409 || e.Error.Code != vaxtrace.ECONFLICT {
		t.Errorf("over-allocation: %d %+v", code, e)
	}
	bad := pr.Lines[0]
	bad.Region = "KZ-XXX"
	body, _ = json.Marshal(AcceptRequest{Lines: []LineJSON{bad}})
	if code := call(t, h, "admin", "POST", "/api/v1/plan/allocations/"+pr.ID+"/accept", string(body), &e); code != 400 || !strings.Contains(e.Error.Field, "region") {
		t.Errorf("unknown region: %d %+v", code, e)
	}
	var before int64
	eng.Read(func(s *vaxtrace.State) {
		before = s.FlowTotal("regions", "", "", vaxtrace.FlowInTransit, vaxtrace.MkDate(2030, 1, 1))
	})
	// A region coordinator sees only its own lines.
	var mine Proposal
	call(t, h, "region:KZ-AKM", "GET", "/api/v1/plan/allocations/"+pr.ID, "", &mine)
	for _, l := range mine.Lines {
		if l.Region != "KZ-AKM" {
			t.Fatalf("region view leaks %+v", l)
		}
	}
	var acc Proposal
	if code := call(t, h, "admin", "POST", "/api/v1/plan/allocations/"+pr.ID+"/accept", "", &acc); code != 200 {
		t.Fatalf("accept: status %d", code)
	}
	if acc.Status != StatusAccepted || len(acc.Shipments) == 0 {
		t.Fatalf("accepted: %+v", acc)
	}
	var sent int64
	eng.Read(func(s *vaxtrace.State) {
		for _, sh := range acc.Shipments {
			st := s.Shipment(sh.Shipment)
			if st == nil || st.Received || !strings.HasPrefix(st.To, "RW-") || s.Place(st.From).Kind != vaxtrace.PlaceNational || sh.Error != "" {
				t.Errorf("shipment %+v not recorded as dispatched national → regional warehouse", sh)
				continue
			}
			for _, ln := range st.Lines {
				sent += ln.Doses
			}
		}
		after := s.FlowTotal("regions", "", "", vaxtrace.FlowInTransit, vaxtrace.MkDate(2030, 1, 1))
		if after-before != sent || sent != int64(acc.Summary.Doses) {
			t.Errorf("in transit grew by %d; shipments carry %d; proposal %d", after-before, sent, acc.Summary.Doses)
		}
	})
	rep, err := eng.Check(context.Background())
	if err != nil || !rep.OK() {
		t.Fatalf("conservation check after accept: %v %v", err, rep.Breaches)
	}
	if code := call(t, h, "admin", "POST", "/api/v1/plan/allocations/"+pr.ID+"/accept", "", &e); code != 409 {
		t.Errorf("second accept: %d", code)
	}
	if code := call(t, h, "admin", "POST", "/api/v1/plan/allocations/"+pr.ID+"/reject", "", &e); code != 409 {
		t.Errorf("reject after accept: %d", code)
	}
	// A new proposal after the shipments: the national stock they took is gone.
	var pr2 Proposal
	if code := call(t, h, "admin", "POST", "/api/v1/plan/allocations", `{}`, &pr2); code != 201 {
		t.Fatalf("second proposal: %d", code)
	}
	if pr2.Summary.Doses != 0 && pr2.Summary.Doses >= acc.Summary.Doses {
		t.Errorf("second proposal allocates %d doses after %d were shipped", pr2.Summary.Doses, acc.Summary.Doses)
	}
	var rej Proposal
	if code := call(t, h, "admin", "POST", "/api/v1/plan/allocations/"+pr2.ID+"/reject", "", &rej); code != 200 || rej.Status != StatusRejected {
		t.Errorf("reject: %d %+v", code, rej.Status)
	}
}

func BenchmarkForecastFromLiveState(b *testing.B) {
	eng := scenarioEngine(b)
	asOf := vaxtrace.MkDate(2021, 3, 23)
	b.ResetTimer()
	for b.Loop() {
		var ps plan.State
		var err error
		eng.Read(func(s *vaxtrace.State) { ps, err = FromState(s, asOf, Options{}) })
		if err != nil {
			b.Fatal(err)
		}
		if _, err := plan.Forecast(ps, 120, plan.Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkProposeFromLiveState(b *testing.B) {
	eng := scenarioEngine(b)
	asOf := vaxtrace.MkDate(2021, 3, 23)
	b.ResetTimer()
	for b.Loop() {
		var ps plan.State
		var err error
		eng.Read(func(s *vaxtrace.State) { ps, err = FromState(s, asOf, Options{}) })
		if err != nil {
			b.Fatal(err)
		}
		if _, err := plan.Propose(ps, ps.National, plan.AllocOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

var _ = engine.Command{}
