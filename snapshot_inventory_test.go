package vaxtrace

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

// snapshotFields says, for every field of the State and of each room
// struct the snapshot writes by hand, where it goes: "rooms" (written by
// snapshot_rooms.go and its siblings), "registry" (snapshot_registry.go),
// "value" (a plain struct written field by field by the value codec, see
// snapshotValueTypes) or "rebuilt: ..." / "scratch: ..." (not written, and
// why).
var snapshotFields = map[string]map[string]string{
	"State": {
		"Seq":      "rooms", // snapshot_state.go
		"products": "rebuilt: from productList", "productList": "rooms", "productIdx": "rebuilt: from productList",
		"regions": "rebuilt: from regionList", "regionList": "rooms", "regionIdx": "rebuilt: from regionList",
		"places": "rooms", "placeList": "rebuilt: the places as decoded (dose records refer to them by this position, the snapshot by id)", "agreements": "rooms", "lots": "rebuilt: from lotList", "lotList": "rooms",
		"shipments": "rooms", "excursions": "rooms", "keys": "rooms",
		"people": "registry", "doses": "registry", "certs": "registry", "due": "registry", "rem": "registry",
		"targets": "rooms", "sessions": "rooms", "aefis": "rooms", "regionStock": "rooms", "tallies": "rooms",
		"strs": "rebuilt: interning shares copies of strings, nothing reads it but intern",
		"cold": "rooms", "repl": "rooms", "arrived": "rooms", "Cov": "rooms", "Flows": "rooms",
		"scratch": "scratch: buffers of a dose's Decide",
	},
	"PlaceState": {"Place": "value", "Stock": "rooms", "Hold": "rooms", "Doses": "rooms", "pos": "rebuilt: its position in placeList"},
	"LotState": {"Lot": "value", "Received": "rooms", "OnHand": "rooms", "InTransit": "rooms", "Administered": "rooms",
		"WrittenOff": "rooms", "Released": "rooms", "Suspended": "rooms", "SuspendedWhy": "rooms", "AEFI": "rooms", "AEFISerious": "rooms",
		"cells": "rebuilt: a cache Flows.cell refills on first use", "pos": "rebuilt: its position in lotList"},
	"RequisitionState": {"RequisitionCreated": "value", "Status": "rooms", "Recorded": "rooms", "By": "rooms", "Asked": "rooms",
		"Edits": "rooms", "DecidedBy": "rooms", "DecidedAt": "rooms", "Note": "rooms", "Shipments": "rooms",
		"shipped": "rebuilt: from the lines of its shipments"},
	"ColdChain": {"equipment": "rooms", "byDevice": "rebuilt: from the equipment", "byPlace": "rooms", "placed": "rooms",
		"alarms": "rooms", "alarmIDs": "rooms", "openAlarm": "rebuilt: alarms not cleared, in the order opened", "vvm": "rooms", "vvmLog": "rooms"},
	"Replenishment": {"policies": "rooms", "reqs": "rooms", "reqIDs": "rooms", "byShipment": "rebuilt: from the requisitions' shipments"},
	"Coverage":      {"byProduct": "rooms", "byAge": "rooms", "byGroup": "rooms", "bySex": "rooms", "known": "rooms", "pointDay": "rooms", "maxDay": "rooms"},
	"Flows":         {"cells": "rooms", "byKnown": "rooms", "known": "rooms"},
	"flowCell":      {"key": "rooms", "series": "rooms", "cum": "rebuilt: prefix sums of series"},
}

