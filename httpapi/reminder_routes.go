package httpapi

import (
	"crypto/subtle"
	"net/http"
	"strings"
	"time"

	"vaxtrace"
)

// reminderRoutes are the routes of the reminder outbox (package reminders):
// the outbox itself, opting a person out, and the SMS gateway's delivery
// reports and replies.
func (s *Server) reminderRoutes() []route {
	return []route{
		{Method: "GET", Path: "/api/v1/reminders", Access: auditors, Tag: "reminders", Summary: "The reminder outbox: every reminder with its status (queued, sending, accepted, delivered, failed, cancelled) and attempts", Query: []param{{"person", "person id"}, {"open", "true: only reminders not yet final"}}, Resp: list("reminders", vaxtrace.ReminderState{}), Fn: s.listReminders},
		{Method: "POST", Path: "/api/v1/people/{id}/reminders/opt-out", Access: writer, Tag: "reminders", Summary: "Stop every reminder to a person (journaled)", Resp: optOutResult{}, Fn: s.optOut},
		{Method: "POST", Path: "/api/v1/reminders/status", Tag: "reminders", Summary: "The SMS gateway's delivery report (header X-Gateway-Token: the gateway's callback token)", Body: statusReport{}, Fn: s.reminderStatus},
		{Method: "POST", Path: "/api/v1/reminders/inbound", Tag: "reminders", Summary: "A reply received by the SMS gateway: STOP opts the person out (header X-Gateway-Token: the gateway's callback token)", Body: inboundSMS{}, Resp: optOutResult{}, Fn: s.inboundSMS},
	}
}

func (s *Server) listReminders(w http.ResponseWriter, r *http.Request) error {
	var person vaxtrace.PersonID
	if v := r.URL.Query().Get("person"); v != "" {
		id, err := vaxtrace.ParsePersonID(v)
		if err != nil {
			return err
		}
		person = id
	}
	open := r.URL.Query().Get("open") == "true"
	var out []vaxtrace.ReminderState
	_ = s.read(func(st *vaxtrace.State) error {
		if open {
			for _, x := range st.OpenReminders() {
				if person.IsZero() || x.Person == person {
					out = append(out, x)
				}
			}
		} else {
			out = st.Reminders(person)
		}
		return nil
	})
	if out == nil {
		out = []vaxtrace.ReminderState{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"reminders": out})
	return nil
}

type optOutResult struct {
	Person   vaxtrace.PersonID `json:"person"`
	OptedOut bool              `json:"opted_out"`
	Seq      uint64            `json:"seq,omitempty"`
}

// optOut records that a person wants no reminders.
func (s *Server) optOut(w http.ResponseWriter, r *http.Request) error {
	id, err := vaxtrace.ParsePersonID(r.PathValue("id"))
	if err != nil {
		return vaxtrace.FieldError("id", "must be a 32-hex-digit person id")
	}
	err = s.read(func(st *vaxtrace.State) error {
		if ps := st.Person(id); ps == nil || !canSeePerson(principal(r), st, ps) {
			return vaxtrace.NotFound("id", "no such person in your scope")
		}
		return nil
	})
	if err != nil {
		return err
	}
	return s.recordOptOut(w, r, id, "api")
}

