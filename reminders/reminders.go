// Package reminders runs the reminder outbox: it queues an SMS for every
// person due a dose — Before days before the due day (default 7) and After
// days after it when the dose is still not recorded (default 3), the
// practice of DHIS2's COVAC tracker — and sends the queued ones through an
// SMS gateway (package sms) in the person's language (Kazakh or Russian).
//
// Everything is in the journal (vaxtrace/reminder.go): a reminder's id is
// person:product:dose:type and is the idempotency key of the command that
// queues it, so no due dose is ever queued twice, whatever restarts; each
// attempt is journaled before the message leaves, with the reminder id as
// the gateway's idempotency key, so a send repeated after a crash in the
// middle of it reaches the gateway as the same message; the gateway's
// answers and delivery reports are journaled as results. Before sending,
// the runner checks the due list again: a dose recorded since, an opt-out
// or a missing phone cancels the reminder instead.
package reminders

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"vaxtrace"
	"vaxtrace/engine"
	"vaxtrace/pii"
	"vaxtrace/sms"
)

// Options configures a Runner.
type Options struct {
	Before  int // days before the due day (default 7)
	After   int // days after the due day (default 3)
	MaxLate int // overdue reminders are not queued more than this many days after After (default 14)
	Gateway *sms.Client
	Keys    *pii.Keys
	Now     func() time.Time // default time.Now
	Log     *slog.Logger
}

// Runner queues and sends reminders.
type Runner struct {
	eng  *engine.Engine
	opts Options
}

// Actor is the principal the outbox journals as.
var Actor = vaxtrace.Principal{Name: "reminders", Role: vaxtrace.RoleAdmin}

