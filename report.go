package vaxtrace

import "sort"

// StockLine is one row of a stock position: doses of a product component.
type StockLine struct {
	Region       string `json:"region"` // "" = national level
	Product      string `json:"product"`
	Component    string `json:"component"`
	OnHand       int64  `json:"on_hand"`      // warehouses and points
	AtPoints     int64  `json:"at_points"`    // of which at vaccination points
	InTransit    int64  `json:"in_transit"`   // on the way to this region
	Delivered    int64  `json:"delivered"`    // received from the national level, cumulative
	Administered int64  `json:"administered"` // cumulative
	WrittenOff   int64  `json:"written_off"`  // cumulative
	Received     int64  `json:"received"`     // national level only: brought into the chain
}

// StockPosition returns stock by region and product/component as it stood at
// the end of day asOf. region "" gives every region plus the national level;
// otherwise only that region.
func (s *State) StockPosition(region string, asOf Date) []StockLine {
	end := int(asOf - CovEpoch)
	type key struct{ region, product, component string }
	acc := map[key]*StockLine{}
	for k, c := range s.Flows.cells {
		if region != "" && k.region != region {
			continue
		}
		kk := key{k.region, k.product, k.component}
		ln := acc[kk]
		if ln == nil {
			ln = &StockLine{Region: k.region, Product: k.product, Component: k.component}
			acc[kk] = ln
		}
		for kind := range NumFlows {
			ln.add(kind, c.cum[kind].prefix(end))
		}
	}
	out := make([]StockLine, 0, len(acc))
	for _, ln := range acc {
		if *ln == (StockLine{Region: ln.Region, Product: ln.Product, Component: ln.Component}) {
			continue
		}
		out = append(out, *ln)
	}
	sortLines(out)
	return out
}

func sortLines(out []StockLine) {
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Region != b.Region {
			return a.Region < b.Region
		}
		if a.Product != b.Product {
			return a.Product < b.Product
		}
		return a.Component < b.Component
	})
}

// add adds v of flow kind to the line.
func (ln *StockLine) add(kind int, v int64) {
	switch kind {
	case FlowOnHand:
		ln.OnHand += v
	case FlowAtPoints:
		ln.AtPoints += v
	case FlowInTransit:
		ln.InTransit += v
	case FlowDelivered:
		ln.Delivered += v
	case FlowAdministered:
		ln.Administered += v
	case FlowWrittenOff:
		ln.WrittenOff += v
	case FlowReceived, FlowFound:
		ln.Received += v
	}
}

// LotStock is the current on-hand stock of one lot at a place.
type LotStock struct {
	Place     string `json:"place"`
	Lot       string `json:"lot"`
	Product   string `json:"product"`
	Component string `json:"component"`
	Expiry    Date   `json:"expiry"`
	Doses     int64  `json:"doses"`
	Status    string `json:"status"`
	Held      string `json:"held,omitempty"` // excursion holding it
}

// PlaceStock lists the current stock of a place by lot, earliest expiry first.
func (s *State) PlaceStock(place string) ([]LotStock, error) {
	pl := s.places[place]
	if pl == nil {
		return nil, NotFound("place", "unknown place %q", place)
	}
	out := make([]LotStock, 0, len(pl.Stock))
	for l, n := range pl.Stock {
		out = append(out, LotStock{Place: place, Lot: l.ID, Product: l.Product, Component: l.Component, Expiry: l.Expiry, Doses: n, Status: l.Status(), Held: pl.Hold[l]})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Expiry != out[j].Expiry {
			return out[i].Expiry < out[j].Expiry
		}
		return out[i].Lot < out[j].Lot
	})
	return out, nil
}

// RegionLotStock returns the current on-hand stock by lot in a region
// (regional warehouses and points), from counters kept at write time.
func (s *State) RegionLotStock(region string) []LotStock {
	m := s.regionStock[region]
	out := make([]LotStock, 0, len(m))
	for l, n := range m {
		out = append(out, LotStock{Place: region, Lot: l.ID, Product: l.Product, Component: l.Component, Expiry: l.Expiry, Doses: n, Status: l.Status()})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Expiry != out[j].Expiry {
			return out[i].Expiry < out[j].Expiry
		}
		return out[i].Lot < out[j].Lot
	})
	return out
}

// Status is the lot's release status.
func (l *LotState) Status() string {
	switch {
	case l.Suspended:
		return StatusSuspended
	case l.Released:
		return StatusReleased
	}
	return StatusQuarantined
}

// TrancheLine is a tranche with its derived status.
type TrancheLine struct {
	Tranche
	Delivered int64  `json:"delivered"`
	Status    string `json:"status"`
}

