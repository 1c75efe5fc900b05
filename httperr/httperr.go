// Package httperr maps vaxtrace's domain error codes to HTTP statuses and
// writes the JSON error body. Every HTTP surface (the API, certificates,
// planning) uses it, so the mapping is made in exactly one place.
//
// Server-side failures (5xx: internal, unavailable) never show their text to
// clients: a storage error can carry the database's user, host and port. The
// client gets a fixed message and the X-Request-ID under which the detail is
// logged. A handler that answers 503 on purpose with a message meant for
// clients (too many uploads, retry later) marks it with Public.
package httperr

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
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

// Public marks a server-side error whose message is written for clients
// (for example "too many uploads in progress; retry later"), so that Of
// shows it instead of the fixed message.
func Public(err *vaxtrace.Error) error { return publicError{err} }

type publicError struct{ e *vaxtrace.Error }

// IsPublic reports whether err was marked with Public.
func IsPublic(err error) bool {
	var pub publicError
	return errors.As(err, &pub)
}

func (p publicError) Error() string { return p.e.Error() }
func (p publicError) Unwrap() error { return p.e }

// Fixed messages of server-side failures and of cancelled requests.
const (
	InternalMessage    = "internal error"
	UnavailableMessage = "the service is temporarily unavailable; try again later"
	msgCancelled       = "request cancelled or timed out"
)

// GenericTemplates lists the message templates this package writes itself
// (the dashboard translates them like every other message).
var GenericTemplates = []string{msgCancelled, InternalMessage, UnavailableMessage}

// Of converts any error to its public form. Client errors (4xx) keep their
// domain message and field; server-side failures (5xx) get a fixed message
// unless marked Public: callers log the real one with the request id.
func Of(err error) Body {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return Body{Code: vaxtrace.EUNAVAILABLE, Message: msgCancelled, Template: msgCancelled}
	}
	var e *vaxtrace.Error
	if !errors.As(err, &e) {
		return Body{Code: vaxtrace.EINTERNAL, Message: InternalMessage, Template: InternalMessage}
	}
	if StatusOf(e.Code) >= 500 {
		var pub publicError
		if errors.As(err, &pub) && pub.e.Code == e.Code {
			return Body{Code: e.Code, Message: pub.e.Message, Template: pub.e.Template, Params: pub.e.Params}
		}
		if e.Code == vaxtrace.EUNAVAILABLE {
			return Body{Code: e.Code, Message: UnavailableMessage, Template: UnavailableMessage}
		}
		return Body{Code: vaxtrace.EINTERNAL, Message: InternalMessage, Template: InternalMessage}
	}
	return Body{Code: e.Code, Field: e.Field, Message: e.Message, Template: e.Template, Params: e.Params}
}

// Write writes err as a JSON error response with its status. A server-side
// failure is logged (slog.Default) with the response's X-Request-ID, which
// the API's middleware sets before any handler runs.
func Write(w http.ResponseWriter, err error) {
	b := Of(err)
	if StatusOf(b.Code) >= 500 && !errors.Is(err, context.Canceled) {
		slog.Error("request failed", "request_id", w.Header().Get("X-Request-ID"), "code", b.Code, "err", err)
	}
	if b.Code == vaxtrace.EUNAUTHORIZED {
		w.Header().Set("WWW-Authenticate", `Bearer realm="vaxtrace"`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(StatusOf(b.Code))
	json.NewEncoder(w).Encode(map[string]Body{"error": b})
}
