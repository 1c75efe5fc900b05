package vaxtrace

import (
	"io"
	"sort"
)

// snapshotBreaks damage a state so that its snapshot refers to what it
// does not hold; the decoder must refuse each (snapshot_rooms_test.go).
var snapshotBreaks = map[string]func(s *State){
	"lot of an unknown product": func(s *State) { s.lotList[0].Product = "nope" },
	"shipment to an unknown place": func(s *State) {
		for _, sh := range s.shipments {
			sh.To = "nowhere"
			return
		}
	},
	"shipment of an unknown lot": func(s *State) {
		for _, sh := range s.shipments {
			sh.Lines = append(sh.Lines, ShipmentLine{Lot: "nope", Doses: 1})
			return
		}
	},
	"place with an unknown parent": func(s *State) { s.places["VP-AKM-1"].Parent = "nowhere" },
	"tally at an unknown place": func(s *State) {
		for _, t := range s.tallies {
			t.Place = "nowhere"
			return
		}
	},
	"excursion at an unknown place": func(s *State) {
		for _, x := range s.excursions {
			if x.Place != "" {
				x.Place = "nowhere"
				return
			}
		}
	},
	"excursion of an unknown shipment": func(s *State) {
		for _, x := range s.excursions {
			if x.Shipment != "" {
				x.Shipment = "nope"
				return
			}
		}
	},
	"excursion holding an unknown lot": func(s *State) {
		for _, x := range s.excursions {
			x.Open["nope"] = true
			return
		}
	},
	"requisition of an unknown shipment": func(s *State) {
		r := s.repl.reqs[s.repl.reqIDs[0]]
		r.Shipments = append(r.Shipments, "nope")
	},
	"shipment fulfilling two requisitions": func(s *State) {
		var ship string
		for _, id := range s.repl.reqIDs {
			if r := s.repl.reqs[id]; len(r.Shipments) > 0 {
				ship = r.Shipments[0]
			}
		}
		for _, id := range s.repl.reqIDs {
			if r := s.repl.reqs[id]; len(r.Shipments) == 0 {
				r.Shipments = []string{ship}
				return
			}
		}
	},
	"requisition of an unknown place": func(s *State) { s.repl.reqs[s.repl.reqIDs[0]].Place = "nowhere" },
	"excursion neither at a place nor in a shipment": func(s *State) {
		for _, x := range s.excursions {
			x.Place, x.Shipment = "", ""
			return
		}
	},
	"requisition twice": func(s *State) { s.repl.reqIDs = append(s.repl.reqIDs, s.repl.reqIDs[0]) },
	"alarm twice":       func(s *State) { s.cold.alarmIDs = append(s.cold.alarmIDs, s.cold.alarmIDs[0]) },
	"place listing unknown equipment": func(s *State) {
		for pl := range s.cold.byPlace {
			s.cold.byPlace[pl] = append(s.cold.byPlace[pl], "nope")
			return
		}
	},
	"one device on two pieces of equipment": func(s *State) {
		var devs []*EquipmentState
		for _, e := range s.cold.equipment {
			if e.Device != "" {
				devs = append(devs, e)
			}
		}
		devs[0].Device = devs[1].Device
	},
	"coverage of an unknown region":  func(s *State) { s.regionList = s.regionList[:1] },
	"coverage of an unknown product": func(s *State) { s.productList = s.productList[:1] },
	"stock of an unknown lot": func(s *State) {
		s.places["NW"].Stock[&LotState{Lot: Lot{ID: "ghost"}}] = 1
	},
	"hold of an unknown lot": func(s *State) {
		s.places["NW"].Hold[&LotState{Lot: Lot{ID: "ghost"}}] = "X"
	},
	"region stock of an unknown lot": func(s *State) {
		for _, m := range s.regionStock {
			m[&LotState{Lot: Lot{ID: "ghost"}}] = 1
			return
		}
	},
	"arrival at an unknown place": func(s *State) {
		s.arrived[arrivalKey{&PlaceState{Place: Place{ID: "nowhere"}}, s.lotList[0]}] = 1
	},
	"person-level count at an unknown place": func(s *State) {
		s.Cov.pointDay[pointDayKey{place: &PlaceState{Place: Place{ID: "nowhere"}}}] = 1
	},
	"priority groups missing": func(s *State) { s.Cov.byGroup[0][0] = s.Cov.byGroup[0][0][:1] },
}

// SnapshotBreakNames lists the damages SnapshotBreak knows.
func SnapshotBreakNames() []string {
	var out []string
	for k := range snapshotBreaks {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// SnapshotBreak damages s as named.
func SnapshotBreak(s *State, name string) { snapshotBreaks[name](s) }

// EncodeRooms writes only the rooms of s (for benchmarks).
func EncodeRooms(s *State, w io.Writer) error {
	e := newSnapEncoder(w)
	s.encodeRooms(e)
	return e.flush()
}

// DecodeRooms reads what EncodeRooms wrote into an empty state.
func DecodeRooms(r io.Reader) (*State, error) {
	d := newSnapDecoder(r)
	s := NewState()
	s.decodeRooms(d)
	return s, d.err
}
