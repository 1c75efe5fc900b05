package httpapi

import (
	"net/http"
	"strings"
	"time"

	"vaxtrace"
	"vaxtrace/pii"
)

// personView is a person as shown to an authorised caller. It never holds
// the IIN in clear; admin, auditor and point roles see it masked.
type personView struct {
	ID         vaxtrace.PersonID  `json:"id"`
	IINMasked  string             `json:"iin_masked,omitempty"`
	Family     string             `json:"family"`
	Given      string             `json:"given"`
	BirthDate  vaxtrace.Date      `json:"birth_date"`
	Sex        string             `json:"sex"`
	Region     string             `json:"region"`
	Group      string             `json:"group,omitempty"`
	Registered time.Time          `json:"registered"`
	MergedInto *vaxtrace.PersonID `json:"merged_into,omitempty"`
	Doses      []doseView         `json:"doses"`
	// PhoneMasked shows the last digits of the reminder phone only.
	PhoneMasked string `json:"phone_masked,omitempty"`
	Lang        string `json:"lang,omitempty"`
}

func (s *Server) viewPerson(p vaxtrace.Principal, st *vaxtrace.State, ps *vaxtrace.PersonState) personView {
	t := st.PersonText(ps)
	v := personView{ID: ps.ID, Family: t.Family(), Given: t.Given(), BirthDate: ps.BirthDate, Sex: ps.Sex(),
		Region: ps.Region(), Group: ps.Group(), Registered: ps.Recorded(), Doses: []doseView{}}
	if into, ok := st.MergedInto(ps); ok {
		v.MergedInto = &into
	}
	if seesIIN(p) && t.IINSealed() != "" {
		if iin, err := s.keys.Open(t.IINSealed()); err == nil {
			v.IINMasked = pii.Mask(iin)
		}
	}
	v.Lang = ps.Lang()
	if t.PhoneSealed() != "" {
		if ph, err := s.keys.Open(t.PhoneSealed()); err == nil && len(ph) > 4 {
			v.PhoneMasked = strings.Repeat("•", len(ph)-4) + ph[len(ph)-4:]
		}
	}
	for d := range st.PersonDoses(ps) {
		v.Doses = append(v.Doses, viewDose(d, false))
	}
	return v
}

type personRequest struct {
	IIN       string         `json:"iin"`
	Family    string         `json:"family"`
	Given     string         `json:"given"`
	BirthDate *vaxtrace.Date `json:"birth_date"` // required: a missing date is not 1970-01-01
	Sex       string         `json:"sex"`
	Region    string         `json:"region"`
	Group     string         `json:"group,omitempty"`
	// Phone (for reminders) is sealed like the IIN; Lang is the language of
	// the reminders, kk or ru.
	Phone string `json:"phone,omitempty"`
	Lang  string `json:"lang,omitempty"`
}

// person builds the person record; the IIN is validated, hashed to the id
// and sealed.
func (s *Server) person(q personRequest) (vaxtrace.Person, error) {
	id, sealed, err := s.keys.Person(q.IIN)
	if err != nil {
		return vaxtrace.Person{}, err
	}
	if q.BirthDate == nil {
		return vaxtrace.Person{}, vaxtrace.FieldError("birth_date", "required")
	}
	p := vaxtrace.Person{ID: id, IINSealed: sealed, Family: q.Family, Given: q.Given, BirthDate: *q.BirthDate, Sex: q.Sex, Region: q.Region, Group: q.Group, Lang: q.Lang}
	if q.Phone != "" {
		phone, err := vaxtrace.NormalizePhone(q.Phone)
		if err != nil {
			return vaxtrace.Person{}, err
		}
		p.PhoneSealed = s.keys.Seal(phone)
	}
	return p, nil
}

func samePerson(a, b vaxtrace.Person) bool {
	return a.Family == b.Family && a.Given == b.Given && a.BirthDate == b.BirthDate && a.Sex == b.Sex && a.Region == b.Region && a.Group == b.Group &&
		a.PhoneSealed == b.PhoneSealed && a.Lang == b.Lang
}

// reuseSeal makes a re-registration of a known person carry the stored
// sealed IIN (sealing is randomised), so that an identical replay is a
// duplicate; it reports a conflict if the details differ.
func reuseSeal(st *vaxtrace.State, p *vaxtrace.Person) error {
	old := st.Person(p.ID)
	if old == nil {
		return nil
	}
	if !samePerson(st.PersonDetails(old), *p) {
		return vaxtrace.Errorf(vaxtrace.ECONFLICT, "a person with this IIN is already registered with other details (id %s); update that record instead", p.ID)
	}
	p.IINSealed = st.PersonText(old).IINSealed()
	return nil
}

type personResult struct {
	Seq       uint64     `json:"seq,omitempty"`
	Duplicate bool       `json:"duplicate"`
	Person    personView `json:"person"`
}

