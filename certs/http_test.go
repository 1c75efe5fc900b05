package certs

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"vaxtrace"
	"vaxtrace/hcert"
)

var principals = map[string]vaxtrace.Principal{
	"admin":  admin,
	"akm":    {Name: "akm", Role: vaxtrace.RoleRegion, Region: "KZ-AKM"},
	"ala":    {Name: "ala", Role: vaxtrace.RoleRegion, Region: "KZ-ALA"},
	"pt-akm": {Name: "pt-akm", Role: vaxtrace.RolePoint, Place: "pt-akm"},
	"aud":    {Name: "aud", Role: vaxtrace.RoleAuditor},
}

// testAuthn maps "Bearer <name>" to principals; no header is public.
func testAuthn(r *http.Request) (vaxtrace.Principal, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return vaxtrace.Principal{Name: "public", Role: vaxtrace.RolePublic}, nil
	}
	p, ok := principals[strings.TrimPrefix(h, "Bearer ")]
	if !ok {
		return p, vaxtrace.Errorf(vaxtrace.EUNAUTHORIZED, "unknown or revoked token")
	}
	return p, nil
}

type resp struct {
	status int
	header http.Header
	body   []byte
}

func (r resp) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, r.body)
	}
	return m
}

func (r resp) errInfo(t *testing.T) (code, field string) {
	t.Helper()
	e, _ := r.json(t)["error"].(map[string]any)
	if e == nil {
		t.Fatalf("no error object: %s", r.body)
	}
	code, _ = e["code"].(string)
	field, _ = e["field"].(string)
	return
}

func do(t *testing.T, h http.Handler, method, path, who string, body any, hdr ...string) resp {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		raw, _ := json.Marshal(b)
		rd = bytes.NewReader(raw)
	}
	req := httptest.NewRequest(method, path, rd)
	if who != "" {
		req.Header.Set("Authorization", "Bearer "+who)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return resp{rec.Code, rec.Header(), rec.Body.Bytes()}
}

