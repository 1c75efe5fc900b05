package httpapi

import (
	"encoding/json"
	"net/http"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"vaxtrace"
)

// listResp describes a response {key: [item...], extra...: string}.
type listResp struct {
	key   string
	item  any
	extra []string
}

func list(key string, item any, extra ...string) listResp { return listResp{key, item, extra} }

var pathParam = regexp.MustCompile(`\{([a-z_]+)\}`)

func (s *Server) openapi(w http.ResponseWriter, r *http.Request) error {
	s.openapiOnce.Do(func() {
		b, err := json.MarshalIndent(buildOpenAPI(s.routes), "", "  ")
		if err != nil {
			panic(err)
		}
		s.openapiDoc = b
	})
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_, err := w.Write(s.openapiDoc)
	return err
}

type obj = map[string]any

// buildOpenAPI describes the routes as an OpenAPI 3.1 document. Schemas are
// derived by reflection from the request and response types the handlers
// actually use.
func buildOpenAPI(routes []route) obj {
	g := &schemaGen{comps: obj{}}
	g.comps["Error"] = obj{"type": "object", "properties": obj{"error": g.schema(reflect.TypeFor[apiError]())}}
	paths := obj{}
	for _, rt := range routes {
		item, _ := paths[rt.Path].(obj)
		if item == nil {
			item = obj{}
			paths[rt.Path] = item
		}
		op := obj{
			"operationId": operationID(rt.Method, rt.Path),
			"summary":     rt.Summary,
			"tags":        []string{rt.Tag},
		}
		var params []obj
		for _, m := range pathParam.FindAllStringSubmatch(rt.Path, -1) {
			params = append(params, obj{"name": m[1], "in": "path", "required": true, "schema": obj{"type": "string"}})
		}
		for _, q := range rt.Query {
			params = append(params, obj{"name": q.Name, "in": "query", "required": false, "description": q.Desc, "schema": obj{"type": "string"}})
		}
		if rt.Method == "POST" && rt.Body != nil {
			params = append(params, obj{"name": "Idempotency-Key", "in": "header", "required": false,
				"description": "replaying a request with the same key and body changes nothing; default: the entity's natural key or a hash of the request",
				"schema":      obj{"type": "string", "maxLength": 200}})
		}
		if params != nil {
			op["parameters"] = params
		}
		if rt.Body != nil {
			content := obj{"application/json": obj{"schema": g.schema(reflect.TypeOf(rt.Body))}}
			if rt.Path == "/api/v1/doses/batch" {
				content["application/x-ndjson"] = obj{"schema": g.schema(reflect.TypeOf(rt.Body).Elem())}
			}
			op["requestBody"] = obj{"required": true, "content": content}
		}
		status := rt.Status
		if status == 0 {
			status = http.StatusOK
		}
		op["responses"] = obj{
			strconv.Itoa(status): obj{"description": http.StatusText(status), "content": responseContent(g, rt)},
			"default":            obj{"description": "error", "content": obj{"application/json": obj{"schema": obj{"$ref": "#/components/schemas/Error"}}}},
		}
		switch rt.Access {
		case anyone:
			op["security"] = []obj{{}, {"bearer": []string{}}}
		default:
			op["security"] = []obj{{"bearer": []string{}}}
		}
		op["x-access"] = [...]string{"public", "authenticated", "writer (admin, region, point)", "admin or auditor", "admin"}[rt.Access]
		item[strings.ToLower(rt.Method)] = op
	}
	return obj{
		"openapi": "3.1.0",
		"info": obj{
			"title":       "vaxtrace API",
			"version":     "1",
			"description": "National COVID-19 vaccine supply-to-arm ledger. Writes are idempotent; personal identifiers (IIN) are accepted only in request bodies and never returned in clear.",
		},
		"paths": paths,
		"components": obj{
			"schemas":         g.comps,
			"securitySchemes": obj{"bearer": obj{"type": "http", "scheme": "bearer"}},
		},
	}
}

func responseContent(g *schemaGen, rt route) obj {
	switch rt.Path {
	case "/metrics":
		return obj{"text/plain": obj{"schema": obj{"type": "string"}}}
	case "/api/v1/export/owid":
		return obj{"text/csv": obj{"schema": obj{"type": "string"}}}
	case "/api/v1/events":
		return obj{"application/x-ndjson": obj{"schema": g.schema(reflect.TypeFor[vaxtrace.Event]())}}
	}
	var sch obj
	switch v := rt.Resp.(type) {
	case nil:
		if rt.Body != nil {
			sch = g.schema(reflect.TypeFor[writeResult]())
		} else {
			sch = obj{"type": "object"}
		}
	case listResp:
		props := obj{v.key: obj{"type": "array", "items": g.schema(reflect.TypeOf(v.item))}}
		for _, e := range v.extra {
			props[e] = obj{"type": "string"}
		}
		sch = obj{"type": "object", "properties": props}
	default:
		sch = g.schema(reflect.TypeOf(v))
	}
	return obj{"application/json": obj{"schema": sch}}
}

func operationID(method, path string) string {
	p := strings.TrimPrefix(path, "/api/v1")
	p = pathParam.ReplaceAllString(p, "by_$1")
	p = strings.NewReplacer("/", "_", ".", "_").Replace(strings.Trim(p, "/"))
	return strings.ToLower(method) + "_" + p
}

type schemaGen struct{ comps obj }

var (
	timeType     = reflect.TypeFor[time.Time]()
	dateType     = reflect.TypeFor[vaxtrace.Date]()
	personIDType = reflect.TypeFor[vaxtrace.PersonID]()
)

func (g *schemaGen) schema(t reflect.Type) obj {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t {
	case timeType:
		return obj{"type": "string", "format": "date-time"}
	case dateType:
		return obj{"type": "string", "format": "date", "pattern": `^\d{4}-\d{2}-\d{2}$`}
	case personIDType:
		return obj{"type": "string", "pattern": "^[0-9a-f]{32}$", "description": "person id (keyed hash of the IIN)"}
	}
	switch t.Kind() {
	case reflect.String:
		return obj{"type": "string"}
	case reflect.Bool:
		return obj{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return obj{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return obj{"type": "number"}
	case reflect.Slice, reflect.Array:
		return obj{"type": "array", "items": g.schema(t.Elem())}
	case reflect.Map:
		return obj{"type": "object", "additionalProperties": g.schema(t.Elem())}
	case reflect.Interface:
		return obj{}
	case reflect.Struct:
		name := schemaName(t)
		if _, ok := g.comps[name]; !ok {
			g.comps[name] = obj{} // placeholder for recursive types
			props := obj{}
			g.fields(t, props)
			g.comps[name] = obj{"type": "object", "properties": props}
		}
		return obj{"$ref": "#/components/schemas/" + name}
	}
	return obj{}
}

func (g *schemaGen) fields(t reflect.Type, props obj) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.Anonymous && f.Tag.Get("json") == "" {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				g.fields(ft, props)
				continue
			}
		}
		name := jsonName(f)
		if name == "" {
			continue
		}
		props[name] = g.schema(f.Type)
	}
}

func schemaName(t reflect.Type) string {
	n := t.Name()
	if n == "" {
		return "Object"
	}
	return strings.ToUpper(n[:1]) + n[1:]
}
