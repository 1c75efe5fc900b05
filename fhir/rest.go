package fhir

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"

	"vaxtrace"
	"vaxtrace/engine"
	"vaxtrace/pii"
)

// maxSearchResults caps one search response (a person rarely has more than
// a handful of doses; the cap only guards against abuse).
const maxSearchResults = 1000

type server struct {
	eng       *engine.Engine
	keys      *pii.Keys
	authorize func(r *http.Request) (vaxtrace.Principal, error)
}

// Handler serves the read-only FHIR API. It accepts paths with or without
// the /fhir prefix (mount it at /fhir/ with or without http.StripPrefix):
//
//	GET metadata                      CapabilityStatement (no authentication)
//	GET Patient/{id}                  id = person id (32 hex digits)
//	GET Immunization/{id}             id = ImmunizationID(dose id)
//	GET Immunization?patient=...      searchset Bundle of the person's valid doses (entered-in-error
//	                                  ones are readable by id only); optional date=geYYYY-MM-DD / leYYYY-MM-DD
//	                                  (also eq, gt, lt; repeatable) and vaccine-code=[system|]code
//
// Responses are application/fhir+json; errors are OperationOutcome with the
// matching HTTP status. Admin and auditor tokens see everything; region and
// point tokens see people registered or vaccinated in their region and the
// doses given there; public tokens see nothing (403). Records outside the
// caller's scope answer 404, like records that do not exist, so that ids
// cannot be probed.
func Handler(eng *engine.Engine, keys *pii.Keys, authorize func(r *http.Request) (vaxtrace.Principal, error)) http.Handler {
	return &server{eng: eng, keys: keys, authorize: authorize}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", ContentType+"; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

func writeOutcome(w http.ResponseWriter, status int, code, msg string, expr ...string) {
	writeJSON(w, status, Outcome(code, msg, expr...))
}

// acceptsJSON reports whether the Accept header and _format allow FHIR JSON.
func acceptsJSON(r *http.Request) bool {
	if f := r.URL.Query().Get("_format"); f != "" {
		switch f {
		case "json", "application/json", ContentType:
		default:
			return false
		}
	}
	acc := r.Header.Get("Accept")
	if acc == "" {
		return true
	}
	for _, part := range strings.Split(acc, ",") {
		mt := strings.TrimSpace(strings.SplitN(part, ";", 2)[0])
		switch mt {
		case "*/*", "application/*", "application/json", ContentType, "application/json+fhir":
			return true
		}
	}
	return false
}

func (sv *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimPrefix(r.URL.Path, "/fhir")
	path = strings.Trim(path, "/")
	if !acceptsJSON(r) {
		writeOutcome(w, http.StatusNotAcceptable, "not-supported", "only application/fhir+json is supported")
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		writeOutcome(w, http.StatusMethodNotAllowed, "not-supported", "this FHIR endpoint is read-only; use the import for writes")
		return
	}
	parts := strings.Split(path, "/")
	if path == "metadata" {
		writeJSON(w, http.StatusOK, Capability())
		return
	}
	p, err := sv.authorize(r)
	if err != nil {
		writeOutcome(w, http.StatusUnauthorized, "login", vaxtrace.ErrorMessage(err))
		return
	}
	switch p.Role {
	case vaxtrace.RoleAdmin, vaxtrace.RoleAuditor, vaxtrace.RoleRegion, vaxtrace.RolePoint:
	default:
		writeOutcome(w, http.StatusForbidden, "forbidden", "role "+p.Role+" may not read person-level data")
		return
	}
	switch {
	case len(parts) == 1 && parts[0] == "$generateHealthCertificate":
		sv.healthCertificate(w, r, p)
	case len(parts) == 2 && parts[0] == "Patient":
		sv.readPatient(w, p, parts[1])
	case len(parts) == 2 && parts[0] == "Immunization":
		sv.readImmunization(w, p, parts[1])
	case len(parts) == 1 && parts[0] == "Immunization":
		sv.searchImmunization(w, r, p)
	case len(parts) >= 1 && (parts[0] == "Patient" || parts[0] == "Immunization"):
		writeOutcome(w, http.StatusBadRequest, "not-supported", "unsupported interaction on "+parts[0])
	default:
		writeOutcome(w, http.StatusNotFound, "not-supported", "unknown resource type or path "+strings.Join(parts, "/"))
	}
}

func personReadable(p vaxtrace.Principal, s *vaxtrace.State, ps *vaxtrace.PersonState) bool {
	if p.CanReadRegion(s, ps.Region()) {
		return true
	}
	for d := range s.PersonDoses(ps) {
		if p.CanReadRegion(s, d.Region()) {
			return true
		}
	}
	return false
}

func (sv *server) readPatient(w http.ResponseWriter, p vaxtrace.Principal, id string) {
	pid, err := vaxtrace.ParsePersonID(id)
	if err != nil {
		writeOutcome(w, http.StatusNotFound, "not-found", "no Patient "+id+" (ids are 32 hex digits)")
		return
	}
	var pt *Patient
	var sealed string
	sv.eng.Read(func(s *vaxtrace.State) {
		ps := s.Person(pid)
		if ps == nil || !personReadable(p, s, ps) {
			return
		}
		x := PatientOf(ps, s, "")
		pt, sealed = &x, s.PersonText(ps).IINSealed()
	})
	if pt == nil {
		writeOutcome(w, http.StatusNotFound, "not-found", "no Patient "+id)
		return
	}
	// the IIN in clear is national-administrator data, as in the export
	// (--with-iin): other roles read the Patient by its id only
	if sealed != "" && p.Role == vaxtrace.RoleAdmin {
		iin, err := sv.keys.Open(sealed)
		if err != nil {
			writeOutcome(w, http.StatusInternalServerError, "exception", "cannot open the sealed IIN")
			return
		}
		pt.Identifier = []Identifier{iinIdentifier(iin)}
	}
	writeJSON(w, http.StatusOK, pt)
}

// findDose looks a dose up by its FHIR id; hashed ids (rare) need a scan.
func findDose(s *vaxtrace.State, id string) *vaxtrace.DoseState {
	if d := s.Dose(id); d != nil && ImmunizationID(d.ID) == id {
		return d
	}
	if !strings.HasPrefix(id, hashedIDPrefix) {
		return nil
	}
	var found *vaxtrace.DoseState
	s.EachDose(func(d *vaxtrace.DoseState) bool {
		if ImmunizationID(d.ID) == id {
			found = d
			return false
		}
		return true
	})
	return found
}

func (sv *server) readImmunization(w http.ResponseWriter, p vaxtrace.Principal, id string) {
	var im *Immunization
	sv.eng.Read(func(s *vaxtrace.State) {
		d := findDose(s, id)
		if d == nil || !p.CanReadRegion(s, d.Region()) {
			return
		}
		x := ImmunizationOf(d, s)
		im = &x
	})
	if im == nil {
		writeOutcome(w, http.StatusNotFound, "not-found", "no Immunization "+id)
		return
	}
	writeJSON(w, http.StatusOK, im)
}

type dateFilter struct {
	op string
	t  time.Time
	// day is true for a date-only value: comparisons are by civil day.
	day bool
}

func (f dateFilter) match(at time.Time) bool {
	a, b := at, f.t
	if f.day {
		a = vaxtrace.DateOf(at).Time()
	}
	switch f.op {
	case "eq":
		return a.Equal(b)
	case "ge":
		return !a.Before(b)
	case "le":
		return !a.After(b)
	case "gt":
		return a.After(b)
	case "lt":
		return a.Before(b)
	}
	return false
}

func parseDateParam(v string) (dateFilter, bool) {
	f := dateFilter{op: "eq"}
	if len(v) > 2 {
		switch v[:2] {
		case "eq", "ge", "le", "gt", "lt":
			f.op, v = v[:2], v[2:]
		}
	}
	t, err := ParseDateTime(v)
	if err != nil {
		return f, false
	}
	f.t, f.day = t, len(v) == 10
	return f, true
}

func (sv *server) searchImmunization(w http.ResponseWriter, r *http.Request, p vaxtrace.Principal) {
	q := r.URL.Query()
	var dates []dateFilter
	var patient, vsys, vcode string
	for k, vs := range q {
		switch k {
		case "patient":
			patient = vs[0]
		case "date":
			for _, v := range vs {
				f, ok := parseDateParam(v)
				if !ok {
					writeOutcome(w, http.StatusBadRequest, "invalid", "date must be [eq|ge|le|gt|lt]YYYY-MM-DD or a dateTime with time zone (got "+v+")", "date")
					return
				}
				dates = append(dates, f)
			}
		case "vaccine-code":
			v := vs[0]
			if i := strings.LastIndexByte(v, '|'); i >= 0 {
				vsys, vcode = v[:i], v[i+1:]
			} else {
				vcode = v
			}
		case "_format":
		default:
			writeOutcome(w, http.StatusBadRequest, "not-supported", "unsupported search parameter "+k+" (supported: patient, date, vaccine-code)", k)
			return
		}
	}
	if patient == "" {
		writeOutcome(w, http.StatusBadRequest, "required", "this server searches Immunizations by patient only: give patient=Patient/{id}", "patient")
		return
	}
	pid, err := vaxtrace.ParsePersonID(strings.TrimPrefix(patient, "Patient/"))
	if err != nil {
		writeOutcome(w, http.StatusBadRequest, "invalid", "patient must be Patient/{32 hex digits}", "patient")
		return
	}
	var list []Immunization
	sv.eng.Read(func(s *vaxtrace.State) {
		ps := s.Person(pid)
		if ps == nil {
			return
		}
		// s.DosesOf(ps) is the person's valid doses in time order; voided
		// doses are not linked from the person and are not searched (they
		// stay readable by id, with status entered-in-error).
		ds := s.DosesOf(ps)
	next:
		for _, d := range ds {
			if !p.CanReadRegion(s, d.Region()) {
				continue
			}
			for _, f := range dates {
				if !f.match(d.At()) {
					continue next
				}
			}
			im := ImmunizationOf(d, s)
			if vcode != "" && !hasCoding(im.VaccineCode, vsys, vcode) {
				continue
			}
			list = append(list, im)
			if len(list) >= maxSearchResults {
				break
			}
		}
	})
	b := Bundle{ResourceType: "Bundle", Type: "searchset", Timestamp: fhirTime(time.Now())}
	total := len(list)
	b.Total = &total
	b.Link = []BundleLink{{Relation: "self", URL: "Immunization?" + sortedQuery(q)}}
	for i := range list {
		raw, err := json.Marshal(&list[i])
		if err != nil {
			writeOutcome(w, http.StatusInternalServerError, "exception", "encoding failed")
			return
		}
		b.Entry = append(b.Entry, BundleEntry{FullURL: "Immunization/" + list[i].ID, Resource: raw, Search: &BundleSearch{Mode: "match"}})
	}
	writeJSON(w, http.StatusOK, b)
}

func sortedQuery(q url.Values) string { return q.Encode() }

func hasCoding(cc *CodeableConcept, system, code string) bool {
	if cc == nil {
		return false
	}
	for _, c := range cc.Coding {
		if c.Code == code && (system == "" || c.System == system) {
			return true
		}
	}
	return false
}

// Capability returns the server's CapabilityStatement.
func Capability() CapabilityStatement {
	read := []CapInteraction{{Code: "read"}}
	return CapabilityStatement{
		ResourceType:   "CapabilityStatement",
		Status:         "active",
		Date:           "2021-01-01",
		Publisher:      "vaxtrace",
		Kind:           "instance",
		Software:       &CapSoftware{Name: "vaxtrace"},
		Implementation: &CapImpl{Description: "vaxtrace COVID-19 vaccination registry (Kazakhstan), read-only FHIR R4 API"},
		FHIRVersion:    FHIRVersion,
		Format:         []string{ContentType, "json"},
		Rest: []CapRest{{Mode: "server", Resource: []CapResource{
			{Type: "Immunization", Interaction: []CapInteraction{{Code: "read"}, {Code: "search-type"}}, SearchParam: []CapSearchParam{
				{Name: "patient", Type: "reference", Documentation: "required: Patient/{id}"},
				{Name: "date", Type: "date", Documentation: "occurrence; prefixes eq, ge, le, gt, lt"},
				{Name: "vaccine-code", Type: "token", Documentation: "[system|]code, e.g. http://hl7.org/fhir/sid/cvx|140"},
			}},
			{Type: "Patient", Interaction: read},
		}}},
	}
}

// healthCertificate serves GET $generateHealthCertificate?hcid=<UVCI>: the
// DDCC:VS document of a certificate vaxtrace issued (see HealthCertificate).
func (sv *server) healthCertificate(w http.ResponseWriter, r *http.Request, p vaxtrace.Principal) {
	hcid := r.URL.Query().Get("hcid")
	if hcid == "" {
		writeOutcome(w, http.StatusBadRequest, "required", "hcid (the certificate's UVCI) is required", "hcid")
		return
	}
	var sealed string
	visible := false
	sv.eng.Read(func(s *vaxtrace.State) {
		if c := s.Certificate(hcid); c != nil {
			if d := s.Dose(c.Dose); d != nil && p.CanReadRegion(s, d.Region()) {
				visible = true
				if ps := s.Person(c.Person); ps != nil {
					sealed = s.PersonText(ps).IINSealed()
				}
			}
		}
	})
	if !visible {
		writeOutcome(w, http.StatusNotFound, "not-found", "no certificate "+hcid)
		return
	}
	iin := ""
	if sealed != "" {
		v, err := sv.keys.Open(sealed)
		if err != nil {
			writeOutcome(w, http.StatusInternalServerError, "exception", "cannot open the IIN")
			return
		}
		iin = v
	}
	var doc Bundle
	var err error
	sv.eng.Read(func(s *vaxtrace.State) { doc, err = HealthCertificate(s, hcid, iin) })
	if err != nil {
		status := http.StatusConflict
		if vaxtrace.ErrorCode(err) == vaxtrace.ENOTFOUND {
			status = http.StatusNotFound
		}
		writeOutcome(w, status, "processing", vaxtrace.ErrorMessage(err))
		return
	}
	writeJSON(w, http.StatusOK, doc)
}
