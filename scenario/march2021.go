package scenario

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"time"

	"vaxtrace"
	"vaxtrace/engine"
	"vaxtrace/pii"
)

// The March 2021 scenario is a reconstruction from the published facts in
// shared/reference/kazakhstan-2021.yaml. Facts it reproduces:
//   - first doses (people) and completed series follow the published national
//     series (13,301 on 10 Feb; 20,157/2,137 on 24 Feb; 33,279/15,856 on 9 Mar;
//     69,095/18,807 on 15 Mar; 90,748/19,247 on 18 Mar; "over 100,000" on 19 Mar;
//     110,861/25,318 on 26 Mar), second doses 21 days after the first;
//   - 145,000 doses delivered to the 17 regions by 19 March 2021; about 150,000
//     more expected by the end of March (20,000 delivered 21 Mar, 60,000 in
//     transit on 22 Mar, the rest in the national warehouses, in QC
//     quarantine, or owed under open tranches);
//   - KPC (Karaganda) production: 6,000-dose pilot batch (Dec 2020), 90,000
//     doses shipped from 26 Feb, about 150,000 in March, 600,000/month planned
//     from April under a 2,000,000-dose contract;
//   - imports from Russia: 22,000 doses on 31 Jan, 30,000 in mid-March, and a
//     new additional-supply agreement signed in March 2021.
// Quantities the sources do not give (lot sizes, the component split of each
// delivery, agreement sizes of the Russian contracts, the regional split, the
// number of vaccination points) are assumptions, documented in the README.

// Dates of the scenario.
var (
	Start     = vaxtrace.MkDate(2021, 1, 31)
	ReportDay = vaxtrace.MkDate(2021, 3, 19)
	AsOf      = vaxtrace.MkDate(2021, 3, 22)
)

// anchors of the national first-dose and completed-series series.
var firstAnchors = []struct {
	d     vaxtrace.Date
	first float64
}{
	{vaxtrace.MkDate(2021, 1, 31), 0},
	{vaxtrace.MkDate(2021, 2, 1), 40},
	{vaxtrace.MkDate(2021, 2, 10), 13301},
	{vaxtrace.MkDate(2021, 2, 24), 20157},
	{vaxtrace.MkDate(2021, 3, 9), 33279},
	{vaxtrace.MkDate(2021, 3, 12), 59000},
	{vaxtrace.MkDate(2021, 3, 15), 69095},
	{vaxtrace.MkDate(2021, 3, 18), 90748},
	{vaxtrace.MkDate(2021, 3, 19), 100420},
	{vaxtrace.MkDate(2021, 3, 26), 110861},
}

func cumFirst(d vaxtrace.Date) float64 {
	for i := 1; i < len(firstAnchors); i++ {
		a, b := firstAnchors[i-1], firstAnchors[i]
		if d <= b.d {
			if d <= a.d {
				return a.first
			}
			return a.first + (b.first-a.first)*float64(d-a.d)/float64(b.d-a.d)
		}
	}
	return firstAnchors[len(firstAnchors)-1].first
}

// Options tune the scenario.
type Options struct {
	Seed          int64
	SecondShare   float64 // share of people who come back for dose 2
	LateShare     float64 // share of dose records that arrive 1..7 days late
	PointsPer100k float64
}

// DefaultOptions reproduce the published figures.
func DefaultOptions() Options {
	return Options{Seed: 2021, SecondShare: 0.94, LateShare: 0.03, PointsPer100k: 1.0}
}

type plannedDose struct {
	day       vaxtrace.Date
	region    int
	person    int
	number    int // 1 or 2
	component string
}

type builder struct {
	ctx     context.Context
	eng     *engine.Engine
	keys    *pii.Keys
	opt     Options
	rng     *rand.Rand
	regions []vaxtrace.Region
	points  [][]string // per region
	nextPt  []int
	people  []personPlan
	doses   map[vaxtrace.Date][]plannedDose
	serial  map[string]int
	seq     int
}

type personPlan struct {
	id      vaxtrace.PersonID
	region  int
	point   string
	firstAt time.Time
}

