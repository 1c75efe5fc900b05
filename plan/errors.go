package plan

import "fmt"

// InputError reports invalid input to a plan function. Field names the
// offending input the way a caller would write it ("horizonDays",
// "regions[3].onHand[SPUTNIK-V/II]", "lines[2].doses").
type InputError struct {
	Field  string
	Reason string
}

func (e *InputError) Error() string { return fmt.Sprintf("plan: invalid %s: %s", e.Field, e.Reason) }

func inputErr(field, format string, args ...any) *InputError {
	return &InputError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// ParseError is a row-level error of ParseOWID. It unwraps to an *InputError
// whose Field is the column name.
type ParseError struct {
	Line   int    // 1-based line of the CSV record (header is line 1)
	Column string // column name, "" for record-level problems
	Err    error
}

func (e *ParseError) Error() string {
	if e.Column == "" {
		return fmt.Sprintf("owid: line %d: %v", e.Line, e.Err)
	}
	return fmt.Sprintf("owid: line %d, column %s: %v", e.Line, e.Column, e.Err)
}

func (e *ParseError) Unwrap() error { return e.Err }
