package httpapi

import (
	"context"
	"errors"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"vaxtrace"
	"vaxtrace/monitor"
	"vaxtrace/templog"
)

// coldChainRoutes are the routes of cold-chain equipment, temperatures,
// alarms, VVM, replenishment, requisitions and the EVM reports.
func (s *Server) coldChainRoutes() []route {
	qPlace := param{"place", "place id"}
	return []route{
		{Method: "GET", Path: "/api/v1/equipment", Access: member, Tag: "cold chain", Summary: "Cold-chain equipment in the caller's scope, with open alarms and volume used", Query: []param{qRegion, qPlace}, Resp: list("equipment", equipmentView{}), Fn: s.listEquipment},
		{Method: "POST", Path: "/api/v1/equipment", Access: writer, Tag: "cold chain", Summary: "Add a refrigerator, freezer or cold room to a place", Body: vaxtrace.EquipmentDefined{}, Status: http.StatusCreated, Fn: s.defineEquipment},
		{Method: "GET", Path: "/api/v1/equipment/{id}", Access: member, Tag: "cold chain", Summary: "A piece of equipment: its alarm rule, lots held, alarms, last reading", Resp: equipmentDetail{}, Fn: s.getEquipment},
		{Method: "POST", Path: "/api/v1/equipment/{id}/change", Access: writer, Tag: "cold chain", Summary: "Change equipment (status, device, volume…) with a reason", Body: vaxtrace.EquipmentChanged{}, Fn: s.changeEquipment},
		{Method: "GET", Path: "/api/v1/equipment/{id}/readings", Access: member, Tag: "cold chain", Summary: "Temperature history of a piece of equipment (default the 30 days up to its last reading) with compliance and alarms", Query: []param{{"from", "RFC 3339 or YYYY-MM-DD"}, {"to", "RFC 3339 or YYYY-MM-DD (exclusive)"}, {"max_points", "downsample (min and max per bucket) above this many points; default 5000"}}, Resp: readingsResponse{}, Fn: s.equipmentReadings},
		{Method: "POST", Path: "/api/v1/placements", Access: writer, Tag: "cold chain", Summary: "Record which equipment holds a lot at a place", Body: vaxtrace.StockPlaced{}, Status: http.StatusCreated, Fn: s.placeLot},
		{Method: "GET", Path: "/api/v1/places/{id}/capacity", Access: member, Tag: "cold chain", Summary: "Cold-chain volume of a place: net litres, used, on the way", Resp: vaxtrace.CapacityReport{}, Fn: s.placeCapacity},
		{Method: "POST", Path: "/api/v1/capacity/check", Access: member, Tag: "cold chain", Summary: "Would these lots or doses overfill a place's cold chain? (flag, not refusal)", Body: capacityCheck{}, Resp: vaxtrace.CapacityReport{}, Fn: s.checkCapacity},
		{Method: "GET", Path: "/api/v1/alarms", Access: member, Tag: "cold chain", Summary: "Temperature and silent-device alarms in scope, newest first", Query: []param{qRegion, qPlace, {"open", "true: only alarms not cleared"}, {"equipment", "equipment id"}}, Resp: list("alarms", vaxtrace.AlarmState{}), Fn: s.listAlarms},
		{Method: "POST", Path: "/api/v1/alarms/{id}/acknowledge", Access: writer, Tag: "cold chain", Summary: "Acknowledge an alarm with a comment", Body: ackRequest{}, Fn: s.acknowledgeAlarm},
		{Method: "POST", Path: "/api/v1/vvm", Access: writer, Tag: "cold chain", Summary: "Record a lot's VVM stage at receipt or count (stages 3 and 4 are written off)", Body: vaxtrace.VVMRecorded{}, Status: http.StatusCreated, Fn: s.recordVVM},
		{Method: "GET", Path: "/api/v1/vvm", Access: member, Tag: "cold chain", Summary: "VVM observations in scope", Query: []param{qPlace}, Resp: list("vvm", vaxtrace.VVMRecorded{}), Fn: s.listVVM},
		{Method: "POST", Path: "/api/v1/temperature/import", Access: writer, Tag: "cold chain", Summary: "Import a 30-day recorder file (Fridge-tag text export or CSV); per-row report", Query: []param{{"name", "file name, for the report"}, {"device", "device of a CSV without a device column"}, {"utc_offset", "zone of times without one, e.g. +06:00 (default UTC)"}}, Resp: monitor.ImportReport{}, Upload: true, Fn: s.importTemperature},
		{Method: "GET", Path: "/api/v1/telemetry", Access: member, Tag: "cold chain", Summary: "Temperature ingest counters: received, stored, refused by reason", Resp: telemetryView{}, Fn: s.telemetry},

		{Method: "GET", Path: "/api/v1/replenishment", Access: member, Tag: "replenishment", Summary: "Min, max, reorder level and weeks of supply per place and product component, with warnings", Query: []param{qRegion, qPlace, qAsOf, {"warning", "only lines with this warning (stock_out, below_min, reorder, over_stock) or any"}}, Resp: list("levels", vaxtrace.StockLevel{}, "as_of"), Fn: s.replenishment},
		{Method: "POST", Path: "/api/v1/replenishment/policies", Access: writer, Tag: "replenishment", Summary: "Set a place's replenishment policy (by its supplying level)", Body: vaxtrace.ReplenishmentPolicy{}, Status: http.StatusCreated, Fn: s.setPolicy},
		{Method: "GET", Path: "/api/v1/requisitions", Access: member, Tag: "replenishment", Summary: "Requisitions made or received in scope, newest first", Query: []param{qRegion, qPlace, {"status", "submitted, approved, rejected, partly_fulfilled, fulfilled or received"}}, Resp: list("requisitions", requisitionView{}), Fn: s.listRequisitions},
		{Method: "POST", Path: "/api/v1/requisitions", Access: writer, Tag: "replenishment", Summary: "Requisition from the supplying level, by hand or from stock levels (from_stock)", Body: vaxtrace.RequisitionCreated{}, Resp: requisitionView{}, Status: http.StatusCreated, Fn: s.createRequisition},
		{Method: "GET", Path: "/api/v1/requisitions/{id}", Access: member, Tag: "replenishment", Summary: "A requisition with its FEFO fulfilment proposal and capacity check", Resp: requisitionView{}, Fn: s.getRequisition},
		{Method: "POST", Path: "/api/v1/requisitions/{id}/edit", Access: writer, Tag: "replenishment", Summary: "Change the quantities under review (supplying level), with a reason", Body: editRequest{}, Resp: requisitionView{}, Fn: s.editRequisition},
		{Method: "POST", Path: "/api/v1/requisitions/{id}/approve", Access: writer, Tag: "replenishment", Summary: "Approve (supplying level)", Body: approveRequest{}, Resp: requisitionView{}, Fn: s.approveRequisition},
		{Method: "POST", Path: "/api/v1/requisitions/{id}/reject", Access: writer, Tag: "replenishment", Summary: "Reject with a reason (supplying level)", Body: reasonRequest{}, Resp: requisitionView{}, Fn: s.rejectRequisition},
		{Method: "POST", Path: "/api/v1/requisitions/{id}/fulfil", Access: writer, Tag: "replenishment", Summary: "Ship what is approved, lots picked first-expiry-first-out", Body: fulfilRequest{}, Resp: requisitionView{}, Fn: s.fulfilRequisition},

		{Method: "GET", Path: "/api/v1/evm/arrivals", Access: member, Tag: "EVM", Summary: "Vaccine arrival reports: deliveries into the country and shipments received", Query: []param{qRegion, {"from", "first day"}, {"to", "last day"}}, Resp: list("arrivals", vaxtrace.ArrivalLine{}, "from", "to"), Fn: s.evmArrivals},
		{Method: "GET", Path: "/api/v1/evm/temperature", Access: member, Tag: "EVM", Summary: "Temperature compliance per equipment and month: time in range, alarms, response time", Query: []param{qRegion, qPlace, {"month", "YYYY-MM (default the month of the latest reading day)"}}, Resp: list("equipment", vaxtrace.Compliance{}, "month"), Fn: s.evmTemperature},
		{Method: "GET", Path: "/api/v1/evm/stock", Access: member, Tag: "EVM", Summary: "Stock and wastage by place and product (WHO wastage rate)", Query: []param{qRegion, qAsOf}, Resp: list("lines", vaxtrace.WastageLine{}, "as_of"), Fn: s.evmStock},
		{Method: "GET", Path: "/api/v1/evm/equipment", Access: member, Tag: "EVM", Summary: "Equipment inventory and status by place", Query: []param{qRegion}, Resp: evmEquipment{}, Fn: s.evmEquipment},
	}
}

