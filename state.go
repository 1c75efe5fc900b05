package vaxtrace

import (
	"sort"
	"strings"
	"time"
)

// State is the current state derived from the journal: catalog, places,
// agreements, lots, stock by place and lot, shipments, people, doses and
// coverage counters. It is kept in memory and updated incrementally by Apply;
// replaying the same journal always rebuilds the same State.
//
// Writers follow a two-step protocol: Decide validates a payload against the
// current state and returns it with derived fields filled (lots picked FEFO,
// count deltas, ...), without changing anything; Apply then folds the decided
// event in and cannot fail. State is not safe for concurrent use: the engine
// serialises writers and guards readers with a lock. Deciding a dose reuses
// buffers held by the State (so that it allocates nothing), so two dose
// Decides must not run at the same time, even under a read lock.
type State struct {
	Seq uint64 // last applied journal sequence

	products    map[string]*Product
	productList []*Product
	productIdx  map[string]uint16
	regions     map[string]*Region
	regionList  []*Region
	regionIdx   map[string]uint16
	places      map[string]*PlaceState
	agreements  map[string]*AgreementState
	lots        map[string]*LotState
	lotList     []*LotState
	shipments   map[string]*ShipmentState
	excursions  map[string]*ExcursionState
	keys        map[string]uint64
	people      personTable // registry_store.go
	doses       doseTable
	targets     map[string]*Target
	sessions    map[string]*SessionClosed
	aefis       map[string]*AEFIReported
	regionStock map[string]map[*LotState]int64
	tallies     map[tallyKey]*TallyState
	strs        map[string]string
	certs       certTable      // registry_store.go; a person's are chained from PersonState
	cold        *ColdChain     // equipment, placements, alarms, VVM (coldchain.go)
	repl        *Replenishment // policies and requisitions (replenishment.go)
	arrived     arrivals       // first day each lot reached each place (history.go)
	due         *dueIndex      // people due their next dose (due.go)
	rem         *reminderBook  // the reminder outbox (reminder.go)

	scratch walkScratch // registry_state.go

	Cov   *Coverage
	Flows *Flows
}

// PlaceState is a place with its stock.
type PlaceState struct {
	Place
	Stock map[*LotState]int64  // on hand by lot
	Hold  map[*LotState]string // lots quarantined here by an excursion id
	Doses int64                // doses administered here (not voided)
}

// LotState is a lot with its conservation counters.
type LotState struct {
	Lot
	Received     int64            // doses brought into the chain (receipts + count gains)
	OnHand       int64            // sum over places
	InTransit    int64            // dispatched, not yet received
	Administered int64            // doses given (not voided)
	WrittenOff   map[string]int64 // by reason (positive numbers)
	Released     bool
	Suspended    bool
	SuspendedWhy string
	AEFI         int64
	AEFISerious  int64
	cells        []*flowCell // flow cells this lot has touched, by region
}

// WrittenOffTotal sums write-offs over all reasons.
func (l *LotState) WrittenOffTotal() int64 {
	var s int64
	for _, v := range l.WrittenOff {
		s += v
	}
	return s
}

// Balanced reports the conservation invariant for the lot:
// received = on hand + in transit + administered + written off.
func (l *LotState) Balanced() bool {
	return l.Received == l.OnHand+l.InTransit+l.Administered+l.WrittenOffTotal()
}

// AgreementState is an agreement with its deliveries.
type AgreementState struct {
	Agreement
	Delivered  map[string]int64 // by tranche id ("" = not linked to a tranche)
	Deliveries []StockReceived
}

// ShipmentState is a shipment in transit or received.
type ShipmentState struct {
	ShipmentDispatched
	Received   bool
	ReceivedAt time.Time
	Receipt    []ReceiptLine
	Hold       map[string]string // lot id -> excursion id
}

// ExcursionState is a cold-chain excursion and the lots it holds.
type ExcursionState struct {
	ExcursionReported
	Open map[string]bool // lots still held
}

// PersonState is a person and their doses. It is kept compact (one record
// per person, tens of millions of them) and holds no pointers, so that the
// collector has nothing to scan in the registry's chunks of them: the
// few-valued strings are 4-byte codes, the text (names, sealed IIN and
// phone) is packed in the state's arena (State.PersonText reads it), and a
// merged record names the record it was merged into by position
// (State.MergedInto).
type PersonState struct {
	ID        PersonID
	text      textRef // packed text in the person table's arena (person_text.go)
	recorded  unixNanos
	hash      uint64 // content hash of the registration (idempotency)
	BirthDate Date
	region    symbol
	attrs     symbol // sex, priority group and language together (person_attrs.go)
	lastCert  uint32 // position+1 of the person's newest certificate (0: none)
	firstDose uint32 // position+1 of the first valid dose (person_doses.go; 0: none)
	// bits 0-30: position+1 of the record this one was merged into (0:
	// not merged); bit 31 (personKeyedBit): registered under the key
	// "person:"+id
	link uint32
}

// DoseState is a dose with its derived fields. It is kept compact (one
// record per dose, tens of millions of them): the place, lot, product and
// component are read through the place and lot it points to, the time is
// held as nanoseconds and a zone code, and the rarely set override lives
// with the other rare text. The accessor methods give back exactly what the
// DoseAdministered event said.
type DoseState struct {
	ID         string // client-generated id, unique
	at         int64  // At as Unix nanoseconds; its zone is zoneAt(atZone)
	recorded   unixNanos
	hash       uint64 // content hash of the submitted event (idempotency)
	person     *PersonState
	lot        *LotState
	place      *PlaceState
	rare       *doseRare // void reason, anomaly, corrections, override: nil for most doses
	vaccinator symbol
	region     symbol // the region the dose was given in (at the time)
	number     uint16 // 1-based position among the person's valid doses (saturates at maxDoseNumber)
	flags      uint8  // doseIsVoided, ...
	atZone     uint8
	nextDose   uint32 // position+1 of the person's next valid dose (0: last; person_doses.go)
}

// maxDoseNumber is the largest dose number a DoseState holds: a person's
// 65,536th valid dose and later ones read as 65,535 (no schedule comes near).
const maxDoseNumber = 1<<16 - 1