// AgreementLine is an agreement with what was delivered and what is owed.
type AgreementLine struct {
	ID         string        `json:"id"`
	Supplier   string        `json:"supplier"`
	Product    string        `json:"product"`
	Domestic   bool          `json:"domestic"`
	Signed     Date          `json:"signed"`
	Contracted int64         `json:"contracted"`
	Delivered  int64         `json:"delivered"`
	Owed       int64         `json:"owed"`
	Late       int64         `json:"late"` // doses in tranches past their expected date and not delivered
	Tranches   []TrancheLine `json:"tranches"`
}

// SupplyPosition lists every agreement signed by asOf with deliveries up to
// asOf, tranche statuses at asOf and what is still owed.
func (s *State) SupplyPosition(asOf Date) []AgreementLine {
	var out []AgreementLine
	for _, a := range s.agreements {
		if a.Signed > asOf {
			continue
		}
		ln := AgreementLine{ID: a.ID, Supplier: a.Supplier, Product: a.Product, Domestic: a.Domestic, Signed: a.Signed, Contracted: a.Doses}
		byTranche := map[string]int64{}
		for _, d := range a.Deliveries {
			if DateOf(d.Occurred) <= asOf {
				byTranche[d.Tranche] += d.Doses
				ln.Delivered += d.Doses
			}
		}
		for _, t := range a.Tranches {
			tl := TrancheLine{Tranche: t, Delivered: byTranche[t.ID]}
			switch {
			case tl.Delivered >= t.Doses:
				tl.Status = TrancheDelivered
			case t.Expected < asOf:
				tl.Status = TrancheLate
				ln.Late += t.Doses - tl.Delivered
			case tl.Delivered > 0:
				tl.Status = TranchePartly
			default:
				tl.Status = TrancheOutstanding
			}
			ln.Tranches = append(ln.Tranches, tl)
		}
		ln.Owed = ln.Contracted - ln.Delivered
		out = append(out, ln)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Signed != out[j].Signed {
			return out[i].Signed < out[j].Signed
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// Products returns the catalog sorted by code.
func (s *State) Products() []*Product {
	out := append([]*Product(nil), s.productList...)
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out
}

// Product returns a product by code.
func (s *State) Product(code string) *Product { return s.products[code] }

// Regions returns the regions in definition order.
func (s *State) Regions() []*Region { return append([]*Region(nil), s.regionList...) }

// Region returns a region by code.
func (s *State) Region(code string) *Region { return s.regions[code] }

// Place returns a place by id.
func (s *State) Place(id string) *PlaceState { return s.places[id] }

// Places returns places, optionally filtered by region and kind, sorted by id.
func (s *State) Places(region, kind string) []*PlaceState {
	var out []*PlaceState
	for _, p := range s.places {
		if (region == "" || p.Region == region) && (kind == "" || p.Kind == kind) {
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Lot returns a lot by id.
func (s *State) Lot(id string) *LotState { return s.lots[id] }

// Lots returns all lots sorted by expiry then id.
func (s *State) Lots() []*LotState {
	out := append([]*LotState(nil), s.lotList...)
	sort.Slice(out, func(i, j int) bool {
		if out[i].Expiry != out[j].Expiry {
			return out[i].Expiry < out[j].Expiry
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// Shipment returns a shipment by id.
func (s *State) Shipment(id string) *ShipmentState { return s.shipments[id] }

// Shipments returns shipments, optionally only those in transit, sorted by dispatch time.
func (s *State) Shipments(inTransit bool) []*ShipmentState {
	var out []*ShipmentState
	for _, sh := range s.shipments {
		if !inTransit || !sh.Received {
			out = append(out, sh)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Occurred.Equal(out[j].Occurred) {
			return out[i].Occurred.Before(out[j].Occurred)
		}
		return out[i].Shipment < out[j].Shipment
	})
	return out
}

// Agreement returns an agreement by id.
func (s *State) Agreement(id string) *AgreementState { return s.agreements[id] }

// Targets returns targets sorted by id.
func (s *State) Targets() []*Target {
	var out []*Target
	for _, t := range s.targets {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Excursions returns excursions sorted by id.
func (s *State) Excursions() []*ExcursionState {
	var out []*ExcursionState
	for _, x := range s.excursions {
		out = append(out, x)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Excursion < out[j].Excursion })
	return out
}

// AEFIs returns AEFI reports sorted by id.
func (s *State) AEFIs() []*AEFIReported {
	var out []*AEFIReported
	for _, a := range s.aefis {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Counts returns the number of people and of doses (including voided).
func (s *State) Counts() (people, doses int) { return s.people.len(), s.doses.len() }

// EachPerson calls fn for each person (unordered).
func (s *State) EachPerson(fn func(*PersonState) bool) {
	for p := range s.people.recs.all() {
		if !fn(p) {
			return
		}
	}
}

// EachDose calls fn for each dose (unordered).
func (s *State) EachDose(fn func(*DoseState) bool) {
	for d := range s.doses.recs.all() {
		if !fn(d) {
			return
		}
	}
}
