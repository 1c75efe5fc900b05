package vaxtrace

import "fmt"

// newError builds a domain error: the English message, and the template
// and parameters it was made from.
func newError(code, field, format string, args []any) *Error {
	e := &Error{Code: code, Field: field, Message: fmt.Sprintf(format, args...), Template: format}
	if len(args) > 0 {
		e.Params = make([]any, len(args))
		for i, a := range args {
			e.Params[i] = Param(a)
		}
	}
	return e
}

// Param converts a message argument to a JSON value: numbers, strings and
// booleans stay as they are (a client formats numbers for its language and
// picks plural forms from them), anything else becomes its fmt %v text
// (dates "YYYY-MM-DD").
func Param(a any) any {
	switch v := a.(type) {
	case string, bool, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, float32, float64:
		return v
	}
	return fmt.Sprint(a)
}
