package vaxtrace

// Flow kinds: daily changes of stock figures by region and product/component,
// kept at write time so that the position on any past day is a prefix sum.
const (
	FlowOnHand       = iota // change of stock on hand (warehouses and points)
	FlowAtPoints            // change of stock on hand at vaccination points only
	FlowInTransit           // change of stock in transit towards the region
	FlowDelivered           // doses received by the region from the national level
	FlowAdministered        // doses administered
	FlowWrittenOff          // doses written off (all reasons)
	FlowReceived            // doses brought into the chain (national receipts)
	FlowFound               // doses added by count corrections
	NumFlows
)

// FlowNames names the flow kinds.
var FlowNames = [NumFlows]string{"on_hand", "at_points", "in_transit", "delivered", "administered", "written_off", "received", "found"}

// cellKey names the flows of one product component in one region ("" =
// the national level).
type cellKey struct {
	region    string
	product   string
	component string
}

// flowCell holds the daily series of every flow kind for one cellKey, and
// their prefix sums (positions on any day in O(log days)).
type flowCell struct {
	key    cellKey
	series [NumFlows][]int64
	cum    [NumFlows]fenwick
}

// Flows holds the daily flow series, by day of occurrence, and the same
// flows by (occurrence day, day the system learned them) for as-known-on
// reports. Each lot caches the cells it has touched, so the write path
// hashes no strings.
type Flows struct {
	cells   map[cellKey]*flowCell
	byKnown map[knownFlowKey]int64
	known   Date // recording day of the event being applied
}

type knownFlowKey struct {
	cell            *flowCell
	kind            uint8
	occurred, known Date
}

func newFlows() *Flows {
	return &Flows{cells: map[cellKey]*flowCell{}, byKnown: map[knownFlowKey]int64{}}
}

func flowRegion(pl *PlaceState) string {
	if pl.Kind == PlaceNational {
		return ""
	}
	return pl.Region
}

func (f *Flows) cell(region string, l *LotState) *flowCell {
	for _, c := range l.cells {
		if c.key.region == region {
			return c
		}
	}
	k := cellKey{region, l.Product, l.Component}
	c := f.cells[k]
	if c == nil {
		c = &flowCell{key: k}
		f.cells[k] = c
	}
	l.cells = append(l.cells, c)
	return c
}

func (f *Flows) add(region string, l *LotState, kind int, day Date, n int64) {
	if n == 0 {
		return
	}
	c := f.cell(region, l)
	i := int(day - CovEpoch)
	if i < 0 {
		i = 0
	}
	s := grow(c.series[kind], i)
	s[i] += n
	c.series[kind] = s
	fw := c.cum[kind]
	if len(fw) != len(s)+1 { // rebuild at the new length (amortised: lengths double)
		fw = make(fenwick, len(s)+1)
		for j, v := range s {
			if v != 0 {
				fw.add(j, v)
			}
		}
		c.cum[kind] = fw
	} else {
		fw.add(i, n)
	}
	kk := knownFlowKey{c, uint8(kind), day, f.known}
	if v := f.byKnown[kk] + n; v == 0 {
		delete(f.byKnown, kk)
	} else {
		f.byKnown[kk] = v
	}
}

// FlowTotal is the cumulative flow of kind up to and including day `to`, for
// region ("" = national level, "*" = all regions and the national level) and
// optionally product and component.
func (s *State) FlowTotal(region, product, component string, kind int, to Date) int64 {
	end := int(to - CovEpoch)
	var total int64
	for k, c := range s.Flows.cells {
		fw := c.cum[kind]
		if region != "*" && k.region != region {
			if !(region == "regions" && k.region != "") {
				continue
			}
		}
		if product != "" && k.product != product {
			continue
		}
		if component != "" && k.component != component {
			continue
		}
		total += fw.prefix(end)
	}
	return total
}

// prefix sums days 0..end, clamped to the series.
func (f fenwick) prefix(end int) int64 {
	if end < 0 {
		return 0
	}
	return f.sum(min(end, len(f)-2))
}
