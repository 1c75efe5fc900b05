package planning

import (
	"errors"
	"strings"

	"vaxtrace"
	"vaxtrace/plan"
)

// domainErr converts a plan.InputError into a vaxtrace EINVALID error
// naming the field; other errors pass unchanged.
func domainErr(err error) error {
	if err == nil {
		return nil
	}
	var ie *plan.InputError
	if errors.As(err, &ie) {
		return vaxtrace.FieldError(ie.Field, "%s", ie.Reason)
	}
	return err
}

// validateErr converts the joined errors of plan.Validate: quantities over
// what is available are a conflict with the current stock (409), anything
// else is invalid input (400). The first problem names the field; the
// message lists them all.
func validateErr(err error) error {
	var list []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		list = j.Unwrap()
	} else {
		list = []error{err}
	}
	code, field := vaxtrace.EINVALID, ""
	var msgs []string
	for _, e := range list {
		var ie *plan.InputError
		if errors.As(e, &ie) {
			if field == "" {
				field = ie.Field
			}
			if ie.Field == "lines" || strings.Contains(ie.Reason, "exceeds") {
				code = vaxtrace.ECONFLICT
			}
			msgs = append(msgs, ie.Field+": "+ie.Reason)
		} else {
			msgs = append(msgs, e.Error())
		}
	}
	return &vaxtrace.Error{Code: code, Field: field, Message: strings.Join(msgs, "; ")}
}
