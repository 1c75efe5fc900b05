package vaxtrace

import (
	"math"
	"regexp"
	"sort"
	"time"
)

// Cold-chain equipment: the refrigerators, freezers and cold rooms of every
// place, with their WHO PQS code, storage range, net volume and status; the
// remote temperature monitoring device fitted to each; which lots are held
// in which piece of equipment; alarms and VVM observations. All of it lives
// in the ColdChain room of the State and changes only through events.

// Equipment types.
const (
	EquipRefrigerator = "refrigerator"
	EquipFreezer      = "freezer"
	EquipULTFreezer   = "ult_freezer" // ultra-low temperature (−90…−60 °C)
	EquipColdRoom     = "cold_room"
	EquipFreezerRoom  = "freezer_room"
)

// Equipment statuses (WHO CCE inventory).
const (
	StatusWorking     = "working"
	StatusNeedsRepair = "needs_repair"
	StatusBroken      = "broken"
)

var equipTypes = map[string]bool{EquipRefrigerator: true, EquipFreezer: true, EquipULTFreezer: true, EquipColdRoom: true, EquipFreezerRoom: true}

var equipStatuses = map[string]bool{StatusWorking: true, StatusNeedsRepair: true, StatusBroken: true}

// pqsCode is the shape of a WHO PQS catalogue code: category/number, e.g.
// E003/045 (a refrigerator) or E003/087-1 (a variant).
var pqsCode = regexp.MustCompile(`^E[0-9]{3}/[0-9]{3}(-[A-Z0-9.]{1,8})?$`)

