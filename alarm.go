package vaxtrace

import (
	"sort"
	"strings"
	"time"
)

// Temperature alarms. Readings are not events (there are far too many);
// what the alarm rules conclude from them is: an alarm opened (which, for a
// heat or cold alarm on equipment holding stock, comes with an
// ExcursionReported quarantining exactly those lots), acknowledged by a
// person with a comment, and cleared when the temperature is back in range
// or the silent device reports again.

// Alarm kinds.
const (
	AlarmHeat   = "heat"   // above the equipment's maximum for too long
	AlarmCold   = "cold"   // at or below the freeze threshold (or a freezer's minimum) for too long
	AlarmSilent = "silent" // the device stopped reporting
)

// Event kinds of alarms.
const (
	KindAlarmOpened       = "alarm.opened"
	KindAlarmAcknowledged = "alarm.acknowledged"
	KindAlarmCleared      = "alarm.cleared"
)

// AlarmOpened records an alarm raised by the rules (over MQTT readings or
// an imported recorder file) or by the silent-device check.
type AlarmOpened struct {
	Alarm      string    `json:"alarm"` // deterministic: device, kind and start (see AlarmID)
	Equipment  string    `json:"equipment"`
	Device     string    `json:"device"`
	AlarmKind  string    `json:"kind"`
	Started    time.Time `json:"started"`  // first reading beyond the limit (silent: the last reading)
	Detected   time.Time `json:"detected"` // the reading (or check) that raised it
	ThresholdC float64   `json:"threshold_c,omitempty"`
	MinC       float64   `json:"min_c"` // observed during the excursion so far
	MaxC       float64   `json:"max_c"`
	Minutes    int       `json:"minutes"`
	Source     string    `json:"source"`              // mqtt, file:<name>, check
	Excursion  string    `json:"excursion,omitempty"` // the excursion opened with it (lots quarantined)
	Note       string    `json:"note,omitempty"`
}

// AlarmAcknowledged records that someone saw the alarm and what they did.
type AlarmAcknowledged struct {
	Alarm   string    `json:"alarm"`
	Comment string    `json:"comment"`
	At      time.Time `json:"at"` // filled with the recording time when empty
}

// AlarmCleared ends an alarm: the temperature is back within range, or the
// silent device reports again.
type AlarmCleared struct {
	Alarm   string    `json:"alarm"`
	Ended   time.Time `json:"ended"`
	MinC    float64   `json:"min_c"` // over the whole excursion
	MaxC    float64   `json:"max_c"`
	Minutes int       `json:"minutes"`
}

func (AlarmOpened) Kind() string       { return KindAlarmOpened }
func (AlarmAcknowledged) Kind() string { return KindAlarmAcknowledged }
func (AlarmCleared) Kind() string      { return KindAlarmCleared }

func (p *AlarmOpened) deref() Payload       { return *p }
func (p *AlarmAcknowledged) deref() Payload { return *p }
func (p *AlarmCleared) deref() Payload      { return *p }

// AlarmID names the alarm of a device's excursion that started at t: a
// replayed reading stream or a re-imported file yields the same id, so an
// alarm is never opened twice.
func AlarmID(device, kind string, started time.Time) string {
	return "ALM-" + device + "-" + kind + "-" + started.UTC().Format("20060102T150405Z")
}

// ExcursionID names the excursion an alarm opens.
func ExcursionID(alarm string) string { return "X-" + strings.TrimPrefix(alarm, "ALM-") }

// AlarmState is an alarm and what happened to it.
type AlarmState struct {
	AlarmOpened
	Place        string         `json:"place"`
	Acknowledged bool           `json:"acknowledged"`
	AckAt        time.Time      `json:"ack_at,omitzero"`
	AckBy        string         `json:"ack_by,omitempty"`
	Comments     []AlarmComment `json:"comments,omitempty"`
	Cleared      bool           `json:"cleared"`
	Ended        time.Time      `json:"ended,omitzero"`
}

// AlarmComment is one acknowledgement.
type AlarmComment struct {
	By      string    `json:"by"`
	At      time.Time `json:"at"`
	Comment string    `json:"comment"`
}

// Open reports whether the alarm has not been cleared.
func (a *AlarmState) Open() bool { return !a.Cleared }

// ResponseTime is how long it took someone to acknowledge the alarm (0 if nobody has).
func (a *AlarmState) ResponseTime() time.Duration {
	if !a.Acknowledged {
		return 0
	}
	return a.AckAt.Sub(a.Detected)
}