func (s *Server) recordOptOut(w http.ResponseWriter, r *http.Request, id vaxtrace.PersonID, source string) error {
	var already bool
	_ = s.read(func(st *vaxtrace.State) error { already = st.OptedOut(id); return nil })
	out := optOutResult{Person: id, OptedOut: true}
	if !already {
		res, err := s.submit(r, "reminder-opt-out:"+id.String(), vaxtrace.RemindersOptedOut{Person: id, Source: source, At: time.Now().UTC()})
		if err != nil && vaxtrace.ErrorCode(err) != vaxtrace.ECONFLICT {
			return err
		}
		out.Seq = res.Seq
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// gatewayAuth checks the SMS gateway's callback token.
func (s *Server) gatewayAuth(r *http.Request) error {
	want := s.opts.SMSCallbackToken
	got := strings.TrimSpace(r.Header.Get("X-Gateway-Token"))
	if want == "" || got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		return vaxtrace.Errorf(vaxtrace.EUNAUTHORIZED, "the SMS gateway's callback token is missing or wrong")
	}
	return nil
}

// statusReport is a delivery report: the gateway's id of the message (or
// the reminder id it was sent with) and what became of it.
type statusReport struct {
	ID        string `json:"id"`        // the gateway's message id
	Reference string `json:"reference"` // or the reminder id (the Idempotency-Key of the send)
	Status    string `json:"status"`    // delivered or failed
	Detail    string `json:"detail,omitempty"`
}

func (s *Server) reminderStatus(w http.ResponseWriter, r *http.Request) error {
	if err := s.gatewayAuth(r); err != nil {
		return err
	}
	var q statusReport
	if err := s.decode(w, r, &q); err != nil {
		return err
	}
	if q.Status != vaxtrace.ReminderDelivered && q.Status != vaxtrace.ReminderFailed {
		return vaxtrace.FieldError("status", "must be delivered or failed")
	}
	var id string
	_ = s.read(func(st *vaxtrace.State) error {
		if x := st.ReminderByGateway(q.ID); q.ID != "" && x != nil {
			id = x.ID
		} else if x := st.Reminder(q.Reference); q.Reference != "" && x != nil {
			id = x.ID
		}
		return nil
	})
	if id == "" {
		return vaxtrace.NotFound("id", "no reminder was sent with this id")
	}
	res, err := s.submitAs(r, gatewayActor, "reminder-result:"+id+":"+q.Status, vaxtrace.ReminderResult{ID: id, Status: q.Status, GatewayID: q.ID, Detail: q.Detail, At: time.Now().UTC()})
	if err != nil && vaxtrace.ErrorCode(err) != vaxtrace.ECONFLICT {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"reminder": id, "status": q.Status, "seq": res.Seq})
	return nil
}

// inboundSMS is a reply: who sent it, the text, and the message it answers
// (the gateway's id, or the reminder id).
type inboundSMS struct {
	From    string `json:"from"`
	Text    string `json:"text"`
	ReplyTo string `json:"reply_to"`
}

// stopWords opt a person out (Latin, Russian and Kazakh).
var stopWords = map[string]bool{"STOP": true, "СТОП": true, "ТОҚТА": true, "ОТПИСАТЬСЯ": true}

func (s *Server) inboundSMS(w http.ResponseWriter, r *http.Request) error {
	if err := s.gatewayAuth(r); err != nil {
		return err
	}
	var q inboundSMS
	if err := s.decode(w, r, &q); err != nil {
		return err
	}
	from, err := vaxtrace.NormalizePhone(q.From)
	if err != nil {
		return vaxtrace.WithField(err, "from")
	}
	if !stopWords[strings.ToUpper(strings.Trim(strings.TrimSpace(q.Text), ".!"))] {
		writeJSON(w, http.StatusOK, map[string]any{"ignored": true})
		return nil
	}
	var person vaxtrace.PersonID
	_ = s.read(func(st *vaxtrace.State) error {
		x := st.ReminderByGateway(q.ReplyTo)
		if x == nil {
			x = st.Reminder(q.ReplyTo)
		}
		if x == nil {
			return nil
		}
		// the reply must come from the phone the reminder went to
		if ps := st.Person(x.Person); ps != nil && st.PersonText(ps).PhoneSealed() != "" {
			if ph, err := s.keys.Open(st.PersonText(ps).PhoneSealed()); err == nil && ph == from {
				person = x.Person
			}
		}
		return nil
	})
	if person.IsZero() {
		return vaxtrace.NotFound("reply_to", "no reminder was sent to this number with this id")
	}
	return s.recordOptOutAs(w, r, person)
}

var gatewayActor = vaxtrace.Principal{Name: "sms-gateway", Role: vaxtrace.RoleAdmin}

func (s *Server) recordOptOutAs(w http.ResponseWriter, r *http.Request, id vaxtrace.PersonID) error {
	var already bool
	_ = s.read(func(st *vaxtrace.State) error { already = st.OptedOut(id); return nil })
	out := optOutResult{Person: id, OptedOut: true}
	if !already {
		res, err := s.submitAs(r, gatewayActor, "reminder-opt-out:"+id.String(), vaxtrace.RemindersOptedOut{Person: id, Source: "sms", At: time.Now().UTC()})
		if err != nil && vaxtrace.ErrorCode(err) != vaxtrace.ECONFLICT {
			return err
		}
		out.Seq = res.Seq
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