// New returns a runner.
func New(eng *engine.Engine, o Options) *Runner {
	if o.Before <= 0 {
		o.Before = 7
	}
	if o.After <= 0 {
		o.After = 3
	}
	if o.MaxLate <= 0 {
		o.MaxLate = 14
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return &Runner{eng: eng, opts: o}
}

// Report counts what one run did.
type Report struct {
	Queued    int `json:"queued"`
	Sent      int `json:"sent"`
	Cancelled int `json:"cancelled"`
	Failed    int `json:"failed"`
	Pending   int `json:"pending"` // left for the next run (gateway unavailable)
}

// Run queues what is due today and sends the outbox.
func (r *Runner) Run(ctx context.Context) (Report, error) {
	var rep Report
	n, err := r.Plan(ctx)
	rep.Queued = n
	if err != nil {
		return rep, err
	}
	err = r.Send(ctx, &rep)
	return rep, err
}

// Loop runs every interval until ctx ends.
func (r *Runner) Loop(ctx context.Context, every time.Duration) {
	for {
		rep, err := r.Run(ctx)
		if err != nil && ctx.Err() == nil {
			r.opts.Log.Error("reminders run failed", "err", err)
		} else if rep != (Report{}) {
			r.opts.Log.Info("reminders", "queued", rep.Queued, "sent", rep.Sent, "cancelled", rep.Cancelled, "failed", rep.Failed, "pending", rep.Pending)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(every):
		}
	}
}

// Plan queues a reminder for every person due a dose within Before days,
// and for every person whose dose has been due for After days, who has a
// phone and has not opted out. Already queued ones are left alone.
func (r *Runner) Plan(ctx context.Context) (int, error) {
	today := vaxtrace.DateOf(r.opts.Now())
	var todo []vaxtrace.ReminderQueued
	r.eng.Read(func(st *vaxtrace.State) {
		add := func(f vaxtrace.DueFilter, typ string, keep func(vaxtrace.DuePerson) bool) {
			f.Limit = 1000
			for {
				l := st.Due(f)
				for _, d := range l.People {
					if !keep(d) || st.OptedOut(d.Person) {
						continue
					}
					ps := st.Person(d.Person)
					if ps == nil || st.PersonText(ps).PhoneSealed() == "" {
						continue
					}
					id := vaxtrace.ReminderID(d.Person, d.Product, d.Number, typ)
					if st.Reminder(id) != nil {
						continue
					}
					todo = append(todo, vaxtrace.ReminderQueued{ID: id, Person: d.Person, Product: d.Product, Number: d.Number, DueFrom: d.DueFrom, Type: typ})
				}
				if len(l.People) < f.Limit {
					return
				}
				f.Offset += len(l.People)
			}
		}
		// before: due from tomorrow to Before days ahead
		add(vaxtrace.DueFilter{AsOf: today, Ahead: r.opts.Before, From: today.AddDays(1)}, vaxtrace.ReminderBefore, func(vaxtrace.DuePerson) bool { return true })
		// overdue: due After days ago or earlier, but not older than MaxLate more
		add(vaxtrace.DueFilter{AsOf: today, From: today.AddDays(-r.opts.After - r.opts.MaxLate)}, vaxtrace.ReminderOverdue,
			func(d vaxtrace.DuePerson) bool { return d.DueFrom.AddDays(r.opts.After) <= today })
	})
	n := 0
	for _, q := range todo {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		res := r.eng.Submit(ctx, engine.Command{Key: "reminder:" + q.ID, Actor: Actor, Data: q})
		if res.Err != nil {
			if vaxtrace.ErrorCode(res.Err) == vaxtrace.ECONFLICT {
				continue // queued meanwhile (another node)
			}
			return n, res.Err
		}
		if !res.Duplicate {
			n++
		}
	}
	return n, nil
}

// job is one open reminder with what sending it needs.
type job struct {
	rem    vaxtrace.ReminderState
	cancel string // why not to send, if so
	msg    sms.Message
}

// Send sends the open reminders (queued, or left "sending" by a run that
// stopped in the middle), oldest first.
func (r *Runner) Send(ctx context.Context, rep *Report) error {
	if r.opts.Gateway == nil {
		return errors.New("reminders: no SMS gateway configured (--sms-url)")
	}
	var jobs []job
	r.eng.Read(func(st *vaxtrace.State) {
		for _, rem := range st.OpenReminders() {
			jobs = append(jobs, r.prepare(st, rem))
		}
	})
	for _, j := range jobs {
		if err := ctx.Err(); err != nil {
			return err
		}
		id := j.rem.ID
		if j.cancel != "" {
			if err := r.result(ctx, id, vaxtrace.ReminderCancelled, "", j.cancel); err != nil {
				return err
			}
			rep.Cancelled++
			continue
		}
		attempt := j.rem.Attempts + 1
		res := r.eng.Submit(ctx, engine.Command{Key: fmt.Sprintf("reminder-attempt:%s:%d", id, attempt), Actor: Actor,
			Data: vaxtrace.ReminderAttempted{ID: id, Attempt: attempt, At: r.opts.Now().UTC()}})
		if res.Err != nil {
			return res.Err
		}
		out, err := r.opts.Gateway.Send(ctx, j.msg)
		switch {
		case err == nil:
			st := vaxtrace.ReminderAccepted
			if out.Status == "delivered" {
				st = vaxtrace.ReminderDelivered
			}
			if err := r.result(ctx, id, st, out.GatewayID, ""); err != nil {
				return err
			}
			rep.Sent++
		case sms.IsPermanent(err):
			if err := r.result(ctx, id, vaxtrace.ReminderFailed, "", err.Error()); err != nil {
				return err
			}
			rep.Failed++
		case ctx.Err() != nil:
			return ctx.Err() // stopped in the middle: the next run sends it again, under the same idempotency key
		default:
			// the gateway stayed unavailable: leave it for the next run
			r.opts.Log.Warn("reminder not sent", "reminder", id, "err", err)
			rep.Pending++
		}
	}
	return nil
}

func (r *Runner) result(ctx context.Context, id, status, gatewayID, detail string) error {
	res := r.eng.Submit(ctx, engine.Command{Key: "reminder-result:" + id + ":" + status, Actor: Actor,
		Data: vaxtrace.ReminderResult{ID: id, Status: status, GatewayID: gatewayID, Detail: detail, At: r.opts.Now().UTC()}})
	if res.Err != nil && vaxtrace.ErrorCode(res.Err) != vaxtrace.ECONFLICT {
		return res.Err
	}
	return nil
}

// prepare decides whether an open reminder is still to be sent and writes
// its text.
func (r *Runner) prepare(st *vaxtrace.State, rem vaxtrace.ReminderState) job {
	j := job{rem: rem}
	due, ok := st.DueOf(rem.Person)
	switch {
	case !ok || due.Product != rem.Product || due.Number != rem.Number || due.DueFrom != rem.DueFrom:
		j.cancel = "the dose was recorded (or the schedule changed) before the reminder was sent"
		return j
	case st.OptedOut(rem.Person):
		j.cancel = "the person opted out of reminders"
		return j
	}
	ps := st.Person(rem.Person)
	if ps == nil || st.PersonText(ps).PhoneSealed() == "" {
		j.cancel = "no phone number"
		return j
	}
	phone, err := r.opts.Keys.Open(st.PersonText(ps).PhoneSealed())
	if err != nil {
		j.cancel = "the phone number cannot be opened with this server's keys"
		return j
	}
	lang := ps.Lang()
	if lang != "ru" {
		lang = "kk"
	}
	product := rem.Product
	if p := st.Product(rem.Product); p != nil {
		product = p.NameIn(lang)
	}
	place := due.Place
	if pl := st.Place(due.Place); pl != nil {
		place = pl.Name
	}
	j.msg = sms.Message{ID: rem.ID, To: phone, Lang: lang, Text: Text(lang, rem.Type, st.PersonText(ps).Given(), product, rem.Number, rem.DueFrom, place)}
	return j
}

// Text is the reminder's text in Kazakh ("kk") or Russian ("ru").
func Text(lang, typ, given string, product string, number int, due vaxtrace.Date, place string) string {
	d := due.Time().Format("02.01.2006")
	given = strings.TrimSpace(given)
	switch {
	case lang == "ru" && typ == vaxtrace.ReminderOverdue:
		return fmt.Sprintf("%s, срок %d-й дозы вакцины %s наступил %s. Завершите вакцинацию: %s. Чтобы не получать напоминания, ответьте STOP.", given, number, product, d, place)
	case lang == "ru":
		return fmt.Sprintf("%s, напоминаем: %d-я доза вакцины %s положена с %s. Ждём вас: %s. Чтобы не получать напоминания, ответьте STOP.", given, number, product, d, place)
	case typ == vaxtrace.ReminderOverdue:
		return fmt.Sprintf("Құрметті %s! %s екпесінің %d-дозасының мерзімі %s келді. Екпені аяқтаңыз: %s. Хабарламаларды тоқтату үшін STOP деп жауап беріңіз.", given, product, number, d, place)
	}
	return fmt.Sprintf("Құрметті %s! %s екпесінің %d-дозасын %s бастап алуға болады. Сізді күтеміз: %s. Хабарламаларды тоқтату үшін STOP деп жауап беріңіз.", given, product, number, d, place)
}
