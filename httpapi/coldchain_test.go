package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"vaxtrace"
)

// coldChainSeed adds a freezer (device RTM-P1) and a refrigerator at
// AKM-P1 and a submitted requisition RQ-1 from AKM-P1.
func (f *fixture) coldChainSeed() {
	f.t.Helper()
	occ := at("2021-02-01T09:00:00Z")
	f.must(
		vaxtrace.EquipmentDefined{Equipment: vaxtrace.Equipment{ID: "AKM-P1-FRZ", Place: "AKM-P1", Type: vaxtrace.EquipFreezer, PQS: "E003/070", MinC: -25, MaxC: -18, NetLitres: 60, Status: vaxtrace.StatusWorking, Device: "RTM-P1"}, Occurred: occ},
		vaxtrace.EquipmentDefined{Equipment: vaxtrace.Equipment{ID: "AKM-P1-FRG", Place: "AKM-P1", Type: vaxtrace.EquipRefrigerator, PQS: "E003/045", MinC: 2, MaxC: 8, NetLitres: 40, Status: vaxtrace.StatusWorking, Device: "RTM-P1F"}, Occurred: occ},
		vaxtrace.RequisitionCreated{Requisition: "RQ-1", Place: "AKM-P1", Lines: []vaxtrace.RequisitionLine{{Product: "sputnik-v", Component: "I", Doses: 300}}, Occurred: occ},
	)
}

func (f *fixture) ok(r resp, status int) map[string]any {
	f.t.Helper()
	if r.Status != status {
		f.t.Fatalf("status %d, want %d: %s", r.Status, status, r.Body)
	}
	return r.json(f.t)
}

func (f *fixture) refused(r resp, status int, field string) {
	f.t.Helper()
	if r.Status != status {
		f.t.Fatalf("status %d, want %d: %s", r.Status, status, r.Body)
	}
	if field != "" {
		if _, got := r.errInfo(f.t); got != field {
			f.t.Fatalf("error field %q, want %q: %s", got, field, r.Body)
		}
	}
}

func reqStatus(t *testing.T, m map[string]any) string {
	t.Helper()
	if rq, ok := m["requisition"].(map[string]any); ok {
		m = rq
	}
	s, _ := m["status"].(string)
	return s
}

