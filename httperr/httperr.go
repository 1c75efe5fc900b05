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

// Body is the public JSON form of an error: {"error": Body}.
type Body struct {
	Code    string `json:"code"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

// Of converts any error to its public form; internal errors get a generic
// message (callers log the real one).
func Of(err error) Body {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return Body{Code: vaxtrace.EUNAVAILABLE, Message: "request cancelled or timed out"}
	}
	code := vaxtrace.ErrorCode(err)
	if code == vaxtrace.EINTERNAL {
		return Body{Code: code, Message: "internal error"}
	}
	return Body{Code: code, Field: vaxtrace.ErrorField(err), Message: vaxtrace.ErrorMessage(err)}
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
