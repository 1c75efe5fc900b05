package main

import (
	"vaxtrace/engine"
	"vaxtrace/fhir"
	"vaxtrace/httpapi"
	"vaxtrace/pii"
)

func init() {
	mounts = append(mounts, func(api *httpapi.Server, eng *engine.Engine, keys *pii.Keys, _ storeFlags) error {
		api.Mount("/fhir/", "fhir", "FHIR R4: metadata, Patient/{id}, Immunization/{id}, Immunization?patient=&date=&vaccine-code= (application/fhir+json)", fhir.Handler(eng, keys, api.Authenticate))
		return nil
	})
}
