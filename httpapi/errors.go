package httpapi

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"time"

	"vaxtrace"
	"vaxtrace/httperr"
)

// apiError is the JSON form of a domain error.
type apiError = httperr.Body

type errorBody struct {
	Error apiError `json:"error"`
}

// toAPIError converts any error to its public form: internal errors keep a
// generic message (the real one is logged by fail).
func toAPIError(err error) apiError { return httperr.Of(err) }

// fail writes err as a JSON error response.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	e := toAPIError(err)
	status := httperr.StatusOf(e.Code)
	if ri := info(r.Context()); ri != nil {
		ri.code, ri.field = e.Code, e.Field
		switch {
		case status >= 500 && httperr.IsPublic(err): // deliberate (too many uploads): not a failure
			s.log.Warn("request refused", "request_id", ri.id, "code", e.Code, "reason", e.Message)
		case status >= 500:
			s.log.Error("request failed", "request_id", ri.id, "code", e.Code, "err", err)
		}
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="vaxtrace"`)
	}
	if status == http.StatusServiceUnavailable {
		s.retryAfter(w)
	}
	writeJSON(w, status, errorBody{Error: e})
}

// writeJSON writes v with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"error":{"code":"internal","message":"internal error"}}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(b)
	_, _ = w.Write([]byte("\n"))
}

// readBody reads the whole request body, at most limit bytes.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, vaxtrace.Errorf(vaxtrace.ETOOLARGE, "request body exceeds %d bytes", mbe.Limit)
		}
		return nil, vaxtrace.Errorf(vaxtrace.EINVALID, "cannot read request body")
	}
	return b, nil
}

// decode reads the body of r into v: unknown fields and trailing data are
// rejected, and errors name the offending field.
func (s *Server) decode(w http.ResponseWriter, r *http.Request, v any) error {
	b, err := readBody(w, r, s.opts.MaxBody)
	if err != nil {
		return err
	}
	return decodeJSON(b, v)
}

// decodeJSON decodes one JSON value strictly.
func decodeJSON(b []byte, v any) error {
	if len(bytes.TrimSpace(b)) == 0 {
		return vaxtrace.FieldError("body", "a JSON object is required")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err, b, reflect.TypeOf(v))
	}
	if _, err := dec.Token(); err != io.EOF {
		return vaxtrace.FieldError("body", "unexpected data after the JSON value (offset %d)", dec.InputOffset())
	}
	return nil
}

// jsonError turns an encoding/json error into a domain error naming the
// field where possible.
func jsonError(err error, body []byte, t reflect.Type) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	var de *vaxtrace.Error
	switch {
	case errors.As(err, &se):
		return vaxtrace.FieldError("body", "malformed JSON at offset %d: %s", se.Offset, se.Error())
	case errors.Is(err, io.ErrUnexpectedEOF):
		return vaxtrace.FieldError("body", "malformed JSON: unexpected end of input (truncated?)")
	case errors.As(err, &te):
		field := withoutEmbedded(t, te.Field)
		if field == "" {
			field = "body"
		}
		return vaxtrace.FieldError(field, "must be %s, not %s", jsonKind(te.Type), te.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return vaxtrace.FieldError(name, "unknown field")
	}
	// an error from a field's own UnmarshalJSON (dates, times, person ids):
	// find the field by trying each value on its own.
	field := blame(t, body, "")
	if field == "" {
		field = "body"
	}
	msg := err.Error()
	if errors.As(err, &de) {
		msg = de.Message
	} else {
		var pe *time.ParseError
		if errors.As(err, &pe) {
			msg = "must be an RFC 3339 time such as 2021-03-19T10:00:00+06:00"
		}
	}
	return vaxtrace.FieldError(field, "%s", msg)
}

func jsonKind(t reflect.Type) string {
	if t == nil {
		return "a value"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	}
	return "a " + t.String()
}

var (
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// blame returns the path of the first value in raw that fails to decode into
// its field of type t on its own, or "".
func blame(t reflect.Type, raw []byte, path string) string {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil {
		return ""
	}
	pt := reflect.PointerTo(t)
	if pt.Implements(jsonUnmarshaler) || pt.Implements(textUnmarshaler) {
		if err := json.Unmarshal(raw, reflect.New(t).Interface()); err != nil {
			return path
		}
		return ""
	}
	join := func(name string) string {
		if path == "" {
			return name
		}
		return path + "." + name
	}
	switch t.Kind() {
	case reflect.Struct:
		var m map[string]json.RawMessage
		if json.Unmarshal(raw, &m) != nil {
			return ""
		}
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name := jsonName(f)
			if f.Anonymous && f.Tag.Get("json") == "" {
				// an embedded struct (exported or not): its fields are ours
				if p := blame(f.Type, raw, path); p != "" {
					return p
				}
				continue
			}
			if name == "" {
				continue
			}
			for k, v := range m {
				if strings.EqualFold(k, name) {
					if p := blame(f.Type, v, join(name)); p != "" {
						return p
					}
				}
			}
		}
	case reflect.Slice, reflect.Array:
		var items []json.RawMessage
		if json.Unmarshal(raw, &items) != nil {
			return ""
		}
		for i, it := range items {
			if p := blame(t.Elem(), it, fmt.Sprintf("%s[%d]", path, i)); p != "" {
				return p
			}
		}
	}
	return ""
}

// jsonName returns the JSON name of a struct field, "" if it is skipped.
func jsonName(f reflect.StructField) string {
	if !f.IsExported() {
		return ""
	}
	tag := f.Tag.Get("json")
	if tag == "-" {
		return ""
	}
	name, _, _ := strings.Cut(tag, ",")
	if name == "" {
		name = f.Name
	}
	return name
}

// withoutEmbedded drops from a decoder's field path ("doseRequest.id") the
// names of embedded structs, whose fields the JSON object holds directly.
func withoutEmbedded(t reflect.Type, field string) string {
	var out []string
	for _, seg := range strings.Split(field, ".") {
		for t != nil && (t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			t = t.Elem()
		}
		embedded := false
		if t != nil && t.Kind() == reflect.Struct {
			var next reflect.Type
			for i := 0; i < t.NumField(); i++ {
				f := t.Field(i)
				if f.Anonymous && f.Type.Name() == seg {
					embedded, next = true, f.Type
					break
				}
				if jsonName(f) == seg {
					next = f.Type
				}
			}
			t = next
		} else {
			t = nil
		}
		if !embedded {
			out = append(out, seg)
		}
	}
	return strings.Join(out, ".")
}
