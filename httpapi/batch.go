package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"time"

	"vaxtrace"
	"vaxtrace/engine"
)

// maxBatchRecords bounds one upload.
const maxBatchRecords = 200000

// batchRecord is one dose of an upload, optionally with the person's
// details so that an unknown person is registered on the fly.
type batchRecord struct {
	doseRequest
	Family    string         `json:"family,omitempty"`
	Given     string         `json:"given,omitempty"`
	BirthDate *vaxtrace.Date `json:"birth_date,omitempty"`
	Sex       string         `json:"sex,omitempty"`
	Region    string         `json:"region,omitempty"`
	Group     string         `json:"group,omitempty"`
	Phone     string         `json:"phone,omitempty"` // for reminders; sealed
	Lang      string         `json:"lang,omitempty"`  // of the reminders: kk or ru
	// Recorded is when the record was known in the registry it comes from
	// (migrations only: the migration role; never in the future, never
	// before the dose was given). Empty: now.
	Recorded *time.Time `json:"recorded,omitempty"`
}

func (b *batchRecord) hasPerson() bool {
	return b.Family != "" || b.Given != "" || b.BirthDate != nil || b.Sex != "" || b.Region != "" || b.Group != ""
}

type batchLine struct {
	Line       int       `json:"line"`
	ID         string    `json:"id,omitempty"`
	Status     string    `json:"status"` // accepted | duplicate | rejected
	Error      *apiError `json:"error,omitempty"`
	DoseNumber int       `json:"dose_number,omitempty"`
	Booster    bool      `json:"booster,omitempty"`
	Registered bool      `json:"person_registered,omitempty"`
}

type batchResponse struct {
	Accepted   int         `json:"accepted"`
	Rejected   int         `json:"rejected"`
	Duplicates int         `json:"duplicates"`
	Results    []batchLine `json:"results"`
}

type parsed struct {
	line int
	rec  batchRecord
	err  error
}

// parseBatch parses the whole upload: a JSON array, or NDJSON (one record a
// line; blank lines are skipped). A malformed record is kept with its error.
func parseBatch(body []byte, ndjson bool) ([]parsed, error) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return nil, vaxtrace.FieldError("body", "no records")
	}
	var out []parsed
	recType := reflect.TypeFor[*batchRecord]()
	if !ndjson && trimmed[0] == '[' {
		var raws []json.RawMessage
		if err := json.Unmarshal(trimmed, &raws); err != nil {
			return nil, jsonError(err, trimmed, reflect.TypeFor[[]json.RawMessage]())
		}
		if len(raws) > maxBatchRecords {
			return nil, vaxtrace.Errorf(vaxtrace.ETOOLARGE, "at most %d records per upload", maxBatchRecords)
		}
		for i, raw := range raws {
			p := parsed{line: i + 1}
			p.err = decodeJSON(raw, &p.rec)
			out = append(out, p)
		}
		return out, nil
	}
	lines := bytes.Split(body, []byte("\n"))
	complete := len(body) > 0 && body[len(body)-1] == '\n'
	for i, ln := range lines {
		ln = bytes.TrimSpace(ln)
		if len(ln) == 0 {
			continue
		}
		if len(out) >= maxBatchRecords {
			return nil, vaxtrace.Errorf(vaxtrace.ETOOLARGE, "at most %d records per upload", maxBatchRecords)
		}
		p := parsed{line: i + 1}
		if err := decodeJSON(ln, &p.rec); err != nil {
			last := i == len(lines)-1 && !complete
			if last && !json.Valid(ln) {
				err = vaxtrace.FieldError("line", "truncated: the last line is incomplete JSON and has no newline at its end; the upload was probably cut off, send this record again")
			} else if !json.Valid(ln) {
				err = vaxtrace.FieldError("line", "line %d is not valid JSON: %s", i+1, vaxtrace.ErrorMessage(jsonError(json.Unmarshal(ln, new(any)), ln, recType)))
			}
			p.err = err
		}
		out = append(out, p)
	}
	if len(out) == 0 {
		return nil, vaxtrace.FieldError("body", "no records")
	}
	return out, nil
}

