package vaxtrace

import (
	"math"
	"sort"
	"time"
)

// Reports a WHO Effective Vaccine Management assessor asks for: vaccine
// arrival reports, temperature compliance per equipment and month, stock
// and wastage by place and product, and the equipment inventory with its
// status. They are computed from the state (and, for temperatures, the
// stored readings) on demand.

// MaxReadingGap is the longest interval between two readings still counted
// as monitored time: a device that reports every 10 minutes may miss a
// few, but a longer silence is time nobody knows the temperature of.
const MaxReadingGap = time.Hour

// Compliance is how well one piece of equipment held its range over a period.
type Compliance struct {
	Equipment     string  `json:"equipment"`
	Place         string  `json:"place"`
	Device        string  `json:"device,omitempty"`
	MinRangeC     float64 `json:"range_min_c"`
	MaxRangeC     float64 `json:"range_max_c"`
	Readings      int     `json:"readings"`
	HoursInPeriod float64 `json:"hours_in_period"`
	HoursObserved float64 `json:"hours_monitored"`  // between readings at most MaxReadingGap apart
	CoveragePct   float64 `json:"coverage_percent"` // monitored / period
	InRangePct    float64 `json:"in_range_percent"` // of monitored time
	HoursAbove    float64 `json:"hours_above"`
	HoursBelow    float64 `json:"hours_below"`
	MinC          float64 `json:"min_c"`
	MaxC          float64 `json:"max_c"`
	MeanC         float64 `json:"mean_c"`
	HeatAlarms    int     `json:"heat_alarms"`
	ColdAlarms    int     `json:"cold_alarms"`
	SilentAlarms  int     `json:"silent_alarms"`
	Unacknowledge int     `json:"unacknowledged"`
	// Response times of acknowledged alarms, in minutes.
	MedianResponseMin *float64 `json:"median_response_minutes"`
	MaxResponseMin    *float64 `json:"max_response_minutes"`
}

// TemperatureCompliance summarises readings (in time order) of a piece of
// equipment over [from, to) against its storage range, with the alarms that
// started in the period. Each reading stands for the time until the next
// one (at most MaxReadingGap, and not past to).
func TemperatureCompliance(e *Equipment, pts []Point, alarms []*AlarmState, from, to time.Time) Compliance {
	c := Compliance{Equipment: e.ID, Place: e.Place, Device: e.Device, MinRangeC: e.MinC, MaxRangeC: e.MaxC, HoursInPeriod: round2(to.Sub(from).Hours())}
	var sum, weighted, inRange, above, below float64
	c.MinC, c.MaxC = math.Inf(1), math.Inf(-1)
	for i, p := range pts {
		t := p.Time()
		if t.Before(from) || !t.Before(to) {
			continue
		}
		v := p.C()
		c.Readings++
		sum += v
		c.MinC, c.MaxC = math.Min(c.MinC, v), math.Max(c.MaxC, v)
		end := to
		if i+1 < len(pts) && pts[i+1].Time().Before(to) {
			end = pts[i+1].Time()
		}
		span := end.Sub(t)
		if span > MaxReadingGap {
			span = MaxReadingGap
		}
		h := span.Hours()
		weighted += h
		switch {
		case v > e.MaxC:
			above += h
		case v < e.MinC:
			below += h
		default:
			inRange += h
		}
	}
	if c.Readings == 0 {
		c.MinC, c.MaxC = 0, 0
	} else {
		c.MeanC = round2(sum / float64(c.Readings))
	}
	c.HoursObserved, c.HoursAbove, c.HoursBelow = round2(weighted), round2(above), round2(below)
	if c.HoursInPeriod > 0 {
		c.CoveragePct = round2(100 * weighted / to.Sub(from).Hours())
	}
	if weighted > 0 {
		c.InRangePct = round2(100 * inRange / weighted)
	}
	var resp []float64
	for _, a := range alarms {
		if a.Started.Before(from) || !a.Started.Before(to) {
			continue
		}
		switch a.AlarmKind {
		case AlarmHeat:
			c.HeatAlarms++
		case AlarmCold:
			c.ColdAlarms++
		case AlarmSilent:
			c.SilentAlarms++
		}
		if a.Acknowledged {
			resp = append(resp, math.Round(a.ResponseTime().Minutes()))
		} else {
			c.Unacknowledge++
		}
	}
	if len(resp) > 0 {
		sort.Float64s(resp)
		med := resp[len(resp)/2]
		if len(resp)%2 == 0 {
			med = (resp[len(resp)/2-1] + resp[len(resp)/2]) / 2
		}
		mx := resp[len(resp)-1]
		c.MedianResponseMin, c.MaxResponseMin = &med, &mx
	}
	return c
}