// March2021 loads the scenario into an engine whose journal is empty: the
// reference data, the supply chain and the people and doses up to AsOf.
func March2021(ctx context.Context, eng *engine.Engine, keys *pii.Keys, opt Options) error {
	ref, err := LoadReference()
	if err != nil {
		return err
	}
	seedAt := time.Date(2020, 12, 1, 6, 0, 0, 0, time.UTC)
	if err := Seed(ctx, eng, ref, seedAt); err != nil {
		return err
	}
	b := &builder{ctx: ctx, eng: eng, keys: keys, opt: opt, rng: rand.New(rand.NewPCG(uint64(opt.Seed), 7)), regions: ref.Regions2021(), doses: map[vaxtrace.Date][]plannedDose{}, serial: map[string]int{}}
	if err := b.places(seedAt); err != nil {
		return err
	}
	if err := b.supply(); err != nil {
		return err
	}
	b.planDoses()
	if err := b.run(); err != nil {
		return err
	}
	return b.coldChain()
}

func (b *builder) submit(cmds ...engine.Command) error { return submitAll(b.ctx, b.eng, cmds) }

func regionSuffix(code string) string { return code[3:] }

func (b *builder) places(at time.Time) error {
	cmds := []engine.Command{
		cmd("place:NW-SKP", at, vaxtrace.PlaceDefined{Place: vaxtrace.Place{ID: "NW-SKP", Kind: vaxtrace.PlaceNational, Name: "SK-Pharmacy national hub (Almaty)", Region: "KZ-ALA",
			Names: map[string]string{"en": "SK-Pharmacy national hub (Almaty)", "ru": "Национальный хаб «СК-Фармация» (Алматы)", "kk": "«СК-Фармация» ұлттық хабы (Алматы)"}}}),
		cmd("place:NW-KPC", at, vaxtrace.PlaceDefined{Place: vaxtrace.Place{ID: "NW-KPC", Kind: vaxtrace.PlaceNational, Name: "Karaganda Pharmaceutical Complex warehouse", Region: "KZ-KAR",
			Names: map[string]string{"en": "Karaganda Pharmaceutical Complex warehouse", "ru": "Склад Карагандинского фармацевтического комплекса", "kk": "Қарағанды фармацевтикалық кешенінің қоймасы"}}}),
	}
	b.points = make([][]string, len(b.regions))
	b.nextPt = make([]int, len(b.regions))
	for i, r := range b.regions {
		rw := "RW-" + regionSuffix(r.Code)
		cmds = append(cmds, cmd("place:"+rw, at, vaxtrace.PlaceDefined{Place: vaxtrace.Place{ID: rw, Kind: vaxtrace.PlaceRegional, Name: r.Names["en"] + " health department warehouse", Region: r.Code, Parent: "NW-SKP",
			Names: map[string]string{
				"en": r.Names["en"] + " health department warehouse",
				"ru": "Склад управления здравоохранения — " + r.Names["ru"],
				"kk": "Денсаулық сақтау басқармасының қоймасы — " + r.Names["kk"],
			}}}))
		n := max(3, int(math.Round(float64(r.Population)/100000*b.opt.PointsPer100k*2)))
		for k := 1; k <= n; k++ {
			id := fmt.Sprintf("VP-%s-%02d", regionSuffix(r.Code), k)
			b.points[i] = append(b.points[i], id)
			cmds = append(cmds, cmd("place:"+id, at, vaxtrace.PlaceDefined{Place: vaxtrace.Place{ID: id, Kind: vaxtrace.PlacePoint, Name: fmt.Sprintf("%s vaccination room %d", r.Names["en"], k), Region: r.Code, Parent: rw,
				Names: map[string]string{
					"en": fmt.Sprintf("%s vaccination room %d", r.Names["en"], k),
					"ru": fmt.Sprintf("Прививочный кабинет № %d — %s", k, r.Names["ru"]),
					"kk": fmt.Sprintf("№ %d егу кабинеті — %s", k, r.Names["kk"]),
				}}}))
		}
	}
	return b.submit(cmds...)
}

type receipt struct {
	day       vaxtrace.Date
	place     string
	lot       string
	component string
	doses     int64
	agreement string
	tranche   string
	released  bool
	mfg       vaxtrace.Date
}

