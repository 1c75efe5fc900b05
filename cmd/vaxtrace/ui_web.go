package main

import (
	"net/http"

	"vaxtrace/web"
	"vaxtrace/web/point"
)

// the dashboard at /, the vaccination point app at /point/
func init() { webUI = func() http.Handler { return point.With(web.Handler()) } }
