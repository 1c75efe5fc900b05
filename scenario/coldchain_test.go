package scenario_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"vaxtrace"
	"vaxtrace/engine"
	"vaxtrace/scenario"
)

// checkColdChainDemo checks the cold chain of the March 2021 demo: the
// equipment, the readings, the one power-cut alarm quarantining exactly
// the Sputnik V in VP-KAR-02's freezer, the VVM write-off and the
// requisitions.
func checkColdChainDemo(t *testing.T, eng *engine.Engine) {
	t.Helper()
	rs := eng.Journal().(vaxtrace.ReadingStore)
	n, err := rs.ReadingCount(context.Background())
	if err != nil || n < 30000 {
		t.Errorf("%d readings stored (%v)", n, err)
	}
	eng.Read(func(s *vaxtrace.State) {
		if got := len(s.AllEquipment()); got < 2*len(s.Places("", vaxtrace.PlacePoint)) {
			t.Errorf("%d pieces of equipment", got)
		}
		alarms := s.Alarms("", false)
		if len(alarms) != 1 {
			t.Fatalf("alarms %d, want the one power cut", len(alarms))
		}
		a := alarms[0]
		if a.Place != scenario.ExcursionPoint || a.AlarmKind != vaxtrace.AlarmHeat || !a.Acknowledged || !a.Cleared || a.Excursion == "" {
			t.Errorf("the power-cut alarm: %+v", a)
		}
		if !a.Detected.Equal(time.Date(2021, 3, 22, 14, 0, 0, 0, time.UTC)) {
			t.Errorf("detected at %v", a.Detected)
		}
		st, _ := s.PlaceStock(scenario.ExcursionPoint)
		for _, l := range st {
			if l.Held != a.Excursion {
				t.Errorf("lot %s at %s not held by %s", l.Lot, scenario.ExcursionPoint, a.Excursion)
			}
		}
		other, _ := s.PlaceStock("VP-KAR-03")
		for _, l := range other {
			if l.Held != "" {
				t.Errorf("lot %s held at VP-KAR-03", l.Lot)
			}
		}
		var vvmOff int64
		for _, v := range s.VVMLog("") {
			vvmOff += v.WrittenOff
		}
		if vvmOff != 5 {
			t.Errorf("VVM write-offs %d, want one vial", vvmOff)
		}
		want := map[string]string{"RQ-VP-AKM-01-0322": vaxtrace.ReqReceived, "RQ-VP-AKM-02-0322": vaxtrace.ReqSubmitted, "RQ-RW-KAR-0322": vaxtrace.ReqRejected}
		for id, st := range want {
			r := s.Requisition(id)
			if r == nil || s.RequisitionStatus(r) != st {
				t.Errorf("requisition %s: %v", id, r)
			}
		}
		for _, e := range s.AllEquipment() {
			if strings.HasPrefix(e.Place, "RW-ALA") && len(s.LotsInEquipment(e.ID)) == 0 && e.Frozen() {
				t.Errorf("Almaty's freezer room %s holds nothing", e.ID)
			}
		}
	})
}