var receipts = []receipt{
	{vaxtrace.MkDate(2021, 1, 25), "NW-KPC", "KPC-I-2012P", "I", 3000, "AG-KPC-2020", "T2021-01", true, vaxtrace.MkDate(2020, 12, 21)},
	{vaxtrace.MkDate(2021, 1, 25), "NW-KPC", "KPC-II-2012P", "II", 3000, "AG-KPC-2020", "T2021-01", true, vaxtrace.MkDate(2020, 12, 21)},
	{vaxtrace.MkDate(2021, 1, 31), "NW-SKP", "GAM-I-2101-01", "I", 22000, "AG-RDIF-2021-01", "T1", true, vaxtrace.MkDate(2021, 1, 12)},
	{vaxtrace.MkDate(2021, 2, 20), "NW-SKP", "GAM-II-2102-01", "II", 10000, "AG-RDIF-2021-01", "T2", true, vaxtrace.MkDate(2021, 2, 2)},
	{vaxtrace.MkDate(2021, 2, 26), "NW-KPC", "KPC-I-2102-01", "I", 45000, "AG-KPC-2020", "T2021-02", true, vaxtrace.MkDate(2021, 2, 8)},
	{vaxtrace.MkDate(2021, 2, 26), "NW-KPC", "KPC-II-2102-01", "II", 45000, "AG-KPC-2020", "T2021-02", true, vaxtrace.MkDate(2021, 2, 8)},
	{vaxtrace.MkDate(2021, 3, 10), "NW-KPC", "KPC-I-2103-01", "I", 30000, "AG-KPC-2020", "T2021-03", true, vaxtrace.MkDate(2021, 2, 24)},
	{vaxtrace.MkDate(2021, 3, 10), "NW-KPC", "KPC-II-2103-01", "II", 30000, "AG-KPC-2020", "T2021-03", true, vaxtrace.MkDate(2021, 2, 24)},
	{vaxtrace.MkDate(2021, 3, 11), "NW-SKP", "GAM-I-2103-01", "I", 15000, "AG-RDIF-2021-01", "T3", true, vaxtrace.MkDate(2021, 2, 22)},
	{vaxtrace.MkDate(2021, 3, 11), "NW-SKP", "GAM-II-2103-01", "II", 15000, "AG-RDIF-2021-01", "T3", true, vaxtrace.MkDate(2021, 2, 22)},
	{vaxtrace.MkDate(2021, 3, 17), "NW-KPC", "KPC-I-2103-02", "I", 30000, "AG-KPC-2020", "T2021-03", true, vaxtrace.MkDate(2021, 3, 3)},
	{vaxtrace.MkDate(2021, 3, 17), "NW-KPC", "KPC-II-2103-02", "II", 30000, "AG-KPC-2020", "T2021-03", true, vaxtrace.MkDate(2021, 3, 3)},
	// awaiting quality-control release on 22 March
	{vaxtrace.MkDate(2021, 3, 22), "NW-KPC", "KPC-I-2103-03", "I", 15000, "AG-KPC-2020", "T2021-03", false, vaxtrace.MkDate(2021, 3, 12)},
	{vaxtrace.MkDate(2021, 3, 22), "NW-KPC", "KPC-II-2103-03", "II", 15000, "AG-KPC-2020", "T2021-03", false, vaxtrace.MkDate(2021, 3, 12)},
}

func morning(d vaxtrace.Date, hourUTC int) time.Time {
	return d.Time().Add(time.Duration(hourUTC) * time.Hour)
}