func TestHandler(t *testing.T) {
	f := newFixture(t)
	hh := Handler(f.eng, f.svc, testAuthn)
	p, iin := f.person("85010140010", "Жұмабаева", "Гүлнар", "KZ-AKM", day(1985, 1, 1))
	f.dose(p, ts(2021, 3, 1, 9), "pt-akm", "SV-I")
	verify := func(body any, hdr ...string) resp {
		return do(t, hh, "POST", "/api/v1/certificates/verify?clock="+url.QueryEscape(f.now.Add(time.Second).Format(time.RFC3339)), "", body, hdr...)
	}

	// Issue: scope and input checks.
	if r := do(t, hh, "POST", "/api/v1/certificates", "", map[string]any{"person": p.String()}); r.status != 401 {
		t.Fatalf("public: %d %s", r.status, r.body)
	}
	if r := do(t, hh, "POST", "/api/v1/certificates", "nobody", map[string]any{"person": p.String()}); r.status != 401 {
		t.Fatalf("bad token: %d", r.status)
	}
	r := do(t, hh, "POST", "/api/v1/certificates", "ala", map[string]any{"person": p.String()})
	if c, _ := r.errInfo(t); r.status != 403 || c != vaxtrace.EFORBIDDEN {
		t.Fatalf("other region: %d %s", r.status, r.body)
	}
	r = do(t, hh, "POST", "/api/v1/certificates", "admin", map[string]any{"person": "xyz"})
	if c, fl := r.errInfo(t); r.status != 400 || c != vaxtrace.EINVALID || fl != "person" {
		t.Fatalf("bad id: %d %s", r.status, r.body)
	}
	r = do(t, hh, "POST", "/api/v1/certificates", "admin", `{"person":"`+p.String()+`","iin":"1"}`)
	if _, fl := r.errInfo(t); r.status != 400 || fl != "iin" {
		t.Fatalf("unknown field: %d %s", r.status, r.body)
	}
	r = do(t, hh, "POST", "/api/v1/certificates", "admin", strings.Repeat("x", 20000))
	if r.status != 413 {
		t.Fatalf("large body: %d", r.status)
	}
	r = do(t, hh, "POST", "/api/v1/certificates", "admin", map[string]any{"person": "00000000000000000000000000000001"})
	if r.status != 404 {
		t.Fatalf("unknown person: %d %s", r.status, r.body)
	}

	r = do(t, hh, "POST", "/api/v1/certificates", "akm", map[string]any{"person": p.String()})
	if r.status != 201 {
		t.Fatalf("issue: %d %s", r.status, r.body)
	}
	var is issueResponse
	if err := json.Unmarshal(r.body, &is); err != nil {
		t.Fatal(err)
	}
	noIIN(t, iin, string(r.body))
	// issuing again answers 200 with the same certificate
	r2 := do(t, hh, "POST", "/api/v1/certificates", "akm", map[string]any{"person": p.String()})
	var again issueResponse
	if r2.status != 200 || json.Unmarshal(r2.body, &again) != nil || !again.Existing || again.UVCI != is.UVCI || again.HC1 != is.HC1 {
		t.Fatalf("issue again: %d %s", r2.status, r2.body)
	}
	if !strings.HasPrefix(is.HC1, "HC1:") || len(is.PNG) == 0 || is.PrintURL != "/api/v1/certificates/"+url.PathEscape(is.UVCI)+"/print" {
		t.Fatalf("issue response %+v", is.PrintURL)
	}
	if !strings.Contains(is.PrintURL, "%23") {
		t.Fatalf("'#' not escaped in %s", is.PrintURL)
	}

	// QR and printable page.
	r = do(t, hh, "GET", is.QRURL, "pt-akm", nil)
	if r.status != 200 || r.header.Get("Content-Type") != "image/png" {
		t.Fatalf("qr: %d %s", r.status, r.body)
	}
	if text, err := hcert.DecodeQRPNG(r.body); err != nil || text != is.HC1 {
		t.Fatalf("qr.png decodes to %q (%v)", text, err)
	}
	r = do(t, hh, "GET", is.PrintURL, "aud", nil)
	page := string(r.body)
	if r.status != 200 || !strings.Contains(page, "Жұмабаева, Гүлнар") || !strings.Contains(page, "ZHUMABAEVA GULNAR") ||
		!strings.Contains(page, "data:image/png;base64,") || !strings.Contains(page, is.UVCI) || !strings.Contains(page, "1 / 2") ||
		!strings.Contains(page, "Sputnik V (Gam-COVID-Vac)") || !strings.Contains(page, "1985-01-01") || !strings.Contains(page, DefaultIssuer) {
		t.Fatalf("print page: %d\n%s", r.status, page)
	}
	noIIN(t, iin, page)
	if csp := r.header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
		t.Fatalf("CSP %q", csp)
	}
	if r := do(t, hh, "GET", is.PrintURL, "ala", nil); r.status != 403 {
		t.Fatalf("print by other region: %d", r.status)
	}
	if r := do(t, hh, "GET", is.PrintURL, "", nil); r.status != 401 {
		t.Fatalf("print by public: %d", r.status)
	}
	if r := do(t, hh, "GET", "/api/v1/certificates/URN:UVCI:01:KZ:NOPE%23A/qr.png", "admin", nil); r.status != 404 {
		t.Fatalf("unknown uvci: %d", r.status)
	}
	// Another server (or after a restart) knows the certificate but not
	// its HC1: 404 with the advice to reissue.
	other := Handler(f.eng, &Service{auth: f.svc.auth, trust: f.svc.trust, tjson: f.svc.tjson, recent: newLRU(10), Now: f.svc.Now, Issuer: DefaultIssuer}, testAuthn)
	if r := do(t, other, "GET", is.QRURL, "admin", nil); r.status != 404 || !strings.Contains(string(r.body), "issue a new certificate") {
		t.Fatalf("not held: %d %s", r.status, r.body)
	}

	// Verify: text, JSON, PNG; garbage is 200 with a precise reason.
	r = verify(is.HC1, "Content-Type", "text/plain")
	if m := r.json(t); r.status != 200 || m["ok"] != true || m["code"] != "ok" || m["uvci"] != is.UVCI {
		t.Fatalf("verify: %d %s", r.status, r.body)
	}
	if m := r.json(t); m["certificate"] == nil || len(m["steps"].([]any)) < 10 {
		t.Fatalf("verify result lacks details: %s", r.body)
	}
	if r := verify(map[string]string{"hc1": is.HC1}, "Content-Type", "application/json"); r.json(t)["ok"] != true {
		t.Fatalf("verify JSON: %s", r.body)
	}
	if r := verify(is.PNG, "Content-Type", "image/png"); r.json(t)["ok"] != true {
		t.Fatalf("verify PNG: %s", r.body)
	}
	for _, c := range []struct{ body, code, step string }{
		{"HC1:not base45!", "base45", "base45"},
		{"HC2:ABC", "prefix", "prefix"},
		{"HC1:" + is.HC1[4:len(is.HC1)-6], "", ""}, // truncated: base45 or zlib
		{string(bytes.Repeat([]byte("A"), 9000)), "input_too_large", "input"},
	} {
		r := verify(c.body)
		m := r.json(t)
		if r.status != 200 || m["ok"] != false || m["reason"] == "" {
			t.Fatalf("garbage %q: %d %s", c.body[:8], r.status, r.body)
		}
		if c.code != "" && (m["code"] != c.code || m["step"] != c.step) {
			t.Fatalf("garbage %q: code %v step %v, want %s %s", c.body[:8], m["code"], m["step"], c.code, c.step)
		}
	}
	if r := verify("", "Content-Type", "text/plain"); r.status != 400 {
		t.Fatalf("empty: %d", r.status)
	}
	if r := do(t, hh, "POST", "/api/v1/certificates/verify?clock=yesterday", "", is.HC1); r.status != 400 {
		t.Fatalf("bad clock: %d", r.status)
	}
	if r := do(t, hh, "POST", "/api/v1/certificates/verify?clock=2031-01-01T00:00:00Z", "", is.HC1); r.json(t)["code"] != "expired" {
		t.Fatalf("expired: %s", r.body)
	}

	// Trust list and revocations are public.
	r = do(t, hh, "GET", "/api/v1/trustlist", "", nil)
	if _, err := ParseTrustList(r.body); r.status != 200 || err != nil {
		t.Fatalf("trustlist: %d %v", r.status, err)
	}
	// Revoke: admin only.
	rp := "/api/v1/certificates/" + url.PathEscape(is.UVCI) + "/revoke"
	if r := do(t, hh, "POST", rp, "akm", map[string]string{"reason": "lost"}); r.status != 403 {
		t.Fatalf("revoke by region: %d %s", r.status, r.body)
	}
	if r := do(t, hh, "POST", rp, "admin", map[string]string{}); r.status != 400 {
		t.Fatalf("revoke without reason: %d %s", r.status, r.body)
	}
	if r := do(t, hh, "POST", rp, "admin", map[string]string{"reason": "lost"}); r.status != 200 {
		t.Fatalf("revoke: %d %s", r.status, r.body)
	}
	if r := do(t, hh, "POST", rp, "admin", map[string]string{"reason": "lost"}); r.status != 200 || r.json(t)["duplicate"] != true {
		t.Fatalf("revoke again: %d %s", r.status, r.body)
	}
	if r := do(t, hh, "POST", "/api/v1/certificates/URN:UVCI:01:KZ:NOPE%23A/revoke", "admin", map[string]string{"reason": "x"}); r.status != 404 {
		t.Fatalf("revoke unknown: %d %s", r.status, r.body)
	}
	if m := verify(is.HC1).json(t); m["code"] != "revoked" || m["step"] != "revocation" {
		t.Fatalf("after revoke: %v", m)
	}
	if r := do(t, hh, "GET", is.PrintURL, "admin", nil); r.status != 409 {
		t.Fatalf("print revoked: %d", r.status)
	}
	r = do(t, hh, "GET", "/api/v1/revocations", "", nil)
	hash := hcert.UVCIHash(is.UVCI)
	if r.status != 200 || !strings.Contains(string(r.body), hex.EncodeToString(hash[:])) || strings.Contains(string(r.body), is.UVCI) {
		t.Fatalf("revocations: %s", r.body)
	}
	if r := do(t, hh, "GET", "/api/v1/certificates", "admin", nil); r.status != 405 && r.status != 404 {
		t.Fatalf("wrong method: %d", r.status)
	}
}
