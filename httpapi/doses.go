package httpapi

import (
	"net/http"
	"time"

	"vaxtrace"
	"vaxtrace/engine"
)

// doseView is a dose with its derived fields.
type doseView struct {
	ID         string                   `json:"id"`
	Person     vaxtrace.PersonID        `json:"person"`
	At         time.Time                `json:"at"`
	Place      string                   `json:"place"`
	Region     string                   `json:"region"`
	Lot        string                   `json:"lot"`
	Product    string                   `json:"product"`
	Component  string                   `json:"component"`
	Vaccinator string                   `json:"vaccinator"`
	Override   string                   `json:"override,omitempty"`
	Number     int                      `json:"dose_number"`
	Booster    bool                     `json:"booster"`
	Complete   bool                     `json:"completes_series"`
	Voided     bool                     `json:"voided,omitempty"`
	VoidReason string                   `json:"void_reason,omitempty"`
	Anomaly    string                   `json:"anomaly,omitempty"`
	Recorded   time.Time                `json:"recorded"`
	History    []vaxtrace.DoseCorrected `json:"history,omitempty"`
}

func viewDose(st *vaxtrace.State, d *vaxtrace.DoseState, history bool) doseView {
	v := doseView{ID: d.ID(st), Person: d.Person(st), At: d.At(st), Place: d.Place(st), Region: d.Region(), Lot: d.Lot(st),
		Vaccinator: d.Vaccinator(), Override: d.Override(st), Number: d.Number(), Booster: d.Booster(), Complete: d.Complete(),
		Voided: d.Voided(), VoidReason: d.VoidWhy(st), Anomaly: d.Anomaly(st), Recorded: d.Recorded()}
	if l := d.LotOf(st); l != nil {
		v.Product, v.Component = l.Product, l.Component
	}
	if d.Voided() {
		v.Number = 0
	}
	if history {
		v.History = append([]vaxtrace.DoseCorrected(nil), d.History(st)...)
	}
	return v
}

// canSeeDose: admin and auditor, the point where it was given, the region
// it was given in.
func canSeeDose(p vaxtrace.Principal, st *vaxtrace.State, d *vaxtrace.DoseState) bool {
	if p.CanReadPlace(st, d.Place(st)) {
		return true
	}
	return p.Role == vaxtrace.RoleRegion && p.CanReadRegion(st, d.Region())
}

type doseRequest struct {
	ID         string             `json:"id"`
	Person     *vaxtrace.PersonID `json:"person,omitempty"`
	IIN        string             `json:"iin,omitempty"`
	At         time.Time          `json:"at"`
	Place      string             `json:"place"`
	Lot        string             `json:"lot"`
	Product    string             `json:"product,omitempty"`
	Component  string             `json:"component,omitempty"`
	Vaccinator string             `json:"vaccinator"`
	Override   string             `json:"override,omitempty"`
}

// personRef resolves a person given either by id or by IIN.
func (s *Server) personRef(id *vaxtrace.PersonID, iin string) (vaxtrace.PersonID, error) {
	switch {
	case id != nil && iin != "":
		return vaxtrace.PersonID{}, vaxtrace.FieldError("iin", "give person or iin, not both")
	case iin != "":
		if err := vaxtrace.ValidateIIN(iin); err != nil {
			return vaxtrace.PersonID{}, err
		}
		return s.keys.ID(iin), nil
	case id != nil:
		return *id, nil
	}
	return vaxtrace.PersonID{}, vaxtrace.FieldError("person", "required (a person id, or the iin)")
}

func (q doseRequest) payload(person vaxtrace.PersonID) vaxtrace.DoseAdministered {
	return vaxtrace.DoseAdministered{ID: q.ID, Person: person, At: q.At, Place: q.Place, Lot: q.Lot, Product: q.Product,
		Component: q.Component, Vaccinator: q.Vaccinator, Override: q.Override}
}

type doseResult struct {
	Seq       uint64   `json:"seq,omitempty"`
	Duplicate bool     `json:"duplicate"`
	Dose      doseView `json:"dose"`
}

// recordDose records one dose. Its idempotency key is always "dose:"+id, so
// that the same dose sent here and in a batch is recorded once.
func (s *Server) recordDose(w http.ResponseWriter, r *http.Request) error {
	var q doseRequest
	if err := s.decode(w, r, &q); err != nil {
		return err
	}
	person, err := s.personRef(q.Person, q.IIN)
	if err != nil {
		return err
	}
	if err := vaxtrace.CheckPayloadText(q.payload(person)); err != nil {
		return err
	}
	// the dose as derived (number, component) comes back from the commit
	// itself: no second wait for the state lock behind the next group commit
	res := s.eng.Submit(r.Context(), engine.Command{Key: "dose:" + q.ID, Actor: principal(r), Data: q.payload(person),
		View: func(st *vaxtrace.State) any {
			if d := st.Dose(q.ID); d != nil {
				return viewDose(st, d, false)
			}
			return nil
		}})
	if res.Err != nil {
		return res.Err
	}
	out := doseResult{Seq: res.Seq, Duplicate: res.Duplicate}
	if v, ok := res.View.(doseView); ok {
		out.Dose = v
	}
	writeJSON(w, http.StatusCreated, out)
	return nil
}

func (s *Server) getDose(w http.ResponseWriter, r *http.Request) error {
	var v doseView
	err := s.read(func(st *vaxtrace.State) error {
		d := st.Dose(r.PathValue("id"))
		if d == nil || !canSeeDose(principal(r), st, d) {
			return vaxtrace.NotFound("id", "no such dose in your scope")
		}
		v = viewDose(st, d, true)
		return nil
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

// doseWrite submits a change to a dose and answers with the dose as it
// stands afterwards.
func (s *Server) doseWrite(w http.ResponseWriter, r *http.Request, natural string, id string, p vaxtrace.Payload) error {
	res, err := s.submit(r, idemKey(r, natural, p), p)
	if err != nil {
		return err
	}
	out := doseResult{Seq: res.Seq, Duplicate: res.Duplicate}
	_ = s.read(func(st *vaxtrace.State) error {
		if d := st.Dose(id); d != nil {
			out.Dose = viewDose(st, d, true)
		}
		return nil
	})
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) voidDose(w http.ResponseWriter, r *http.Request) error {
	var q reasonRequest
	if err := s.decode(w, r, &q); err != nil {
		return err
	}
	id := r.PathValue("id")
	return s.doseWrite(w, r, "dose.void:"+id, id, vaxtrace.DoseVoided{Dose: id, Reason: q.Reason})
}

type correctRequest struct {
	At       *time.Time         `json:"at,omitempty"`
	Lot      string             `json:"lot,omitempty"`
	Place    string             `json:"place,omitempty"`
	Person   *vaxtrace.PersonID `json:"person,omitempty"`
	IIN      string             `json:"iin,omitempty"`
	Override string             `json:"override,omitempty"`
	Reason   string             `json:"reason"`
}

func (s *Server) correctDose(w http.ResponseWriter, r *http.Request) error {
	var q correctRequest
	if err := s.decode(w, r, &q); err != nil {
		return err
	}
	id := r.PathValue("id")
	p := vaxtrace.DoseCorrected{Dose: id, At: q.At, Lot: q.Lot, Place: q.Place, Person: q.Person, Override: q.Override, Reason: q.Reason}
	if q.IIN != "" || q.Person != nil {
		pid, err := s.personRef(q.Person, q.IIN)
		if err != nil {
			return err
		}
		p.Person = &pid
	}
	return s.doseWrite(w, r, "", id, p)
}
