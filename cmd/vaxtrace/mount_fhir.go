package main

import (
	"vaxtrace/engine"
	"vaxtrace/fhir"
	"vaxtrace/httpapi"
	"vaxtrace/pii"
)

func init() {
	mounts = append(mounts, func(api *httpapi.Server, eng *engine.Engine, keys *pii.Keys, _ storeFlags) error {
		api.Mount(fhir.ImportPattern, "fhir", "Import a FHIR R4 Bundle or NDJSON through the engine; lenient options for foreign data: default_region, default_place, default_vaccinator, default_lot=product=lot (repeatable); every rejection in the answer", fhir.ImportHandler(eng, keys, api.Authenticate))
		api.Mount("/fhir/", "fhir", "FHIR R4: metadata, Patient/{id}, Immunization/{id}, Immunization?patient=&date=&vaccine-code= (application/fhir+json)", fhir.Handler(eng, keys, api.Authenticate))
		return nil
	})
}