// Bits of DoseState.flags.
const (
	doseIsVoided   = 1 << iota
	doseIsBooster  // given after a completed series
	doseIsComplete // this dose completed the primary series
	doseIsKeyed    // the event's key was "dose:"+ID
	claimProduct   // the event named the product
	claimComponent // the event named the component
)

func (d *DoseState) setFlag(bit uint8, on bool) {
	if on {
		d.flags |= bit
	} else {
		d.flags &^= bit
	}
}

// Number is the dose's 1-based position among the person's valid doses.
func (d *DoseState) Number() int { return int(d.number) }

// Voided reports whether the dose was voided (entered in error).
func (d *DoseState) Voided() bool { return d.flags&doseIsVoided != 0 }

// Booster reports whether the dose was given after a completed series.
func (d *DoseState) Booster() bool { return d.flags&doseIsBooster != 0 }

// Complete reports whether this dose completed the primary series.
func (d *DoseState) Complete() bool { return d.flags&doseIsComplete != 0 }

func (d *DoseState) keyed() bool { return d.flags&doseIsKeyed != 0 }

// At is when the dose was given, in the zone the event gave.
func (d *DoseState) At() time.Time {
	if d.atZone == zoneOther {
		return time.Unix(0, d.at).In(d.rare.loc)
	}
	return time.Unix(0, d.at).In(zoneAt(d.atZone))
}

// setAt stores t as the dose's time.
func (d *DoseState) setAt(t time.Time) {
	d.at = t.UnixNano()
	d.atZone = zoneCode(t)
	if d.atZone == zoneOther {
		d.rareText().loc = t.Location()
	} else if d.rare != nil {
		d.rare.loc = nil
	}
}

// Day is the calendar day of At (in its zone).
func (d *DoseState) Day() Date { return DateOf(d.At()) }

// Person is the id of the person the dose belongs to.
func (d *DoseState) Person() PersonID { return d.person.ID }

// Place is the id of the place the dose was given at.
func (d *DoseState) Place() string { return d.place.ID }

// Lot is the id of the dose's lot.
func (d *DoseState) Lot() string { return d.lot.ID }

// Product is the product the event claimed ("" if it named none); a claim
// is checked against the lot when the dose is recorded.
func (d *DoseState) Product() string {
	if d.flags&claimProduct == 0 {
		return ""
	}
	if d.rare != nil && d.rare.product != "" {
		return d.rare.product
	}
	return d.lot.Product
}

// Component is the component the event claimed ("" if it named none).
func (d *DoseState) Component() string {
	if d.flags&claimComponent == 0 {
		return ""
	}
	if d.rare != nil && d.rare.component != "" {
		return d.rare.component
	}
	return d.lot.Component
}

// Vaccinator is who gave the dose.
func (d *DoseState) Vaccinator() string { return d.vaccinator.String() }

// Override is the clinician's reason to accept a short interval ("" if none).
func (d *DoseState) Override() string {
	if d.rare == nil {
		return ""
	}
	return d.rare.override
}

// Administered returns the dose as a DoseAdministered event (with the
// current time, place, lot and person after any corrections).
func (d *DoseState) Administered() DoseAdministered {
	return DoseAdministered{ID: d.ID, Person: d.Person(), At: d.At(), Place: d.Place(), Lot: d.Lot(),
		Product: d.Product(), Component: d.Component(), Vaccinator: d.Vaccinator(), Override: d.Override()}
}

// unixNanos is a recording time in 8 bytes instead of a time.Time's 24.
type unixNanos int64

func nanosOf(t time.Time) unixNanos { return unixNanos(t.UnixNano()) }

func (n unixNanos) time() time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, int64(n)).UTC()
}

// Recorded is when the person was registered (recorded in the journal), UTC.
func (p *PersonState) Recorded() time.Time { return p.recorded.time() }

// Recorded is when the dose was recorded in the journal, UTC.
func (d *DoseState) Recorded() time.Time { return d.recorded.time() }

// doseRare holds the text few doses have, out of the dose record.
type doseRare struct {
	voidWhy  string
	anomaly  string
	override string
	history  []DoseCorrected
	// product and component keep a claim the event made when a correction
	// later moved the dose to a lot of another product or component
	product, component string
	loc                *time.Location // At's zone when zoneCode had no code for it
}

// VoidWhy is the reason the dose was voided ("" if it was not).
func (d *DoseState) VoidWhy() string {
	if d.rare == nil {
		return ""
	}
	return d.rare.voidWhy
}

// Anomaly is the schedule rule the dose breaks ("" if none), e.g. after a
// void renumbered the person's doses.
func (d *DoseState) Anomaly() string {
	if d.rare == nil {
		return ""
	}
	return d.rare.anomaly
}

// History lists the corrections applied to the dose, oldest first.
func (d *DoseState) History() []DoseCorrected {
	if d.rare == nil {
		return nil
	}
	return d.rare.history
}

func (d *DoseState) rareText() *doseRare {
	if d.rare == nil {
		d.rare = &doseRare{}
	}
	return d.rare
}

// NewState returns an empty state.
func NewState() *State {
	return &State{
		products:    map[string]*Product{},
		productIdx:  map[string]uint16{},
		regions:     map[string]*Region{},
		regionIdx:   map[string]uint16{},
		places:      map[string]*PlaceState{},
		agreements:  map[string]*AgreementState{},
		lots:        map[string]*LotState{},
		shipments:   map[string]*ShipmentState{},
		excursions:  map[string]*ExcursionState{},
		keys:        map[string]uint64{},
		targets:     map[string]*Target{},
		sessions:    map[string]*SessionClosed{},
		aefis:       map[string]*AEFIReported{},
		regionStock: map[string]map[*LotState]int64{},
		tallies:     map[tallyKey]*TallyState{},
		cold:        newColdChain(),
		repl:        newReplenishment(),
		Cov:         newCoverage(),
		Flows:       newFlows(),
	}
}

