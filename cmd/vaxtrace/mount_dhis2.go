package main

import (
	"vaxtrace/dhis2"
	"vaxtrace/engine"
	"vaxtrace/httpapi"
	"vaxtrace/pii"
)

func init() {
	mounts = append(mounts, func(api *httpapi.Server, eng *engine.Engine, _ *pii.Keys, _ storeFlags) error {
		cfg, err := dhis2Config()
		if err != nil {
			return err
		}
		h := dhis2.Handler(eng, cfg, api.Authenticate)
		for _, p := range dhis2.Patterns {
			api.Mount(p.Pattern, "dhis2", p.Summary, h)
		}
		return nil
	})
}
