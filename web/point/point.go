// Package point serves the vaccination point app at /point/: an installable
// progressive web app (manifest, service worker, IndexedDB) for vaccinators
// at points with poor internet, embedded in the binary like the dashboard
// (no build step, no CDN, no request leaves the server's origin).
//
// The app signs people in with a name and password (session cookie + CSRF
// token, see httpapi/session.go), caches what a point needs to work offline
// (the catalog rules and GTINs, the point's lots in stock, regions, and the
// people the vaccinator looked up) and keeps every record it makes in a
// durable IndexedDB queue with client-generated ids until the batch API has
// answered for it. The service worker caches the app shell; its cache is
// named after a hash of every embedded file, so a new binary replaces the
// shell in the browser on the next visit.
//
// With wraps the dashboard handler: /point/... is served from here, every
// other path by the next handler.
package point

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"sort"
	"strings"
	"sync"
	"time"
)

//go:embed app
var files embed.FS

// Prefix is where the app is mounted.
const Prefix = "/point/"

type asset struct {
	body, gz []byte
	ctype    string
	etag     string
}

var (
	once    sync.Once
	assets  map[string]*asset
	version string
	modTime = time.Unix(0, 0)
)

var types = map[string]string{
	".html":        "text/html; charset=utf-8",
	".css":         "text/css; charset=utf-8",
	".js":          "text/javascript; charset=utf-8",
	".json":        "application/json",
	".webmanifest": "application/manifest+json",
	".svg":         "image/svg+xml",
	".png":         "image/png",
}

// versionMark in sw.js is replaced by the hash of all other files.
const versionMark = "__VERSION__"

func load() {
	assets = map[string]*asset{}
	raw := map[string][]byte{}
	var names []string
	err := fs.WalkDir(files, "app", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := files.ReadFile(p)
		if err != nil {
			return err
		}
		name := strings.TrimPrefix(p, "app/")
		raw[name] = b
		names = append(names, name)
		return nil
	})
	if err != nil {
		panic("point: reading embedded assets: " + err.Error())
	}
	sort.Strings(names)
	h := sha256.New()
	for _, n := range names {
		if n != "sw.js" {
			h.Write([]byte(n))
			h.Write(raw[n])
		}
	}
	version = hex.EncodeToString(h.Sum(nil))[:16]
	raw["sw.js"] = bytes.ReplaceAll(raw["sw.js"], []byte(versionMark), []byte(version))
	for _, n := range names {
		b := raw[n]
		sum := sha256.Sum256(b)
		a := &asset{body: b, ctype: types[path.Ext(n)], etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
		if a.ctype == "" {
			a.ctype = "application/octet-stream"
		}
		if len(b) > 512 && !strings.HasPrefix(a.ctype, "image/png") {
			var buf bytes.Buffer
			zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
			zw.Write(b)
			zw.Close()
			if buf.Len() < len(b)*9/10 {
				a.gz = buf.Bytes()
			}
		}
		assets[n] = a
	}
}

// Version is the hash the service worker names its cache after.
func Version() string {
	once.Do(load)
	return version
}

// csp keeps the app to its own origin; the service worker and the
// manifest come from it too.
const csp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self'; worker-src 'self'; manifest-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

// With serves the app under Prefix and passes every other request to next
// (nil: 404).
func With(next http.Handler) http.Handler {
	once.Do(load)
	if next == nil {
		next = http.NotFoundHandler()
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/point":
			http.Redirect(w, r, Prefix, http.StatusMovedPermanently)
		case strings.HasPrefix(r.URL.Path, Prefix):
			serve(w, r)
		default:
			next.ServeHTTP(w, r)
		}
	})
}

func serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	name := strings.TrimPrefix(path.Clean(r.URL.Path+"/."), "/point")
	name = strings.TrimPrefix(name, "/")
	if name == "" || name == "." {
		name = "index.html"
	}
	a := assets[name]
	if a == nil {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", a.ctype)
	h.Set("Cache-Control", "no-cache") // the service worker serves the shell; a new binary is seen at once
	h.Set("ETag", a.etag)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	if a.ctype == types[".html"] {
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Frame-Options", "DENY")
		h.Set("Permissions-Policy", "camera=(self), microphone=(), geolocation=()")
	}
	body := a.body
	if a.gz != nil {
		h.Add("Vary", "Accept-Encoding")
		if acceptsGzip(r) {
			h.Set("Content-Encoding", "gzip")
			body = a.gz
		}
	}
	http.ServeContent(w, r, name, modTime, bytes.NewReader(body))
}

func acceptsGzip(r *http.Request) bool {
	if r.Header.Get("Range") != "" {
		return false
	}
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(enc), "gzip") {
			return strings.TrimSpace(q) != "q=0"
		}
	}
	return false
}
