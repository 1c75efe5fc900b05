package httpapi

import (
	"reflect"
	"strings"
)

// Fields named by errors come from the API's own types, except one: an
// "unknown field" error names what the client sent. The access log keeps a
// field only if the API defines it, so that nothing a client chose (a name
// could hold an IIN or any text) is written to the log.

// fixedFields are field names errors use that are not JSON fields of a
// request type.
var fixedFields = []string{"body", "line", "id", "name", "after", "limit", "Idempotency-Key", "Authorization"}

// knownFields collects every JSON field name of the routes' request types
// and every query parameter.
func knownFields(routes []route) map[string]bool {
	set := map[string]bool{}
	for _, f := range fixedFields {
		set[f] = true
	}
	seen := map[reflect.Type]bool{}
	for _, rt := range routes {
		for _, q := range rt.Query {
			set[q.Name] = true
		}
		if rt.Body != nil {
			collectFields(reflect.TypeOf(rt.Body), set, seen)
		}
	}
	return set
}

func collectFields(t reflect.Type, set map[string]bool, seen map[reflect.Type]bool) {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array || t.Kind() == reflect.Map {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || seen[t] {
		return
	}
	seen[t] = true
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.Anonymous && f.Tag.Get("json") == "" {
			collectFields(f.Type, set, seen)
			continue
		}
		if name := jsonName(f); name != "" {
			set[name] = true
			collectFields(f.Type, set, seen)
		}
	}
}

// logField returns field as the access log may show it: itself when every
// part of its path ("lines[2].doses": lines, doses) is a field the API
// defines, otherwise "(unknown)".
func (s *Server) logField(field string) string {
	for _, part := range strings.Split(field, ".") {
		if i := strings.IndexByte(part, '['); i >= 0 {
			if !strings.HasSuffix(part, "]") || strings.Trim(part[i+1:len(part)-1], "0123456789") != "" {
				return "(unknown)"
			}
			part = part[:i]
		}
		if !s.known[part] {
			return "(unknown)"
		}
	}
	return field
}