func (b *builder) supply() error {
	at := morning(vaxtrace.MkDate(2020, 12, 21), 5)
	ags := []vaxtrace.Agreement{
		{ID: "AG-KPC-2020", Supplier: "Karaganda Pharmaceutical Complex (KPC)", Product: "sputnik-v", Doses: 2000000, Signed: vaxtrace.MkDate(2020, 12, 21), Domestic: true,
			Note: "SK-Pharmacy - KPC fill-finish contract (RDIF MoU: >2M doses)",
			Tranches: []vaxtrace.Tranche{
				{ID: "T2021-01", Expected: vaxtrace.MkDate(2021, 1, 25), Doses: 6000},
				{ID: "T2021-02", Expected: vaxtrace.MkDate(2021, 2, 26), Doses: 112000},
				{ID: "T2021-03", Expected: vaxtrace.MkDate(2021, 3, 31), Doses: 150000},
				{ID: "T2021-04", Expected: vaxtrace.MkDate(2021, 4, 30), Doses: 600000},
				{ID: "T2021-05", Expected: vaxtrace.MkDate(2021, 5, 31), Doses: 600000},
				{ID: "T2021-06", Expected: vaxtrace.MkDate(2021, 6, 30), Doses: 532000},
			}},
		{ID: "AG-RDIF-2021-01", Supplier: "RDIF / Gamaleya Centre (Russia)", Product: "sputnik-v", Doses: 100000, Signed: vaxtrace.MkDate(2021, 1, 15),
			Note: "initial import of Sputnik V from Russia",
			Tranches: []vaxtrace.Tranche{
				{ID: "T1", Expected: vaxtrace.MkDate(2021, 1, 31), Doses: 22000},
				{ID: "T2", Expected: vaxtrace.MkDate(2021, 2, 15), Doses: 10000},
				{ID: "T3", Expected: vaxtrace.MkDate(2021, 3, 10), Doses: 30000},
				{ID: "T4", Expected: vaxtrace.MkDate(2021, 4, 15), Doses: 38000},
			}},
		{ID: "AG-RDIF-2021-03-ADD", Supplier: "RDIF / Gamaleya Centre (Russia)", Product: "sputnik-v", Doses: 2000000, Signed: vaxtrace.MkDate(2021, 3, 19),
			Note: "additional-supply agreement, March 2021",
			Tranches: []vaxtrace.Tranche{
				{ID: "T1", Expected: vaxtrace.MkDate(2021, 4, 15), Doses: 500000},
				{ID: "T2", Expected: vaxtrace.MkDate(2021, 5, 15), Doses: 750000},
				{ID: "T3", Expected: vaxtrace.MkDate(2021, 6, 15), Doses: 750000},
			}},
	}
	for _, a := range ags {
		if err := b.submit(cmd("agreement:"+a.ID, morning(a.Signed, 6), vaxtrace.AgreementSigned{Agreement: a})); err != nil {
			return err
		}
	}
	targets := []vaxtrace.Target{
		{ID: "T-2021-6M", From: vaxtrace.MkDate(2021, 2, 1), To: vaxtrace.MkDate(2021, 12, 31), Measure: vaxtrace.MeasureFirst, Group: "adults", Value: 6000000, Note: "vaccinate ~6M people in 2021 (stated 2021-01-19)"},
		{ID: "T-2021-04-1M", From: vaxtrace.MkDate(2021, 4, 1), To: vaxtrace.MkDate(2021, 4, 30), Measure: vaxtrace.MeasureFirst, Value: 1000000, Note: "up to 1 million people in April 2021 (stated 2021-03-19)"},
	}
	for _, t := range targets {
		if err := b.submit(cmd("target:"+t.ID, at, vaxtrace.TargetSet{Target: t})); err != nil {
			return err
		}
	}
	return nil
}

func (b *builder) registerLotAndReceive(r receipt) error {
	origin := vaxtrace.OriginDomestic
	manuf := "Karaganda Pharmaceutical Complex"
	if r.place == "NW-SKP" {
		origin, manuf = vaxtrace.OriginImport, "N.F. Gamaleya National Research Centre"
	}
	rec := morning(r.day, 4)
	lot := vaxtrace.Lot{ID: r.lot, Product: "sputnik-v", Component: r.component, Manufacturer: manuf, Manufactured: r.mfg, Expiry: r.mfg.AddDays(182), Origin: origin, Agreement: r.agreement, Tranche: r.tranche, DosesPerVial: 5}
	cmds := []engine.Command{
		cmd("lot:"+r.lot, rec, vaxtrace.LotRegistered{Lot: lot}),
		cmd("receipt:"+r.lot, rec, vaxtrace.StockReceived{Receipt: "GRN-" + r.lot, Place: r.place, Lot: r.lot, Doses: r.doses, Agreement: r.agreement, Tranche: r.tranche, Occurred: rec}),
	}
	if r.released {
		cmds = append(cmds, cmd("release:"+r.lot, rec.Add(time.Hour), vaxtrace.LotReleased{Lot: r.lot, Occurred: r.day}))
	}
	return b.submit(cmds...)
}

