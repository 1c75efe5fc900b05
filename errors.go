package vaxtrace

import (
	"errors"
	"fmt"
)

// Error codes, in the style of github.com/benbjohnson/wtf. They are mapped to
// HTTP status codes exactly once, in the http package.
const (
	EINVALID      = "invalid"      // input failed validation
	ENOTFOUND     = "not_found"    // a referenced entity does not exist
	ECONFLICT     = "conflict"     // the request conflicts with current state (e.g. idempotency key reused with other content)
	EUNAUTHORIZED = "unauthorized" // no or bad credentials
	EFORBIDDEN    = "forbidden"    // credentials valid, action outside the caller's role or scope
	ETOOLARGE     = "too_large"    // request body or file too large
	EINTERNAL     = "internal"     // a bug or an infrastructure failure
	EUNAVAILABLE  = "unavailable"  // the service cannot take writes right now
)

// Error is the domain error. Field names the offending input field (or file
// row and column) so that a clinic can fix exactly what was wrong.
//
// Message is the English text. Template and Params are what it was made
// from (the fmt format and its arguments), so that a client can render the
// message in its own language: the dashboard keeps a translation of every
// template, with the plural forms and word order of Kazakh and Russian.
type Error struct {
	Code     string `json:"code"`
	Field    string `json:"field,omitempty"`
	Message  string `json:"message"`
	Template string `json:"template,omitempty"`
	Params   []any  `json:"params,omitempty"`
}

func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s: %s: %s", e.Code, e.Field, e.Message)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Errorf returns a domain error with no field.
func Errorf(code, format string, args ...any) *Error {
	return newError(code, "", format, args)
}

// FieldError returns an EINVALID error naming the field.
func FieldError(field, format string, args ...any) *Error {
	return newError(EINVALID, field, format, args)
}

// NotFound returns an ENOTFOUND error naming the field that referenced it.
func NotFound(field, format string, args ...any) *Error {
	return newError(ENOTFOUND, field, format, args)
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL for
// any other non-nil error and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the human message of err, hiding internal details.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}

// ErrorField returns the field named by err, if any.
func ErrorField(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Field
	}
	return ""
}

// WithField returns a copy of err whose field is prefixed by prefix (for
// example a row number); non-domain errors are returned unchanged.
func WithField(err error, prefix string) error {
	var e *Error
	if !errors.As(err, &e) {
		return err
	}
	c := *e
	if c.Field == "" {
		c.Field = prefix
	} else {
		c.Field = prefix + "." + c.Field
	}
	return &c
}
