package vaxtrace

import (
	"sort"
	"strconv"
	"time"
)

// Reminders: an outbox of SMS reminders for people due a dose, kept in the
// journal. A reminder is queued once per person, due dose and type (its id
// is built from them and is also the command's idempotency key, so the
// journal itself refuses a second one), every send attempt is journaled
// before the message leaves, and the gateway's answer and later delivery
// reports are journaled as results. Opting out is an event too. Package
// reminders runs the outbox; this file is its state.

const (
	KindReminderQueued    = "reminder.queued"
	KindReminderAttempted = "reminder.attempted"
	KindReminderResult    = "reminder.result"
	KindRemindersOptedOut = "reminder.opted_out"
)

// Reminder types: before the due day, and after it when still not given.
const (
	ReminderBefore  = "before"
	ReminderOverdue = "overdue"
)

// Reminder statuses.
const (
	ReminderQueuedStatus = "queued"    // waiting to be sent
	ReminderSending      = "sending"   // an attempt was journaled; its outcome is not known yet
	ReminderAccepted     = "accepted"  // the gateway took the message
	ReminderDelivered    = "delivered" // the gateway reported delivery
	ReminderFailed       = "failed"    // given up (the gateway refused it, or it failed after all retries)
	ReminderCancelled    = "cancelled" // not sent: the dose was recorded, the person opted out or has no phone
)

// ReminderQueued puts a reminder in the outbox.
type ReminderQueued struct {
	ID      string   `json:"id"` // ReminderID(person, product, number, type)
	Person  PersonID `json:"person"`
	Product string   `json:"product"`
	Number  int      `json:"dose_number"`
	DueFrom Date     `json:"due_from"`
	Type    string   `json:"type"` // before or overdue
}

// ReminderAttempted is journaled just before a message is handed to the
// gateway (with the reminder id as the gateway's idempotency key).
type ReminderAttempted struct {
	ID      string    `json:"id"`
	Attempt int       `json:"attempt"`
	At      time.Time `json:"at"`
}

// ReminderResult is an outcome: the gateway's answer to a send, a delivery
// report, a cancellation, or giving up.
type ReminderResult struct {
	ID        string    `json:"id"`
	Status    string    `json:"status"`
	GatewayID string    `json:"gateway_id,omitempty"`
	Detail    string    `json:"detail,omitempty"`
	At        time.Time `json:"at"`
}

// RemindersOptedOut stops every reminder to a person (an SMS "STOP" reply or
// a request through the API).
type RemindersOptedOut struct {
	Person PersonID  `json:"person"`
	Source string    `json:"source"` // sms or api
	At     time.Time `json:"at"`
}

func (ReminderQueued) Kind() string    { return KindReminderQueued }
func (ReminderAttempted) Kind() string { return KindReminderAttempted }
func (ReminderResult) Kind() string    { return KindReminderResult }
func (RemindersOptedOut) Kind() string { return KindRemindersOptedOut }

func (p *ReminderQueued) deref() Payload    { return *p }
func (p *ReminderAttempted) deref() Payload { return *p }
func (p *ReminderResult) deref() Payload    { return *p }
func (p *RemindersOptedOut) deref() Payload { return *p }

// ReminderID names the reminder of one due dose and type.
func ReminderID(person PersonID, product string, number int, typ string) string {
	return person.String() + ":" + product + ":" + strconv.Itoa(number) + ":" + typ
}

// ReminderState is a reminder with its outcome so far.
type ReminderState struct {
	ReminderQueued
	Status    string    `json:"status"`
	Attempts  int       `json:"attempts"`
	GatewayID string    `json:"gateway_id,omitempty"`
	Detail    string    `json:"detail,omitempty"`
	Queued    time.Time `json:"queued"`
	Updated   time.Time `json:"updated"`
}

// Final reports whether nothing more will be sent for r.
func (r *ReminderState) Final() bool {
	switch r.Status {
	case ReminderQueuedStatus, ReminderSending:
		return false
	}
	return true
}

type reminderBook struct {
	all       map[string]*ReminderState
	open      map[string]*ReminderState // queued or sending
	byGateway map[string]string
	optedOut  map[PersonID]bool
}