// A requisition through the API, from creation at the point to the
// shipment received there; approval by anyone outside the supplying
// region is refused.
func TestRequisitionThroughTheAPI(t *testing.T) {
	f := newFixture(t)
	f.coldChainSeed()
	created := f.ok(f.do("POST", "/api/v1/requisitions", "p1", map[string]any{"requisition": "RQ-2", "place": "AKM-P1", "occurred": "2021-02-01T10:00:00Z", "lines": []map[string]any{{"product": "sputnik-v", "component": "II", "doses": 200}}}), http.StatusCreated)
	if reqStatus(t, created) != vaxtrace.ReqSubmitted {
		t.Fatalf("created: %v", created)
	}
	f.refused(f.do("POST", "/api/v1/requisitions", "p1", map[string]any{"place": "AKM-P1", "lines": []map[string]any{{"product": "qazvac", "doses": 10}}}), http.StatusBadRequest, "lines[0].product")
	f.refused(f.do("POST", "/api/v1/requisitions", "p1", map[string]any{"place": "AKM-P1", "lines": []map[string]any{{"product": "sputnik-v", "component": "II", "doses": -3}}}), http.StatusBadRequest, "lines[0].doses")
	f.refused(f.do("POST", "/api/v1/requisitions", "p1", map[string]any{"place": "AKM-P2", "lines": []map[string]any{{"product": "sputnik-v", "component": "I", "doses": 10}}}), http.StatusForbidden, "")

	// approval belongs to the Akmola region (or the nation), never the point or Almaty
	f.refused(f.do("POST", "/api/v1/requisitions/RQ-2/approve", "p1", nil), http.StatusForbidden, "")
	f.refused(f.do("POST", "/api/v1/requisitions/RQ-2/approve", "ala", nil), http.StatusNotFound, "id") // out of scope: as unknown
	f.refused(f.do("POST", "/api/v1/requisitions/RQ-2/edit", "akm", map[string]any{"lines": []map[string]any{{"product": "sputnik-v", "component": "II", "doses": 150}}}), http.StatusBadRequest, "reason")
	f.ok(f.do("POST", "/api/v1/requisitions/RQ-2/edit", "akm", map[string]any{"lines": []map[string]any{{"product": "sputnik-v", "component": "II", "doses": 150}}, "reason": "half this week"}), http.StatusOK)
	approved := f.ok(f.do("POST", "/api/v1/requisitions/RQ-2/approve", "akm", map[string]any{"note": "ok"}), http.StatusOK)
	// another region learns nothing of it, not even its status
	f.refused(f.do("POST", "/api/v1/requisitions/RQ-2/fulfil", "ala", map[string]any{"occurred": "2021-02-02T09:00:00Z"}), http.StatusNotFound, "id")
	if reqStatus(t, approved) != vaxtrace.ReqApproved {
		t.Fatalf("approved: %v", approved)
	}
	prop := approved["requisition"].(map[string]any)["fulfilment"].([]any)
	if len(prop) != 1 || prop[0].(map[string]any)["lot"] != "L2" || prop[0].(map[string]any)["doses"] != 150.0 {
		t.Fatalf("FEFO proposal %v", prop)
	}
	fulfilled := f.ok(f.do("POST", "/api/v1/requisitions/RQ-2/fulfil", "akm", map[string]any{"occurred": "2021-02-02T09:00:00Z"}), http.StatusOK)
	if reqStatus(t, fulfilled) != vaxtrace.ReqFulfilled {
		t.Fatalf("fulfilled: %v", fulfilled)
	}
	f.refused(f.do("POST", "/api/v1/requisitions/RQ-2/fulfil", "akm", nil), http.StatusConflict, "")
	f.ok(f.do("POST", "/api/v1/shipments/RQ-2-1/receive", "p1", map[string]any{"occurred": "2021-02-02T15:00:00Z"}), http.StatusOK)
	got := f.ok(f.do("GET", "/api/v1/requisitions/RQ-2", "p1", nil), http.StatusOK)
	if reqStatus(t, got) != vaxtrace.ReqReceived {
		t.Fatalf("after receipt: %v", got)
	}
	// the region sees the requisitions it supplies; Almaty sees none
	if l := f.ok(f.do("GET", "/api/v1/requisitions", "ala", nil), http.StatusOK)["requisitions"].([]any); len(l) != 0 {
		t.Fatalf("Almaty sees %v", l)
	}
	if l := f.ok(f.do("GET", "/api/v1/requisitions?status=received", "akm", nil), http.StatusOK)["requisitions"].([]any); len(l) != 1 {
		t.Fatalf("Akmola's received requisitions: %v", l)
	}
	// national rejects nothing of a point's: the rejection needs a reason
	f.refused(f.do("POST", "/api/v1/requisitions/RQ-1/reject", "akm", map[string]any{"reason": ""}), http.StatusBadRequest, "reason")
	f.ok(f.do("POST", "/api/v1/requisitions/RQ-1/reject", "akm", map[string]any{"reason": "component I goes to second doses this week"}), http.StatusOK)
}