func (s *State) decideAlarm(v AlarmOpened, recorded time.Time) error {
	if v.Alarm == "" || len(v.Alarm) > 160 {
		return FieldError("alarm", "required, at most 160 characters")
	}
	if s.cold.alarms[v.Alarm] != nil {
		return Errorf(ECONFLICT, "alarm %q already opened", v.Alarm)
	}
	eq := s.cold.equipment[v.Equipment]
	if eq == nil {
		return NotFound("equipment", "unknown equipment %q", v.Equipment)
	}
	switch v.AlarmKind {
	case AlarmHeat, AlarmCold, AlarmSilent:
	default:
		return FieldError("kind", "must be heat, cold or silent")
	}
	if err := checkOccurred("detected", v.Detected, recorded); err != nil {
		return err
	}
	if v.Started.IsZero() || v.Started.After(v.Detected) {
		return FieldError("started", "required, not after detected")
	}
	if v.Minutes < 0 {
		return FieldError("minutes", "must not be negative")
	}
	if v.Excursion != "" {
		x := s.excursions[v.Excursion]
		if x == nil {
			return NotFound("excursion", "unknown excursion %q", v.Excursion)
		}
		if x.Place != eq.Place {
			return FieldError("excursion", "excursion %q is at %s, the equipment at %s", v.Excursion, x.Place, eq.Place)
		}
	}
	return nil
}

func (s *State) applyAlarm(v AlarmOpened) {
	c := s.cold
	a := &AlarmState{AlarmOpened: v}
	if eq := c.equipment[v.Equipment]; eq != nil {
		a.Place = eq.Place
	}
	c.alarms[v.Alarm] = a
	c.alarmIDs = append(c.alarmIDs, v.Alarm)
	c.openAlarm[v.Equipment] = append(c.openAlarm[v.Equipment], v.Alarm)
}

func (s *State) decideAck(v AlarmAcknowledged, recorded time.Time) (Payload, error) {
	a := s.cold.alarms[v.Alarm]
	if a == nil {
		return nil, NotFound("alarm", "unknown alarm %q", v.Alarm)
	}
	v.Comment = strings.TrimSpace(v.Comment)
	if v.Comment == "" {
		return nil, FieldError("comment", "say what was seen and done")
	}
	if len(v.Comment) > 1000 {
		return nil, FieldError("comment", "at most 1000 characters")
	}
	if v.At.IsZero() {
		v.At = recorded
	}
	if err := checkOccurred("at", v.At, recorded); err != nil {
		return nil, err
	}
	if v.At.Before(a.Detected) {
		return nil, FieldError("at", "is before the alarm was raised (%s)", a.Detected.Format(time.RFC3339))
	}
	return v, nil
}

func (s *State) applyAck(v AlarmAcknowledged, actor string) {
	a := s.cold.alarms[v.Alarm]
	if !a.Acknowledged {
		a.Acknowledged, a.AckAt, a.AckBy = true, v.At, actor
	}
	a.Comments = append(a.Comments, AlarmComment{By: actor, At: v.At, Comment: v.Comment})
}

func (s *State) decideClear(v AlarmCleared, recorded time.Time) error {
	a := s.cold.alarms[v.Alarm]
	if a == nil {
		return NotFound("alarm", "unknown alarm %q", v.Alarm)
	}
	if a.Cleared {
		return Errorf(ECONFLICT, "alarm %q was already cleared", v.Alarm)
	}
	if err := checkOccurred("ended", v.Ended, recorded); err != nil {
		return err
	}
	if v.Ended.Before(a.Started) {
		return FieldError("ended", "is before the alarm started")
	}
	return nil
}

func (s *State) applyClear(v AlarmCleared) {
	c := s.cold
	a := c.alarms[v.Alarm]
	a.Cleared, a.Ended = true, v.Ended
	a.MinC, a.MaxC, a.Minutes = v.MinC, v.MaxC, v.Minutes
	ids := c.openAlarm[a.Equipment]
	for i, id := range ids {
		if id == v.Alarm {
			c.openAlarm[a.Equipment] = append(ids[:i:i], ids[i+1:]...)
			break
		}
	}
	if len(c.openAlarm[a.Equipment]) == 0 {
		delete(c.openAlarm, a.Equipment)
	}
}

// Alarm returns an alarm by id.
func (s *State) Alarm(id string) *AlarmState { return s.cold.alarms[id] }

// OpenAlarms lists the open alarms of a piece of equipment.
func (s *State) OpenAlarms(equipment string) []*AlarmState {
	var out []*AlarmState
	for _, id := range s.cold.openAlarm[equipment] {
		out = append(out, s.cold.alarms[id])
	}
	return out
}

// Alarms lists alarms, newest first, optionally only open ones or those of
// one piece of equipment.
func (s *State) Alarms(equipment string, openOnly bool) []*AlarmState {
	var out []*AlarmState
	for i := len(s.cold.alarmIDs) - 1; i >= 0; i-- {
		a := s.cold.alarms[s.cold.alarmIDs[i]]
		if (equipment == "" || a.Equipment == equipment) && (!openOnly || a.Open()) {
			out = append(out, a)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Detected.After(out[j].Detected) })
	return out
}
