package planning

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"vaxtrace"
	"vaxtrace/asof"
	"vaxtrace/engine"
	"vaxtrace/httperr"
	"vaxtrace/plan"
)

// owidCSV is the OWID Kazakhstan vaccination series (CC BY 4.0, see
// owid/SOURCE.txt for the attribution).
//
//go:embed owid/Kazakhstan.csv
var owidCSV []byte

// OWIDAttribution is the attribution the backtest results carry.
const OWIDAttribution = "Our World in Data, COVID-19 vaccinations (owid/covid-19-data), CC BY 4.0; source data: Kazakhstan Ministry of Health, WHO"

// OWID returns a reader over the OWID series: the file at path, or the
// embedded copy if path is "".
func OWID(path string) (io.ReadCloser, error) {
	if path == "" {
		return io.NopCloser(bytes.NewReader(owidCSV)), nil
	}
	return os.Open(path)
}

// BacktestJSON is the response of GET /api/v1/plan/backtest.
type BacktestJSON struct {
	Source      string          `json:"source"`
	From        vaxtrace.Date   `json:"from"`
	To          vaxtrace.Date   `json:"to"`
	Step        int             `json:"step_days"`
	Cutoffs     int             `json:"cutoffs"`
	Skipped     int             `json:"skipped"`
	Method      string          `json:"method"`
	Results     []BacktestRow   `json:"results"`
	Bands       []ErrorBandJSON `json:"bands"`
	Attribution string          `json:"attribution"`
}

// BacktestRow is the model's and the naive forecast's error on the doses
// of one kind given in windows of one horizon, over one period of
// cut-offs. WAPE and bias are in % of the doses actually given; gain is
// how much lower the model's WAPE is than the naive one's (in %).
type BacktestRow struct {
	Period    string  `json:"period"`
	Horizon   int     `json:"horizon"`
	Kind      string  `json:"kind"`
	N         int     `json:"n"`
	Actual    float64 `json:"actual_doses"`
	ModelWAPE float64 `json:"model_wape"`
	ModelBias float64 `json:"model_bias"`
	NaiveWAPE float64 `json:"naive_wape"`
	NaiveBias float64 `json:"naive_bias"`
	Gain      float64 `json:"gain"`
}

// ErrorBandJSON is the spread of the model's errors at a horizon.
type ErrorBandJSON struct {
	Kind    string  `json:"kind"`
	Horizon int     `json:"horizon"`
	Lo      float64 `json:"lo"`
	Hi      float64 `json:"hi"`
	N       int     `json:"n"`
}

// BacktestMethod says in one paragraph what the backtest measures.
const BacktestMethod = "At each weekly cut-off the model is given only the OWID rows published by then and forecasts the doses of each kind given in the next h days; WAPE = sum |forecast - actual| / sum actual over the cut-offs of a period. The naive forecast carries the last week's rate forward. Empty OWID cells are unknown: a window is scored only where both ends are known or lie at most 3 days from known values. Stock and capacity are unlimited in the backtest (the public series has no stock data)."

// Backtest runs plan.Backtest on the OWID series read from r, with weekly
// cut-offs from `from` to `to` and the given horizons.
func Backtest(r io.Reader, from, to vaxtrace.Date, step int, horizons []int) (BacktestJSON, plan.BacktestReport, error) {
	rows, err := plan.ParseOWID(r)
	if err != nil {
		return BacktestJSON{}, plan.BacktestReport{}, domainErr(err)
	}
	rep, err := plan.Backtest(rows, plan.CutoffDates(Day(from), Day(to), step), horizons)
	if err != nil {
		return BacktestJSON{}, rep, domainErr(err)
	}
	out := BacktestJSON{From: from, To: to, Step: step, Cutoffs: rep.Cutoffs, Skipped: rep.Skipped, Method: BacktestMethod,
		Results: []BacktestRow{}, Bands: []ErrorBandJSON{}, Attribution: OWIDAttribution}
	for _, x := range rep.Results {
		out.Results = append(out.Results, BacktestRow{Period: x.Period, Horizon: x.Horizon, Kind: x.Kind, N: x.Model.N, Actual: x.Model.Actual,
			ModelWAPE: round1(x.Model.WAPE), ModelBias: round1(x.Model.Bias), NaiveWAPE: round1(x.Naive.WAPE), NaiveBias: round1(x.Naive.Bias), Gain: round1(x.Gain)})
	}
	for _, b := range rep.Bands {
		out.Bands = append(out.Bands, ErrorBandJSON{Kind: b.Kind, Horizon: b.Horizon, Lo: round2(b.Lo), Hi: round2(b.Hi), N: b.N})
	}
	return out, rep, nil
}

func round1(f float64) float64 { return math.Round(f*10) / 10 }
func round2(f float64) float64 { return math.Round(f*100) / 100 }