// KeySeen reports whether an idempotency key was already applied and, if so,
// whether it was applied with the same content hash.
func (s *State) KeySeen(key string, hash uint64) (seen, same bool) {
	if id, ok := strings.CutPrefix(key, "dose:"); ok {
		if d := s.doses.get(id); d != nil && d.keyed() {
			return true, d.hash == hash
		}
	}
	if hexID, ok := strings.CutPrefix(key, "person:"); ok {
		if id, err := ParsePersonID(hexID); err == nil {
			if p := s.people.get(id); p != nil && p.keyed() {
				return true, p.hash == hash
			}
		}
	}
	h, ok := s.keys[key]
	if !ok {
		return false, false
	}
	return true, h == hash
}

// maxSkew is how far in the future an occurrence time may lie relative to the
// recording time (clock drift of clinic devices).
const maxSkew = 10 * time.Minute

func checkOccurred(field string, t, recorded time.Time) error {
	if t.IsZero() {
		return FieldError(field, "required")
	}
	if t.After(recorded.Add(maxSkew)) {
		return FieldError(field, "lies in the future (%s is after the time it was recorded)", t.Format(time.RFC3339))
	}
	if t.Year() < 2000 {
		return FieldError(field, "before the year 2000")
	}
	return nil
}

// Decide validates p against the state at recording time recorded and
// returns it with derived fields filled. It changes nothing.
func (s *State) Decide(p Payload, recorded time.Time) (Payload, error) {
	return s.DecideChecked(p, recorded, CheckPayloadText(p))
}

// DecideChecked is Decide given textErr, what CheckPayloadText(p) returned:
// the engine checks a command's text in its caller's goroutine, off the
// single writer's path.
func (s *State) DecideChecked(p Payload, recorded time.Time, textErr error) (Payload, error) {
	if textErr != nil {
		return nil, textErr
	}
	switch v := p.(type) {
	case ProductDefined:
		return s.decideProduct(v)
	case RegionDefined:
		r := v.Region
		if r.Code == "" {
			return nil, FieldError("code", "required")
		}
		if err := Qty(int64(r.Population)).Check("population"); err != nil {
			return nil, err
		}
		if r.Names["en"] == "" {
			return nil, FieldError("names.en", "required")
		}
		return v, nil
	case PlaceDefined:
		return v, s.decidePlace(v)
	case PlaceMoved:
		pl := s.places[v.Place]
		if pl == nil {
			return nil, NotFound("place", "unknown place %q", v.Place)
		}
		if s.regions[v.Region] == nil {
			return nil, NotFound("region", "unknown region %q", v.Region)
		}
		return v, nil
	case AgreementSigned:
		if err := v.Agreement.Validate(); err != nil {
			return nil, err
		}
		if s.products[v.Agreement.Product] == nil {
			return nil, NotFound("product", "unknown product %q", v.Agreement.Product)
		}
		if v.Agreement.Signed.Time().After(recorded.Add(maxSkew)) {
			return nil, FieldError("signed", "lies in the future")
		}
		if s.agreements[v.Agreement.ID] != nil {
			return nil, Errorf(ECONFLICT, "agreement %q already exists", v.Agreement.ID)
		}
		return v, nil
	case LotRegistered:
		return v, s.decideLot(v.Lot)
	case LotReleased:
		l := s.lots[v.Lot]
		if l == nil {
			return nil, NotFound("lot", "unknown lot %q", v.Lot)
		}
		if l.Released {
			return nil, Errorf(ECONFLICT, "lot %q is already released", v.Lot)
		}
		if v.Occurred.Time().After(recorded.Add(maxSkew)) {
			return nil, FieldError("occurred", "lies in the future")
		}
		return v, nil
	case LotSuspended:
		l := s.lots[v.Lot]
		if l == nil {
			return nil, NotFound("lot", "unknown lot %q", v.Lot)
		}
		if v.Reason == "" {
			return nil, FieldError("reason", "required")
		}
		return v, nil
	case LotReinstated:
		l := s.lots[v.Lot]
		if l == nil {
			return nil, NotFound("lot", "unknown lot %q", v.Lot)
		}
		if !l.Suspended {
			return nil, Errorf(ECONFLICT, "lot %q is not suspended", v.Lot)
		}
		if v.Reason == "" {
			return nil, FieldError("reason", "required")
		}
		return v, nil
	case StockReceived:
		return v, s.decideReceipt(v, recorded)
	case ShipmentDispatched:
		if err := s.checkDispatchAgrees(v); err != nil {
			return nil, err
		}
		return s.decideDispatch(v, recorded)
	case ShipmentReceived:
		return s.decideShipmentReceived(v, recorded)
	case StockAdjusted:
		return v, s.decideAdjust(v, recorded)
	case StockCounted:
		return s.decideCount(v, recorded)
	case ExcursionReported:
		d, err := s.decideExcursion(v, recorded)
		if err != nil {
			return nil, err
		}
		return d, s.checkExcursionOutside(d.(ExcursionReported))
	case ExcursionResolved:
		return s.decideExcursionResolved(v, recorded)
	case PersonRegistered:
		if err := v.Person.Validate(); err != nil {
			return nil, err
		}
		if v.Person.BirthDate.Time().After(recorded) {
			return nil, FieldError("birth_date", "lies in the future")
		}
		if s.regions[v.Person.Region] == nil {
			return nil, NotFound("region", "unknown region %q", v.Person.Region)
		}
		if s.people.get(v.Person.ID) != nil {
			return nil, Errorf(ECONFLICT, "a person with this IIN is already registered")
		}
		return p, nil // p is v, boxed already
	case PersonUpdated:
		if err := v.Person.Validate(); err != nil {
			return nil, err
		}
		if s.people.get(v.Person.ID) == nil {
			return nil, NotFound("person", "unknown person")
		}
		if s.regions[v.Person.Region] == nil {
			return nil, NotFound("region", "unknown region %q", v.Person.Region)
		}
		if v.Reason == "" {
			return nil, FieldError("reason", "required")
		}
		return v, s.checkBirthBeforeDoses(v.Person)
	case PersonsMerged:
		return v, s.decideMerge(v)
	case DoseAdministered:
		return p, s.decideDose(v, recorded) // p is v, boxed already
	case DoseVoided:
		d := s.doses.get(v.Dose)
		if d == nil {
			return nil, NotFound("dose", "unknown dose %q", v.Dose)
		}
		if d.Voided() {
			return nil, Errorf(ECONFLICT, "dose %q is already voided", v.Dose)
		}
		if v.Reason == "" {
			return nil, FieldError("reason", "required")
		}
		return v, nil
	case DoseCorrected:
		if err := s.decideCorrection(v, recorded); err != nil {
			return nil, err
		}
		return v, s.checkCorrectionArrived(v)
	case SessionClosed:
		if err := s.checkSessionPlace(v); err != nil {
			return nil, err
		}
		return s.decideSession(v, recorded)
	case AEFIReported:
		if err := s.checkAEFIDose(v); err != nil {
			return nil, err
		}
		return s.decideAEFI(v, recorded)
	case TargetSet:
		return v, s.decideTarget(v.Target)
	case TallySubmitted:
		return v, s.decideTally(v, recorded)
	case CertificateIssued:
		return v, s.decideCertificate(v)
	case CertificateRevoked:
		c := s.certs.get(v.UVCI)
		if c == nil {
			return nil, NotFound("uvci", "unknown certificate")
		}
		if c.Revoked {
			return nil, Errorf(ECONFLICT, "certificate is already revoked")
		}
		if v.Reason == "" {
			return nil, FieldError("reason", "required")
		}
		return v, nil
	}
	if d, ok, err := s.decideRooms(p, recorded); ok {
		return d, err
	}
	return nil, Errorf(EINVALID, "unsupported event %T", p)
}

