package web

import (
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func get(t *testing.T, h http.Handler, path string, hdr map[string]string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w.Result()
}

func TestIndexAndTypes(t *testing.T) {
	h := Handler()
	cases := []struct{ path, ctype, cache string }{
		{"/", "text/html; charset=utf-8", "no-cache"},
		{"/index.html", "text/html; charset=utf-8", "no-cache"},
		{"/app.css", "text/css; charset=utf-8", "no-cache"},
		{"/js/app.js", "text/javascript; charset=utf-8", "no-cache"},
		{"/js/iin.js", "text/javascript; charset=utf-8", "no-cache"},
		{"/kz-regions-2021.geojson", "application/geo+json", "public, max-age=86400"},
		{"/favicon.svg", "image/svg+xml", "public, max-age=86400"},
	}
	for _, c := range cases {
		res := get(t, h, c.path, nil)
		if res.StatusCode != 200 {
			t.Fatalf("%s: status %d", c.path, res.StatusCode)
		}
		if got := res.Header.Get("Content-Type"); got != c.ctype {
			t.Errorf("%s: Content-Type %q, want %q", c.path, got, c.ctype)
		}
		if got := res.Header.Get("Cache-Control"); got != c.cache {
			t.Errorf("%s: Cache-Control %q, want %q", c.path, got, c.cache)
		}
		if res.Header.Get("ETag") == "" || res.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: missing ETag or nosniff", c.path)
		}
	}
	res := get(t, h, "/", nil)
	if !strings.Contains(res.Header.Get("Content-Security-Policy"), "default-src 'self'") {
		t.Errorf("index: CSP %q", res.Header.Get("Content-Security-Policy"))
	}
}

func TestNoExternalReferences(t *testing.T) {
	h := Handler()
	for name, a := range assets {
		if !strings.HasSuffix(name, ".html") && !strings.HasSuffix(name, ".js") && !strings.HasSuffix(name, ".css") {
			continue
		}
		s := string(a.body)
		for _, bad := range []string{"http://", "https://", "//cdn", "@import url("} {
			if i := strings.Index(s, bad); i >= 0 {
				ctx := s[max(0, i-40):min(len(s), i+60)]
				// the SVG namespace is an identifier, not a fetch
				if strings.Contains(ctx, "www.w3.org/2000/svg") {
					continue
				}
				t.Errorf("%s refers to an external URL: %q", name, ctx)
			}
		}
	}
	_ = h
}

func TestETagAndGzip(t *testing.T) {
	h := Handler()
	res := get(t, h, "/js/app.js", nil)
	etag := res.Header.Get("ETag")
	res = get(t, h, "/js/app.js", map[string]string{"If-None-Match": etag})
	if res.StatusCode != http.StatusNotModified {
		t.Fatalf("If-None-Match: status %d, want 304", res.StatusCode)
	}
	plain := get(t, h, "/kz-regions-2021.geojson", nil)
	pb, _ := io.ReadAll(plain.Body)
	res = get(t, h, "/kz-regions-2021.geojson", map[string]string{"Accept-Encoding": "br, gzip"})
	if res.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("no gzip for geojson")
	}
	zr, err := gzip.NewReader(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	zb, _ := io.ReadAll(zr)
	if string(zb) != string(pb) || !strings.Contains(string(pb), `"KZ-AKM"`) {
		t.Fatal("gzip body differs from plain body")
	}
	res = get(t, h, "/kz-regions-2021.geojson", map[string]string{"Accept-Encoding": "gzip;q=0"})
	if res.Header.Get("Content-Encoding") != "" {
		t.Fatal("gzip;q=0 must not be gzipped")
	}
}

func TestNotFoundAndMethods(t *testing.T) {
	h := Handler()
	if res := get(t, h, "/nope.js", nil); res.StatusCode != 404 {
		t.Errorf("unknown asset: %d", res.StatusCode)
	}
	if res := get(t, h, "/../web.go", nil); res.StatusCode != 404 {
		t.Errorf("traversal: %d", res.StatusCode)
	}
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader("x"))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d", w.Code)
	}
	req = httptest.NewRequest(http.MethodHead, "/app.css", nil)
	w = httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code != 200 || w.Body.Len() != 0 {
		t.Errorf("HEAD: %d, %d bytes", w.Code, w.Body.Len())
	}
}

func TestGeoJSONHas17Regions(t *testing.T) {
	Handler()
	s := string(assets["/kz-regions-2021.geojson"].body)
	if n := strings.Count(s, `"iso_2021"`); n != 17 {
		t.Fatalf("%d features, want 17", n)
	}
	if _, ok := assets["/kz-regions-2021.SOURCE.txt"]; !ok {
		t.Fatal("the boundaries' SOURCE (licence, attribution) must ship with them")
	}
}

// The demo's default day reaches the dashboard shell, so the console and the
// dashboard open on the same day.
func TestDefaultDay(t *testing.T) {
	res := get(t, New(Options{DefaultDay: "2021-03-19"}), "/", nil)
	b, _ := io.ReadAll(res.Body)
	if !strings.Contains(string(b), `<meta name="vaxtrace-default-day" content="2021-03-19">`) {
		t.Fatalf("shell without the default day: %s", b)
	}
	plain := get(t, Handler(), "/", nil)
	if plain.Header.Get("ETag") == res.Header.Get("ETag") {
		t.Error("the two shells share an ETag")
	}
	pb, _ := io.ReadAll(plain.Body)
	if !strings.Contains(string(pb), `<meta name="vaxtrace-default-day" content="">`) {
		t.Error("the plain shell lost its empty default-day element")
	}
}
