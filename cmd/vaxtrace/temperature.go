package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"vaxtrace"
	"vaxtrace/engine"
	"vaxtrace/monitor"
	"vaxtrace/mqtt"
	"vaxtrace/templog"
)

func init() {
	register("temperature", "temperature monitoring: import recorder files, or subscribe to devices over MQTT", runTemperature)
}

func runTemperature(ctx context.Context, args []string) error {
	usage := "usage: vaxtrace temperature import [flags] FILE...   (Fridge-tag .txt or CSV, per-row report)\n       vaxtrace temperature subscribe [flags]          (MQTT subscriber: vaxtrace/v1/rtm/<device>)"
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, usage)
		return flag.ErrHelp
	}
	switch args[0] {
	case "import":
		return runTemperatureImport(ctx, args[1:])
	case "subscribe":
		return runTemperatureSubscribe(ctx, args[1:])
	}
	fmt.Fprintln(os.Stderr, usage)
	return vaxtrace.FieldError("command", "unknown temperature command %q", args[0])
}

func runTemperatureImport(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("temperature import", flag.ContinueOnError)
	var sf storeFlags
	sf.add(fs)
	device := fs.String("device", "", "device of a CSV without a device column")
	offset := fs.String("utc-offset", "", "zone of times written without one, e.g. +06:00 (default UTC)")
	format := fs.String("format", "table", "report format: table or json")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return vaxtrace.FieldError("file", "name at least one recorder file")
	}
	o := templog.Options{Device: *device}
	if *offset != "" {
		t, err := time.Parse("-07:00", *offset)
		if err != nil {
			return vaxtrace.FieldError("utc-offset", "must look like +06:00")
		}
		_, sec := t.Zone()
		o.Location = time.FixedZone("UTC"+*offset, sec)
	}
	eng, _, err := sf.open(ctx, 0)
	if err != nil {
		return err
	}
	defer closeAll(eng)
	m, err := monitor.New(eng, monitor.Options{Actor: vaxtrace.Principal{Name: "cli", Role: vaxtrace.RoleAdmin}})
	if err != nil {
		return err
	}
	failed := false
	for _, path := range fs.Args() {
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		f, err := templog.Parse(b, o)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		rep, err := m.Import(ctx, filepath.Base(path), f)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		if *format == "json" {
			enc := json.NewEncoder(os.Stdout)
			enc.SetIndent("", "  ")
			if err := enc.Encode(rep); err != nil {
				return err
			}
		} else {
			printImport(rep)
		}
		failed = failed || rep.Refused > 0
	}
	if failed {
		return vaxtrace.Errorf(vaxtrace.EINVALID, "some rows were refused (see the report)")
	}
	return nil
}

func printImport(rep *monitor.ImportReport) {
	fmt.Printf("%s (%s, devices %v): %d stored, %d already stored, %d refused, %d days\n", rep.File, rep.Format, rep.Devices, rep.Stored, rep.Duplicates, rep.Refused, rep.Days)
	for _, w := range rep.Warnings {
		fmt.Printf("  warning: %s\n", w)
	}
	for _, r := range rep.Rows {
		if r.Status == monitor.RowStored && r.Alarm == "" {
			continue // quiet about the ordinary rows
		}
		line := fmt.Sprintf("  line %5d  %-9s %-20s", r.Line, r.Status, r.At)
		if r.Reason != "" {
			line += "  " + r.Reason
		}
		if r.Message != "" {
			line += "  " + r.Message
		}
		if r.Alarm != "" {
			line += "  alarm " + r.Event + ": " + r.Alarm
		}
		fmt.Println(line)
	}
	for _, o := range rep.Outcomes {
		switch {
		case o.Error != "":
			fmt.Printf("  alarm %s: refused: %s\n", o.Alarm, o.Error)
		case o.Existing:
		case o.Opened && o.Excursion != "":
			fmt.Printf("  alarm %s opened (%s); excursion %s quarantines %d lot(s)\n", o.Alarm, o.Kind, o.Excursion, o.Lots)
		case o.Opened:
			fmt.Printf("  alarm %s opened (%s)\n", o.Alarm, o.Kind)
		default:
			fmt.Printf("  alarm %s cleared\n", o.Alarm)
		}
	}
}

