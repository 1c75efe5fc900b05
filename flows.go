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

type flowKey struct {
	region    string // "" = national level
	product   string
	component string
	kind      uint8
}

// Flows holds the daily flow series, by day of occurrence, and the same
// flows by (occurrence day, day the system learned them) for as-known-on
// reports.
type Flows struct {
	series  map[flowKey][]int64
	cum     map[flowKey]fenwick // prefix sums of series: positions on any day in O(log days)
	byKnown map[knownFlowKey]int64
	known   Date // recording day of the event being applied
}

type knownFlowKey struct {
	flowKey
	occurred, known Date
}

func newFlows() *Flows {
	return &Flows{series: map[flowKey][]int64{}, cum: map[flowKey]fenwick{}, byKnown: map[knownFlowKey]int64{}}
}

func flowRegion(pl *PlaceState) string {
	if pl.Kind == PlaceNational {
		return ""
	}
	return pl.Region
}

func (f *Flows) add(region string, l *LotState, kind int, day Date, n int64) {
	if n == 0 {
		return
	}
	k := flowKey{region, l.Product, l.Component, uint8(kind)}
	i := int(day - CovEpoch)
	if i < 0 {
		i = 0
	}
	s := grow(f.series[k], i)
	s[i] += n
	f.series[k] = s
	fw := f.cum[k]
	if len(fw) != len(s)+1 { // rebuild at the new length (amortised: lengths double)
		fw = make(fenwick, len(s)+1)
		for j, v := range s {
			if v != 0 {
				fw.add(j, v)
			}
		}
		f.cum[k] = fw
	} else {
		fw.add(i, n)
	}
	kk := knownFlowKey{k, day, f.known}
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
	for k, fw := range s.Flows.cum {
		if int(k.kind) != kind {
			continue
		}
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
