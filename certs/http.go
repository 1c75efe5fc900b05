package certs

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"vaxtrace"
	"vaxtrace/engine"
	"vaxtrace/hcert"
	"vaxtrace/httperr"
)

// Patterns are the routes served by Handler (net/http ServeMux syntax), for
// mounting and documentation.
var Patterns = []string{
	"POST /api/v1/certificates",
	"GET /api/v1/certificates/{uvci}/qr.png",
	"GET /api/v1/certificates/{uvci}/print",
	"POST /api/v1/certificates/verify",
	"POST /api/v1/certificates/{uvci}/revoke",
	"GET /api/v1/trustlist",
	"GET /api/v1/revocations",
}

// maxJSONBody bounds the JSON request bodies (issue, revoke).
const maxJSONBody = 16 << 10

type handler struct {
	eng   *engine.Engine
	svc   *Service
	authn func(*http.Request) (vaxtrace.Principal, error)
	now   func() time.Time
}

// Handler serves the certificate API (see Patterns):
//
//	POST /api/v1/certificates {"person": "<id>"}          issue (201; 200 with the existing one)
//	GET  /api/v1/certificates/{uvci}/qr.png               QR of a recent certificate
//	GET  /api/v1/certificates/{uvci}/print                printable HTML page
//	POST /api/v1/certificates/verify [?clock=RFC3339]     verify (public)
//	POST /api/v1/certificates/{uvci}/revoke {"reason"}    revoke (admin)
//	GET  /api/v1/trustlist                                trust list (public)
//	GET  /api/v1/revocations                              revocation list (public)
//
// authn resolves the caller (no credentials: the public role; bad ones: an
// EUNAUTHORIZED error). The {uvci} segment is the UVCI percent-encoded
// ("#" as %23). Errors are JSON {"error":{"code","field","message"}}.
func Handler(eng *engine.Engine, svc *Service, authn func(r *http.Request) (vaxtrace.Principal, error)) http.Handler {
	h := &handler{eng: eng, svc: svc, authn: authn, now: time.Now}
	mux := http.NewServeMux()
	mux.HandleFunc(Patterns[0], h.issue)
	mux.HandleFunc(Patterns[1], h.qr)
	mux.HandleFunc(Patterns[2], h.print)
	mux.HandleFunc(Patterns[3], h.verify)
	mux.HandleFunc(Patterns[4], h.revoke)
	mux.HandleFunc(Patterns[5], h.trustList)
	mux.HandleFunc(Patterns[6], h.revocations)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fail(w, vaxtrace.Errorf(vaxtrace.ENOTFOUND, "no such certificate endpoint: %s %s", r.Method, r.URL.Path))
	})
	return mux
}

func fail(w http.ResponseWriter, err error) {
	if httperr.StatusOf(httperr.Of(err).Code) >= 500 {
		slog.Error("certificate request failed", "code", vaxtrace.ErrorCode(err), "err", err)
	}
	w.Header().Set("X-Content-Type-Options", "nosniff")
	httperr.Write(w, err)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":{"code":"internal","message":"internal error"}}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	w.Write(b)
	w.Write([]byte("\n"))
}

func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, vaxtrace.Errorf(vaxtrace.ETOOLARGE, "request body exceeds %d bytes", mbe.Limit)
		}
		return nil, vaxtrace.FieldError("body", "cannot read request body")
	}
	return b, nil
}

