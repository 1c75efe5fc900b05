package main

import (
	"context"

	"vaxtrace/certs"
	"vaxtrace/engine"
	"vaxtrace/httpapi"
	"vaxtrace/pii"
)

func init() {
	mounts = append(mounts, func(api *httpapi.Server, eng *engine.Engine, _ *pii.Keys, sf storeFlags) error {
		svc, err := sf.openCerts(context.Background(), eng)
		if err != nil {
			return err
		}
		h := certs.Handler(eng, svc, api.Authenticate)
		for _, p := range certs.Patterns {
			api.Mount(p, "certificates", "EU DCC vaccination certificates: issue, QR, print, verify offline, revoke, trust and revocation lists", h)
		}
		return nil
	})
}
