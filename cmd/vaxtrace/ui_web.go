package main

import (
	"net/http"

	"vaxtrace/web"
)

func init() {
	webUI = func(day string) http.Handler { return web.New(web.Options{DefaultDay: day}) }
}
