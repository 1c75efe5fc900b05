package main

import (
	"net/http"

	"vaxtrace/web"
	"vaxtrace/web/point"
)

// the dashboard at /, the vaccination point app at /point/
func init() {
	webUI = func(day string) http.Handler { return point.With(web.New(web.Options{DefaultDay: day})) }
}