func (s *Server) readings() (vaxtrace.ReadingStore, error) {
	rs, ok := s.eng.Journal().(vaxtrace.ReadingStore)
	if !ok {
		return nil, vaxtrace.Errorf(vaxtrace.EUNAVAILABLE, "this store keeps no temperature readings")
	}
	return rs, nil
}

// inScope filters places for a reader: region and place query parameters
// within what the principal may read.
func inScope(p vaxtrace.Principal, st *vaxtrace.State, r *http.Request) func(*vaxtrace.PlaceState) bool {
	region, place := r.URL.Query().Get("region"), r.URL.Query().Get("place")
	return func(pl *vaxtrace.PlaceState) bool {
		return (region == "" || pl.Region == region) && (place == "" || pl.ID == place) && p.CanReadPlace(st, pl.ID)
	}
}

func (s *Server) now() time.Time { return s.opts.Now().UTC() }

func orNow(t time.Time, now time.Time) time.Time {
	if t.IsZero() {
		return now
	}
	return t
}

// ---- equipment

type equipmentView struct {
	vaxtrace.EquipmentState
	Region     string  `json:"region,omitempty"`
	OpenAlarms int     `json:"open_alarms"`
	Lots       int     `json:"lots"`
	Doses      int64   `json:"doses"`
	UsedLitres float64 `json:"used_litres"`
}

