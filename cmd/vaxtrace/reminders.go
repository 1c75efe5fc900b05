package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"time"

	"vaxtrace"
	"vaxtrace/engine"
	"vaxtrace/httpapi"
	"vaxtrace/pii"
	"vaxtrace/reminders"
	"vaxtrace/sms"
)

func init() {
	register("reminders", "send SMS reminders for doses due (7 days before, 3 days after) through the SMS gateway at --sms-url", runReminders)
	mounts = append(mounts, mountReminders)
}

// reminderFlags are shared by `reminders run` and `serve --reminders`.
type reminderFlags struct {
	url           string
	before, after int
	every         time.Duration
	enabled       bool
}

func (f *reminderFlags) add(fs *flag.FlagSet) {
	fs.StringVar(&f.url, "sms-url", env("VAXTRACE_SMS_URL", ""), "SMS gateway endpoint (JSON POST, see package sms); its bearer token is read from env VAXTRACE_SMS_TOKEN")
	fs.IntVar(&f.before, "remind-before", 7, "days before the due day to send the first reminder")
	fs.IntVar(&f.after, "remind-after", 3, "days after the due day to send the overdue reminder")
}

func (f *reminderFlags) runner(eng *engine.Engine, keys *pii.Keys) (*reminders.Runner, error) {
	if f.url == "" {
		return nil, vaxtrace.FieldError("sms-url", "required: the SMS gateway's endpoint")
	}
	if f.before < 1 || f.before > 60 || f.after < 1 || f.after > 60 {
		return nil, vaxtrace.FieldError("remind-before", "the reminder days must be between 1 and 60")
	}
	gw := &sms.Client{URL: f.url, Token: os.Getenv("VAXTRACE_SMS_TOKEN")}
	return reminders.New(eng, reminders.Options{Before: f.before, After: f.after, Gateway: gw, Keys: keys, Log: slog.Default()}), nil
}

// serveReminders is set by serve's flags: --reminders starts the loop.
var serveReminders reminderFlags

// addServeReminderFlags adds the reminder flags to serve.
func addServeReminderFlags(fs *flag.FlagSet) {
	serveReminders.add(fs)
	fs.BoolVar(&serveReminders.enabled, "reminders", false, "send SMS reminders in the background (needs --sms-url)")
	fs.DurationVar(&serveReminders.every, "reminders-every", 15*time.Minute, "how often the background reminder run starts")
}

func mountReminders(_ *httpapi.Server, eng *engine.Engine, keys *pii.Keys, _ storeFlags) error {
	if !serveReminders.enabled {
		return nil
	}
	r, err := serveReminders.runner(eng, keys)
	if err != nil {
		return err
	}
	go r.Loop(context.Background(), max(serveReminders.every, time.Minute))
	return nil
}

const remindersUsage = `usage: vaxtrace reminders run --sms-url URL [--remind-before 7] [--remind-after 3]

Queues a reminder for every person with a phone who is due a dose in the
next --remind-before days or has been due for --remind-after days, and sends
the outbox through the gateway (token from env VAXTRACE_SMS_TOKEN). Nothing
is sent twice for the same due dose, and nothing once the dose is recorded.
serve --reminders does the same in the background.`

func runReminders(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "run" {
		fmt.Fprintln(os.Stderr, remindersUsage)
		return flag.ErrHelp
	}
	fs := flag.NewFlagSet("reminders run", flag.ContinueOnError)
	var sf storeFlags
	sf.add(fs)
	var rf reminderFlags
	rf.add(fs)
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	eng, keys, err := sf.open(ctx, 0)
	if err != nil {
		return err
	}
	defer closeAll(eng)
	r, err := rf.runner(eng, keys)
	if err != nil {
		return err
	}
	rep, err := r.Run(ctx)
	out, _ := json.Marshal(rep)
	fmt.Println(string(out))
	return err
}