// Apply folds a decided event into the state. It must not fail: everything
// that can be wrong was rejected by Decide before the event was journaled.
func (s *State) Apply(e Event) {
	if e.Seq > s.Seq {
		s.Seq = e.Seq
	}
	s.Flows.known = DateOf(e.Recorded)
	if e.Key != "" {
		// doses keyed "dose:<id>" keep their hash on the dose itself, so that
		// tens of millions of doses need no separate key index
		switch v := e.Data.(type) {
		case DoseAdministered:
			if !isDoseKey(e.Key, v.ID) {
				s.keys[e.Key] = e.Hash
			}
		case PersonRegistered:
			if !isPersonKey(e.Key, v.Person.ID) {
				s.keys[e.Key] = e.Hash
			}
		default:
			s.keys[e.Key] = e.Hash
		}
	}
	switch v := e.Data.(type) {
	case ProductDefined:
		p := v.Product
		if _, ok := s.productIdx[p.Code]; !ok {
			s.productIdx[p.Code] = uint16(len(s.productList))
			s.productList = append(s.productList, &p)
		} else {
			s.productList[s.productIdx[p.Code]] = &p
		}
		s.products[p.Code] = &p
	case RegionDefined:
		r := v.Region
		if _, ok := s.regionIdx[r.Code]; !ok {
			s.regionIdx[r.Code] = uint16(len(s.regionList))
			s.regionList = append(s.regionList, &r)
		} else {
			s.regionList[s.regionIdx[r.Code]] = &r
		}
		s.regions[r.Code] = &r
	case PlaceDefined:
		p := v.Place
		p.History = []RegionSpan{{From: MkDate(2000, 1, 1), Region: p.Region}}
		s.places[p.ID] = &PlaceState{Place: p, Stock: map[*LotState]int64{}, Hold: map[*LotState]string{}}
	case PlaceMoved:
		pl := s.places[v.Place]
		for l, n := range pl.Stock {
			s.addRegionStock(pl.Region, l, -n)
			s.addRegionStock(v.Region, l, n)
			s.Flows.add(pl.Region, l, FlowOnHand, v.From, -n)
			s.Flows.add(v.Region, l, FlowOnHand, v.From, n)
			if pl.Kind == PlacePoint {
				s.Flows.add(pl.Region, l, FlowAtPoints, v.From, -n)
				s.Flows.add(v.Region, l, FlowAtPoints, v.From, n)
			}
		}
		pl.History = append(pl.History, RegionSpan{From: v.From, Region: v.Region})
		sort.SliceStable(pl.History, func(i, j int) bool { return pl.History[i].From < pl.History[j].From })
		pl.Region = v.Region
	case AgreementSigned:
		s.agreements[v.Agreement.ID] = &AgreementState{Agreement: v.Agreement, Delivered: map[string]int64{}}
	case LotRegistered:
		l := &LotState{Lot: v.Lot, WrittenOff: map[string]int64{}}
		s.lots[l.ID] = l
		s.lotList = append(s.lotList, l)
	case LotReleased:
		s.lots[v.Lot].Released = true
	case LotSuspended:
		l := s.lots[v.Lot]
		l.Suspended, l.SuspendedWhy = true, v.Reason
	case LotReinstated:
		l := s.lots[v.Lot]
		l.Suspended, l.SuspendedWhy = false, ""
	case StockReceived:
		l := s.lots[v.Lot]
		l.Received += v.Doses
		s.moveStock(s.places[v.Place], l, v.Doses, DateOf(v.Occurred))
		s.Flows.add("", l, FlowReceived, DateOf(v.Occurred), v.Doses)
		if a := s.agreements[v.Agreement]; a != nil {
			a.Delivered[v.Tranche] += v.Doses
			a.Deliveries = append(a.Deliveries, v)
		}
	case ShipmentDispatched:
		from, to := s.places[v.From], s.places[v.To]
		day := DateOf(v.Occurred)
		for _, ln := range v.Lines {
			l := s.lots[ln.Lot]
			s.moveStock(from, l, -ln.Doses, day)
			l.InTransit += ln.Doses
			s.Flows.add(flowRegion(to), l, FlowInTransit, day, ln.Doses)
		}
		s.shipments[v.Shipment] = &ShipmentState{ShipmentDispatched: v, Hold: map[string]string{}}
	case ShipmentReceived:
		sh := s.shipments[v.Shipment]
		to := s.places[sh.To]
		sh.Received, sh.ReceivedAt, sh.Receipt = true, v.Occurred, v.Lines
		day := DateOf(v.Occurred)
		from := s.places[sh.From]
		for _, ln := range v.Lines {
			l := s.lots[ln.Lot]
			all := ln.Received + ln.Short + ln.Damaged + ln.VVMFailed
			l.InTransit -= all
			s.Flows.add(flowRegion(to), l, FlowInTransit, day, -all)
			s.moveStock(to, l, ln.Received, day)
			if from.Kind == PlaceNational && to.Kind != PlaceNational {
				s.Flows.add(flowRegion(to), l, FlowDelivered, day, ln.Received)
			}
			l.WrittenOff[ReasonLost] += ln.Short
			l.WrittenOff[ReasonDamaged] += ln.Damaged
			l.WrittenOff[ReasonVVM] += ln.VVMFailed
			s.Flows.add(flowRegion(to), l, FlowWrittenOff, day, ln.Short+ln.Damaged+ln.VVMFailed)
			if x, ok := sh.Hold[ln.Lot]; ok && ln.Received > 0 {
				to.Hold[l] = x
			}
		}
	case StockAdjusted:
		s.adjust(s.places[v.Place], s.lots[v.Lot], v.Delta, v.Reason, DateOf(v.Occurred))
	case StockCounted:
		if v.Delta != 0 {
			s.adjust(s.places[v.Place], s.lots[v.Lot], v.Delta, ReasonCount, DateOf(v.Occurred))
		}
	case ExcursionReported:
		x := &ExcursionState{ExcursionReported: v, Open: map[string]bool{}}
		s.excursions[v.Excursion] = x
		for _, id := range v.Lots {
			x.Open[id] = true
			if v.Place != "" {
				s.places[v.Place].Hold[s.lots[id]] = v.Excursion
			} else {
				s.shipments[v.Shipment].Hold[id] = v.Excursion
			}
		}
	case ExcursionResolved:
		x := s.excursions[v.Excursion]
		delete(x.Open, v.Lot)
		l := s.lots[v.Lot]
		if pl := s.places[v.Place]; pl != nil {
			delete(pl.Hold, l)
			if v.Decision == "write_off" && v.Doses > 0 {
				s.adjust(pl, l, -v.Doses, ReasonColdChain, DateOf(v.Occurred))
			}
		}
		if sh := s.shipments[x.Shipment]; sh != nil {
			delete(sh.Hold, v.Lot)
		}
	case PersonRegistered:
		p := PersonState{ID: v.Person.ID, recorded: nanosOf(e.Recorded), hash: e.Hash}
		p.setKeyed(isPersonKey(e.Key, v.Person.ID))
		s.people.setDetails(&p, &v.Person)
		s.people.add(p)
	case PersonUpdated:
		s.revokePersonCerts(v.Person.ID, "person corrected: "+v.Reason)
		p := s.people.get(v.Person.ID)
		day := DateOf(e.Recorded)
		s.Cov.personChange(s, p, day, func() { s.people.setDetails(p, &v.Person) })
	case PersonsMerged:
		s.revokePersonCerts(v.From, "person merged: "+v.Reason)
		s.revokePersonCerts(v.Into, "person merged: "+v.Reason)
		s.applyMerge(v, DateOf(e.Recorded))
	case DoseAdministered:
		p := s.people.get(v.Person)
		if p != nil {
			at := v.At.UnixNano() // x.at is x.At() in Unix nanoseconds
			for x := s.FirstDose(p); x != nil; x = s.nextDose(x) {
				if at < x.at { // a late record renumbers later doses
					s.revokePersonCerts(v.Person, "earlier dose recorded late: dose numbers changed")
					break
				}
			}
		}
		d := s.applyDose(p, v, e.Recorded)
		d.hash = e.Hash
		d.setFlag(doseIsKeyed, isDoseKey(e.Key, v.ID))
	case DoseVoided:
		if d := s.doses.get(v.Dose); d != nil {
			s.revokePersonCerts(d.Person(), "dose voided: "+v.Reason)
		}
		s.applyVoid(v, e.Recorded)
	case DoseCorrected:
		if d := s.doses.get(v.Dose); d != nil {
			s.revokePersonCerts(d.Person(), "dose corrected: "+v.Reason)
		}
		if v.Person != nil {
			s.revokePersonCerts(*v.Person, "dose corrected: "+v.Reason)
		}
		s.applyCorrection(v, e.Recorded)
	case SessionClosed:
		vv := v
		s.sessions[v.Session] = &vv
		if v.Wasted > 0 {
			s.adjust(s.places[v.Place], s.lots[v.Lot], -v.Wasted, ReasonOpenVial, v.Date)
		}
	case AEFIReported:
		vv := v
		s.aefis[v.ID] = &vv
		l := s.lots[v.Lot]
		l.AEFI++
		if v.Serious {
			l.AEFISerious++
		}
		if v.SuspendLot {
			l.Suspended, l.SuspendedWhy = true, "AEFI "+v.ID
		}
	case TargetSet:
		t := v.Target
		s.targets[t.ID] = &t
	case TallySubmitted:
		s.applyTally(v, e.Recorded)
	case CertificateIssued:
		s.applyCertificate(v)
	case CertificateRevoked:
		c := s.certs.get(v.UVCI)
		c.Revoked, c.RevokedBy = true, v.Reason
	default:
		s.applyRooms(e)
	}
}