func (s *Server) registerPerson(w http.ResponseWriter, r *http.Request) error {
	var q personRequest
	if err := s.decode(w, r, &q); err != nil {
		return err
	}
	p, err := s.person(q)
	if err != nil {
		return err
	}
	var res personResult
	for attempt := 0; ; attempt++ {
		if err := s.read(func(st *vaxtrace.State) error { return reuseSeal(st, &p) }); err != nil {
			return err
		}
		r0, err := s.submit(r, "person:"+p.ID.String(), vaxtrace.PersonRegistered{Person: p})
		if err != nil && vaxtrace.ErrorCode(err) == vaxtrace.ECONFLICT && attempt == 0 {
			continue // registered concurrently: compare with what won
		}
		if err != nil {
			return err
		}
		res.Seq, res.Duplicate = r0.Seq, r0.Duplicate
		break
	}
	_ = s.read(func(st *vaxtrace.State) error {
		if ps := st.Person(p.ID); ps != nil {
			res.Person = s.viewRegistered(principal(r), st, ps)
		}
		return nil
	})
	writeJSON(w, http.StatusCreated, res)
	return nil
}

// personFor finds a person the caller may see, following merges. An
// unknown person and one outside the caller's scope look the same, so that
// the API does not reveal whether someone is registered.
func personFor(p vaxtrace.Principal, st *vaxtrace.State, id vaxtrace.PersonID, field string) (*vaxtrace.PersonState, error) {
	ps := st.Person(id)
	for i := 0; ps != nil && ps.Merged() && i < 10; i++ {
		into, _ := st.MergedInto(ps)
		ps = st.Person(into)
	}
	if ps == nil || !canSeePerson(p, st, ps) {
		return nil, vaxtrace.NotFound(field, "no such person in your scope")
	}
	return ps, nil
}

type lookupRequest struct {
	IIN string `json:"iin"`
}

func (s *Server) lookupPerson(w http.ResponseWriter, r *http.Request) error {
	var q lookupRequest
	if err := s.decode(w, r, &q); err != nil {
		return err
	}
	if err := vaxtrace.ValidateIIN(q.IIN); err != nil {
		return err
	}
	return s.showPerson(w, r, s.keys.ID(q.IIN), "iin")
}

func (s *Server) getPerson(w http.ResponseWriter, r *http.Request) error {
	id, err := vaxtrace.ParsePersonID(r.PathValue("id"))
	if err != nil {
		return vaxtrace.FieldError("id", "must be a 32-hex-digit person id")
	}
	return s.showPerson(w, r, id, "id")
}

func (s *Server) showPerson(w http.ResponseWriter, r *http.Request, id vaxtrace.PersonID, field string) error {
	var v personView
	err := s.read(func(st *vaxtrace.State) error {
		ps, err := personFor(principal(r), st, id, field)
		if err != nil {
			return err
		}
		v = s.viewPerson(principal(r), st, ps)
		return nil
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

type updateRequest struct {
	Family    *string        `json:"family,omitempty"`
	Given     *string        `json:"given,omitempty"`
	BirthDate *vaxtrace.Date `json:"birth_date,omitempty"`
	Sex       *string        `json:"sex,omitempty"`
	Region    *string        `json:"region,omitempty"`
	Group     *string        `json:"group,omitempty"`
	Phone     *string        `json:"phone,omitempty"` // "" removes it
	Lang      *string        `json:"lang,omitempty"`
	Reason    string         `json:"reason"`
}

func (s *Server) updatePerson(w http.ResponseWriter, r *http.Request) error {
	id, err := vaxtrace.ParsePersonID(r.PathValue("id"))
	if err != nil {
		return vaxtrace.FieldError("id", "must be a 32-hex-digit person id")
	}
	var q updateRequest
	if err := s.decode(w, r, &q); err != nil {
		return err
	}
	var p vaxtrace.Person
	err = s.read(func(st *vaxtrace.State) error {
		ps := st.Person(id)
		if ps == nil || !canSeePerson(principal(r), st, ps) {
			return vaxtrace.NotFound("id", "no such person in your scope")
		}
		p = st.PersonDetails(ps)
		return nil
	})
	if err != nil {
		return err
	}
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&p.Family, q.Family)
	set(&p.Given, q.Given)
	set(&p.Sex, q.Sex)
	set(&p.Region, q.Region)
	set(&p.Group, q.Group)
	set(&p.Lang, q.Lang)
	if q.Phone != nil {
		p.PhoneSealed = ""
		if *q.Phone != "" {
			phone, err := vaxtrace.NormalizePhone(*q.Phone)
			if err != nil {
				return err
			}
			p.PhoneSealed = s.keys.Seal(phone)
		}
	}
	if q.BirthDate != nil {
		p.BirthDate = *q.BirthDate
	}
	key := idemKey(r, "", vaxtrace.PersonUpdated{Person: p, Reason: q.Reason})
	res, err := s.submit(r, key, vaxtrace.PersonUpdated{Person: p, Reason: q.Reason})
	if err != nil {
		return err
	}
	out := personResult{Seq: res.Seq, Duplicate: res.Duplicate}
	_ = s.read(func(st *vaxtrace.State) error {
		if ps := st.Person(id); ps != nil {
			out.Person = s.viewPerson(principal(r), st, ps)
		}
		return nil
	})
	writeJSON(w, http.StatusOK, out)
	return nil
}

type mergeRequest struct {
	Into   vaxtrace.PersonID `json:"into"`
	From   vaxtrace.PersonID `json:"from"`
	Reason string            `json:"reason"`
}

func (s *Server) mergePersons(w http.ResponseWriter, r *http.Request) error {
	var q mergeRequest
	if err := s.decode(w, r, &q); err != nil {
		return err
	}
	return s.write(w, r, http.StatusOK, "", vaxtrace.PersonsMerged(q))
}