// mqttFlags are the flags of the MQTT subscriber.
type mqttFlags struct {
	broker, client, user, pass string
	qos                        int
	silent                     time.Duration
}

func (f *mqttFlags) add(fs *flag.FlagSet, broker string) {
	fs.StringVar(&f.broker, "mqtt", broker, "MQTT broker URL, e.g. tcp://127.0.0.1:1883")
	fs.StringVar(&f.client, "mqtt-client", env("VAXTRACE_MQTT_CLIENT", "vaxtrace-monitor"), "MQTT client id (the persistent session's name)")
	fs.StringVar(&f.user, "mqtt-user", env("VAXTRACE_MQTT_USER", ""), "MQTT user name")
	fs.StringVar(&f.pass, "mqtt-password", env("VAXTRACE_MQTT_PASSWORD", ""), "MQTT password")
	fs.IntVar(&f.qos, "mqtt-qos", 1, "subscription QoS: 1 (at least once, queued by the broker while away) or 0")
	fs.DurationVar(&f.silent, "silent-after", time.Hour, "alert when a device has not reported for this long")
}

// startMonitor resumes the monitor and subscribes it to every device topic.
func startMonitor(ctx context.Context, eng *engine.Engine, f mqttFlags) (*monitor.Monitor, *mqtt.Subscriber, error) {
	if f.qos != 0 && f.qos != 1 {
		return nil, nil, vaxtrace.FieldError("mqtt-qos", "must be 0 or 1")
	}
	m, err := monitor.New(eng, monitor.Options{SilentAfter: f.silent})
	if err != nil {
		return nil, nil, err
	}
	if err := m.Start(ctx); err != nil {
		return nil, nil, err
	}
	sub, err := mqtt.Subscribe(ctx, mqtt.Config{Broker: f.broker, ClientID: f.client, Username: f.user, Password: f.pass}, monitor.TopicFilter, byte(f.qos), func(topic string, b []byte) { m.HandleMessage(topic, b) })
	if err != nil {
		return nil, nil, err
	}
	slog.Info("temperature monitor subscribed", "broker", f.broker, "topics", monitor.TopicFilter, "client", f.client)
	return m, sub, nil
}

func runTemperatureSubscribe(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("temperature subscribe", flag.ContinueOnError)
	var sf storeFlags
	sf.add(fs)
	var mf mqttFlags
	mf.add(fs, env("VAXTRACE_MQTT", "tcp://127.0.0.1:1883"))
	every := fs.Duration("report", time.Minute, "log the counters this often")
	if err := fs.Parse(args); err != nil {
		return err
	}
	// catch up with the API nodes' writes (equipment defined, lots moved)
	eng, _, err := sf.open(ctx, time.Second)
	if err != nil {
		return err
	}
	defer closeAll(eng)
	m, sub, err := startMonitor(ctx, eng, mf)
	if err != nil {
		return err
	}
	defer sub.Close()
	t := time.NewTicker(*every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			sub.Close()
			fctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			return m.Flush(fctx)
		case <-t.C:
			slog.Info("temperature monitor", "received", m.Stats.Received.Load(), "stored", m.Stats.Stored.Load(), "refused", m.Stats.Refused(), "alarms", m.Stats.Opened.Load(), "cleared", m.Stats.Cleared.Load(), "connected", sub.Connected())
		}
	}
}

// silentAfter reads VAXTRACE_SILENT_AFTER (default one hour).
func silentAfter() time.Duration {
	if d, err := time.ParseDuration(os.Getenv("VAXTRACE_SILENT_AFTER")); err == nil && d > 0 {
		return d
	}
	return time.Hour
}