func TestEquipmentThroughTheAPI(t *testing.T) {
	f := newFixture(t)
	f.coldChainSeed()
	fr := map[string]any{"equipment": map[string]any{"id": "P1-F2", "place": "AKM-P1", "type": "refrigerator", "pqs": "E003/045", "min_c": 2, "max_c": 8, "net_litres": 55, "status": "working"}}
	f.ok(f.do("POST", "/api/v1/equipment", "p1", fr), http.StatusCreated)
	bad := map[string]any{"equipment": map[string]any{"id": "P1-F3", "place": "AKM-P1", "type": "refrigerator", "min_c": 2, "max_c": 8, "net_litres": 0, "status": "working"}}
	f.refused(f.do("POST", "/api/v1/equipment", "p1", bad), http.StatusBadRequest, "equipment.net_litres")
	other := map[string]any{"equipment": map[string]any{"id": "P2-F1", "place": "AKM-P2", "type": "refrigerator", "min_c": 2, "max_c": 8, "net_litres": 40, "status": "working"}}
	f.refused(f.do("POST", "/api/v1/equipment", "p1", other), http.StatusForbidden, "")
	list := f.ok(f.do("GET", "/api/v1/equipment?place=AKM-P1", "akm", nil), http.StatusOK)["equipment"].([]any)
	if len(list) != 3 {
		t.Fatalf("equipment at AKM-P1: %v", list)
	}
	if l := f.ok(f.do("GET", "/api/v1/equipment", "ala", nil), http.StatusOK)["equipment"].([]any); len(l) != 0 {
		t.Fatalf("Almaty sees Akmola's equipment: %v", l)
	}
	// the freezer holds the point's Sputnik V (its only freezer)
	d := f.ok(f.do("GET", "/api/v1/equipment/AKM-P1-FRZ", "p1", nil), http.StatusOK)
	if held := d["lots_held"].([]any); len(held) != 2 {
		t.Fatalf("lots held: %v", held)
	}
	// a status change needs a reason
	chg := map[string]any{"equipment": map[string]any{"id": "AKM-P1-FRG", "place": "AKM-P1", "type": "refrigerator", "min_c": 2, "max_c": 8, "net_litres": 40, "status": "needs_repair", "device": "RTM-P1F"}}
	f.refused(f.do("POST", "/api/v1/equipment/AKM-P1-FRG/change", "p1", chg), http.StatusBadRequest, "reason")
	chg["reason"] = "door seal torn"
	f.ok(f.do("POST", "/api/v1/equipment/AKM-P1-FRG/change", "p1", chg), http.StatusOK)
	evm := f.ok(f.do("GET", "/api/v1/evm/equipment?region=KZ-AKM", "akm", nil), http.StatusOK)
	if st := evm["by_region"].(map[string]any)["KZ-AKM"].(map[string]any); st["needs_repair"] != 1.0 || st["working"] != 2.0 {
		t.Fatalf("status by region: %v", st)
	}
	// capacity, with Sputnik V at 5.41 cm³ a dose: a million doses would overfill the 60-litre freezer
	f.must(vaxtrace.ProductDefined{Product: vaxtrace.Product{Code: "sputnik-v", Name: "Sputnik V", Components: []vaxtrace.Component{{Code: "I"}, {Code: "II"}},
		SeriesDoses: 2, IntervalDays: 21, BoosterIntervalDays: 180, Presentations: []vaxtrace.Presentation{{DosesPerVial: 5, PackedCM3PerDose: 5.41}}, StorageMinC: -20, StorageMaxC: -18}})
	if c := f.ok(f.do("POST", "/api/v1/capacity/check", "p1", map[string]any{"place": "AKM-P1", "lines": []map[string]any{{"lot": "L1", "doses": 1000}}}), http.StatusOK); c["overfill"] != false {
		t.Fatalf("1,000 more doses overfill? %v", c)
	}
	c := f.ok(f.do("POST", "/api/v1/capacity/check", "p1", map[string]any{"place": "AKM-P1", "lines": []map[string]any{{"lot": "L1", "doses": 1000000}}}), http.StatusOK)
	if c["overfill"] != true {
		t.Fatalf("a million doses fit? %v", c)
	}
}