// ArrivalLine is one lot arriving somewhere: a delivery into the country
// (vaccine arrival report) or a shipment received within it.
type ArrivalLine struct {
	Date          Date      `json:"date"`
	At            time.Time `json:"at"`
	Document      string    `json:"document"` // receipt or shipment id
	International bool      `json:"international"`
	From          string    `json:"from"` // supplier / agreement, or the dispatching place
	To            string    `json:"to"`
	Region        string    `json:"region,omitempty"`
	Lot           string    `json:"lot"`
	Product       string    `json:"product"`
	Component     string    `json:"component"`
	Expiry        Date      `json:"expiry"`
	MonthsLeft    float64   `json:"months_to_expiry"`
	Sent          int64     `json:"sent"`
	Received      int64     `json:"received"`
	Short         int64     `json:"short"`
	Damaged       int64     `json:"damaged"`
	VVMFailed     int64     `json:"vvm_failed"` // at receipt (the receipt's own count and VVM stage 3–4 records)
	VVMStage      int       `json:"vvm_stage,omitempty"`
	TransitHrs    float64   `json:"transit_hours,omitempty"`
	Excursion     string    `json:"excursion,omitempty"` // held on arrival after an excursion in transit
}

// Arrivals lists arrivals on days from..to at places keep accepts (nil: all).
func (s *State) Arrivals(from, to Date, keep func(*PlaceState) bool) []ArrivalLine {
	var out []ArrivalLine
	ok := func(place string) bool {
		pl := s.places[place]
		return pl != nil && (keep == nil || keep(pl))
	}
	// VVM recorded at receipt: the worst stage seen and the doses written off
	vvmStage := map[[2]string]int{}
	vvmOff := map[[2]string]int64{}
	for _, v := range s.cold.vvmLog {
		if v.Context == VVMAtReceipt {
			k := [2]string{v.Shipment, v.Lot}
			vvmStage[k] = max(vvmStage[k], v.Stage)
			vvmOff[k] += v.WrittenOff
		}
	}
	for _, a := range s.agreements {
		for _, d := range a.Deliveries {
			day := DateOf(d.Occurred)
			if day < from || day > to || !ok(d.Place) {
				continue
			}
			l := s.lots[d.Lot]
			ln := ArrivalLine{Date: day, At: d.Occurred, Document: d.Receipt, International: l.Origin == OriginImport, From: a.Supplier + " (" + a.ID + ")", To: d.Place,
				Lot: l.ID, Product: l.Product, Component: l.Component, Expiry: l.Expiry, Sent: d.Doses, Received: d.Doses}
			ln.MonthsLeft = round2(float64(l.Expiry-day) / 30.44)
			out = append(out, ln)
		}
	}
	for _, sh := range s.shipments {
		if !sh.Received {
			continue
		}
		day := DateOf(sh.ReceivedAt)
		if day < from || day > to || !ok(sh.To) {
			continue
		}
		sent := map[string]int64{}
		for _, ln := range sh.Lines {
			sent[ln.Lot] += ln.Doses
		}
		for _, r := range sh.Receipt {
			l := s.lots[r.Lot]
			ln := ArrivalLine{Date: day, At: sh.ReceivedAt, Document: sh.Shipment, From: sh.From, To: sh.To, Region: s.places[sh.To].Region,
				Lot: l.ID, Product: l.Product, Component: l.Component, Expiry: l.Expiry, Sent: sent[r.Lot], Received: r.Received,
				Short: r.Short, Damaged: r.Damaged, VVMFailed: r.VVMFailed + vvmOff[[2]string{sh.Shipment, r.Lot}],
				TransitHrs: round2(sh.ReceivedAt.Sub(sh.Occurred).Hours()), Excursion: sh.Hold[r.Lot]}
			ln.MonthsLeft = round2(float64(l.Expiry-day) / 30.44)
			ln.VVMStage = vvmStage[[2]string{sh.Shipment, r.Lot}]
			if x := s.places[sh.To].Hold[l]; x != "" && ln.Excursion == "" {
				if ex := s.excursions[x]; ex != nil && ex.Shipment == sh.Shipment {
					ln.Excursion = x
				}
			}
			out = append(out, ln)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].At.Equal(out[j].At) {
			return out[i].At.Before(out[j].At)
		}
		if out[i].Document != out[j].Document {
			return out[i].Document < out[j].Document
		}
		return out[i].Lot < out[j].Lot
	})
	return out
}

