package vaxtrace

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"
)

// A domain error carries its template and parameters beside the English
// message, so that a client can render it in another language.
func TestErrorTemplateAndParams(t *testing.T) {
	cases := []struct {
		err      *Error
		message  string
		template string
		params   string // JSON
	}{
		{FieldError("doses", "must be positive"), "must be positive", "must be positive", "null"},
		{NotFound("lot", "unknown lot %q", "L-1"), `unknown lot "L-1"`, "unknown lot %q", `["L-1"]`},
		{Errorf(ECONFLICT, "%d doses asked but only %d on hand at %s", 7, 5, "VP-1"), "7 doses asked but only 5 on hand at VP-1", "%d doses asked but only %d on hand at %s", `[7,5,"VP-1"]`},
		{FieldError("at", "lot %q expired on %s", "L", MkDate(2021, 3, 1)), `lot "L" expired on 2021-03-01`, "lot %q expired on %s", `["L","2021-03-01"]`},
		{FieldError("x", "%v", fmt.Errorf("boom")), "boom", "%v", `["boom"]`},
	}
	for _, c := range cases {
		p, _ := json.Marshal(c.err.Params)
		if c.err.Message != c.message || c.err.Template != c.template || string(p) != c.params {
			t.Errorf("%+v: params %s; want %q, %q, %s", c.err, p, c.message, c.template, c.params)
		}
	}
	// WithField keeps them
	e := WithField(NotFound("lot", "unknown lot %q", "L-1"), "lines[2]")
	var de *Error
	if !errors.As(e, &de) || de.Template != "unknown lot %q" || de.Field != "lines[2].lot" || len(de.Params) != 1 {
		t.Errorf("WithField lost the template: %+v", e)
	}
	b, _ := json.Marshal(NotFound("lot", "unknown lot %q", "L-1"))
	if string(b) != `{"code":"not_found","field":"lot","message":"unknown lot \"L-1\"","template":"unknown lot %q","params":["L-1"]}` {
		t.Errorf("JSON %s", b)
	}
}