// A CSV of readings uploaded through the API is stored and judged; the
// chart endpoint returns it with compliance; the alarm is acknowledged
// with a comment; the EVM temperature report counts it.
func TestTemperatureThroughTheAPI(t *testing.T) {
	f := newFixture(t)
	f.coldChainSeed()
	var b strings.Builder
	b.WriteString("device,time,temperature_c\n")
	t0 := at("2021-03-01T00:00:00Z")
	for i := 0; i < 24*6; i++ { // a day at 10 minutes; 2 h above −18 from 10:00
		c := -20.0
		if i >= 60 && i < 72 {
			c = -15
		}
		fmt.Fprintf(&b, "RTM-P1,%s,%.1f\n", t0.Add(time.Duration(i)*10*time.Minute).Format(time.RFC3339), c)
	}
	b.WriteString("RTM-P1,2021-03-02T00:00:00Z,-95\n")
	rep := f.ok(f.do("POST", "/api/v1/temperature/import?name=p1.csv", "p1", b.String()), http.StatusOK)
	if rep["stored"] != 144.0 || rep["refused"] != 1.0 {
		t.Fatalf("import report: stored %v refused %v", rep["stored"], rep["refused"])
	}
	// not a recorder file
	f.refused(f.do("POST", "/api/v1/temperature/import", "p1", "hello"), http.StatusBadRequest, "body")
	// a device of another region's equipment
	f.refused(f.do("POST", "/api/v1/temperature/import", "ala", b.String()), http.StatusForbidden, "")

	ch := f.ok(f.do("GET", "/api/v1/equipment/AKM-P1-FRZ/readings", "p1", nil), http.StatusOK)
	if ch["count"] != 144.0 || len(ch["t"].([]any)) != 144 {
		t.Fatalf("chart: %v points", ch["count"])
	}
	comp := ch["compliance"].(map[string]any)
	if comp["heat_alarms"] != 1.0 || comp["hours_above"] != 2.0 {
		t.Fatalf("compliance %v", comp)
	}
	small := f.ok(f.do("GET", "/api/v1/equipment/AKM-P1-FRZ/readings?max_points=20", "p1", nil), http.StatusOK)
	if n := len(small["t"].([]any)); n > 20 || len(small["max"].([]any)) != n {
		t.Fatalf("downsampled to %d points", n)
	}
	alarms := f.ok(f.do("GET", "/api/v1/alarms?place=AKM-P1", "akm", nil), http.StatusOK)["alarms"].([]any)
	if len(alarms) != 1 {
		t.Fatalf("alarms %v", alarms)
	}
	a := alarms[0].(map[string]any)
	id := a["alarm"].(string)
	if a["excursion"] == "" || a["excursion"] == nil {
		t.Fatalf("no excursion opened: %v", a)
	}
	f.refused(f.do("POST", "/api/v1/alarms/"+id+"/acknowledge", "p1", map[string]any{"comment": ""}), http.StatusBadRequest, "comment")
	f.refused(f.do("POST", "/api/v1/alarms/"+id+"/acknowledge", "ala", map[string]any{"comment": "seen"}), http.StatusForbidden, "")
	f.ok(f.do("POST", "/api/v1/alarms/"+id+"/acknowledge", "p1", map[string]any{"comment": "power cut; generator started", "at": "2021-03-01T13:30:00Z"}), http.StatusOK)
	evm := f.ok(f.do("GET", "/api/v1/evm/temperature?month=2021-03&place=AKM-P1", "akm", nil), http.StatusOK)
	eqs := evm["equipment"].([]any)
	var frz map[string]any
	for _, e := range eqs {
		if e.(map[string]any)["equipment"] == "AKM-P1-FRZ" {
			frz = e.(map[string]any)
		}
	}
	if frz == nil || frz["heat_alarms"] != 1.0 || frz["median_response_minutes"] != 150.0 || frz["unacknowledged"] != 0.0 {
		t.Fatalf("EVM temperature: %v", frz)
	}
	tel := f.ok(f.do("GET", "/api/v1/telemetry", "akm", nil), http.StatusOK)
	if tel["readings_stored_total"] != 144.0 {
		t.Fatalf("telemetry %v", tel)
	}
}