func (s *State) addRegionStock(region string, l *LotState, n int64) {
	if region == "" || n == 0 {
		return
	}
	m := s.regionStock[region]
	if m == nil {
		m = map[*LotState]int64{}
		s.regionStock[region] = m
	}
	m[l] += n
	if m[l] == 0 {
		delete(m, l)
	}
}

// moveStock changes on-hand stock of l at pl by n (either sign) on day.
func (s *State) moveStock(pl *PlaceState, l *LotState, n int64, day Date) {
	s.noteArrival(pl, l, n, day)
	pl.Stock[l] += n
	if pl.Stock[l] == 0 {
		delete(pl.Stock, l)
	}
	l.OnHand += n
	region := ""
	if pl.Kind != PlaceNational {
		region = pl.Region
		s.addRegionStock(pl.Region, l, n)
	}
	s.Flows.add(region, l, FlowOnHand, day, n)
	if pl.Kind == PlacePoint {
		s.Flows.add(region, l, FlowAtPoints, day, n)
	}
}

func (s *State) adjust(pl *PlaceState, l *LotState, delta int64, reason string, day Date) {
	s.moveStock(pl, l, delta, day)
	region := ""
	if pl.Kind != PlaceNational {
		region = pl.Region
	}
	if delta < 0 {
		l.WrittenOff[reason] += -delta
		s.Flows.add(region, l, FlowWrittenOff, day, -delta)
	} else {
		l.Received += delta
		s.Flows.add(region, l, FlowFound, day, delta)
	}
}

