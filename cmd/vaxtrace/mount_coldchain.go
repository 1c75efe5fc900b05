package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"vaxtrace/engine"
	"vaxtrace/httpapi"
	"vaxtrace/pii"
)

// With VAXTRACE_MQTT set (e.g. tcp://127.0.0.1:1883), serve and demo also
// run the temperature monitor: they subscribe to the devices' topics and
// the API serves its counters. `vaxtrace temperature subscribe` runs the
// same monitor as a process of its own.
func init() {
	mounts = append(mounts, func(api *httpapi.Server, eng *engine.Engine, _ *pii.Keys, _ storeFlags) error {
		broker := os.Getenv("VAXTRACE_MQTT")
		if broker == "" {
			return nil
		}
		ctx, _ := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		mf := mqttFlags{broker: broker, client: env("VAXTRACE_MQTT_CLIENT", "vaxtrace-monitor"), user: os.Getenv("VAXTRACE_MQTT_USER"), pass: os.Getenv("VAXTRACE_MQTT_PASSWORD"), qos: 1, silent: silentAfter()}
		m, _, err := startMonitor(ctx, eng, mf)
		if err != nil {
			return err
		}
		api.UseMonitor(m)
		return nil
	})
}