func (s *Server) viewEquipment(st *vaxtrace.State, e *vaxtrace.EquipmentState) equipmentView {
	v := equipmentView{EquipmentState: *e, OpenAlarms: len(st.OpenAlarms(e.ID))}
	if pl := st.Place(e.Place); pl != nil {
		v.Region = pl.Region
	}
	for _, l := range st.LotsInEquipment(e.ID) {
		v.Lots++
		v.Doses += l.Doses
		if p := st.Product(l.Product); p != nil {
			per := 0
			if lot := st.Lot(l.Lot); lot != nil {
				per = lot.DosesPerVial
			}
			cm3, _ := p.PackedCM3(per)
			v.UsedLitres += float64(l.Doses) * cm3 / 1000
		}
	}
	v.UsedLitres = float64(int64(v.UsedLitres*100+0.5)) / 100
	return v
}

func (s *Server) listEquipment(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	var out []equipmentView
	_ = s.read(func(st *vaxtrace.State) error {
		keep := inScope(p, st, r)
		for _, e := range st.AllEquipment() {
			if pl := st.Place(e.Place); pl != nil && keep(pl) {
				out = append(out, s.viewEquipment(st, e))
			}
		}
		return nil
	})
	writeJSON(w, http.StatusOK, map[string]any{"equipment": nonNil(out)})
	return nil
}

func (s *Server) defineEquipment(w http.ResponseWriter, r *http.Request) error {
	var q vaxtrace.EquipmentDefined
	if err := s.decode(w, r, &q); err != nil {
		return err
	}
	q.Occurred = orNow(q.Occurred, s.now())
	return s.write(w, r, http.StatusCreated, "equipment:"+q.Equipment.ID, q)
}