func (s *State) reminderBook() *reminderBook {
	if s.rem == nil {
		s.rem = &reminderBook{all: map[string]*ReminderState{}, open: map[string]*ReminderState{}, byGateway: map[string]string{}, optedOut: map[PersonID]bool{}}
	}
	return s.rem
}

func validReminderStatus(st string) bool {
	switch st {
	case ReminderAccepted, ReminderDelivered, ReminderFailed, ReminderCancelled:
		return true
	}
	return false
}

func (s *State) decideReminder(p Payload) error {
	b := s.reminderBook()
	switch v := p.(type) {
	case ReminderQueued:
		if s.people.get(v.Person) == nil {
			return NotFound("person", "unknown person %s", v.Person)
		}
		if v.Type != ReminderBefore && v.Type != ReminderOverdue {
			return FieldError("type", "must be before or overdue")
		}
		if v.ID != ReminderID(v.Person, v.Product, v.Number, v.Type) {
			return FieldError("id", "must be person:product:dose_number:type")
		}
		if b.all[v.ID] != nil {
			return Errorf(ECONFLICT, "reminder %s is already in the outbox", v.ID)
		}
	case ReminderAttempted:
		r := b.all[v.ID]
		if r == nil {
			return NotFound("id", "unknown reminder %s", v.ID)
		}
		if r.Final() {
			return Errorf(ECONFLICT, "reminder %s is %s: nothing more is sent", v.ID, r.Status)
		}
	case ReminderResult:
		r := b.all[v.ID]
		if r == nil {
			return NotFound("id", "unknown reminder %s", v.ID)
		}
		if !validReminderStatus(v.Status) {
			return FieldError("status", "must be accepted, delivered, failed or cancelled")
		}
	case RemindersOptedOut:
		if s.people.get(v.Person) == nil {
			return NotFound("person", "unknown person %s", v.Person)
		}
		if v.Source != "sms" && v.Source != "api" {
			return FieldError("source", "must be sms or api")
		}
	}
	return nil
}

func (s *State) applyReminder(e Event) {
	b := s.reminderBook()
	switch v := e.Data.(type) {
	case ReminderQueued:
		r := &ReminderState{ReminderQueued: v, Status: ReminderQueuedStatus, Queued: e.Recorded, Updated: e.Recorded}
		b.all[v.ID], b.open[v.ID] = r, r
	case ReminderAttempted:
		r := b.all[v.ID]
		r.Status, r.Attempts, r.Updated = ReminderSending, max(r.Attempts+1, v.Attempt), e.Recorded
	case ReminderResult:
		r := b.all[v.ID]
		// a late "accepted" never undoes a delivery report
		if !(v.Status == ReminderAccepted && r.Status == ReminderDelivered) {
			r.Status = v.Status
		}
		r.Detail, r.Updated = v.Detail, e.Recorded
		if v.GatewayID != "" {
			r.GatewayID = v.GatewayID
			b.byGateway[v.GatewayID] = v.ID
		}
		if r.Final() {
			delete(b.open, v.ID)
		}
	case RemindersOptedOut:
		b.optedOut[v.Person] = true
	}
}

// Reminder returns a reminder by id (nil if unknown).
func (s *State) Reminder(id string) *ReminderState {
	if s.rem == nil {
		return nil
	}
	return s.rem.all[id]
}

// ReminderByGateway returns the reminder the gateway knows by id.
func (s *State) ReminderByGateway(gatewayID string) *ReminderState {
	if s.rem == nil {
		return nil
	}
	return s.rem.all[s.rem.byGateway[gatewayID]]
}

// OpenReminders returns copies of the reminders not yet final, oldest first.
func (s *State) OpenReminders() []ReminderState {
	if s.rem == nil {
		return nil
	}
	out := make([]ReminderState, 0, len(s.rem.open))
	for _, r := range s.rem.open {
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Queued.Equal(out[j].Queued) {
			return out[i].Queued.Before(out[j].Queued)
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// Reminders returns copies of every reminder of a person ("" zero: all), by id.
func (s *State) Reminders(person PersonID) []ReminderState {
	if s.rem == nil {
		return nil
	}
	var out []ReminderState
	for _, r := range s.rem.all {
		if person.IsZero() || r.Person == person {
			out = append(out, *r)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// OptedOut reports whether a person asked for no reminders.
func (s *State) OptedOut(id PersonID) bool { return s.rem != nil && s.rem.optedOut[id] }
