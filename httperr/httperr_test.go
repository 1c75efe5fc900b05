package httperr

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"vaxtrace"
)

func TestMapping(t *testing.T) {
	cases := []struct {
		err    error
		status int
	}{
		{vaxtrace.FieldError("doses", "must be positive"), 400},
		{vaxtrace.NotFound("lot", "unknown"), 404},
		{vaxtrace.Errorf(vaxtrace.ECONFLICT, "x"), 409},
		{vaxtrace.Errorf(vaxtrace.EUNAUTHORIZED, "x"), 401},
		{vaxtrace.Errorf(vaxtrace.EFORBIDDEN, "x"), 403},
		{vaxtrace.Errorf(vaxtrace.ETOOLARGE, "x"), 413},
		{vaxtrace.Errorf(vaxtrace.EUNAVAILABLE, "x"), 503},
		{errors.New("disk on fire"), 500},
	}
	for _, c := range cases {
		rec := httptest.NewRecorder()
		Write(rec, c.err)
		if rec.Code != c.status {
			t.Errorf("%v: status %d, want %d", c.err, rec.Code, c.status)
		}
		if strings.Contains(rec.Body.String(), "disk on fire") {
			t.Error("internal error text leaked")
		}
	}
	rec := httptest.NewRecorder()
	Write(rec, vaxtrace.FieldError("doses", "must be positive"))
	if !strings.Contains(rec.Body.String(), `"field":"doses"`) || rec.Header().Get("Content-Type") == "" {
		t.Fatalf("body %s", rec.Body)
	}
	if StatusOf("nonsense") != http.StatusInternalServerError {
		t.Fatal("unknown code")
	}
}