// doseBatch records many doses in one group commit. Each record succeeds or
// fails on its own; re-uploading the same file changes nothing.
func (s *Server) doseBatch(w http.ResponseWriter, r *http.Request) error {
	body, err := readBody(w, r, s.opts.MaxBatchBody)
	if err != nil {
		return err
	}
	ct := r.Header.Get("Content-Type")
	recs, err := parseBatch(body, strings.Contains(ct, "ndjson") || strings.Contains(ct, "jsonlines"))
	if err != nil {
		return err
	}
	actor := principal(r)
	now := s.opts.Now()
	var cmds []engine.Command
	doseCmd := make([]int, len(recs))                  // command index of each record's dose, -1 if none
	personCmd := make([]int, len(recs))                // command index of the person it depends on, -1 if none
	pending := map[vaxtrace.PersonID]vaxtrace.Person{} // new people, sealed once so every record carries the same registration
	s.eng.Read(func(st *vaxtrace.State) {
		for i := range recs {
			doseCmd[i], personCmd[i] = -1, -1
			p := &recs[i]
			if p.err != nil {
				continue
			}
			pid, err := s.personRef(p.rec.Person, p.rec.IIN)
			if err != nil {
				p.err = err
				continue
			}
			var rec time.Time
			if p.rec.Recorded != nil {
				rec = *p.rec.Recorded
				if err := vaxtrace.CheckRecorded(actor, "recorded", p.rec.At, rec, now); err != nil {
					p.err = err
					continue
				}
			}
			if p.rec.hasPerson() {
				if p.rec.IIN == "" {
					p.err = vaxtrace.FieldError("iin", "registering a person needs the iin")
					continue
				}
				if st.Person(pid) == nil {
					// every record of a new person carries the registration
					// (a duplicate after the first), bound to its dose: a
					// refused dose registers nobody
					q := personRequest{IIN: p.rec.IIN, Family: p.rec.Family, Given: p.rec.Given, BirthDate: p.rec.BirthDate, Sex: p.rec.Sex, Region: p.rec.Region, Group: p.rec.Group, Phone: p.rec.Phone, Lang: p.rec.Lang}
					person, ok := pending[pid]
					if !ok {
						var err error
						if person, err = s.person(q); err != nil {
							p.err = err
							continue
						}
						pending[pid] = person
					} else if again, err := s.person(q); err != nil {
						p.err = err
						continue
					} else if !samePerson(person, again) {
						p.err = vaxtrace.FieldError("iin", "the person's details differ from an earlier record of this upload with the same IIN")
						continue
					}
					personCmd[i] = len(cmds)
					cmds = append(cmds, engine.Command{Key: "person:" + pid.String(), Actor: actor, Data: vaxtrace.PersonRegistered{Person: person}, Recorded: rec})
				}
			}
			if err := vaxtrace.CheckPayloadText(p.rec.payload(pid)); err != nil {
				p.err = err // before the key made from the id
				if personCmd[i] >= 0 {
					cmds, personCmd[i] = cmds[:personCmd[i]], -1
				}
				continue
			}
			doseCmd[i] = len(cmds)
			cmds = append(cmds, engine.Command{Key: "dose:" + p.rec.ID, Actor: actor, Data: p.rec.payload(pid), Recorded: rec, Atomic: personCmd[i] >= 0})
		}
	})
	var results []engine.Result
	if len(cmds) > 0 {
		results = s.eng.SubmitBatch(r.Context(), cmds)
	}
	out := batchResponse{Results: make([]batchLine, len(recs))}
	reported := map[int]bool{} // person commands already reported as registered
	s.eng.Read(func(st *vaxtrace.State) {
		for i, p := range recs {
			bl := batchLine{Line: p.line, ID: p.rec.ID}
			err := p.err
			dup := false
			if err == nil {
				// a failed registration matters only if the dose failed too
				// (the person may have been registered concurrently)
				j := personCmd[i]
				if res := results[doseCmd[i]]; res.Err != nil {
					err = res.Err
					if j >= 0 && results[j].Err != nil {
						err = results[j].Err
					}
				} else {
					dup = res.Duplicate
					if j >= 0 && !reported[j] && results[j].Err == nil && !results[j].Duplicate {
						bl.Registered, reported[j] = true, true
					}
					if d := st.Dose(p.rec.ID); d != nil {
						bl.DoseNumber, bl.Booster = d.Number(), d.Booster()
					}
				}
			}
			switch {
			case err != nil:
				e := toAPIError(err)
				bl.Status, bl.Error = "rejected", &e
				out.Rejected++
			case dup:
				bl.Status = "duplicate"
				out.Duplicates++
			default:
				bl.Status = "accepted"
				out.Accepted++
			}
			out.Results[i] = bl
		}
	})
	writeJSON(w, http.StatusOK, out)
	return nil
}
