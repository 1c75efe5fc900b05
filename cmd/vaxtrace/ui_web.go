package main

import "vaxtrace/web"

func init() { webUI = web.Handler }