// deviceID is what a temperature monitoring device may be called: it is
// also an MQTT topic level, so no slashes, wildcards or spaces.
var deviceID = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,64}$`)

// Equipment is one piece of cold-chain equipment at a place.
type Equipment struct {
	ID        string  `json:"id"`
	Place     string  `json:"place"`
	Type      string  `json:"type"`
	Name      string  `json:"name,omitempty"`
	PQS       string  `json:"pqs,omitempty"`   // WHO PQS code; empty for equipment without one (a locally built cold room)
	Model     string  `json:"model,omitempty"` // maker and model as on the plate
	MinC      float64 `json:"min_c"`           // storage range
	MaxC      float64 `json:"max_c"`
	NetLitres float64 `json:"net_litres"` // net vaccine storage volume
	Status    string  `json:"status"`
	Device    string  `json:"device,omitempty"` // remote temperature monitoring device fitted to it
	// Alarm durations overriding the defaults of its class (see AlarmRuleFor).
	HeatMinutes int `json:"heat_minutes,omitempty"`
	ColdMinutes int `json:"cold_minutes,omitempty"`
}

// Frozen reports whether the equipment keeps vaccine frozen.
func (e *Equipment) Frozen() bool { return e.MaxC <= 0 }

// Validate checks an equipment record on its own.
func (e *Equipment) Validate() error {
	if e.ID == "" || len(e.ID) > 64 {
		return FieldError("id", "required, at most 64 characters")
	}
	if e.Place == "" {
		return FieldError("place", "required")
	}
	if !equipTypes[e.Type] {
		return FieldError("type", "unknown equipment type %q (refrigerator, freezer, ult_freezer, cold_room, freezer_room)", e.Type)
	}
	if e.PQS != "" && !pqsCode.MatchString(e.PQS) {
		return FieldError("pqs", "%q is not a WHO PQS code (like E003/045)", e.PQS)
	}
	if math.IsNaN(e.MinC) || math.IsNaN(e.MaxC) || e.MinC < ReadingMinC || e.MaxC > 25 {
		return FieldError("min_c", "storage range must lie within %.0f…+25 °C", float64(ReadingMinC))
	}
	if e.MinC >= e.MaxC {
		return FieldError("min_c", "must be below max_c")
	}
	if !(e.NetLitres > 0) || e.NetLitres > 1e6 {
		return FieldError("net_litres", "must be a positive volume in litres (at most 1,000,000), got %v", e.NetLitres)
	}
	if !equipStatuses[e.Status] {
		return FieldError("status", "must be working, needs_repair or broken (got %q)", e.Status)
	}
	if e.Device != "" && !deviceID.MatchString(e.Device) {
		return FieldError("device", "device ids are 1–64 letters, digits and . _ : - (got %q)", e.Device)
	}
	if e.HeatMinutes < 0 || e.HeatMinutes > 7*24*60 || e.ColdMinutes < 0 || e.ColdMinutes > 7*24*60 {
		return FieldError("heat_minutes", "alarm durations lie between 0 (the default) and one week")
	}
	if len(e.Name) > 200 || len(e.Model) > 200 {
		return FieldError("name", "at most 200 characters")
	}
	return nil
}

// Event kinds of the cold-chain room.
const (
	KindEquipmentDefined = "equipment.defined"
	KindEquipmentChanged = "equipment.changed"
	KindStockPlaced      = "stock.placed"
)

// EquipmentDefined adds a piece of equipment to a place's inventory.
type EquipmentDefined struct {
	Equipment Equipment `json:"equipment"`
	Occurred  time.Time `json:"occurred"`
}

// EquipmentChanged replaces an equipment record (status after a breakdown
// or repair, a new device, a corrected volume); its id and place stay.
type EquipmentChanged struct {
	Equipment Equipment `json:"equipment"`
	Reason    string    `json:"reason"`
	Occurred  time.Time `json:"occurred"`
}

// StockPlaced records that all doses of a lot at a place are kept in a
// piece of equipment there.
type StockPlaced struct {
	Place     string    `json:"place"`
	Lot       string    `json:"lot"`
	Equipment string    `json:"equipment"`
	Occurred  time.Time `json:"occurred"`
}

func (EquipmentDefined) Kind() string { return KindEquipmentDefined }
func (EquipmentChanged) Kind() string { return KindEquipmentChanged }
func (StockPlaced) Kind() string      { return KindStockPlaced }

func (p *EquipmentDefined) deref() Payload { return *p }
func (p *EquipmentChanged) deref() Payload { return *p }
func (p *StockPlaced) deref() Payload      { return *p }

// EquipmentState is a piece of equipment as it stands.
type EquipmentState struct {
	Equipment
	Since   time.Time `json:"since"`   // when it was defined
	Changed time.Time `json:"changed"` // last change (zero if none)
	Why     string    `json:"why,omitempty"`
}

type placeLot struct{ place, lot string }

// ColdChain is the room of the State that holds equipment, placements,
// alarms and VVM observations. Keys are ids (no pointers into other rooms).
type ColdChain struct {
	equipment map[string]*EquipmentState
	byDevice  map[string]string   // device -> equipment id
	byPlace   map[string][]string // place -> equipment ids, in definition order
	placed    map[placeLot]string // (place, lot) -> equipment id
	alarms    map[string]*AlarmState
	alarmIDs  []string            // in the order opened
	openAlarm map[string][]string // equipment -> open alarm ids
	vvm       map[placeLot]VVMRecorded
	vvmLog    []VVMRecorded
}

func newColdChain() *ColdChain {
	return &ColdChain{
		equipment: map[string]*EquipmentState{},
		byDevice:  map[string]string{},
		byPlace:   map[string][]string{},
		placed:    map[placeLot]string{},
		alarms:    map[string]*AlarmState{},
		openAlarm: map[string][]string{},
		vvm:       map[placeLot]VVMRecorded{},
	}
}

func (s *State) decideEquipment(e Equipment, changed bool, reason string, occurred, recorded time.Time) error {
	if err := e.Validate(); err != nil {
		return WithField(err, "equipment")
	}
	if err := checkOccurred("occurred", occurred, recorded); err != nil {
		return err
	}
	cur := s.cold.equipment[e.ID]
	if !changed {
		if cur != nil {
			return Errorf(ECONFLICT, "equipment %q already exists (at %s)", e.ID, cur.Place)
		}
		if _, err := s.place("equipment.place", e.Place); err != nil {
			return err
		}
	} else {
		if cur == nil {
			return NotFound("equipment.id", "unknown equipment %q", e.ID)
		}
		if cur.Place != e.Place {
			return FieldError("equipment.place", "equipment %q is at %s; moving it is a new equipment record", e.ID, cur.Place)
		}
		if reason == "" {
			return FieldError("reason", "required")
		}
	}
	if e.Device != "" {
		if other, ok := s.cold.byDevice[e.Device]; ok && other != e.ID {
			return FieldError("equipment.device", "device %q is already fitted to equipment %q", e.Device, other)
		}
	}
	return nil
}

func (s *State) applyEquipment(e Equipment, changed bool, reason string, at time.Time) {
	c := s.cold
	cur := c.equipment[e.ID]
	if cur == nil {
		cur = &EquipmentState{Since: at}
		c.equipment[e.ID] = cur
		c.byPlace[e.Place] = append(c.byPlace[e.Place], e.ID)
	} else if cur.Device != "" {
		delete(c.byDevice, cur.Device)
	}
	cur.Equipment = e
	if changed {
		cur.Changed, cur.Why = at, reason
	}
	if e.Device != "" {
		c.byDevice[e.Device] = e.ID
	}
}

func (s *State) decidePlacement(v StockPlaced, recorded time.Time) error {
	pl, err := s.place("place", v.Place)
	if err != nil {
		return err
	}
	l, err := s.lot("lot", v.Lot)
	if err != nil {
		return err
	}
	if pl.Stock[l] <= 0 {
		return FieldError("lot", "lot %q has no stock at %s", l.ID, pl.ID)
	}
	eq := s.cold.equipment[v.Equipment]
	if eq == nil {
		return NotFound("equipment", "unknown equipment %q", v.Equipment)
	}
	if eq.Place != pl.ID {
		return FieldError("equipment", "equipment %q is at %s, not %s", eq.ID, eq.Place, pl.ID)
	}
	if p := s.products[l.Product]; p != nil && !compatible(p, &eq.Equipment) {
		return FieldError("equipment", "lot %q of %s must be kept at %s…%s °C; equipment %q holds %s…%s °C", l.ID, p.Code, fmtC(p.StorageMinC), fmtC(p.StorageMaxC), eq.ID, fmtC(eq.MinC), fmtC(eq.MaxC))
	}
	if eq.Status == StatusBroken {
		return FieldError("equipment", "equipment %q is broken", eq.ID)
	}
	return checkOccurred("occurred", v.Occurred, recorded)
}

// compatible reports whether equipment can keep a product within its
// storage range (the two ranges overlap).
func compatible(p *Product, e *Equipment) bool {
	return e.MinC <= p.StorageMaxC && p.StorageMinC <= e.MaxC
}

func fmtC(c float64) string {
	s := ftoa(c)
	if c > 0 {
		return "+" + s
	}
	return s
}

func ftoa(f float64) string {
	neg := f < 0
	if neg {
		f = -f
	}
	n := int64(math.Round(f * 10))
	s := itoa(int(n / 10))
	if d := n % 10; d != 0 {
		s += "." + itoa(int(d))
	}
	if neg && n != 0 {
		s = "-" + s
	}
	return s
}

// Equipment returns a piece of equipment by id.
func (s *State) Equipment(id string) *EquipmentState { return s.cold.equipment[id] }

// EquipmentByDevice returns the equipment a device is fitted to.
func (s *State) EquipmentByDevice(device string) *EquipmentState {
	if id, ok := s.cold.byDevice[device]; ok {
		return s.cold.equipment[id]
	}
	return nil
}

// EquipmentAt lists the equipment of a place in definition order.
func (s *State) EquipmentAt(place string) []*EquipmentState {
	var out []*EquipmentState
	for _, id := range s.cold.byPlace[place] {
		out = append(out, s.cold.equipment[id])
	}
	return out
}

// AllEquipment lists every piece of equipment sorted by place then id.
func (s *State) AllEquipment() []*EquipmentState {
	out := make([]*EquipmentState, 0, len(s.cold.equipment))
	for _, e := range s.cold.equipment {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Place != out[j].Place {
			return out[i].Place < out[j].Place
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// LotQty is an amount of one lot.
type LotQty struct {
	Lot       string `json:"lot"`
	Product   string `json:"product"`
	Component string `json:"component"`
	Expiry    Date   `json:"expiry"`
	Doses     int64  `json:"doses"`
	Held      string `json:"held,omitempty"` // excursion holding it
	Placed    bool   `json:"placed"`         // placed explicitly (else the only equipment there that can keep it)
}

// EquipmentOfLot returns the equipment holding a lot at a place: the one it
// was placed in, else the only working equipment there whose range can keep
// the product; "" if neither.
func (s *State) EquipmentOfLot(place string, l *LotState) (id string, explicit bool) {
	if id, ok := s.cold.placed[placeLot{place, l.ID}]; ok {
		if eq := s.cold.equipment[id]; eq != nil && eq.Place == place {
			return id, true
		}
	}
	p := s.products[l.Product]
	if p == nil {
		return "", false
	}
	found := ""
	for _, eid := range s.cold.byPlace[place] {
		eq := s.cold.equipment[eid]
		if eq.Status == StatusBroken || !compatible(p, &eq.Equipment) {
			continue
		}
		if found != "" {
			return "", false // more than one could hold it: it must be placed
		}
		found = eid
	}
	return found, false
}

// LotsInEquipment lists the lots with stock held in a piece of equipment,
// earliest expiry first.
func (s *State) LotsInEquipment(id string) []LotQty {
	eq := s.cold.equipment[id]
	if eq == nil {
		return nil
	}
	pl := s.places[eq.Place]
	if pl == nil {
		return nil
	}
	var out []LotQty
	for l, n := range pl.Stock {
		if n <= 0 {
			continue
		}
		if at, explicit := s.EquipmentOfLot(pl.ID, l); at == id {
			out = append(out, LotQty{Lot: l.ID, Product: l.Product, Component: l.Component, Expiry: l.Expiry, Doses: n, Held: pl.Hold[l], Placed: explicit})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Expiry != out[j].Expiry {
			return out[i].Expiry < out[j].Expiry
		}
		return out[i].Lot < out[j].Lot
	})
	return out
}