func (s *Server) changeEquipment(w http.ResponseWriter, r *http.Request) error {
	var q vaxtrace.EquipmentChanged
	if err := s.decode(w, r, &q); err != nil {
		return err
	}
	if q.Equipment.ID == "" {
		q.Equipment.ID = r.PathValue("id")
	}
	if q.Equipment.ID != r.PathValue("id") {
		return vaxtrace.FieldError("equipment.id", "is %q, the URL says %q", q.Equipment.ID, r.PathValue("id"))
	}
	q.Occurred = orNow(q.Occurred, s.now())
	// equipment of another scope is answered as Decide answers an unknown id
	if err := s.read(func(st *vaxtrace.State) error {
		if e := st.Equipment(q.Equipment.ID); e != nil && !principal(r).CanReadPlace(st, e.Place) {
			return vaxtrace.NotFound("equipment.id", "unknown equipment %q", q.Equipment.ID)
		}
		return nil
	}); err != nil {
		return err
	}
	return s.write(w, r, http.StatusOK, "", q)
}

type equipmentDetail struct {
	equipmentView
	Rule     vaxtrace.AlarmRule      `json:"rule"`
	Held     []vaxtrace.LotQty       `json:"lots_held"`
	Alarms   []*vaxtrace.AlarmState  `json:"alarms"`
	Last     *readingPoint           `json:"last_reading,omitempty"`
	Capacity vaxtrace.CapacityReport `json:"place_capacity"`
}

type readingPoint struct {
	At time.Time `json:"at"`
	C  float64   `json:"c"`
}

func (s *Server) equipmentFor(r *http.Request, st *vaxtrace.State) (*vaxtrace.EquipmentState, error) {
	// equipment out of the caller's scope is answered as unknown: the
	// answer does not tell whether an id exists elsewhere
	e := st.Equipment(r.PathValue("id"))
	if e == nil || !principal(r).CanReadPlace(st, e.Place) {
		return nil, vaxtrace.NotFound("id", "unknown equipment %q", r.PathValue("id"))
	}
	return e, nil
}