var (
	bandsOnce sync.Once
	bandsVal  []plan.ErrorBand
)

// ErrorBands are the model's measured errors on the embedded OWID series
// (weekly cut-offs of 2021-2022, windows of 14, 28 and 56 days), computed
// once. The planner widens its forecasts by them.
func ErrorBands() []plan.ErrorBand {
	bandsOnce.Do(func() {
		_, rep, err := Backtest(bytes.NewReader(owidCSV), BacktestFrom, BacktestTo, 7, []int{14, 28, 56})
		if err == nil {
			bandsVal = rep.Bands
		}
	})
	return bandsVal
}

// The backtest's default cut-offs: every week of 2021 and 2022.
var (
	BacktestFrom = vaxtrace.MkDate(2021, 1, 3)
	BacktestTo   = vaxtrace.MkDate(2022, 12, 25)
)

// HandlerOptions configure NewHandler.
type HandlerOptions struct {
	// Adapter tunes FromState.
	Adapter Options
	// OWIDPath is the OWID Kazakhstan.csv used by the backtest; "" uses
	// the embedded copy.
	OWIDPath string
	// MaxBody bounds request bodies (default 1 MiB).
	MaxBody int64
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Server is the planning API. It serves:
//
//	GET  /api/v1/plan/forecast?as_of=&horizon=&region=&days=
//	GET  /api/v1/plan/reachability?target=&as_of=&horizon=
//	POST /api/v1/plan/allocations             body ProposeRequest → Proposal (201)
//	GET  /api/v1/plan/allocations/{id}
//	POST /api/v1/plan/allocations/{id}/accept body {"lines":[...]} optional
//	POST /api/v1/plan/allocations/{id}/reject
//	GET  /api/v1/plan/backtest?from=&to=&step=&horizons=14,28
//
// Reading plans needs the admin, auditor or region role (a region sees
// national figures and its own region only); creating, accepting and
// rejecting allocations needs admin. Errors are
// {"error":{"code","field","message"}} with the status of the code
// (invalid 400, not_found 404, conflict 409, unauthorized 401,
// forbidden 403).
type Server struct {
	P     *Planner
	authn func(*http.Request) (vaxtrace.Principal, error)
	opts  HandlerOptions
	mux   *http.ServeMux
}

// Handler returns the planning API with default options. authn resolves
// the caller of a request (an error is answered as is, typically
// unauthorized).
func Handler(eng *engine.Engine, authn func(*http.Request) (vaxtrace.Principal, error)) http.Handler {
	return NewHandler(eng, authn, HandlerOptions{})
}

// NewHandler returns the planning API.
func NewHandler(eng *engine.Engine, authn func(*http.Request) (vaxtrace.Principal, error), o HandlerOptions) *Server {
	if o.MaxBody <= 0 {
		o.MaxBody = 1 << 20
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	p := NewPlanner(eng, o.Adapter)
	p.Now = o.Now
	s := &Server{P: p, authn: authn, opts: o, mux: http.NewServeMux()}
	s.mux.HandleFunc("GET /api/v1/plan/forecast", s.wrap(false, s.forecast))
	s.mux.HandleFunc("GET /api/v1/plan/reachability", s.wrap(false, s.reach))
	s.mux.HandleFunc("POST /api/v1/plan/allocations", s.wrap(true, s.propose))
	s.mux.HandleFunc("GET /api/v1/plan/allocations/{id}", s.wrap(false, s.get))
	s.mux.HandleFunc("POST /api/v1/plan/allocations/{id}/accept", s.wrap(true, s.accept))
	s.mux.HandleFunc("POST /api/v1/plan/allocations/{id}/reject", s.wrap(true, s.reject))
	s.mux.HandleFunc("GET /api/v1/plan/backtest", s.wrap(false, s.backtest))
	s.mux.HandleFunc("/api/v1/plan/", func(w http.ResponseWriter, r *http.Request) {
		writeErr(w, vaxtrace.NotFound("path", "no planning route %s %s", r.Method, r.URL.Path))
	})
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

type handlerFunc func(w http.ResponseWriter, r *http.Request, p vaxtrace.Principal) error

func (s *Server) wrap(admin bool, fn handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, err := s.authn(r)
		if err != nil {
			if vaxtrace.ErrorCode(err) == vaxtrace.EINTERNAL {
				err = vaxtrace.Errorf(vaxtrace.EUNAUTHORIZED, "authentication failed")
			}
			writeErr(w, err)
			return
		}
		switch {
		case admin && p.Role != vaxtrace.RoleAdmin:
			err = vaxtrace.Errorf(vaxtrace.EFORBIDDEN, "role %s may not change allocations; admin only", p.Role)
		case p.Role != vaxtrace.RoleAdmin && p.Role != vaxtrace.RoleAuditor && p.Role != vaxtrace.RoleRegion:
			err = vaxtrace.Errorf(vaxtrace.EFORBIDDEN, "role %s may not read plans", p.Role)
		}
		if err == nil {
			err = fn(w, r, p)
		}
		if err != nil {
			writeErr(w, err)
		}
	}
}

func writeErr(w http.ResponseWriter, err error) {
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
	_, _ = w.Write(b)
	_, _ = w.Write([]byte("\n"))
}

// query parameters

func dateParam(r *http.Request, name string) (vaxtrace.Date, error) {
	return asof.Parse(name, r.URL.Query().Get(name), 0)
}

// dayParam is dateParam for a planning day: not before the campaign began
// in the ledger and not after today.
func (s *Server) dayParam(r *http.Request, name string) (vaxtrace.Date, error) {
	d, err := dateParam(r, name)
	if err != nil || d == 0 {
		return d, err
	}
	var start vaxtrace.Date
	s.P.eng.Read(func(st *vaxtrace.State) { start = asof.Start(st) })
	return d, asof.Check(name, d, start, vaxtrace.DateOf(s.opts.Now()))
}

func intParam(r *http.Request, name string, def int) (int, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, vaxtrace.FieldError(name, "%q is not a whole number", v)
	}
	return n, nil
}

func (s *Server) forecast(w http.ResponseWriter, r *http.Request, p vaxtrace.Principal) error {
	asOf, err := s.dayParam(r, "as_of")
	if err != nil {
		return err
	}
	h, err := intParam(r, "horizon", DefaultHorizon)
	if err != nil {
		return err
	}
	if err := checkHorizon(h); err != nil {
		return err
	}
	region, product := r.URL.Query().Get("region"), r.URL.Query().Get("product")
	var regionOK, productOK bool
	s.P.eng.Read(func(st *vaxtrace.State) {
		regionOK = region == "" || st.Region(region) != nil
		productOK = product == "" || st.Product(product) != nil
	})
	if !regionOK {
		return vaxtrace.NotFound("region", "unknown region %q", region)
	}
	if !productOK {
		return vaxtrace.NotFound("product", "unknown product %q", product)
	}
	if p.Role == vaxtrace.RoleRegion && region != "" && region != p.Region {
		return vaxtrace.Errorf(vaxtrace.EFORBIDDEN, "region %s is outside your region %s", region, p.Region)
	}
	f, err := s.P.RunForecast(asOf, h)
	if err != nil {
		return err
	}
	visible := func(rg string) bool {
		if rg == "" {
			return true
		}
		if p.Role == vaxtrace.RoleRegion && rg != p.Region {
			return false
		}
		return region == "" || rg == region
	}
	out := forecastJSON(f, visible)
	if product != "" {
		out = out.forProduct(product)
	}
	if r.URL.Query().Get("days") == "false" {
		out.National.Days = nil
		for i := range out.Regions {
			out.Regions[i].Days = nil
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) reach(w http.ResponseWriter, r *http.Request, p vaxtrace.Principal) error {
	asOf, err := s.dayParam(r, "as_of")
	if err != nil {
		return err
	}
	h, err := intParam(r, "horizon", 0)
	if err != nil {
		return err
	}
	if r.URL.Query().Has("horizon") {
		if err := checkHorizon(h); err != nil {
			return err
		}
	}
	id := r.URL.Query().Get("target")
	if p.Role == vaxtrace.RoleRegion && id != "" {
		var t *vaxtrace.Target
		s.P.eng.Read(func(st *vaxtrace.State) {
			for _, x := range st.Targets() {
				if x.ID == id {
					t = x
				}
			}
		})
		if t != nil && t.Region != "" && t.Region != p.Region {
			return vaxtrace.Errorf(vaxtrace.EFORBIDDEN, "target %s is for region %s", id, t.Region)
		}
	}
	out, err := s.P.Reach(id, asOf, h)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) readJSON(w http.ResponseWriter, r *http.Request, v any, optional bool) error {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.opts.MaxBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return vaxtrace.Errorf(vaxtrace.ETOOLARGE, "request body exceeds %d bytes", mbe.Limit)
		}
		return vaxtrace.Errorf(vaxtrace.EINVALID, "cannot read request body")
	}
	if len(bytes.TrimSpace(b)) == 0 {
		if optional {
			return nil
		}
		return vaxtrace.FieldError("body", "a JSON object is required")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return vaxtrace.FieldError(te.Field, "wrong type: want %s", te.Type)
		}
		var ve *vaxtrace.Error
		if errors.As(err, &ve) {
			return ve
		}
		msg := err.Error()
		if f, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
			return vaxtrace.FieldError(strings.Trim(f, `"`), "unknown field")
		}
		return vaxtrace.FieldError("body", "invalid JSON: %s", msg)
	}
	if dec.More() {
		return vaxtrace.FieldError("body", "unexpected data after the JSON value")
	}
	return nil
}