func (s *State) decidePlace(v PlaceDefined) error {
	p := v.Place
	if err := p.Validate(); err != nil {
		return err
	}
	if s.places[p.ID] != nil {
		return Errorf(ECONFLICT, "place %q already exists", p.ID)
	}
	if p.Region != "" && s.regions[p.Region] == nil {
		return NotFound("region", "unknown region %q", p.Region)
	}
	if p.Parent != "" {
		par := s.places[p.Parent]
		if par == nil {
			return NotFound("parent", "unknown place %q", p.Parent)
		}
		if par.Kind == PlacePoint {
			return FieldError("parent", "a vaccination point cannot supply another place")
		}
	}
	return nil
}

func (s *State) decideLot(l Lot) error {
	if err := l.Validate(); err != nil {
		return err
	}
	p := s.products[l.Product]
	if p == nil {
		return NotFound("product", "unknown product %q", l.Product)
	}
	if !p.HasComponent(l.Component) {
		return FieldError("component", "component %q does not belong to product %s (components: %s)", l.Component, p.Code, componentList(p))
	}
	if s.lots[l.ID] != nil {
		return Errorf(ECONFLICT, "lot %q already exists", l.ID)
	}
	if l.Agreement != "" {
		a := s.agreements[l.Agreement]
		if a == nil {
			return NotFound("agreement", "unknown agreement %q", l.Agreement)
		}
		if a.Product != l.Product {
			return FieldError("agreement", "agreement %q is for %s, not %s", a.ID, a.Product, l.Product)
		}
		if l.Tranche != "" && !hasTranche(&a.Agreement, l.Tranche) {
			return NotFound("tranche", "agreement %q has no tranche %q", a.ID, l.Tranche)
		}
	}
	return nil
}

func componentList(p *Product) string {
	out := ""
	for i, c := range p.Components {
		if i > 0 {
			out += ", "
		}
		out += c.Code
	}
	return out
}

func hasTranche(a *Agreement, id string) bool {
	for _, t := range a.Tranches {
		if t.ID == id {
			return true
		}
	}
	return false
}

func (s *State) place(field, id string) (*PlaceState, error) {
	if id == "" {
		return nil, FieldError(field, "required")
	}
	p := s.places[id]
	if p == nil {
		return nil, NotFound(field, "unknown place %q", id)
	}
	return p, nil
}

func (s *State) lot(field, id string) (*LotState, error) {
	if id == "" {
		return nil, FieldError(field, "required")
	}
	l := s.lots[id]
	if l == nil {
		return nil, NotFound(field, "unknown lot %q", id)
	}
	return l, nil
}

func (s *State) decideReceipt(v StockReceived, recorded time.Time) error {
	if v.Receipt == "" {
		return FieldError("receipt", "required")
	}
	pl, err := s.place("place", v.Place)
	if err != nil {
		return err
	}
	if pl.Kind != PlaceNational {
		return FieldError("place", "doses enter the chain at a national warehouse; %q is %s", pl.ID, pl.Kind)
	}
	l, err := s.lot("lot", v.Lot)
	if err != nil {
		return err
	}
	if err := Qty(v.Doses).CheckPositive("doses"); err != nil {
		return err
	}
	if _, err := Qty(l.Received).Add("doses", Qty(v.Doses)); err != nil {
		return err
	}
	if err := checkOccurred("occurred", v.Occurred, recorded); err != nil {
		return err
	}
	if err := checkReceiptMade(l, v); err != nil {
		return err
	}
	ag := v.Agreement
	if ag == "" {
		ag = l.Agreement
	}
	if ag != "" {
		a := s.agreements[ag]
		if a == nil {
			return NotFound("agreement", "unknown agreement %q", ag)
		}
		if a.Product != l.Product {
			return FieldError("agreement", "agreement %q is for %s, lot %q is %s", ag, a.Product, l.ID, l.Product)
		}
		if v.Tranche != "" && !hasTranche(&a.Agreement, v.Tranche) {
			return NotFound("tranche", "agreement %q has no tranche %q", ag, v.Tranche)
		}
		var total Qty
		for _, d := range a.Delivered {
			var err error
			if total, err = total.Add("doses", Qty(d)); err != nil {
				return err
			}
		}
		after, err := total.Add("doses", Qty(v.Doses))
		if err != nil {
			return err
		}
		if after > Qty(a.Doses) {
			return FieldError("doses", "delivery would exceed the %d doses contracted under %q (%d already delivered)", a.Doses, ag, total)
		}
	} else if l.Origin == OriginImport {
		return FieldError("agreement", "an import receipt must name its agreement")
	}
	return nil
}

// Available reports how many doses of lot l can leave place pl on day d, and
// why none can if zero.
func (s *State) available(pl *PlaceState, l *LotState, d Date) (int64, string) {
	switch {
	case !l.Released:
		return 0, "is not released by quality control (quarantined)"
	case l.Suspended:
		return 0, "is suspended (" + l.SuspendedWhy + ")"
	case l.Expiry < d:
		return 0, "expired on " + l.Expiry.String()
	}
	if x, ok := pl.Hold[l]; ok {
		return 0, "is quarantined at " + pl.ID + " after cold-chain excursion " + x
	}
	n := pl.Stock[l]
	if n <= 0 {
		return 0, "has no stock at " + pl.ID
	}
	if why := s.notYetThere(pl, l, d); why != "" {
		return 0, why
	}
	return n, ""
}

