package httpapi

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"vaxtrace"
)

// TestReminderRoutes: a phone at registration (refused when it is not a
// number, sealed in the journal, masked in answers), the gateway's delivery
// report and a STOP reply (with its token only), and opting out through
// the API within the caller's scope.
func TestReminderRoutes(t *testing.T) {
	f := newFixture(t)
	f.srv.opts.SMSCallbackToken = "cb-secret"
	reg := func(phone, lang string) resp {
		return f.do("POST", "/api/v1/people", "admin", map[string]any{"iin": someIIN(t, 500), "family": "Ivanova", "given": "Aigul", "birth_date": "1980-05-01", "sex": "F", "region": "KZ-AKM", "phone": phone, "lang": lang})
	}
	before := f.last()
	for _, c := range []struct{ phone, lang, field string }{{"call me", "ru", "phone"}, {"+7 701 12", "ru", "phone"}, {"+7 701 123 45 67", "de", "lang"}} {
		r := reg(c.phone, c.lang)
		if code, fld := r.errInfo(t); r.Status != http.StatusBadRequest || fld != c.field {
			t.Errorf("phone %q lang %q: %d %s %s", c.phone, c.lang, r.Status, code, fld)
		}
	}
	if f.last() != before {
		t.Fatal("a refused registration wrote something")
	}
	r := reg("8 (701) 123-45-67", "ru")
	if r.Status != http.StatusCreated {
		t.Fatalf("register: %d %s", r.Status, r.Body)
	}
	p := r.json(t)["person"].(map[string]any)
	if p["phone_masked"] != "••••••••4567" || p["lang"] != "ru" {
		t.Errorf("person view: %v", p)
	}
	id, _ := vaxtrace.ParsePersonID(p["id"].(string))
	ev := f.do("GET", "/api/v1/events?after=0&limit=100000", "admin", nil)
	if strings.Contains(string(ev.Body), "1234567") || !strings.Contains(string(ev.Body), "phone_sealed") {
		t.Errorf("the journal must hold the phone sealed only")
	}
	if strings.Contains(f.logs.String(), "1234567") {
		t.Errorf("the phone reached the logs")
	}

	// a reminder the outbox sent (as package reminders journals it)
	rid := vaxtrace.ReminderID(id, "sputnik-v", 2, vaxtrace.ReminderBefore)
	f.must(vaxtrace.ReminderQueued{ID: rid, Person: id, Product: "sputnik-v", Number: 2, DueFrom: day("2021-03-22"), Type: vaxtrace.ReminderBefore},
		vaxtrace.ReminderAttempted{ID: rid, Attempt: 1},
		vaxtrace.ReminderResult{ID: rid, Status: vaxtrace.ReminderAccepted, GatewayID: "gw-1"})
	status := func(who string, body any) resp {
		return f.do("POST", "/api/v1/reminders/status", "", body, "X-Gateway-Token", who)
	}
	if r := status("wrong", map[string]any{"id": "gw-1", "status": "delivered"}); r.Status != http.StatusUnauthorized {
		t.Errorf("wrong callback token: %d", r.Status)
	}
	if r := status("cb-secret", map[string]any{"id": "gw-1", "status": "read"}); r.Status != http.StatusBadRequest {
		t.Errorf("bad status: %d", r.Status)
	}
	if r := status("cb-secret", map[string]any{"id": "gw-404", "status": "delivered"}); r.Status != http.StatusNotFound {
		t.Errorf("unknown message: %d", r.Status)
	}
	if r := status("cb-secret", map[string]any{"id": "gw-1", "status": "delivered"}); r.Status != http.StatusOK {
		t.Fatalf("delivery report: %d %s", r.Status, r.Body)
	}
	f.eng.Read(func(st *vaxtrace.State) {
		if x := st.Reminder(rid); x.Status != vaxtrace.ReminderDelivered {
			t.Errorf("after the report: %+v", x)
		}
	})
	// a STOP from another phone is refused; from the person's phone it opts out
	inbound := func(from, text string) resp {
		return f.do("POST", "/api/v1/reminders/inbound", "", map[string]any{"from": from, "text": text, "reply_to": "gw-1"}, "X-Gateway-Token", "cb-secret")
	}
	if r := inbound("+77019999999", "STOP"); r.Status != http.StatusNotFound {
		t.Errorf("STOP from another phone: %d %s", r.Status, r.Body)
	}
	if r := inbound("+77011234567", "hello"); r.Status != http.StatusOK || !strings.Contains(string(r.Body), "ignored") {
		t.Errorf("other text: %d %s", r.Status, r.Body)
	}
	optedOut := func() (b bool) { f.eng.Read(func(st *vaxtrace.State) { b = st.OptedOut(id) }); return }
	if optedOut() {
		t.Fatal("opted out too early")
	}
	if r := inbound("+7 701 123 45 67", "стоп"); r.Status != http.StatusOK || !optedOut() {
		t.Fatalf("STOP: %d %s", r.Status, r.Body)
	}

	// opting out through the API: a point that cannot see the person cannot
	other := f.register("admin", someIIN(t, 600), "KZ-ALA")
	if r := f.do("POST", "/api/v1/people/"+other+"/reminders/opt-out", "p1", nil); r.Status != http.StatusNotFound {
		t.Errorf("out of scope: %d", r.Status)
	}
	if r := f.do("POST", "/api/v1/people/"+other+"/reminders/opt-out", "admin", nil); r.Status != http.StatusOK {
		t.Errorf("admin opt-out: %d %s", r.Status, r.Body)
	}
	if r := f.do("GET", "/api/v1/reminders?person="+id.String(), "auditor", nil); r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"status":"delivered"`) {
		t.Errorf("outbox: %d %s", r.Status, r.Body)
	}
	if r := f.do("GET", "/api/v1/reminders", "p1", nil); r.Status != http.StatusForbidden {
		t.Errorf("a point reads the outbox: %d", r.Status)
	}
	_ = context.Background
	_ = io.Discard
}

// TestBatchRegistrationWithPhone: the point app registers people through
// the batch upload; a phone that is not a number rejects that record only.
func TestBatchRegistrationWithPhone(t *testing.T) {
	f := newFixture(t)
	rec := func(id, iin, phone string) map[string]any {
		return map[string]any{"id": id, "iin": iin, "at": "2021-02-01T10:00:00Z", "place": "AKM-P1", "lot": "L1", "vaccinator": "nurse",
			"family": "Ivanova", "given": "Aigul", "birth_date": "1980-05-01", "sex": "F", "region": "KZ-AKM", "phone": phone, "lang": "kk"}
	}
	good, bad := someIIN(t, 700), someIIN(t, 710)
	r := f.do("POST", "/api/v1/doses/batch", "admin", []any{rec("b1", good, "+7 701 555 44 33"), rec("b2", bad, "555-CALL-ME")})
	if r.Status != http.StatusOK {
		t.Fatalf("batch: %d %s", r.Status, r.Body)
	}
	body := string(r.Body)
	if !strings.Contains(body, `"field":"phone"`) || strings.Count(body, `"status":"accepted"`) != 1 {
		t.Errorf("batch answer: %s", body)
	}
	l := f.do("POST", "/api/v1/people/lookup", "admin", map[string]any{"iin": good})
	if !strings.Contains(string(l.Body), `"phone_masked":"••••••••4433"`) || !strings.Contains(string(l.Body), `"lang":"kk"`) {
		t.Errorf("registered with the phone: %s", l.Body)
	}
}