func (s *Server) propose(w http.ResponseWriter, r *http.Request, p vaxtrace.Principal) error {
	var req ProposeRequest
	if err := s.readJSON(w, r, &req, true); err != nil {
		return err
	}
	for name, v := range map[string]int{"period_days": req.PeriodDays, "horizon_days": req.HorizonDays} {
		if v < 0 || v > plan.MaxHorizon {
			return vaxtrace.FieldError(name, "%d out of range 1..%d", v, plan.MaxHorizon)
		}
	}
	pr, err := s.P.Propose(req, p.Name)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/plan/allocations/"+pr.ID)
	writeJSON(w, http.StatusCreated, pr)
	return nil
}

// forViewer hides other regions' lines from a region principal.
func forViewer(pr *Proposal, p vaxtrace.Principal) *Proposal {
	if p.Role != vaxtrace.RoleRegion {
		return pr
	}
	keep := func(rg string) bool { return rg == p.Region }
	var lines []LineJSON
	for _, l := range pr.Lines {
		if keep(l.Region) {
			lines = append(lines, l)
		}
	}
	var pts []PointLineJSON
	for _, l := range pr.Points {
		if keep(l.Region) {
			pts = append(pts, l)
		}
	}
	var needs []NeedJSON
	for _, n := range pr.Needs {
		if keep(n.Region) {
			needs = append(needs, n)
		}
	}
	var ships []ShipmentResult
	for _, sh := range pr.Shipments {
		if keep(sh.Region) {
			ships = append(ships, sh)
		}
	}
	pr.Lines, pr.Points, pr.Needs, pr.Shipments = lines, pts, needs, ships
	pr.Summary = summarize(lines)
	return pr
}