func (s *State) decideDispatch(v ShipmentDispatched, recorded time.Time) (Payload, error) {
	if v.Shipment == "" {
		return nil, FieldError("shipment", "required")
	}
	if s.shipments[v.Shipment] != nil {
		return nil, Errorf(ECONFLICT, "shipment %q already exists", v.Shipment)
	}
	from, err := s.place("from", v.From)
	if err != nil {
		return nil, err
	}
	to, err := s.place("to", v.To)
	if err != nil {
		return nil, err
	}
	if from == to {
		return nil, FieldError("to", "must differ from the origin")
	}
	if from.Kind == PlacePoint {
		return nil, FieldError("from", "a vaccination point does not dispatch shipments")
	}
	if err := checkOccurred("occurred", v.Occurred, recorded); err != nil {
		return nil, err
	}
	day := DateOf(v.Occurred)
	if len(v.Lines) == 0 {
		if v.Doses <= 0 {
			return nil, FieldError("doses", "must be positive (or give lines)")
		}
		if err := Qty(v.Doses).Check("doses"); err != nil {
			return nil, err
		}
		p := s.products[v.Product]
		if p == nil {
			return nil, NotFound("product", "unknown product %q", v.Product)
		}
		if v.Component == "" && len(p.Components) == 1 {
			v.Component = p.Components[0].Code
		}
		if !p.HasComponent(v.Component) {
			return nil, FieldError("component", "component %q does not belong to product %s", v.Component, p.Code)
		}
		lines, got := s.PickFEFO(from, v.Product, v.Component, v.Doses, day)
		if got < v.Doses {
			return nil, FieldError("doses", "only %d doses of %s component %s can be dispatched from %s (released, unexpired, not quarantined); asked %d", got, v.Product, v.Component, from.ID, v.Doses)
		}
		v.Lines = lines
		return v, nil
	}
	seen := map[string]bool{}
	for i, ln := range v.Lines {
		f := "lines[" + itoa(i) + "]"
		if err := Qty(ln.Doses).CheckPositive(f + ".doses"); err != nil {
			return nil, err
		}
		l, err := s.lot(f+".lot", ln.Lot)
		if err != nil {
			return nil, err
		}
		if seen[ln.Lot] {
			return nil, FieldError(f+".lot", "lot %q appears twice", ln.Lot)
		}
		seen[ln.Lot] = true
		n, why := s.available(from, l, day)
		if n == 0 {
			return nil, FieldError(f+".lot", "lot %q %s", l.ID, why)
		}
		if ln.Doses > n {
			return nil, FieldError(f+".doses", "%d doses asked but only %d of lot %q on hand at %s", ln.Doses, n, l.ID, from.ID)
		}
	}
	return v, nil
}

// PickFEFO picks lots of product/component at pl, first expiry first out,
// skipping lots that cannot leave (unreleased, suspended, expired, held).
func (s *State) PickFEFO(pl *PlaceState, product, component string, doses int64, day Date) ([]ShipmentLine, int64) {
	type cand struct {
		l *LotState
		n int64
	}
	var cs []cand
	for l := range pl.Stock {
		if l.Product != product || l.Component != component {
			continue
		}
		if n, _ := s.available(pl, l, day); n > 0 {
			cs = append(cs, cand{l, n})
		}
	}
	sort.Slice(cs, func(i, j int) bool {
		if cs[i].l.Expiry != cs[j].l.Expiry {
			return cs[i].l.Expiry < cs[j].l.Expiry
		}
		return cs[i].l.ID < cs[j].l.ID
	})
	var lines []ShipmentLine
	var got int64
	for _, c := range cs {
		if got >= doses {
			break
		}
		take := min(c.n, doses-got)
		lines = append(lines, ShipmentLine{Lot: c.l.ID, Doses: take})
		got += take
	}
	return lines, got
}

func (s *State) decideShipmentReceived(v ShipmentReceived, recorded time.Time) (Payload, error) {
	sh := s.shipments[v.Shipment]
	if sh == nil {
		return nil, NotFound("shipment", "unknown shipment %q", v.Shipment)
	}
	if sh.Received {
		return nil, Errorf(ECONFLICT, "shipment %q was already received on %s", v.Shipment, sh.ReceivedAt.Format("2006-01-02"))
	}
	if err := checkOccurred("occurred", v.Occurred, recorded); err != nil {
		return nil, err
	}
	if v.Occurred.Before(sh.Occurred) {
		return nil, FieldError("occurred", "is before the shipment was dispatched")
	}
	sent := map[string]int64{}
	for _, ln := range sh.Lines {
		sent[ln.Lot] = ln.Doses
	}
	if len(v.Lines) == 0 {
		for _, ln := range sh.Lines {
			v.Lines = append(v.Lines, ReceiptLine{Lot: ln.Lot, Received: ln.Doses})
		}
		return v, nil
	}
	got := map[string]bool{}
	for i, ln := range v.Lines {
		f := "lines[" + itoa(i) + "]"
		n, ok := sent[ln.Lot]
		if !ok {
			return nil, FieldError(f+".lot", "lot %q was not in shipment %q", ln.Lot, v.Shipment)
		}
		if got[ln.Lot] {
			return nil, FieldError(f+".lot", "lot %q appears twice", ln.Lot)
		}
		got[ln.Lot] = true
		for _, q := range []struct {
			name string
			n    int64
		}{{"received", ln.Received}, {"short", ln.Short}, {"damaged", ln.Damaged}, {"vvm_failed", ln.VVMFailed}} {
			if err := Qty(q.n).Check(f + "." + q.name); err != nil {
				return nil, err
			}
		}
		sum, err := SumQty(f, ln.Received, ln.Short, ln.Damaged, ln.VVMFailed)
		if err != nil {
			return nil, err
		}
		if sum != Qty(n) {
			return nil, FieldError(f, "received+short+damaged+vvm_failed = %d but %d doses of lot %q were dispatched", sum, n, ln.Lot)
		}
	}
	for lot, n := range sent {
		if !got[lot] {
			return nil, FieldError("lines", "lot %q (%d doses dispatched) is missing from the receipt", lot, n)
		}
	}
	return v, nil
}

var adjustReasons = map[string]bool{ReasonWastage: true, ReasonOpenVial: true, ReasonExpired: true, ReasonDamaged: true, ReasonColdChain: true, ReasonLost: true, ReasonVVM: true, ReasonCount: true}