func TestVVMAndEVMThroughTheAPI(t *testing.T) {
	f := newFixture(t)
	f.ok(f.do("POST", "/api/v1/vvm", "p1", map[string]any{"place": "AKM-P1", "lot": "L1", "stage": 3, "doses": 20, "context": "receipt", "shipment": "S2", "occurred": "2021-01-28T16:00:00Z"}), http.StatusCreated)
	f.refused(f.do("POST", "/api/v1/vvm", "p1", map[string]any{"place": "AKM-P1", "lot": "L1", "stage": 7, "context": "count", "occurred": "2021-01-28T16:00:00Z"}), http.StatusBadRequest, "stage")
	lots := f.ok(f.do("GET", "/api/v1/places/AKM-P1/stock", "p1", nil), http.StatusOK)["lots"].([]any)
	for _, l := range lots {
		if m := l.(map[string]any); m["lot"] == "L1" && m["doses"] != 480.0 {
			t.Fatalf("L1 at AKM-P1 after 20 doses at VVM stage 3: %v", m)
		}
	}
	arr := f.ok(f.do("GET", "/api/v1/evm/arrivals?from=2021-01-01&to=2021-02-01", "akm", nil), http.StatusOK)["arrivals"].([]any)
	var s2 map[string]any
	for _, a := range arr {
		if m := a.(map[string]any); m["document"] == "S2" && m["lot"] == "L1" {
			s2 = m
		}
		if a.(map[string]any)["to"] == "ALA-W" {
			t.Fatal("Akmola sees Almaty's arrivals")
		}
	}
	if s2 == nil || s2["vvm_failed"] != 20.0 || s2["vvm_stage"] != 3.0 || s2["received"] != 500.0 {
		t.Fatalf("arrival of S2/L1: %v", s2)
	}
	st := f.ok(f.do("GET", "/api/v1/evm/stock?region=KZ-AKM", "akm", nil), http.StatusOK)["lines"].([]any)
	for _, l := range st {
		if m := l.(map[string]any); m["place"] == "AKM-P1" {
			if m["wasted"] != 20.0 || m["received"] != 1000.0 || m["on_hand"] != 980.0 {
				t.Fatalf("stock and wastage at AKM-P1: %v", m)
			}
		}
	}
	lv := f.ok(f.do("GET", "/api/v1/replenishment?place=AKM-P1", "p1", nil), http.StatusOK)["levels"].([]any)
	if len(lv) != 2 {
		t.Fatalf("levels at AKM-P1: %v", lv)
	}
}

// BenchmarkTemperatureChart answers the chart of one device over 30 days
// of 10-minute readings (4,320 points) through the API, from a store that
// holds 30 days of 200 devices (864,000 readings). Goal ≤ 50 ms.
func BenchmarkTemperatureChart(b *testing.B) {
	t := &testing.T{}
	f := newFixture(t)
	f.t = t
	f.coldChainSeed()
	rs := f.j
	ctx := context.Background()
	start := at("2021-02-01T00:00:00Z")
	for d := 0; d < 200; d++ {
		dev := fmt.Sprintf("BULK-%03d", d)
		if d == 0 {
			dev = "RTM-P1"
		}
		batch := make([]vaxtrace.Reading, 0, 30*144)
		for i := 0; i < 30*144; i++ {
			c := -20 + float64(i%7)/10
			if d == 0 && i%1000 > 990 {
				c = -10
			}
			batch = append(batch, vaxtrace.Reading{Device: dev, At: start.Add(time.Duration(i) * 10 * time.Minute), C: c})
		}
		if _, err := rs.AppendReadings(ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
	secret := f.tokens["akm"]
	runtime.GC()
	b.ResetTimer()
	var ru0, ru1 syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	defer func() {
		_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
		cpu := ru1.Utime.Nano() + ru1.Stime.Nano() - ru0.Utime.Nano() - ru0.Stime.Nano()
		b.ReportMetric(float64(cpu)/float64(b.N)/1e6, "cpu-ms/op")
	}()
	for i := 0; i < b.N; i++ {
		req := httptest.NewRequest("GET", "/api/v1/equipment/AKM-P1-FRZ/readings?from=2021-02-01&to=2021-03-03", nil)
		req.Header.Set("Authorization", "Bearer "+secret)
		w := httptest.NewRecorder()
		f.srv.ServeHTTP(w, req)
		if w.Code != 200 || !strings.Contains(w.Body.String(), `"count":4320`) {
			b.Fatalf("%d %.200s", w.Code, w.Body.String())
		}
	}
}