// uptake weights regions' shares of the national series beyond their
// population: the cities started faster (on 15 April 2021 Almaty had 107,150
// first doses and Nur-Sultan 43,457 against Turkistan's 39,552) and
// Mangystau was reported lowest. An assumption shaped by those snapshots.
var uptake = map[string]float64{"KZ-ALA": 1.7, "KZ-AST": 1.3, "KZ-SHY": 1.05, "KZ-KAR": 1.1, "KZ-PAV": 1.05, "KZ-VOS": 1.0, "KZ-MAN": 0.55, "KZ-YUZ": 0.65, "KZ-ALM": 0.85, "KZ-ATY": 0.8, "KZ-ZHA": 0.85, "KZ-KZY": 0.9}

func weight(r vaxtrace.Region) float64 {
	w := uptake[r.Code]
	if w == 0 {
		w = 1
	}
	return w * float64(r.Population)
}

// planDoses spreads the national series over regions (by population weighted
// by uptake) and plans second doses 21..23 days after the first.
func (b *builder) planDoses() {
	var totalPop float64
	for _, r := range b.regions {
		totalPop += weight(r)
	}
	cumRegion := make([]int, len(b.regions))
	for d := Start; d <= AsOf; d++ {
		target := cumFirst(d)
		for i, r := range b.regions {
			want := int(math.Round(target * weight(r) / totalPop))
			for cumRegion[i] < want {
				cumRegion[i]++
				idx := len(b.people)
				b.people = append(b.people, personPlan{region: i})
				b.doses[d] = append(b.doses[d], plannedDose{day: d, region: i, person: idx, number: 1, component: "I"})
				if b.rng.Float64() < b.opt.SecondShare {
					d2 := d.AddDays(21 + b.rng.IntN(3))
					if d2 <= AsOf {
						b.doses[d2] = append(b.doses[d2], plannedDose{day: d2, region: i, person: idx, number: 2, component: "II"})
					}
				}
			}
		}
	}
}

// national shipment days; the 16 March one tops deliveries up to 145,000 by
// 19 March; the 20 March one is received on the 21st; the 22 March one is
// still in transit at the end of the scenario.
var shipDays = []vaxtrace.Date{
	vaxtrace.MkDate(2021, 1, 31), vaxtrace.MkDate(2021, 2, 8), vaxtrace.MkDate(2021, 2, 15), vaxtrace.MkDate(2021, 2, 22),
	vaxtrace.MkDate(2021, 2, 27), vaxtrace.MkDate(2021, 3, 3), vaxtrace.MkDate(2021, 3, 8), vaxtrace.MkDate(2021, 3, 12),
	vaxtrace.MkDate(2021, 3, 16), vaxtrace.MkDate(2021, 3, 20), vaxtrace.MkDate(2021, 3, 22),
}

// fixed national shipment totals by component on some days.
var fixedTotals = map[vaxtrace.Date][2]int64{
	vaxtrace.MkDate(2021, 3, 20): {10000, 10000},
	vaxtrace.MkDate(2021, 3, 22): {30000, 30000},
}

// Delivered by 19 March, by component, totalling 145,000.
var deliveredBy19 = [2]int64{105000, 40000}

func compIdx(c string) int {
	if c == "II" {
		return 1
	}
	return 0
}

// demand returns per region and component the doses planned up to and including day d.
func (b *builder) demand(upTo vaxtrace.Date) [][2]int64 {
	out := make([][2]int64, len(b.regions))
	for d := Start; d <= upTo && d <= AsOf; d++ {
		for _, pd := range b.doses[d] {
			out[pd.region][compIdx(pd.component)]++
		}
	}
	return out
}

