package vaxtrace

import "sort"

// Cold-chain capacity: the net volume of a place's working equipment
// against the packed volume of what it holds, what is on its way and what
// a shipment, requisition or allocation would add. Frozen products (stored
// below 0 °C) need freezer space, the others refrigerator space. A line
// that would not fit is flagged, not refused: a warehouse manager decides.

// Storage classes.
const (
	ClassFrozen  = "frozen"
	ClassChilled = "chilled"
)

func productClass(p *Product) string {
	if p.StorageMaxC < 0 {
		return ClassFrozen
	}
	return ClassChilled
}

func equipClass(e *Equipment) string {
	if e.Frozen() {
		return ClassFrozen
	}
	return ClassChilled
}

// PackedCM3 returns the packed volume of one dose of p in the presentation
// with dosesPerVial (0: unknown presentation). Without that presentation's
// figure it takes the largest per-dose volume listed for the product, so an
// estimate never understates the space needed; ok is false when the catalog
// gives none.
func (p *Product) PackedCM3(dosesPerVial int) (cm3 float64, ok bool) {
	for _, pr := range p.Presentations {
		if pr.DosesPerVial == dosesPerVial && pr.PackedCM3PerDose > 0 {
			return pr.PackedCM3PerDose, true
		}
	}
	for _, pr := range p.Presentations {
		cm3 = max(cm3, pr.PackedCM3PerDose)
	}
	return cm3, cm3 > 0
}

// CapacityAdd is stock a place would receive: a lot, or doses of a product
// (a requisition line) when no lot is chosen yet.
type CapacityAdd struct {
	Lot     string `json:"lot,omitempty"`
	Product string `json:"product,omitempty"`
	Doses   int64  `json:"doses"`
}

// CapacityLine is one storage class of a place.
type CapacityLine struct {
	Class     string  `json:"class"`
	Equipment int     `json:"equipment"`  // working pieces of this class
	NetLitres float64 `json:"net_litres"` // their net volume
	Used      float64 `json:"used_litres"`
	Inbound   float64 `json:"inbound_litres"` // in transit to the place
	Added     float64 `json:"added_litres"`   // what is being checked
	Free      float64 `json:"free_litres"`    // net − used − inbound − added
	Overfill  bool    `json:"overfill"`       // what is checked does not fit
	Overfull  bool    `json:"overfull"`       // what is there and on its way (allocations, shipments) does not fit
}

// CapacityReport is a place's cold-chain volume, with what a change would add.
type CapacityReport struct {
	Place    string         `json:"place"`
	Lines    []CapacityLine `json:"lines"`
	Overfill bool           `json:"overfill"`
	Overfull bool           `json:"overfull"`
	// Unknown lists products whose packed volume the catalog does not give.
	Unknown []string `json:"unknown,omitempty"`
}

// Capacity reports place's cold-chain volume: used by its stock, by
// shipments on their way to it, and by add.
func (s *State) Capacity(place string, add []CapacityAdd) (CapacityReport, error) {
	pl, err := s.place("place", place)
	if err != nil {
		return CapacityReport{}, err
	}
	lines := map[string]*CapacityLine{}
	line := func(class string) *CapacityLine {
		if lines[class] == nil {
			lines[class] = &CapacityLine{Class: class}
		}
		return lines[class]
	}
	for _, id := range s.cold.byPlace[pl.ID] {
		eq := s.cold.equipment[id]
		if eq.Status != StatusWorking {
			continue
		}
		ln := line(equipClass(&eq.Equipment))
		ln.Equipment++
		ln.NetLitres += eq.NetLitres
	}
	unknown := map[string]bool{}
	litres := func(product string, dosesPerVial int, doses int64) (string, float64) {
		p := s.products[product]
		if p == nil {
			return "", 0
		}
		cm3, ok := p.PackedCM3(dosesPerVial)
		if !ok {
			unknown[product] = true
		}
		return productClass(p), float64(doses) * cm3 / 1000
	}
	for l, n := range pl.Stock {
		if c, v := litres(l.Product, l.DosesPerVial, n); c != "" {
			line(c).Used += v
		}
	}
	for _, sh := range s.shipments {
		if sh.Received || sh.To != pl.ID {
			continue
		}
		for _, ln := range sh.Lines {
			if l := s.lots[ln.Lot]; l != nil {
				if c, v := litres(l.Product, l.DosesPerVial, ln.Doses); c != "" {
					line(c).Inbound += v
				}
			}
		}
	}
	for i, a := range add {
		f := "lines[" + itoa(i) + "]"
		if a.Doses <= 0 {
			return CapacityReport{}, FieldError(f+".doses", "must be positive")
		}
		product, perVial := a.Product, 0
		if a.Lot != "" {
			l := s.lots[a.Lot]
			if l == nil {
				return CapacityReport{}, NotFound(f+".lot", "unknown lot %q", a.Lot)
			}
			product, perVial = l.Product, l.DosesPerVial
		} else if s.products[product] == nil {
			return CapacityReport{}, NotFound(f+".product", "unknown product %q", a.Product)
		}
		c, v := litres(product, perVial, a.Doses)
		line(c).Added += v
	}
	r := CapacityReport{Place: pl.ID}
	for _, ln := range lines {
		ln.Free = ln.NetLitres - ln.Used - ln.Inbound - ln.Added
		ln.Overfill = ln.Added > 0 && ln.Free < 0
		ln.Overfull = ln.NetLitres-ln.Used-ln.Inbound < 0
		r.Overfill = r.Overfill || ln.Overfill
		r.Overfull = r.Overfull || ln.Overfull
		r.Lines = append(r.Lines, *ln)
	}
	sort.Slice(r.Lines, func(i, j int) bool { return r.Lines[i].Class < r.Lines[j].Class })
	for p := range unknown {
		r.Unknown = append(r.Unknown, p)
	}
	sort.Strings(r.Unknown)
	return r, nil
}
