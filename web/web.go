package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"html"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"
)

//go:embed static
var static embed.FS

// asset is one embedded file, prepared once: its bytes, a gzip copy when
// that is worth it, its content type and a strong ETag.
type asset struct {
	name  string
	body  []byte
	gz    []byte
	ctype string
	etag  string
	cache string
}

var (
	once   sync.Once
	assets map[string]*asset
	// modTime is the same for every embedded file; the ETag carries the identity.
	modTime = time.Unix(0, 0)
)

// contentTypes lists the types of every extension shipped, so the answer
// does not depend on the host's mime tables.
var contentTypes = map[string]string{
	".html":        "text/html; charset=utf-8",
	".css":         "text/css; charset=utf-8",
	".js":          "text/javascript; charset=utf-8",
	".mjs":         "text/javascript; charset=utf-8",
	".json":        "application/json",
	".geojson":     "application/geo+json",
	".svg":         "image/svg+xml",
	".png":         "image/png",
	".ico":         "image/x-icon",
	".txt":         "text/plain; charset=utf-8",
	".webmanifest": "application/manifest+json",
}

func contentType(name string) string {
	ext := strings.ToLower(path.Ext(name))
	if t, ok := contentTypes[ext]; ok {
		return t
	}
	if t := mime.TypeByExtension(ext); t != "" {
		return t
	}
	return "application/octet-stream"
}

// cacheControl: the shell and the code revalidate on every load (cheap 304s
// thanks to the ETag, and an upgrade of the binary is seen at once); the
// boundaries file is static data and may be kept for a day.
func cacheControl(name string) string {
	switch path.Ext(name) {
	case ".geojson", ".png", ".ico", ".svg":
		return "public, max-age=86400"
	}
	return "no-cache"
}

func compressible(ctype string) bool {
	return strings.HasPrefix(ctype, "text/") || strings.Contains(ctype, "json") || strings.Contains(ctype, "svg")
}

func load() {
	assets = map[string]*asset{}
	err := fs.WalkDir(static, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := static.ReadFile(p)
		if err != nil {
			return err
		}
		name := strings.TrimPrefix(p, "static")
		sum := sha256.Sum256(b)
		a := &asset{name: name, body: b, ctype: contentType(name), etag: `"` + hex.EncodeToString(sum[:12]) + `"`, cache: cacheControl(name)}
		if len(b) > 1024 && compressible(a.ctype) {
			var buf bytes.Buffer
			zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
			zw.Write(b)
			zw.Close()
			if buf.Len() < len(b)*9/10 {
				a.gz = buf.Bytes()
			}
		}
		assets[name] = a
		return nil
	})
	if err != nil {
		panic("web: reading embedded assets: " + err.Error())
	}
}

// Handler serves the user interface: "/" is the application shell
// (index.html) and every other path an embedded asset. Unknown paths are
// 404; the application routes with the URL fragment, so it needs no
// fallback. Only GET and HEAD are allowed.
func Handler() http.Handler { return New(Options{}) }

// Options configure the user interface.
type Options struct {
	// DefaultDay is the day the dashboard opens on when the URL names none
	// (YYYY-MM-DD); empty means the latest day with data. The demo sets it
	// to the day its console report is for, so that both agree.
	DefaultDay string
}

// New serves the user interface with options.
func New(opts Options) http.Handler {
	once.Do(load)
	if opts.DefaultDay == "" {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { serve(w, r, assets) })
	}
	// The shell carries the default day in a meta element.
	own := make(map[string]*asset, len(assets))
	for k, v := range assets {
		own[k] = v
	}
	idx := *assets["/index.html"]
	idx.body = bytes.Replace(idx.body, []byte(`<meta name="vaxtrace-default-day" content="">`),
		[]byte(`<meta name="vaxtrace-default-day" content="`+html.EscapeString(opts.DefaultDay)+`">`), 1)
	idx.gz = nil
	sum := sha256.Sum256(idx.body)
	idx.etag = `"` + hex.EncodeToString(sum[:12]) + `"`
	own["/index.html"] = &idx
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { serve(w, r, own) })
}

// csp keeps the page to its own origin: scripts, styles, data and images
// come from the server only.
const csp = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

func serve(w http.ResponseWriter, r *http.Request, assets map[string]*asset) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	name := path.Clean("/" + r.URL.Path)
	if name == "/" {
		name = "/index.html"
	}
	a := assets[name]
	if a == nil {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", a.ctype)
	h.Set("Cache-Control", a.cache)
	h.Set("ETag", a.etag)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	if a.ctype == contentTypes[".html"] {
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Frame-Options", "DENY")
	}
	body := a.body
	if a.gz != nil {
		h.Add("Vary", "Accept-Encoding")
		if acceptsGzip(r) {
			h.Set("Content-Encoding", "gzip")
			body = a.gz
		}
	}
	// ServeContent handles If-None-Match / If-Modified-Since, HEAD and ranges.
	http.ServeContent(w, r, a.name, modTime, bytes.NewReader(body))
}

func acceptsGzip(r *http.Request) bool {
	if r.Header.Get("Range") != "" {
		return false // ranges apply to the identity encoding
	}
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(enc), "gzip") {
			continue
		}
		q = strings.TrimSpace(q)
		if v, ok := strings.CutPrefix(q, "q="); ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil && f <= 0 {
				return false
			}
		}
		return true
	}
	return false
}