func (b *builder) nationalPlan() map[vaxtrace.Date][][2]int64 {
	plan := map[vaxtrace.Date][][2]int64{}
	shipped := make([][2]int64, len(b.regions))
	var pop float64
	for _, r := range b.regions {
		pop += float64(r.Population)
	}
	for k, day := range shipDays {
		q := make([][2]int64, len(b.regions))
		if tot, ok := fixedTotals[day]; ok {
			for c := 0; c < 2; c++ {
				var done int64
				for i, r := range b.regions {
					n := int64(math.Floor(float64(tot[c])*float64(r.Population)/pop/100)) * 100
					q[i][c] = n
					done += n
				}
				q[0][c] += tot[c] - done
			}
		} else {
			horizon := AsOf
			if k+1 < len(shipDays) {
				horizon = shipDays[k+1]
			}
			dem := b.demand(horizon)
			for i := range b.regions {
				for c := 0; c < 2; c++ {
					need := dem[i][c] - shipped[i][c]
					if need > 0 {
						q[i][c] = (need + 99) / 100 * 100
					}
				}
			}
			if day == vaxtrace.MkDate(2021, 3, 16) { // top up to the published total
				for c := 0; c < 2; c++ {
					var sum int64
					for i := range b.regions {
						sum += shipped[i][c] + q[i][c]
					}
					extra := deliveredBy19[c] - sum
					if extra < 0 {
						panic(fmt.Sprintf("scenario: demand exceeds the published deliveries (component %d by %d)", c, -extra))
					}
					var done int64
					for i, r := range b.regions {
						n := int64(math.Floor(float64(extra)*float64(r.Population)/pop/100)) * 100
						q[i][c] += n
						done += n
					}
					q[0][c] += extra - done
				}
			}
		}
		for i := range q {
			shipped[i][0] += q[i][0]
			shipped[i][1] += q[i][1]
		}
		plan[day] = q
	}
	return plan
}

func (b *builder) id(prefix string) string {
	b.seq++
	return fmt.Sprintf("%s-%06d", prefix, b.seq)
}

// dispatchNational sends n doses of component c to region i, from NW-SKP first then NW-KPC.
func (b *builder) dispatchNational(day vaxtrace.Date, i int, c string, n int64, receive bool) error {
	to := "RW-" + regionSuffix(b.regions[i].Code)
	at := morning(day, 3)
	for _, from := range []string{"NW-SKP", "NW-KPC"} {
		if n == 0 {
			break
		}
		var avail int64
		b.eng.Read(func(s *vaxtrace.State) {
			pl := s.Place(from)
			_, avail = s.PickFEFO(pl, "sputnik-v", c, n, day)
		})
		take := min(avail, n)
		if take == 0 {
			continue
		}
		sid := fmt.Sprintf("SH-%s-%s-%s-%s", day, from[3:], regionSuffix(b.regions[i].Code), c)
		cmds := []engine.Command{cmd("shipment:"+sid, at, vaxtrace.ShipmentDispatched{Shipment: sid, From: from, To: to, Occurred: at, Product: "sputnik-v", Component: c, Doses: take})}
		if receive {
			arr := at.Add(time.Duration(8+i%5) * time.Hour)
			cmds = append(cmds, cmd("receive:"+sid, arr, vaxtrace.ShipmentReceived{Shipment: sid, Occurred: arr}))
		}
		if err := b.submit(cmds...); err != nil {
			return err
		}
		n -= take
	}
	if n > 0 {
		return fmt.Errorf("scenario: national stock short by %d doses of component %s on %s", n, c, day)
	}
	return nil
}