// snapshotValueTypes are the plain structs the value codec writes, with
// their fields in order: this list is part of the snapshot format.
var snapshotValueTypes = map[string][]string{
	"Product": {"Code string", "Name string", "Names map[string]string", "Platform string", "Holder string",
		"Components []", "Components.Code string", "Components.Name string", "SeriesDoses int", "IntervalDays int", "WindowDays int",
		"BoosterIntervalDays int", "Presentations []", "Presentations.DosesPerVial int", "Presentations.PackedCM3PerDose float64",
		"Presentations.PackedSource string", "DoseVolumeML float64", "StorageMinC float64", "StorageMaxC float64", "OpenVialHours float64",
		"ShelfLifeDays int", "Codes.DCCProduct string", "Codes.DCCManufacturer string", "Codes.DCCProphylaxis string", "Codes.ICD11 string",
		"Codes.CVX string", "Codes.ATC string", "Codes.SNOMED string", "Codes.OWID string", "MixWith []string", "Disease string",
		"GTINs []", "GTINs.GTIN string", "GTINs.Component string", "GTINs.DosesPerVial int", "GTINs.Source string"},
	"Region": {"Code string", "ISO2022 string", "Type string", "Names map[string]string", "Population int", "PopulationDate Date", "ValidFrom *Date"},
	"Place": {"ID string", "Kind string", "Name string", "Names map[string]string", "Region string", "Parent string",
		"History []", "History.From Date", "History.Region string"},
	"Lot": {"ID string", "Product string", "Component string", "Manufacturer string", "Manufactured Date", "Expiry Date", "Origin string",
		"Agreement string", "Tranche string", "DosesPerVial int", "Status string"},
	"AgreementState": {"Agreement.ID string", "Agreement.Supplier string", "Agreement.Product string", "Agreement.Doses int64",
		"Agreement.Signed Date", "Agreement.Domestic bool", "Agreement.Note string", "Agreement.Tranches []", "Agreement.Tranches.ID string",
		"Agreement.Tranches.Expected Date", "Agreement.Tranches.Doses int64", "Delivered map[string]int64", "Deliveries []",
		"Deliveries.Receipt string", "Deliveries.Place string", "Deliveries.Lot string", "Deliveries.Doses int64", "Deliveries.Agreement string",
		"Deliveries.Tranche string", "Deliveries.Occurred Time"},
	"ShipmentState": {"ShipmentDispatched.Shipment string", "ShipmentDispatched.From string", "ShipmentDispatched.To string",
		"ShipmentDispatched.Occurred Time", "ShipmentDispatched.Lines []", "ShipmentDispatched.Lines.Lot string", "ShipmentDispatched.Lines.Doses int64",
		"ShipmentDispatched.Product string", "ShipmentDispatched.Component string", "ShipmentDispatched.Doses int64", "Received bool", "ReceivedAt Time",
		"Receipt []", "Receipt.Lot string", "Receipt.Received int64", "Receipt.Short int64", "Receipt.Damaged int64", "Receipt.VVMFailed int64",
		"Hold map[string]string"},
	"ExcursionState": {"ExcursionReported.Excursion string", "ExcursionReported.Place string", "ExcursionReported.Shipment string",
		"ExcursionReported.MinC float64", "ExcursionReported.MaxC float64", "ExcursionReported.Minutes int", "ExcursionReported.Occurred Time",
		"ExcursionReported.Lots []string", "Open map[string]bool"},
	"Target":        {"ID string", "Region string", "From Date", "To Date", "Measure string", "Group string", "Value int64", "Note string"},
	"SessionClosed": {"Session string", "Place string", "Date Date", "Lot string", "VialsOpened int64", "Administered int64", "Wasted int64"},
	"AEFIReported":  {"ID string", "Dose string", "Serious bool", "Description string", "Onset Time", "SuspendLot bool", "Lot string"},
	"TallyState": {"TallySubmitted.Place string", "TallySubmitted.Date Date", "TallySubmitted.Product string", "TallySubmitted.DoseNumber int",
		"TallySubmitted.Count int64", "TallySubmitted.Reopen bool", "Recorded Time", "Closed bool"},
	"EquipmentState": {"Equipment.ID string", "Equipment.Place string", "Equipment.Type string", "Equipment.Name string", "Equipment.PQS string",
		"Equipment.Model string", "Equipment.MinC float64", "Equipment.MaxC float64", "Equipment.NetLitres float64", "Equipment.Status string",
		"Equipment.Device string", "Equipment.HeatMinutes int", "Equipment.ColdMinutes int", "Since Time", "Changed Time", "Why string"},
	"AlarmState": {"AlarmOpened.Alarm string", "AlarmOpened.Equipment string", "AlarmOpened.Device string", "AlarmOpened.AlarmKind string",
		"AlarmOpened.Started Time", "AlarmOpened.Detected Time", "AlarmOpened.ThresholdC float64", "AlarmOpened.MinC float64",
		"AlarmOpened.MaxC float64", "AlarmOpened.Minutes int", "AlarmOpened.Source string", "AlarmOpened.Excursion string", "AlarmOpened.Note string",
		"Place string", "Acknowledged bool", "AckAt Time", "AckBy string", "Comments []", "Comments.By string", "Comments.At Time",
		"Comments.Comment string", "Cleared bool", "Ended Time"},
	"VVMRecorded": {"Place string", "Lot string", "Stage int", "Doses int64", "Context string", "Shipment string", "Occurred Time",
		"Note string", "WrittenOff int64"},
	"ReplenishmentPolicy": {"Place string", "Method string", "SupplyIntervalWeeks float64", "LeadTimeDays int", "TargetPopulation int64",
		"CoveragePercent float64", "Products []string"},
	"RequisitionCreated": {"Requisition string", "Place string", "Supplier string", "Lines []", "Lines.Product string", "Lines.Component string",
		"Lines.Doses int64", "FromStock bool", "Note string", "Occurred Time"},
	"RequisitionEdited": {"Requisition string", "Lines []", "Lines.Product string", "Lines.Component string", "Lines.Doses int64", "Reason string"},
}

