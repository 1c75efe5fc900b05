package httperr

import (
	"errors"
	"fmt"
	"log/slog"
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

func TestServerErrorsKeepTheirDetailServerSide(t *testing.T) {
	var logs strings.Builder
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&logs, nil)))
	defer slog.SetDefault(old)
	storage := vaxtrace.Errorf(vaxtrace.EUNAVAILABLE, "storage failure: connect to user=svc host=10.0.0.9 port=5432")
	for _, c := range []struct {
		err  error
		want string
	}{
		{storage, UnavailableMessage},
		{fmt.Errorf("wrapped: %w", storage), UnavailableMessage},
		{errors.New("pq: password authentication failed for user svc"), InternalMessage},
		{Public(vaxtrace.Errorf(vaxtrace.EUNAVAILABLE, "2 uploads in progress; retry after 5s")), "2 uploads in progress; retry after 5s"},
	} {
		rec := httptest.NewRecorder()
		rec.Header().Set("X-Request-ID", "req-42")
		Write(rec, c.err)
		if !strings.Contains(rec.Body.String(), c.want) || strings.Contains(rec.Body.String(), "svc") || strings.Contains(rec.Body.String(), "5432") {
			t.Errorf("%v: body %s", c.err, rec.Body)
		}
	}
	if !strings.Contains(logs.String(), "req-42") || !strings.Contains(logs.String(), "10.0.0.9") {
		t.Errorf("detail not logged with the request id:\n%s", logs.String())
	}
	// a client error keeps its message and field
	if b := Of(vaxtrace.FieldError("doses", "must be positive")); b.Message != "must be positive" || b.Field != "doses" {
		t.Errorf("%+v", b)
	}
}
