// Package httperr maps vaxtrace's domain error codes to HTTP statuses and
// writes the JSON error body. Every HTTP surface (the API, certificates,
// planning) uses it, so the mapping is made in exactly one place.
package httperr

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"vaxtrace"
)

// StatusOf maps a domain error code to an HTTP status.
func StatusOf(code string) int {
	switch code {
	case vaxtrace.EINVALID:
		return http.StatusBadRequest
	case vaxtrace.ENOTFOUND:
		return http.StatusNotFound
	case vaxtrace.ECONFLICT:
		return http.StatusConflict
	case vaxtrace.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case vaxtrace.EFORBIDDEN:
		return http.StatusForbidden
	case vaxtrace.ETOOLARGE:
		return http.StatusRequestEntityTooLarge
	case vaxtrace.EUNAVAILABLE:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// Body is the public JSON form of an error: {"error": Body}. Message is in
// English; Template and Params (the message's fmt format and arguments)
// let a client render it in another language.
type Body struct {
	Code     string `json:"code"`
	Field    string `json:"field,omitempty"`
	Message  string `json:"message"`
	Template string `json:"template,omitempty"`
	Params   []any  `json:"params,omitempty"`
}

// Generic messages of errors whose own text is not shown.
const (
	msgCancelled = "request cancelled or timed out"
	msgInternal  = "internal error"
)

// GenericTemplates lists the message templates this package writes itself
// (the dashboard translates them like every other message).
var GenericTemplates = []string{msgCancelled, msgInternal}

// Of converts any error to its public form; internal errors get a generic
// message (callers log the real one).
func Of(err error) Body {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return Body{Code: vaxtrace.EUNAVAILABLE, Message: msgCancelled, Template: msgCancelled}
	}
	var e *vaxtrace.Error
	if !errors.As(err, &e) || e.Code == vaxtrace.EINTERNAL {
		return Body{Code: vaxtrace.EINTERNAL, Message: msgInternal, Template: msgInternal}
	}
	return Body{Code: e.Code, Field: e.Field, Message: e.Message, Template: e.Template, Params: e.Params}
}

// Write writes err as a JSON error response with its status.
func Write(w http.ResponseWriter, err error) {
	b := Of(err)
	if b.Code == vaxtrace.EUNAUTHORIZED {
		w.Header().Set("WWW-Authenticate", `Bearer realm="vaxtrace"`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(StatusOf(b.Code))
	json.NewEncoder(w).Encode(map[string]Body{"error": b})
}
