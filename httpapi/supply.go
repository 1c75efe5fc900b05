package httpapi

import (
	"net/http"
	"time"

	"vaxtrace"
)

type agreementView struct {
	vaxtrace.AgreementLine
	Note       string                   `json:"note,omitempty"`
	Deliveries []vaxtrace.StockReceived `json:"deliveries"`
}

func (s *Server) listAgreements(w http.ResponseWriter, r *http.Request) error {
	asOf, err := dateParam(r, "as_of", s.today())
	if err != nil {
		return err
	}
	var out []agreementView
	_ = s.read(func(st *vaxtrace.State) error {
		for _, ln := range st.SupplyPosition(asOf) {
			v := agreementView{AgreementLine: ln, Deliveries: []vaxtrace.StockReceived{}}
			if a := st.Agreement(ln.ID); a != nil {
				v.Note = a.Note
				for _, d := range a.Deliveries {
					if vaxtrace.DateOf(d.Occurred) <= asOf {
						v.Deliveries = append(v.Deliveries, d)
					}
				}
			}
			out = append(out, v)
		}
		return nil
	})
	writeJSON(w, http.StatusOK, map[string]any{"as_of": asOf, "agreements": nonNil(out)})
	return nil
}

func (s *Server) signAgreement(w http.ResponseWriter, r *http.Request) error {
	var a vaxtrace.Agreement
	if err := s.decode(w, r, &a); err != nil {
		return err
	}
	return s.write(w, r, http.StatusCreated, "agreement:"+a.ID, vaxtrace.AgreementSigned{Agreement: a})
}

type supplyResponse struct {
	AsOf       vaxtrace.Date            `json:"as_of"`
	Contracted int64                    `json:"contracted"`
	Delivered  int64                    `json:"delivered"`
	Owed       int64                    `json:"owed"`
	Late       int64                    `json:"late"`
	Agreements []vaxtrace.AgreementLine `json:"agreements"`
}

// supply is the public supply position (State.SupplyPosition).
func (s *Server) supply(w http.ResponseWriter, r *http.Request) error {
	if err := s.checkDays(r, "as_of"); err != nil {
		return err
	}
	asOf, err := dateParam(r, "as_of", s.today())
	if err != nil {
		return err
	}
	out := supplyResponse{AsOf: asOf}
	_ = s.read(func(st *vaxtrace.State) error {
		out.Agreements = nonNil(st.SupplyPosition(asOf))
		return nil
	})
	for _, a := range out.Agreements {
		out.Contracted += a.Contracted
		out.Delivered += a.Delivered
		out.Owed += a.Owed
		out.Late += a.Late
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

type lotView struct {
	vaxtrace.Lot
	Received     int64            `json:"received"`
	OnHand       int64            `json:"on_hand"`
	InTransit    int64            `json:"in_transit"`
	Administered int64            `json:"administered"`
	WrittenOff   int64            `json:"written_off"`
	WrittenOffBy map[string]int64 `json:"written_off_by,omitempty"`
	SuspendedWhy string           `json:"suspended_reason,omitempty"`
	AEFI         int64            `json:"aefi"`
	AEFISerious  int64            `json:"aefi_serious"`
}

func viewLot(l *vaxtrace.LotState) lotView {
	v := lotView{Lot: l.Lot, Received: l.Received, OnHand: l.OnHand, InTransit: l.InTransit, Administered: l.Administered,
		WrittenOff: l.WrittenOffTotal(), SuspendedWhy: l.SuspendedWhy, AEFI: l.AEFI, AEFISerious: l.AEFISerious}
	v.Status = l.Status()
	if len(l.WrittenOff) > 0 {
		v.WrittenOffBy = map[string]int64{}
		for k, n := range l.WrittenOff {
			if n != 0 {
				v.WrittenOffBy[k] = n
			}
		}
	}
	return v
}

func (s *Server) listLots(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	var out []lotView
	_ = s.read(func(st *vaxtrace.State) error {
		for _, l := range st.Lots() {
			if p := q.Get("product"); p != "" && l.Product != p {
				continue
			}
			if x := q.Get("status"); x != "" && l.Status() != x {
				continue
			}
			out = append(out, viewLot(l))
		}
		return nil
	})
	writeJSON(w, http.StatusOK, map[string]any{"lots": nonNil(out)})
	return nil
}

func (s *Server) registerLot(w http.ResponseWriter, r *http.Request) error {
	var l vaxtrace.Lot
	if err := s.decode(w, r, &l); err != nil {
		return err
	}
	l.Status = "" // derived
	return s.write(w, r, http.StatusCreated, "lot:"+l.ID, vaxtrace.LotRegistered{Lot: l})
}

type releaseRequest struct {
	Occurred vaxtrace.Date `json:"occurred"`
}

func (s *Server) releaseLot(w http.ResponseWriter, r *http.Request) error {
	var q releaseRequest
	if err := s.decode(w, r, &q); err != nil {
		return err
	}
	if q.Occurred == 0 {
		return vaxtrace.FieldError("occurred", "required")
	}
	id := r.PathValue("id")
	return s.write(w, r, http.StatusOK, "lot.release:"+id, vaxtrace.LotReleased{Lot: id, Occurred: q.Occurred})
}

type reasonRequest struct {
	Reason string `json:"reason"`
}

func (s *Server) suspendLot(w http.ResponseWriter, r *http.Request) error {
	var q reasonRequest
	if err := s.decode(w, r, &q); err != nil {
		return err
	}
	return s.write(w, r, http.StatusOK, "", vaxtrace.LotSuspended{Lot: r.PathValue("id"), Reason: q.Reason})
}

func (s *Server) reinstateLot(w http.ResponseWriter, r *http.Request) error {
	var q reasonRequest
	if err := s.decode(w, r, &q); err != nil {
		return err
	}
	return s.write(w, r, http.StatusOK, "", vaxtrace.LotReinstated{Lot: r.PathValue("id"), Reason: q.Reason})
}

type receiptRequest struct {
	Receipt   string    `json:"receipt"`
	Place     string    `json:"place"`
	Lot       string    `json:"lot"`
	Doses     int64     `json:"doses"`
	Agreement string    `json:"agreement,omitempty"`
	Tranche   string    `json:"tranche,omitempty"`
	Occurred  time.Time `json:"occurred"`
}

func (s *Server) receiveStock(w http.ResponseWriter, r *http.Request) error {
	var q receiptRequest
	if err := s.decode(w, r, &q); err != nil {
		return err
	}
	p := vaxtrace.StockReceived(q)
	natural := ""
	if p.Receipt != "" {
		natural = "receipt:" + p.Receipt + ":" + p.Lot
	}
	return s.write(w, r, http.StatusCreated, natural, p)
}