// WastageLine is a place's stock and wastage of one product.
type WastageLine struct {
	Place        string `json:"place"`
	PlaceKind    string `json:"place_kind"`
	Region       string `json:"region,omitempty"`
	Product      string `json:"product"`
	Received     int64  `json:"received"`     // shipments and deliveries received
	Issued       int64  `json:"issued"`       // shipped to other places
	Administered int64  `json:"administered"` // person-level doses given here
	OnHand       int64  `json:"on_hand"`
	Unusable     int64  `json:"unusable"` // on hand but quarantined, expired or suspended
	Wasted       int64  `json:"wasted"`   // received − issued − administered − on hand
	// WastageRate is WHO's (doses used − doses administered) / doses used,
	// where used = received − issued − on hand, in percent.
	WastageRate *float64 `json:"wastage_rate"`
}

// StockAndWastage lists every place keep accepts (nil: all) by product;
// stock that cannot be used on day asOf is counted as unusable.
// The wasted doses are what conservation leaves unexplained at the place:
// write-offs (expiry, breakage, open vials, VVM, excursions) net of count
// corrections, as WHO's formula counts them.
func (s *State) StockAndWastage(asOf Date, keep func(*PlaceState) bool) []WastageLine {
	type key struct{ place, product string }
	acc := map[key]*WastageLine{}
	line := func(pl *PlaceState, product string) *WastageLine {
		k := key{pl.ID, product}
		if acc[k] == nil {
			acc[k] = &WastageLine{Place: pl.ID, PlaceKind: pl.Kind, Region: pl.Region, Product: product}
		}
		return acc[k]
	}
	ok := func(pl *PlaceState) bool { return pl != nil && (keep == nil || keep(pl)) }
	for _, a := range s.agreements {
		for _, d := range a.Deliveries {
			if pl := s.places[d.Place]; ok(pl) {
				line(pl, s.lots[d.Lot].Product).Received += d.Doses
			}
		}
	}
	for _, sh := range s.shipments {
		for _, ln := range sh.Lines {
			if pl := s.places[sh.From]; ok(pl) {
				line(pl, s.lots[ln.Lot].Product).Issued += ln.Doses
			}
		}
		if !sh.Received {
			continue
		}
		for _, r := range sh.Receipt {
			if pl := s.places[sh.To]; ok(pl) {
				line(pl, s.lots[r.Lot].Product).Received += r.Received
			}
		}
	}
	for k, n := range s.Cov.pointDay {
		if ok(k.place) && int(k.product) < len(s.productList) {
			line(k.place, s.productList[k.product].Code).Administered += n
		}
	}
	for _, pl := range s.places {
		if !ok(pl) {
			continue
		}
		for l, n := range pl.Stock {
			ln := line(pl, l.Product)
			ln.OnHand += n
			if a, _ := s.available(pl, l, asOf); a == 0 {
				ln.Unusable += n
			}
		}
	}
	out := make([]WastageLine, 0, len(acc))
	for _, ln := range acc {
		ln.Wasted = ln.Received - ln.Issued - ln.Administered - ln.OnHand
		if used := ln.Received - ln.Issued - ln.OnHand; used > 0 {
			r := round2(100 * float64(used-ln.Administered) / float64(used))
			ln.WastageRate = &r
		}
		out = append(out, *ln)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Place != out[j].Place {
			return out[i].Place < out[j].Place
		}
		return out[i].Product < out[j].Product
	})
	return out
}

// WrittenOffByReason sums write-offs of a product's lots by reason (national).
func (s *State) WrittenOffByReason() map[string]map[string]int64 {
	out := map[string]map[string]int64{}
	for _, l := range s.lotList {
		for r, n := range l.WrittenOff {
			if n == 0 {
				continue
			}
			if out[l.Product] == nil {
				out[l.Product] = map[string]int64{}
			}
			out[l.Product][r] += n
		}
	}
	return out
}