func (s *Server) getEquipment(w http.ResponseWriter, r *http.Request) error {
	var d equipmentDetail
	var device string
	err := s.read(func(st *vaxtrace.State) error {
		e, err := s.equipmentFor(r, st)
		if err != nil {
			return err
		}
		d.equipmentView = s.viewEquipment(st, e)
		d.Rule = vaxtrace.AlarmRuleFor(&e.Equipment)
		d.Held = nonNil(st.LotsInEquipment(e.ID))
		d.Alarms = nonNil(copyAlarms(st.Alarms(e.ID, false)))
		d.Capacity, _ = st.Capacity(e.Place, nil)
		device = e.Device
		return nil
	})
	if err != nil {
		return err
	}
	if device != "" {
		if rs, err := s.readings(); err == nil {
			if p, ok, err := rs.LastReading(r.Context(), device); err != nil {
				return err
			} else if ok {
				d.Last = &readingPoint{At: p.Time(), C: p.C()}
			}
		}
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

func copyAlarms(as []*vaxtrace.AlarmState) []*vaxtrace.AlarmState {
	out := make([]*vaxtrace.AlarmState, len(as))
	for i, a := range as {
		cp := *a
		cp.Comments = append([]vaxtrace.AlarmComment(nil), a.Comments...)
		out[i] = &cp
	}
	return out
}

// readingsResponse is a temperature history in columns (compact and quick
// to draw): t in Unix seconds, c in °C; min and max columns when buckets
// were merged.
type readingsResponse struct {
	Equipment  string                 `json:"equipment"`
	Device     string                 `json:"device"`
	From       time.Time              `json:"from"`
	To         time.Time              `json:"to"`
	RangeMinC  float64                `json:"range_min_c"`
	RangeMaxC  float64                `json:"range_max_c"`
	Rule       vaxtrace.AlarmRule     `json:"rule"`
	Count      int                    `json:"count"` // readings in the window
	T          []int64                `json:"t"`
	C          []float64              `json:"c"`
	Min        []float64              `json:"min,omitempty"`
	Max        []float64              `json:"max,omitempty"`
	Compliance vaxtrace.Compliance    `json:"compliance"`
	Alarms     []*vaxtrace.AlarmState `json:"alarms"`
}

func timeParam(r *http.Request, name string, def time.Time) (time.Time, error) {
	v := strings.TrimSpace(r.URL.Query().Get(name))
	if v == "" {
		return def, nil
	}
	t, err := vaxtrace.ParseTime(v)
	if err != nil {
		return time.Time{}, vaxtrace.FieldError(name, "%s", vaxtrace.ErrorMessage(err))
	}
	return t, nil
}

func (s *Server) equipmentReadings(w http.ResponseWriter, r *http.Request) error {
	rs, err := s.readings()
	if err != nil {
		return err
	}
	var eq vaxtrace.Equipment
	var alarms []*vaxtrace.AlarmState
	err = s.read(func(st *vaxtrace.State) error {
		e, err := s.equipmentFor(r, st)
		if err != nil {
			return err
		}
		eq, alarms = e.Equipment, copyAlarms(st.Alarms(e.ID, false))
		return nil
	})
	if err != nil {
		return err
	}
	if eq.Device == "" {
		return vaxtrace.FieldError("id", "equipment %s has no monitoring device", eq.ID)
	}
	end := s.now()
	if r.URL.Query().Get("to") == "" {
		if p, ok, err := rs.LastReading(r.Context(), eq.Device); err != nil {
			return err
		} else if ok {
			end = p.Time().Add(time.Second)
		}
	}
	to, err := timeParam(r, "to", end)
	if err != nil {
		return err
	}
	from, err := timeParam(r, "from", to.Add(-30*24*time.Hour))
	if err != nil {
		return err
	}
	_, fromGiven := r.URL.Query()["from"]
	if !from.Before(to) {
		return vaxtrace.FieldError("from", "must be before to")
	}
	if to.Sub(from) > 400*24*time.Hour {
		return vaxtrace.FieldError("from", "at most 400 days at a time")
	}
	maxPts := 5000
	if v := r.URL.Query().Get("max_points"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 10 || n > 100000 {
			return vaxtrace.FieldError("max_points", "a number between 10 and 100000")
		}
		maxPts = n
	}
	var pts []vaxtrace.Point
	if err := rs.Readings(r.Context(), eq.Device, from, to, func(p vaxtrace.Point) error { pts = append(pts, p); return nil }); err != nil {
		return err
	}
	if !fromGiven && len(pts) > 0 && pts[0].Time().After(from.Add(24*time.Hour)) {
		// the default window starts with the device's first reading in it
		from = pts[0].Time().Truncate(24 * time.Hour)
	}
	res := readingsResponse{Equipment: eq.ID, Device: eq.Device, From: from, To: to, RangeMinC: eq.MinC, RangeMaxC: eq.MaxC, Rule: vaxtrace.AlarmRuleFor(&eq), Count: len(pts)}
	res.Compliance = vaxtrace.TemperatureCompliance(&eq, pts, alarms, from, to)
	res.Alarms = []*vaxtrace.AlarmState{}
	for _, a := range alarms {
		if a.Started.Before(to) && (!a.Cleared || !a.Ended.Before(from)) {
			res.Alarms = append(res.Alarms, a)
		}
	}
	if len(pts) <= maxPts {
		res.T, res.C = make([]int64, len(pts)), make([]float64, len(pts))
		for i, p := range pts {
			res.T[i], res.C[i] = p.T, p.C()
		}
	} else {
		// min and max per bucket keep every excursion visible
		n := maxPts / 2
		span := (to.Unix() - from.Unix() + int64(n) - 1) / int64(n)
		for i := 0; i < len(pts); {
			b := (pts[i].T - from.Unix()) / span
			lo, hi, sum, k := pts[i].C(), pts[i].C(), 0.0, 0
			j := i
			for ; j < len(pts) && (pts[j].T-from.Unix())/span == b; j++ {
				c := pts[j].C()
				lo, hi, sum, k = min(lo, c), max(hi, c), sum+c, k+1
			}
			res.T = append(res.T, from.Unix()+b*span)
			res.C = append(res.C, float64(int64(sum/float64(k)*100))/100)
			res.Min, res.Max = append(res.Min, lo), append(res.Max, hi)
			i = j
		}
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

func (s *Server) placeLot(w http.ResponseWriter, r *http.Request) error {
	var q vaxtrace.StockPlaced
	if err := s.decode(w, r, &q); err != nil {
		return err
	}
	q.Occurred = orNow(q.Occurred, s.now())
	return s.write(w, r, http.StatusCreated, "", q)
}

func (s *Server) placeCapacity(w http.ResponseWriter, r *http.Request) error {
	var rep vaxtrace.CapacityReport
	err := s.read(func(st *vaxtrace.State) error {
		if !principal(r).CanReadPlace(st, r.PathValue("id")) {
			return vaxtrace.Errorf(vaxtrace.EFORBIDDEN, "place %s is outside your scope", r.PathValue("id"))
		}
		var err error
		rep, err = st.Capacity(r.PathValue("id"), nil)
		return err
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rep)
	return nil
}

type capacityCheck struct {
	Place string                 `json:"place"`
	Lines []vaxtrace.CapacityAdd `json:"lines"`
}

func (s *Server) checkCapacity(w http.ResponseWriter, r *http.Request) error {
	var q capacityCheck
	if err := s.decode(w, r, &q); err != nil {
		return err
	}
	var rep vaxtrace.CapacityReport
	err := s.read(func(st *vaxtrace.State) error {
		if q.Place != "" && !principal(r).CanReadPlace(st, q.Place) {
			return vaxtrace.Errorf(vaxtrace.EFORBIDDEN, "place %s is outside your scope", q.Place)
		}
		var err error
		rep, err = st.Capacity(q.Place, q.Lines)
		return err
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rep)
	return nil
}

// ---- alarms, VVM

func (s *Server) listAlarms(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	open := r.URL.Query().Get("open") == "true"
	var out []*vaxtrace.AlarmState
	_ = s.read(func(st *vaxtrace.State) error {
		keep := inScope(p, st, r)
		for _, a := range st.Alarms(r.URL.Query().Get("equipment"), open) {
			if pl := st.Place(a.Place); pl != nil && keep(pl) {
				out = append(out, a)
			}
		}
		out = copyAlarms(out)
		return nil
	})
	writeJSON(w, http.StatusOK, map[string]any{"alarms": nonNil(out)})
	return nil
}

type ackRequest struct {
	Comment string    `json:"comment"`
	At      time.Time `json:"at,omitzero"`
}

func (s *Server) acknowledgeAlarm(w http.ResponseWriter, r *http.Request) error {
	var q ackRequest
	if err := s.decode(w, r, &q); err != nil {
		return err
	}
	return s.write(w, r, http.StatusOK, "", vaxtrace.AlarmAcknowledged{Alarm: r.PathValue("id"), Comment: q.Comment, At: q.At})
}

func (s *Server) recordVVM(w http.ResponseWriter, r *http.Request) error {
	var q vaxtrace.VVMRecorded
	if err := s.decode(w, r, &q); err != nil {
		return err
	}
	q.Occurred = orNow(q.Occurred, s.now())
	return s.write(w, r, http.StatusCreated, "", q)
}

func (s *Server) listVVM(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	var out []vaxtrace.VVMRecorded
	_ = s.read(func(st *vaxtrace.State) error {
		keep := inScope(p, st, r)
		for _, v := range st.VVMLog(r.URL.Query().Get("place")) {
			if pl := st.Place(v.Place); pl != nil && keep(pl) {
				out = append(out, v)
			}
		}
		return nil
	})
	writeJSON(w, http.StatusOK, map[string]any{"vvm": nonNil(out)})
	return nil
}

// ---- temperature files and ingest counters

// maxImport bounds an uploaded recorder file.
const maxImport = templog.MaxFileSize

func (s *Server) importTemperature(w http.ResponseWriter, r *http.Request) error {
	b, err := readBody(w, r, maxImport)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	o := templog.Options{Device: q.Get("device")}
	if off := q.Get("utc_offset"); off != "" {
		t, err := time.Parse("-07:00", off)
		if err != nil {
			return vaxtrace.FieldError("utc_offset", "must look like +06:00")
		}
		_, sec := t.Zone()
		o.Location = time.FixedZone("UTC"+off, sec)
	}
	f, err := templog.Parse(b, o)
	if err != nil {
		if errors.Is(err, templog.ErrNotRecorderFile) {
			return vaxtrace.FieldError("body", "%v", err)
		}
		return vaxtrace.FieldError("body", "%v", err)
	}
	// every device of the file must be fitted to equipment in the caller's scope
	p := principal(r)
	devices := map[string]bool{}
	if f.Serial != "" {
		devices[f.Serial] = true
	}
	for _, row := range f.Readings {
		if row.Device != "" {
			devices[row.Device] = true
		} else if f.Device != "" {
			devices[f.Device] = true
		}
	}
	err = s.read(func(st *vaxtrace.State) error {
		for d := range devices {
			if e := st.EquipmentByDevice(d); e != nil && p.Role != vaxtrace.RoleAdmin {
				if err := vaxtrace.Authorize(p, st, vaxtrace.StockPlaced{Place: e.Place}); err != nil {
					return vaxtrace.Errorf(vaxtrace.EFORBIDDEN, "device %s belongs to equipment at %s, outside your scope", d, e.Place)
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	m := s.opts.Monitor
	if m == nil {
		if m, err = monitor.New(s.eng, monitor.Options{Logger: s.log, Now: s.opts.Now}); err != nil {
			return vaxtrace.Errorf(vaxtrace.EUNAVAILABLE, "%v", err)
		}
	}
	name := q.Get("name")
	if name == "" {
		name = "upload"
	}
	rep, err := m.Import(context.WithoutCancel(r.Context()), name, f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rep)
	return nil
}

type telemetryView struct {
	Running   bool             `json:"running"`
	Received  int64            `json:"received"`
	Stored    int64            `json:"stored"`
	Repeated  int64            `json:"repeated"`
	Pending   int64            `json:"pending"`
	Refused   map[string]int64 `json:"refused"`
	Opened    int64            `json:"alarms_opened"`
	Cleared   int64            `json:"alarms_cleared"`
	Failed    int64            `json:"outcomes_refused"`
	LastFlush *time.Time       `json:"last_flush,omitempty"`
	Readings  int64            `json:"readings_stored_total"`
}

func (s *Server) telemetry(w http.ResponseWriter, r *http.Request) error {
	v := telemetryView{Refused: map[string]int64{}}
	if m := s.opts.Monitor; m != nil {
		st := &m.Stats
		v.Running = true
		v.Received, v.Stored, v.Repeated, v.Pending = st.Received.Load(), st.Stored.Load(), st.Repeated.Load(), st.Pending.Load()
		v.Refused, v.Opened, v.Cleared, v.Failed = st.Refused(), st.Opened.Load(), st.Cleared.Load(), st.Failed.Load()
		if t := st.LastFlush(); !t.IsZero() {
			v.LastFlush = &t
		}
	}
	if rs, err := s.readings(); err == nil {
		n, err := rs.ReadingCount(r.Context())
		if err != nil {
			return err
		}
		v.Readings = n
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

// ---- EVM reports

func (s *Server) evmArrivals(w http.ResponseWriter, r *http.Request) error {
	to, err := dateParam(r, "to", s.today())
	if err != nil {
		return err
	}
	from, err := dateParam(r, "from", to.AddDays(-89))
	if err != nil {
		return err
	}
	var out []vaxtrace.ArrivalLine
	_ = s.read(func(st *vaxtrace.State) error {
		out = st.Arrivals(from, to, inScope(principal(r), st, r))
		return nil
	})
	writeJSON(w, http.StatusOK, map[string]any{"from": from, "to": to, "arrivals": nonNil(out)})
	return nil
}

func (s *Server) evmTemperature(w http.ResponseWriter, r *http.Request) error {
	rs, err := s.readings()
	if err != nil {
		return err
	}
	month := r.URL.Query().Get("month")
	var from time.Time
	if month != "" {
		from, err = time.Parse("2006-01", month)
		if err != nil {
			return vaxtrace.FieldError("month", "must be YYYY-MM")
		}
	}
	type item struct {
		eq     vaxtrace.Equipment
		alarms []*vaxtrace.AlarmState
	}
	var items []item
	var latest vaxtrace.Date
	_ = s.read(func(st *vaxtrace.State) error {
		keep := inScope(principal(r), st, r)
		for _, e := range st.AllEquipment() {
			if pl := st.Place(e.Place); pl != nil && keep(pl) && e.Device != "" {
				items = append(items, item{e.Equipment, copyAlarms(st.Alarms(e.ID, false))})
			}
		}
		latest = st.LastDay()
		return nil
	})
	if month == "" {
		// the month of the latest reading of the equipment in scope
		var last time.Time
		for _, it := range items {
			if p, ok, err := rs.LastReading(r.Context(), it.eq.Device); err == nil && ok && p.Time().After(last) {
				last = p.Time()
			}
		}
		if last.IsZero() {
			last = latest.Time()
		}
		from = time.Date(last.Year(), last.Month(), 1, 0, 0, 0, 0, time.UTC)
	}
	to := from.AddDate(0, 1, 0)
	out := make([]vaxtrace.Compliance, 0, len(items))
	for _, it := range items {
		var pts []vaxtrace.Point
		if err := rs.Readings(r.Context(), it.eq.Device, from, to, func(p vaxtrace.Point) error { pts = append(pts, p); return nil }); err != nil {
			return err
		}
		out = append(out, vaxtrace.TemperatureCompliance(&it.eq, pts, it.alarms, from, to))
	}
	writeJSON(w, http.StatusOK, map[string]any{"month": from.Format("2006-01"), "equipment": out})
	return nil
}

func (s *Server) evmStock(w http.ResponseWriter, r *http.Request) error {
	var out []vaxtrace.WastageLine
	var byReason map[string]map[string]int64
	var asOf vaxtrace.Date
	err := s.read(func(st *vaxtrace.State) error {
		var err error
		asOf, err = dateParam(r, "as_of", max(st.LastDay(), s.today()))
		if err != nil {
			return err
		}
		out = st.StockAndWastage(asOf, inScope(principal(r), st, r))
		byReason = st.WrittenOffByReason()
		return nil
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"as_of": asOf, "lines": nonNil(out), "written_off_by_reason": byReason})
	return nil
}

type evmEquipment struct {
	Equipment []equipmentView           `json:"equipment"`
	ByRegion  map[string]map[string]int `json:"by_region"` // region -> status -> count
	Places    []placeEquipment          `json:"places"`
}

type placeEquipment struct {
	Place    string                  `json:"place"`
	Region   string                  `json:"region,omitempty"`
	Capacity vaxtrace.CapacityReport `json:"capacity"`
}

func (s *Server) evmEquipment(w http.ResponseWriter, r *http.Request) error {
	res := evmEquipment{Equipment: []equipmentView{}, ByRegion: map[string]map[string]int{}, Places: []placeEquipment{}}
	_ = s.read(func(st *vaxtrace.State) error {
		keep := inScope(principal(r), st, r)
		places := map[string]bool{}
		for _, e := range st.AllEquipment() {
			pl := st.Place(e.Place)
			if pl == nil || !keep(pl) {
				continue
			}
			v := s.viewEquipment(st, e)
			res.Equipment = append(res.Equipment, v)
			reg := pl.Region
			if reg == "" {
				reg = "national"
			}
			if res.ByRegion[reg] == nil {
				res.ByRegion[reg] = map[string]int{}
			}
			res.ByRegion[reg][e.Status]++
			places[pl.ID] = true
		}
		ids := make([]string, 0, len(places))
		for id := range places {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		for _, id := range ids {
			c, _ := st.Capacity(id, nil)
			res.Places = append(res.Places, placeEquipment{Place: id, Region: st.Place(id).Region, Capacity: c})
		}
		return nil
	})
	writeJSON(w, http.StatusOK, res)
	return nil
}

// UseMonitor attaches the running temperature monitor (its counters are
// served and recorder files are imported through it).
func (s *Server) UseMonitor(m *monitor.Monitor) { s.opts.Monitor = m }
