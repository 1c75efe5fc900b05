package main

import "net/http"

// uiHandler returns the embedded dashboard (set in ui_web.go).
func uiHandler() http.Handler {
	if webUI != nil {
		return webUI()
	}
	return nil
}

var webUI func() http.Handler
