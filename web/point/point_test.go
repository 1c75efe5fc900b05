package point

import (
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strings"
	"testing"
)

func get(t *testing.T, h http.Handler, path string, hdr ...string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w.Result()
}

func body(t *testing.T, r *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestServing(t *testing.T) {
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(299) })
	h := With(next)
	cases := []struct{ path, ctype string }{
		{"/point/", "text/html; charset=utf-8"},
		{"/point/index.html", "text/html; charset=utf-8"},
		{"/point/manifest.webmanifest", "application/manifest+json"},
		{"/point/sw.js", "text/javascript; charset=utf-8"},
		{"/point/js/main.js", "text/javascript; charset=utf-8"},
		{"/point/i18n.json", "application/json"},
		{"/point/icon-192.png", "image/png"},
	}
	for _, c := range cases {
		r := get(t, h, c.path)
		if r.StatusCode != 200 || r.Header.Get("Content-Type") != c.ctype || r.Header.Get("ETag") == "" || r.Header.Get("Cache-Control") != "no-cache" {
			t.Errorf("%s: %d %q %q", c.path, r.StatusCode, r.Header.Get("Content-Type"), r.Header.Get("Cache-Control"))
		}
	}
	idx := get(t, h, "/point/")
	if csp := idx.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, "worker-src 'self'") {
		t.Errorf("CSP %q", csp)
	}
	if r := get(t, h, "/point"); r.StatusCode != http.StatusMovedPermanently || r.Header.Get("Location") != "/point/" {
		t.Errorf("/point: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	for _, p := range []string{"/", "/api/v1/whoami", "/js/app.js", "/pointless"} {
		if r := get(t, h, p); r.StatusCode != 299 {
			t.Errorf("%s was not passed on: %d", p, r.StatusCode)
		}
	}
	for _, p := range []string{"/point/nope.js", "/point/../web.go", "/point/js/../../point.go"} {
		if r := get(t, h, p); r.StatusCode != 404 {
			t.Errorf("%s: %d", p, r.StatusCode)
		}
	}
	gz := get(t, h, "/point/js/dose.js", "Accept-Encoding", "gzip")
	if gz.Header.Get("Content-Encoding") != "gzip" {
		t.Fatal("no gzip")
	}
	zr, _ := gzip.NewReader(gz.Body)
	zb, _ := io.ReadAll(zr)
	if string(zb) != body(t, get(t, h, "/point/js/dose.js")) {
		t.Fatal("gzip body differs")
	}
}

// TestServiceWorkerShell: the service worker caches every file of the app
// (and names nothing that does not exist), and its cache is named after
// this build.
func TestServiceWorkerShell(t *testing.T) {
	h := With(nil)
	sw := body(t, get(t, h, "/point/sw.js"))
	if strings.Contains(sw, versionMark) || !strings.Contains(sw, "vaxtrace-point-"+Version()) {
		t.Fatalf("the cache name is not the build's version %s", Version())
	}
	m := regexp.MustCompile(`(?s)const SHELL = \[(.*?)\];`).FindStringSubmatch(sw)
	if m == nil {
		t.Fatal("no SHELL list in sw.js")
	}
	listed := map[string]bool{}
	for _, s := range regexp.MustCompile(`'([^']+)'`).FindAllStringSubmatch(m[1], -1) {
		listed[s[1]] = true
	}
	for name := range assets {
		if name != "sw.js" && !listed[name] {
			t.Errorf("%s is not cached by the service worker: the app would break offline", name)
		}
	}
	for name := range listed {
		if name != "./" && assets[name] == nil {
			t.Errorf("the service worker caches %s, which does not exist", name)
		}
	}
}