func (s *State) decideAdjust(v StockAdjusted, recorded time.Time) error {
	pl, err := s.place("place", v.Place)
	if err != nil {
		return err
	}
	l, err := s.lot("lot", v.Lot)
	if err != nil {
		return err
	}
	if !adjustReasons[v.Reason] {
		return FieldError("reason", "unknown reason %q (wastage, open_vial, expired, damaged, cold_chain, lost, vvm_failed, count)", v.Reason)
	}
	if v.Delta == 0 {
		return FieldError("delta", "must not be zero")
	}
	if v.Delta < -int64(MaxQty) || v.Delta > int64(MaxQty) {
		return FieldError("delta", "must lie between -%d and %d doses", int64(MaxQty), int64(MaxQty))
	}
	if v.Delta > 0 && v.Reason != ReasonCount {
		return FieldError("delta", "only a count correction may add stock; write-offs are negative")
	}
	if err := checkOccurred("occurred", v.Occurred, recorded); err != nil {
		return err
	}
	if v.Delta > 0 {
		if _, err := Qty(l.Received).Add("delta", Qty(v.Delta)); err != nil {
			return err
		}
	}
	if v.Delta < 0 && pl.Stock[l] < -v.Delta {
		return FieldError("delta", "cannot remove %d doses: only %d of lot %q on hand at %s", -v.Delta, pl.Stock[l], l.ID, pl.ID)
	}
	return nil
}

func (s *State) decideCount(v StockCounted, recorded time.Time) (Payload, error) {
	pl, err := s.place("place", v.Place)
	if err != nil {
		return nil, err
	}
	l, err := s.lot("lot", v.Lot)
	if err != nil {
		return nil, err
	}
	if err := Qty(v.Counted).Check("counted"); err != nil {
		return nil, err
	}
	if err := checkOccurred("occurred", v.Occurred, recorded); err != nil {
		return nil, err
	}
	v.Delta = v.Counted - pl.Stock[l]
	if v.Delta > 0 {
		if _, err := Qty(l.Received).Add("counted", Qty(v.Delta)); err != nil {
			return nil, err
		}
	}
	return v, nil
}

func (s *State) decideExcursion(v ExcursionReported, recorded time.Time) (Payload, error) {
	if v.Excursion == "" {
		return nil, FieldError("excursion", "required")
	}
	if s.excursions[v.Excursion] != nil {
		return nil, Errorf(ECONFLICT, "excursion %q already reported", v.Excursion)
	}
	if (v.Place == "") == (v.Shipment == "") {
		return nil, FieldError("place", "give exactly one of place or shipment")
	}
	if err := checkOccurred("occurred", v.Occurred, recorded); err != nil {
		return nil, err
	}
	if v.Minutes <= 0 {
		return nil, FieldError("minutes", "must be positive")
	}
	if v.MinC > v.MaxC {
		return nil, FieldError("min_c", "must not exceed max_c")
	}
	var here map[string]bool
	if v.Place != "" {
		pl, err := s.place("place", v.Place)
		if err != nil {
			return nil, err
		}
		here = map[string]bool{}
		for l := range pl.Stock {
			here[l.ID] = true
		}
	} else {
		sh := s.shipments[v.Shipment]
		if sh == nil {
			return nil, NotFound("shipment", "unknown shipment %q", v.Shipment)
		}
		if sh.Received {
			return nil, FieldError("shipment", "shipment %q was already received; report the excursion at its place", v.Shipment)
		}
		here = map[string]bool{}
		for _, ln := range sh.Lines {
			here[ln.Lot] = true
		}
	}
	if len(v.Lots) == 0 {
		for id := range here {
			v.Lots = append(v.Lots, id)
		}
		sort.Strings(v.Lots)
	}
	for i, id := range v.Lots {
		if !here[id] {
			return nil, FieldError("lots["+itoa(i)+"]", "lot %q is not there", id)
		}
	}
	if len(v.Lots) == 0 {
		return nil, FieldError("lots", "no stock there to quarantine")
	}
	return v, nil
}

func (s *State) decideExcursionResolved(v ExcursionResolved, recorded time.Time) (Payload, error) {
	x := s.excursions[v.Excursion]
	if x == nil {
		return nil, NotFound("excursion", "unknown excursion %q", v.Excursion)
	}
	if !x.Open[v.Lot] {
		return nil, FieldError("lot", "lot %q is not held by excursion %q", v.Lot, v.Excursion)
	}
	if v.Decision != "release" && v.Decision != "write_off" {
		return nil, FieldError("decision", "must be release or write_off")
	}
	if err := checkOccurred("occurred", v.Occurred, recorded); err != nil {
		return nil, err
	}
	l := s.lots[v.Lot]
	v.Place = x.Place
	if x.Shipment != "" {
		sh := s.shipments[x.Shipment]
		if !sh.Received {
			return nil, FieldError("excursion", "shipment %q is still in transit; resolve after receipt", x.Shipment)
		}
		v.Place = sh.To
	}
	v.Doses = 0
	if v.Decision == "write_off" {
		v.Doses = s.places[v.Place].Stock[l]
	}
	return v, nil
}

func (s *State) decideTarget(t Target) error {
	if t.ID == "" {
		return FieldError("id", "required")
	}
	if t.Region != "" && s.regions[t.Region] == nil {
		return NotFound("region", "unknown region %q", t.Region)
	}
	switch t.Measure {
	case MeasureFirst, MeasureFull, MeasureBooster:
	default:
		return FieldError("measure", "must be first, full or booster")
	}
	if t.To < t.From {
		return FieldError("to", "ends before it starts")
	}
	if err := Qty(t.Value).CheckPositive("value"); err != nil {
		return err
	}
	if t.Group != "" && t.Group != "adults" && !validGroup(t.Group) && !validAgeBand(t.Group) {
		return FieldError("group", "unknown group %q (adults, a priority group or an age band such as 60+)", t.Group)
	}
	for _, o := range s.targets {
		if o.ID != t.ID && o.Region == t.Region && o.Measure == t.Measure && o.Group == t.Group && o.From == t.From && o.To == t.To && o.Value != t.Value {
			return Errorf(ECONFLICT, "contradicts target %q (same region, measure, group and period, value %d)", o.ID, o.Value)
		}
	}
	return nil
}

// moveLot moves the dose to lot l, keeping the product and component the
// event claimed (they were the old lot's).
func (d *DoseState) moveLot(l *LotState) {
	if d.flags&claimProduct != 0 && d.Product() != l.Product {
		d.rareText().product = d.Product()
	}
	if d.flags&claimComponent != 0 && d.Component() != l.Component {
		d.rareText().component = d.Component()
	}
	d.lot = l
}
