package fhir

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"vaxtrace"
	"vaxtrace/engine"
	"vaxtrace/httperr"
	"vaxtrace/pii"
)

// ImportPattern is where ImportHandler is mounted.
const ImportPattern = "POST /api/v1/import/fhir"

// maxImportBody bounds one FHIR import request.
const maxImportBody = 512 << 20

// ImportResponse is the answer of the import API: the counts, the first
// results, and every rejected entry with its reason (however many).
type ImportResponse struct {
	Report
	Rejections []EntryResult `json:"rejections"`
}

// ImportHandler serves POST /api/v1/import/fhir: a FHIR R4 Bundle
// (format=bundle, the default for application/fhir+json and
// application/json) or NDJSON (format=ndjson, or Content-Type
// application/fhir+ndjson / application/x-ndjson) imported through the
// engine like every other write. The lenient options for foreign data are
// query parameters, off by default:
//
//	default_region=KZ-ALA            region for Patients whose address.state is not a region code
//	default_place=VP-ALA-01          point for Immunizations whose location is not a vaxtrace place
//	default_vaccinator=import        vaccinator for Immunizations without a performer
//	default_lot=product=lot          lot for Immunizations of that product without lotNumber (repeatable)
//
// Writers (admin, region, point, migration) may import; each command is
// authorised in the caller's scope, and only the migration role keeps
// Immunization.recorded. Skipped resources (types vaxtrace does not hold)
// are counted.
func ImportHandler(eng *engine.Engine, keys *pii.Keys, authorize func(r *http.Request) (vaxtrace.Principal, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := authorize(r)
		if err != nil {
			httperr.Write(w, err)
			return
		}
		switch p.Role {
		case vaxtrace.RoleAdmin, vaxtrace.RoleRegion, vaxtrace.RolePoint, vaxtrace.RoleMigration:
		default:
			httperr.Write(w, vaxtrace.Errorf(vaxtrace.EFORBIDDEN, "role %s may not import", p.Role))
			return
		}
		im, format, err := importOptions(r)
		if err != nil {
			httperr.Write(w, err)
			return
		}
		var rejected []EntryResult
		im.MaxResults = 1000
		im.Rejected = func(e EntryResult) error { rejected = append(rejected, e); return nil }
		body := http.MaxBytesReader(w, r.Body, maxImportBody)
		rep, err := im.Import(r.Context(), eng, keys, p, body, format)
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				err = vaxtrace.Errorf(vaxtrace.ETOOLARGE, "an import request holds at most %d MiB; split the file", maxImportBody>>20)
			}
			httperr.Write(w, err)
			return
		}
		if rejected == nil {
			rejected = []EntryResult{}
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(ImportResponse{Report: rep, Rejections: rejected})
	})
}

// importOptions reads the format and the lenient options of a request.
func importOptions(r *http.Request) (*Importer, string, error) {
	q := r.URL.Query()
	im := &Importer{DefaultRegion: q.Get("default_region"), DefaultPlace: q.Get("default_place"), DefaultVaccinator: q.Get("default_vaccinator")}
	for _, v := range q["default_lot"] {
		prod, lot, ok := strings.Cut(v, "=")
		if !ok || prod == "" || lot == "" {
			return nil, "", vaxtrace.FieldError("default_lot", "%q must be product=lot", v)
		}
		if im.DefaultLots == nil {
			im.DefaultLots = map[string]string{}
		}
		im.DefaultLots[prod] = lot
	}
	format := q.Get("format")
	if format == "" {
		format = "bundle"
		ct := r.Header.Get("Content-Type")
		if strings.Contains(ct, "ndjson") || strings.Contains(ct, "jsonlines") {
			format = "ndjson"
		}
	}
	if format != "bundle" && format != "ndjson" {
		return nil, "", vaxtrace.FieldError("format", "must be bundle or ndjson (got %q)", format)
	}
	return im, format, nil
}