func (b *builder) run() error {
	plan := b.nationalPlan()
	ri := 0
	names := []struct{ fam, giv string }{{"Akhmetov", "Nurlan"}, {"Ivanova", "Olga"}, {"Seitkali", "Aigerim"}, {"Nurpeisov", "Daulet"}, {"Kim", "Elena"}, {"Omarova", "Saule"}, {"Petrov", "Sergei"}, {"Zhaksybekov", "Yerlan"}, {"Bekova", "Dana"}, {"Tulegenov", "Askar"}}
	groups := []string{"health_worker", "health_worker", "health_worker", "health_worker", "health_worker", "health_worker", "teacher", "teacher", "police", "other"}
	for d := Start; d <= AsOf; d++ {
		for ri < len(receipts) && receipts[ri].day <= d {
			if err := b.registerLotAndReceive(receipts[ri]); err != nil {
				return err
			}
			ri++
		}
		if q, ok := plan[d]; ok {
			receive := d < AsOf
			for i := range b.regions {
				for c, comp := range []string{"I", "II"} {
					if q[i][c] > 0 {
						if err := b.dispatchNational(d, i, comp, q[i][c], receive); err != nil {
							return err
						}
					}
				}
			}
		}
		// people and doses of the day, point by point
		todays := b.doses[d]
		var cmds []engine.Command
		need := map[[2]string]int64{}
		type item struct {
			pd    plannedDose
			point string
		}
		var items []item
		for _, pd := range todays {
			pp := &b.people[pd.person]
			if pd.number == 1 {
				r := b.regions[pd.region]
				pp.point = b.points[pd.region][b.nextPt[pd.region]%len(b.points[pd.region])]
				b.nextPt[pd.region]++
				iin := b.iin(d)
				id, sealed, err := b.keys.Person(iin)
				if err != nil {
					return err
				}
				pp.id = id
				nm := names[pd.person%len(names)]
				birth := vaxtrace.MkDate(1950+b.rng.IntN(50), time.Month(1+b.rng.IntN(12)), 1+b.rng.IntN(28))
				sex := vaxtrace.SexMale
				if pd.person%2 == 1 {
					sex = vaxtrace.SexFemale
				}
				rec := morning(d, 2)
				cmds = append(cmds, cmd("person:"+id.String(), rec, vaxtrace.PersonRegistered{Person: vaxtrace.Person{ID: id, IINSealed: sealed, Family: nm.fam, Given: nm.giv, BirthDate: birth, Sex: sex, Region: r.Code, Group: groups[pd.person%len(groups)]}}))
			}
			need[[2]string{pp.point, pd.component}]++
			items = append(items, item{pd, pp.point})
		}
		if err := b.submit(cmds...); err != nil {
			return err
		}
		if err := b.stockPoints(d, need); err != nil {
			return err
		}
		cmds = cmds[:0]
		// pick lots first-expiry-first-out for the whole day, point by point
		picks := map[[2]string][]string{}
		for k, n := range need {
			b.eng.Read(func(s *vaxtrace.State) {
				lines, _ := s.PickFEFO(s.Place(k[0]), "sputnik-v", k[1], n, d)
				for _, ln := range lines {
					for j := int64(0); j < ln.Doses; j++ {
						picks[k] = append(picks[k], ln.Lot)
					}
				}
			})
		}
		for _, it := range items {
			pp := &b.people[it.pd.person]
			at := morning(d, 3+b.rng.IntN(8)).Add(time.Duration(b.rng.IntN(60)) * time.Minute)
			rec := at.Add(time.Duration(5+b.rng.IntN(120)) * time.Minute)
			if b.rng.Float64() < b.opt.LateShare {
				late := rec.AddDate(0, 0, 1+b.rng.IntN(7))
				if vaxtrace.DateOf(late) <= AsOf {
					rec = late
				}
			}
			k := [2]string{it.point, it.pd.component}
			if len(picks[k]) == 0 {
				return fmt.Errorf("scenario: no component %s at %s on %s", it.pd.component, it.point, d)
			}
			lot := picks[k][0]
			picks[k] = picks[k][1:]
			doseID := fmt.Sprintf("D-%s-%07d-%d", regionSuffix(b.regions[it.pd.region].Code), it.pd.person, it.pd.number)
			cmds = append(cmds, cmd("dose:"+doseID, rec, vaxtrace.DoseAdministered{ID: doseID, Person: pp.id, At: at, Place: it.point, Lot: lot, Vaccinator: fmt.Sprintf("nurse-%s-%d", it.point, 1+it.pd.person%3)}))
		}
		if err := b.submit(cmds...); err != nil {
			return err
		}
		if d == AsOf.AddDays(-1) {
			if err := b.distributeToPoints(d); err != nil {
				return err
			}
		}
	}
	return nil
}