func decodeStrict(b []byte, v any) error {
	if len(bytes.TrimSpace(b)) == 0 {
		return vaxtrace.FieldError("body", "a JSON object is required")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var de *vaxtrace.Error
		if errors.As(err, &de) {
			return de
		}
		if strings.HasPrefix(err.Error(), "json: unknown field ") {
			return vaxtrace.FieldError(strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`), "unknown field")
		}
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return vaxtrace.FieldError(te.Field, "must be a %s", te.Type)
		}
		return vaxtrace.FieldError("body", "malformed JSON: %v", err)
	}
	if dec.More() {
		return vaxtrace.FieldError("body", "unexpected data after the JSON value")
	}
	return nil
}

// caller authenticates; public callers are refused with EUNAUTHORIZED.
func (h *handler) caller(r *http.Request) (vaxtrace.Principal, error) {
	p, err := h.authn(r)
	if err != nil {
		return p, err
	}
	if p.Role == "" || p.Role == vaxtrace.RolePublic {
		return p, vaxtrace.Errorf(vaxtrace.EUNAUTHORIZED, "sign in with a token to do this")
	}
	return p, nil
}

type issueRequest struct {
	Person string `json:"person"`
}

// issueResponse is Issued with links.
type issueResponse struct {
	Issued
	QRURL    string `json:"qr_url"`
	PrintURL string `json:"print_url"`
}

func certPath(uvci, leaf string) string {
	return "/api/v1/certificates/" + url.PathEscape(uvci) + "/" + leaf
}

func (h *handler) issue(w http.ResponseWriter, r *http.Request) {
	p, err := h.caller(r)
	if err != nil {
		fail(w, err)
		return
	}
	b, err := readBody(w, r, maxJSONBody)
	if err != nil {
		fail(w, err)
		return
	}
	var req issueRequest
	if err := decodeStrict(b, &req); err != nil {
		fail(w, err)
		return
	}
	id, err := vaxtrace.ParsePersonID(req.Person)
	if err != nil {
		fail(w, err)
		return
	}
	is, err := h.svc.Issue(r.Context(), h.eng, p, id)
	if err != nil {
		fail(w, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Location", certPath(is.UVCI, "print"))
	status := http.StatusCreated
	if is.Existing {
		status = http.StatusOK // the dose's live certificate, nothing new
	}
	writeJSON(w, status, issueResponse{Issued: is, QRURL: certPath(is.UVCI, "qr.png"), PrintURL: certPath(is.UVCI, "print")})
}

// recentFor resolves a recent certificate the caller may see: admin and
// auditor always, region and point roles when the certified dose's place is
// in their scope. A revoked certificate is refused with ECONFLICT.
func (h *handler) recentFor(r *http.Request) (string, recentCert, error) {
	p, err := h.caller(r)
	if err != nil {
		return "", recentCert{}, err
	}
	uvci := r.PathValue("uvci")
	var cerr error
	h.eng.Read(func(st *vaxtrace.State) {
		c := st.Certificate(uvci)
		if c == nil {
			cerr = vaxtrace.NotFound("uvci", "unknown certificate %q (percent-encode the '#' as %%23)", uvci)
			return
		}
		place := ""
		if d := st.Dose(c.Dose); d != nil {
			place = d.Place(st)
		}
		if !p.CanReadPlace(st, place) {
			cerr = vaxtrace.Errorf(vaxtrace.EFORBIDDEN, "this certificate's dose is outside your scope")
			return
		}
		if c.Revoked {
			cerr = vaxtrace.Errorf(vaxtrace.ECONFLICT, "certificate %s is revoked (%s); issue a new one", uvci, c.RevokedBy)
		}
	})
	if cerr != nil {
		return uvci, recentCert{}, cerr
	}
	rc, ok := h.svc.recent.get(uvci)
	if !ok {
		return uvci, recentCert{}, vaxtrace.NotFound("uvci", "certificate %s is valid but its QR code is no longer held by this server (only recently issued ones are); issue a new certificate with POST /api/v1/certificates", uvci)
	}
	return uvci, rc, nil
}

func (h *handler) qr(w http.ResponseWriter, r *http.Request) {
	_, rc, err := h.recentFor(r)
	if err != nil {
		fail(w, err)
		return
	}
	png, err := hcert.QRPNG(rc.hc1, QRSize)
	if err != nil {
		fail(w, err)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Write(png)
}

var printPage = template.Must(template.New("print").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>COVID-19 vaccination certificate</title>
<style>
body{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;color:#111}
h1{font-size:1.4rem;margin:0 0 .2rem} .sub{color:#555;margin:0 0 1.2rem}
.qr{float:right;margin:0 0 1rem 1rem} .qr img{width:18rem;height:18rem;image-rendering:pixelated}
table{border-collapse:collapse} th{text-align:left;padding:.2rem 1rem .2rem 0;color:#444;font-weight:normal} td{padding:.2rem 0;font-weight:600}
.uvci{font-family:monospace;word-break:break-all;font-size:.85rem}
@media print{body{margin:0}}
</style></head><body>
<div class="qr"><img alt="EU Digital COVID Certificate QR code" src="{{.QR}}"></div>
<h1>COVID-19 vaccination certificate</h1>
<p class="sub">EU Digital COVID Certificate format (HCERT) · {{.Issuer}}</p>
<table>
<tr><th>Surname(s), forename(s)</th><td>{{.Name}}</td></tr>
<tr><th>Standardised name</th><td>{{.NameT}}</td></tr>
<tr><th>Date of birth</th><td>{{if .DOB}}{{.DOB}}{{else}}—{{end}}</td></tr>
{{range .Vaccinations}}
<tr><th>Vaccine / product</th><td>{{.ProductName}} ({{.Product}})</td></tr>
<tr><th>Prophylaxis</th><td>{{.Prophylaxis}}</td></tr>
<tr><th>Manufacturer</th><td>{{.Manufacturer}}</td></tr>
<tr><th>Dose</th><td>{{.DoseNumber}} / {{.SeriesDoses}}</td></tr>
<tr><th>Date of vaccination</th><td>{{.Date}}</td></tr>
<tr><th>Country</th><td>{{.Country}}</td></tr>
{{end}}
<tr><th>Certificate valid until</th><td>{{.Expires}}</td></tr>
<tr><th>Certificate identifier</th><td class="uvci">{{.UVCI}}</td></tr>
</table>
</body></html>
`))

type printLine struct {
	hcert.Vaccination
	ProductName string
}

func (h *handler) print(w http.ResponseWriter, r *http.Request) {
	uvci, rc, err := h.recentFor(r)
	if err != nil {
		fail(w, err)
		return
	}
	png, err := hcert.QRPNG(rc.hc1, QRSize)
	if err != nil {
		fail(w, err)
		return
	}
	var lines []printLine
	for _, v := range rc.payload.Vaccinations {
		lines = append(lines, printLine{Vaccination: v, ProductName: rc.product})
	}
	n := rc.payload.Name
	data := map[string]any{
		"QR":           template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png)),
		"Issuer":       rc.payload.Vaccinations[0].Issuer,
		"Name":         strings.TrimSpace(n.Family + ", " + n.Given),
		"NameT":        strings.TrimSpace(n.FamilyT + " " + n.GivenT),
		"DOB":          rc.payload.DateOfBirth,
		"Vaccinations": lines,
		"Expires":      rc.expires.Format("2006-01-02"),
		"UVCI":         uvci,
	}
	var buf bytes.Buffer
	if err := printPage.Execute(&buf, data); err != nil {
		fail(w, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; img-src data:; style-src 'unsafe-inline'")
	w.Write(buf.Bytes())
}

// Verification is the JSON form of a verification result.
type Verification struct {
	OK        bool               `json:"ok"`
	Code      string             `json:"code"`             // hcert code: "ok", "revoked", "expired", "bad_signature", ...
	Step      string             `json:"step,omitempty"`   // the failing step
	Reason    string             `json:"reason,omitempty"` // precise reason of the failure
	Steps     []hcert.StepResult `json:"steps"`
	Clock     time.Time          `json:"clock"`
	UVCI      string             `json:"uvci,omitempty"`
	Issuer    string             `json:"issuer,omitempty"` // CWT iss (country)
	KID       string             `json:"kid,omitempty"`    // standard Base64
	IssuedAt  *time.Time         `json:"issued_at,omitempty"`
	ExpiresAt *time.Time         `json:"expires_at,omitempty"`
	// Certificate is the decoded DCC (holder name, birth date, vaccination)
	// once the signature is proven, so that the verifier can compare it
	// with an identity document. It is what the QR code itself carries.
	Certificate *hcert.Payload `json:"certificate,omitempty"`
}

// NewVerification converts an hcert result.
func NewVerification(res hcert.Result, clock time.Time) Verification {
	v := Verification{OK: res.OK, Code: string(res.Code), Steps: res.Steps, Clock: clock.UTC(), UVCI: res.UVCI, Issuer: res.Issuer}
	if v.Steps == nil {
		v.Steps = []hcert.StepResult{}
	}
	if res.Err != nil {
		v.Step, v.Reason = string(res.Err.Step), res.Err.Reason
	}
	if len(res.KID) > 0 {
		v.KID = base64.StdEncoding.EncodeToString(res.KID)
	}
	if !res.IssuedAt.IsZero() {
		t := res.IssuedAt
		v.IssuedAt = &t
	}
	if !res.ExpiresAt.IsZero() {
		t := res.ExpiresAt
		v.ExpiresAt = &t
	}
	if res.Certificate != nil && res.Payload != nil {
		v.Certificate = res.Payload
	}
	return v
}

// verify accepts the HC1 text (any text content type), a QR PNG
// (Content-Type image/png, or any body starting with the PNG signature) or
// JSON {"hc1": "..."}. Every outcome of the verification itself, including
// garbage input, is 200 with ok=false, the hcert code, the failing step and
// a precise reason; only request-level problems are errors (an empty body:
// 400; a body over the PNG limit: 413; a bad clock: 400).
func (h *handler) verify(w http.ResponseWriter, r *http.Request) {
	clock := h.now()
	if c := r.URL.Query().Get("clock"); c != "" {
		t, err := time.Parse(time.RFC3339, c)
		if err != nil {
			fail(w, vaxtrace.FieldError("clock", "must be an RFC 3339 time such as 2021-06-01T10:00:00+06:00"))
			return
		}
		clock = t
	}
	b, err := readBody(w, r, hcert.MaxPNGSize)
	if err != nil {
		fail(w, err)
		return
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "application/json" {
		var req struct {
			HC1 string `json:"hc1"`
		}
		if err := decodeStrict(b, &req); err != nil {
			fail(w, err)
			return
		}
		b = []byte(req.HC1)
	}
	if len(bytes.TrimSpace(b)) == 0 {
		fail(w, vaxtrace.FieldError("body", "send the HC1 text, a QR code PNG (Content-Type image/png) or {\"hc1\": \"...\"}"))
		return
	}
	res := h.svc.VerifyEngine(h.eng, b, clock)
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, NewVerification(res, clock))
}

type revokeRequest struct {
	Reason string `json:"reason"`
}

func (h *handler) revoke(w http.ResponseWriter, r *http.Request) {
	p, err := h.caller(r)
	if err != nil {
		fail(w, err)
		return
	}
	b, err := readBody(w, r, maxJSONBody)
	if err != nil {
		fail(w, err)
		return
	}
	var req revokeRequest
	if err := decodeStrict(b, &req); err != nil {
		fail(w, err)
		return
	}
	uvci := r.PathValue("uvci")
	res := h.eng.Submit(r.Context(), engine.Command{Key: "cert-revoke:" + uvci, Actor: p, Data: vaxtrace.CertificateRevoked{UVCI: uvci, Reason: req.Reason}})
	if res.Err != nil {
		fail(w, res.Err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"uvci": uvci, "revoked": true, "reason": req.Reason, "seq": res.Seq, "duplicate": res.Duplicate})
}

func (h *handler) trustList(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Write(h.svc.TrustListJSON())
}

func (h *handler) revocations(w http.ResponseWriter, r *http.Request) {
	var b []byte
	var seq uint64
	h.eng.Read(func(st *vaxtrace.State) { b, seq = RevocationListJSON(st), st.Seq })
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=60")
	w.Header().Set("X-Vaxtrace-Seq", fmt.Sprint(seq))
	w.Write(b)
}
