package fhir

import (
	_ "embed"
	"encoding/json"
	"fmt"

	"vaxtrace"
)

//go:embed catalog-routine.json
var routineJSON []byte

// RoutineProducts returns the routine (non-COVID) catalog entries defined in
// catalog-routine.json: one product per CVX code found in the shared FHIR
// test data. The lead loads them with ProductDefined events; each is valid
// by vaxtrace.Product.Validate.
func RoutineProducts() []vaxtrace.Product {
	var doc struct {
		Products []vaxtrace.Product `json:"products"`
	}
	if err := json.Unmarshal(routineJSON, &doc); err != nil {
		panic(fmt.Sprintf("fhir: embedded catalog-routine.json: %v", err))
	}
	return doc.Products
}