// distributeToPoints sends half of each regional warehouse's released stock
// out to its points, evenly (the weekly distribution after the 20 March
// delivery), so that points hold stock at the end of the scenario.
func (b *builder) distributeToPoints(d vaxtrace.Date) error {
	var cmds []engine.Command
	at := morning(d, 12)
	for i, r := range b.regions {
		rw := "RW-" + regionSuffix(r.Code)
		for _, comp := range []string{"I", "II"} {
			var avail int64
			b.eng.Read(func(s *vaxtrace.State) { _, avail = s.PickFEFO(s.Place(rw), "sputnik-v", comp, 1<<40, d) })
			per := avail / 2 / int64(len(b.points[i]))
			if per == 0 {
				continue
			}
			for _, pt := range b.points[i] {
				sid := fmt.Sprintf("RD-%s-%s-%s", d, pt, comp)
				cmds = append(cmds,
					cmd("shipment:"+sid, at, vaxtrace.ShipmentDispatched{Shipment: sid, From: rw, To: pt, Occurred: at, Product: "sputnik-v", Component: comp, Doses: per}),
					cmd("receive:"+sid, at.Add(2*time.Hour), vaxtrace.ShipmentReceived{Shipment: sid, Occurred: at.Add(2 * time.Hour)}))
			}
		}
	}
	return b.submit(cmds...)
}

// stockPoints makes sure each point has today's doses of each component,
// shipping a week's worth from its regional warehouse when it runs short.
func (b *builder) stockPoints(d vaxtrace.Date, need map[[2]string]int64) error {
	keys := make([][2]string, 0, len(need))
	for k := range need {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i][0] != keys[j][0] {
			return keys[i][0] < keys[j][0]
		}
		return keys[i][1] < keys[j][1]
	})
	var cmds []engine.Command
	left := map[[2]string]int64{}
	for _, k := range keys {
		point, comp := k[0], k[1]
		var have, atRegion int64
		var rw string
		b.eng.Read(func(s *vaxtrace.State) {
			pl := s.Place(point)
			rw = pl.Parent
			_, have = s.PickFEFO(pl, "sputnik-v", comp, 1<<40, d)
			_, atRegion = s.PickFEFO(s.Place(rw), "sputnik-v", comp, 1<<40, d)
		})
		if v, ok := left[[2]string{rw, comp}]; ok {
			atRegion = v
		}
		if have >= need[k] {
			continue
		}
		want := need[k] - have
		if want > atRegion {
			want = atRegion
		}
		if want < need[k]-have {
			return fmt.Errorf("scenario: region warehouse %s has %d of component %s, point %s needs %d on %s", rw, atRegion, comp, point, need[k]-have, d)
		}
		left[[2]string{rw, comp}] = atRegion - want
		at := morning(d, 1)
		sid := fmt.Sprintf("RS-%s-%s-%s", d, point, comp)
		cmds = append(cmds,
			cmd("shipment:"+sid, at, vaxtrace.ShipmentDispatched{Shipment: sid, From: rw, To: point, Occurred: at, Product: "sputnik-v", Component: comp, Doses: want}),
			cmd("receive:"+sid, at.Add(90*time.Minute), vaxtrace.ShipmentReceived{Shipment: sid, Occurred: at.Add(90 * time.Minute)}),
		)
	}
	return b.submit(cmds...)
}

// iin makes a valid, unique IIN for an adult.
func (b *builder) iin(d vaxtrace.Date) string {
	for {
		y := 1950 + b.rng.IntN(52)
		m := 1 + b.rng.IntN(12)
		dd := 1 + b.rng.IntN(28)
		cent := 3 + b.rng.IntN(2)
		if y >= 2000 {
			cent += 2
		}
		key := fmt.Sprintf("%02d%02d%02d%d", y%100, m, dd, cent)
		b.serial[key]++
		if b.serial[key] > 9999 {
			continue
		}
		if s, ok := vaxtrace.CompleteIIN(fmt.Sprintf("%s%04d", key, b.serial[key])); ok {
			return s
		}
	}
}