func (s *Server) get(w http.ResponseWriter, r *http.Request, p vaxtrace.Principal) error {
	pr, err := s.P.Get(r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, forViewer(pr, p))
	return nil
}

// AcceptRequest is the optional body of POST .../accept: edited lines
// replacing the proposal's lines.
type AcceptRequest struct {
	Lines []LineJSON `json:"lines"`
}

func (s *Server) accept(w http.ResponseWriter, r *http.Request, p vaxtrace.Principal) error {
	var req AcceptRequest
	if err := s.readJSON(w, r, &req, true); err != nil {
		return err
	}
	pr, err := s.P.Accept(r.Context(), r.PathValue("id"), p, req.Lines)
	if errors.Is(err, ErrPartial) {
		// Some shipments were recorded, some refused: the body says which.
		body := httperr.Of(vaxtrace.WithField(vaxtrace.Errorf(vaxtrace.ECONFLICT, "the ledger refused some shipments: %s", err.Error()), "shipments"))
		writeJSON(w, http.StatusConflict, map[string]any{"error": body, "proposal": pr})
		return nil
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, pr)
	return nil
}

func (s *Server) reject(w http.ResponseWriter, r *http.Request, p vaxtrace.Principal) error {
	pr, err := s.P.Reject(r.PathValue("id"), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, pr)
	return nil
}

func (s *Server) backtest(w http.ResponseWriter, r *http.Request, _ vaxtrace.Principal) error {
	from, err := dateParam(r, "from")
	if err != nil {
		return err
	}
	to, err := dateParam(r, "to")
	if err != nil {
		return err
	}
	if from == 0 {
		from = BacktestFrom
	}
	if to == 0 {
		to = BacktestTo
	}
	if to < from {
		return vaxtrace.FieldError("to", "before from")
	}
	step, err := intParam(r, "step", 7)
	if err != nil {
		return err
	}
	if step < 1 || step > 365 {
		return vaxtrace.FieldError("step", "%d out of range 1..365", step)
	}
	horizons := []int{14, 28}
	if v := r.URL.Query().Get("horizons"); v != "" {
		horizons = nil
		for _, f := range strings.Split(v, ",") {
			h, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || h < 1 || h > plan.MaxHorizon {
				return vaxtrace.FieldError("horizons", "%q: want comma-separated days in 1..%d", f, plan.MaxHorizon)
			}
			horizons = append(horizons, h)
		}
	}
	rc, err := OWID(s.opts.OWIDPath)
	if err != nil {
		return vaxtrace.Errorf(vaxtrace.EUNAVAILABLE, "OWID series not readable")
	}
	defer rc.Close()
	out, _, err := Backtest(rc, from, to, step, horizons)
	if err != nil {
		return err
	}
	out.Source = "embedded owid/Kazakhstan.csv"
	if s.opts.OWIDPath != "" {
		out.Source = s.opts.OWIDPath
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