// TestTranslations: every key the scripts use exists in en, ru and kk.
func TestTranslations(t *testing.T) {
	Version()
	var tr map[string]map[string]string
	if err := json.Unmarshal(assets["i18n.json"].body, &tr); err != nil {
		t.Fatal(err)
	}
	for _, lang := range []string{"en", "ru", "kk"} {
		if len(tr[lang]) != len(tr["en"]) {
			t.Errorf("%s has %d strings, en %d", lang, len(tr[lang]), len(tr["en"]))
		}
		for k, v := range tr["en"] {
			if strings.TrimSpace(tr[lang][k]) == "" {
				t.Errorf("%s: %s missing", lang, k)
			}
			// placeholders must survive translation
			for _, ph := range regexp.MustCompile(`\{\w+\}`).FindAllString(v, -1) {
				if !strings.Contains(tr[lang][k], ph) {
					t.Errorf("%s: %s lacks %s", lang, k, ph)
				}
			}
		}
	}
	used := map[string]bool{}
	keyRe := regexp.MustCompile(`\bt\('([a-z0-9_]+)'|key: '([a-z0-9_]+)'|'((?:rule|scan)_[a-z_]+)'`)
	for name, a := range assets {
		if strings.HasSuffix(name, ".js") {
			for _, m := range keyRe.FindAllStringSubmatch(string(a.body), -1) {
				used[m[1]+m[2]+m[3]] = true
			}
		}
	}
	dynamic := map[string][]string{
		"iin_":    {"digits", "never", "check", "ok", "len"},
		"person_": {"found", "new", "unknown", "queued"},
		"role_":   {"admin", "region", "point", "auditor"},
		"close_":  {"pending", "accepted", "rejected"},
	}
	var missing []string
	for k := range used {
		if suffixes, ok := dynamic[k]; ok {
			for _, s := range suffixes {
				if tr["en"][k+s] == "" {
					missing = append(missing, k+s)
				}
			}
			continue
		}
		if tr["en"][k] == "" {
			missing = append(missing, k)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("keys used but not translated: %v", missing)
	}
}

func TestNoExternalReferences(t *testing.T) {
	Version()
	for name, a := range assets {
		if !strings.HasSuffix(name, ".html") && !strings.HasSuffix(name, ".js") && !strings.HasSuffix(name, ".css") && !strings.HasSuffix(name, ".webmanifest") {
			continue
		}
		s := string(a.body)
		for _, bad := range []string{"http://", "https://", "//cdn", "@import"} {
			if i := strings.Index(s, bad); i >= 0 && !strings.Contains(s[max(0, i-60):min(len(s), i+40)], "startsWith('http") {
				t.Errorf("%s refers to an external URL: %q", name, s[max(0, i-40):min(len(s), i+60)])
			}
		}
	}
}

// TestScriptBudget: the app's scripts stay within 200 KB gzip-compressed
// (the budget for a slow 3G link).
func TestScriptBudget(t *testing.T) {
	Version()
	total, raw := 0, 0
	for name, a := range assets {
		if !strings.HasSuffix(name, ".js") {
			continue
		}
		raw += len(a.body)
		if a.gz != nil {
			total += len(a.gz)
		} else {
			total += len(a.body)
		}
	}
	t.Logf("scripts: %d bytes, %d gzip-compressed", raw, total)
	if total > 200*1024 {
		t.Fatalf("scripts are %d bytes compressed, over the 200 KB budget", total)
	}
}

func TestManifest(t *testing.T) {
	Version()
	var m struct {
		StartURL string `json:"start_url"`
		Scope    string `json:"scope"`
		Display  string `json:"display"`
		Icons    []struct{ Src, Sizes, Type string }
	}
	if err := json.Unmarshal(assets["manifest.webmanifest"].body, &m); err != nil {
		t.Fatal(err)
	}
	if m.Scope != Prefix || !strings.HasPrefix(m.StartURL, Prefix) || m.Display != "standalone" {
		t.Fatalf("manifest %+v", m)
	}
	sizes := map[string]bool{}
	for _, ic := range m.Icons {
		if assets[ic.Src] == nil {
			t.Errorf("icon %s missing", ic.Src)
		}
		sizes[ic.Sizes] = true
	}
	if !sizes["192x192"] || !sizes["512x512"] {
		t.Errorf("installable apps need 192 and 512 px icons: %v", sizes)
	}
}