// valueFields flattens a value struct's fields in the order the value
// codec writes them.
func valueFields(t reflect.Type, prefix string, out []string) []string {
	for i := range t.NumField() {
		f := t.Field(i)
		ft := f.Type
		name := prefix + f.Name
		switch {
		case ft == timeType:
			out = append(out, name+" Time")
		case ft.Kind() == reflect.Struct:
			out = valueFields(ft, name+".", out)
		case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct && ft.Elem() != timeType:
			out = append(out, name+" []")
			out = valueFields(ft.Elem(), name+".", out)
		default:
			out = append(out, name+" "+strings.ReplaceAll(ft.String(), "vaxtrace.", ""))
		}
	}
	return out
}

// TestSnapshotFieldInventory fails when a field is added to the State or
// to a room without the snapshot knowing about it.
func TestSnapshotFieldInventory(t *testing.T) {
	handTypes := []reflect.Type{reflect.TypeFor[State](), reflect.TypeFor[PlaceState](), reflect.TypeFor[LotState](),
		reflect.TypeFor[RequisitionState](), reflect.TypeFor[ColdChain](), reflect.TypeFor[Replenishment](),
		reflect.TypeFor[Coverage](), reflect.TypeFor[Flows](), reflect.TypeFor[flowCell]()}
	for _, typ := range handTypes {
		want := snapshotFields[typ.Name()]
		seen := map[string]bool{}
		for i := range typ.NumField() {
			f := typ.Field(i).Name
			seen[f] = true
			if _, ok := want[f]; !ok {
				t.Errorf("%s.%s is not in the snapshot: encode it in snapshot_rooms.go (or in snapshot_registry.go for the registry) and list it in snapshotFields", typ.Name(), f)
			}
		}
		for f := range want {
			if !seen[f] {
				t.Errorf("%s.%s is listed in snapshotFields but is no longer a field", typ.Name(), f)
			}
		}
	}
	valueTypes := []reflect.Type{reflect.TypeFor[Product](), reflect.TypeFor[Region](), reflect.TypeFor[Place](), reflect.TypeFor[Lot](),
		reflect.TypeFor[AgreementState](), reflect.TypeFor[ShipmentState](), reflect.TypeFor[ExcursionState](), reflect.TypeFor[Target](),
		reflect.TypeFor[SessionClosed](), reflect.TypeFor[AEFIReported](), reflect.TypeFor[TallyState](), reflect.TypeFor[EquipmentState](),
		reflect.TypeFor[AlarmState](), reflect.TypeFor[VVMRecorded](), reflect.TypeFor[ReplenishmentPolicy](),
		reflect.TypeFor[RequisitionCreated](), reflect.TypeFor[RequisitionEdited]()}
	if len(valueTypes) != len(snapshotValueTypes) {
		t.Errorf("%d value types checked, %d listed", len(valueTypes), len(snapshotValueTypes))
	}
	for _, typ := range valueTypes {
		got, want := valueFields(typ, "", nil), snapshotValueTypes[typ.Name()]
		if !slices.Equal(got, want) {
			for i := 0; i < max(len(got), len(want)); i++ {
				g, w := "(none)", "(none)"
				if i < len(got) {
					g = got[i]
				}
				if i < len(want) {
					w = want[i]
				}
				if g != w {
					t.Errorf("%s field %d is %q, the snapshot format says %q: the value codec writes %s field by field (snapshot_value.go), so this changes the format: bump snapshotFormat in snapshot_state.go and update snapshotValueTypes", typ.Name(), i, g, w, typ.Name())
					break
				}
			}
		}
	}
}
