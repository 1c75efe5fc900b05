package main

import "net/http"

// uiDefaultDay is the day the dashboard opens on (YYYY-MM-DD; "" for the
// latest day with data). The demo sets it to the day its report is for.
var uiDefaultDay string

// uiHandler returns the embedded dashboard (set in ui_web.go).
func uiHandler() http.Handler {
	if webUI != nil {
		return webUI(uiDefaultDay)
	}
	return nil
}

var webUI func(defaultDay string) http.Handler
