package vaxtrace

import (
	"reflect"
	"slices"
	"strconv"
	"testing"
)

// registryFields is every field of the registry's records, as the snapshot
// (snapshot_registry.go, snapshot_due.go, snapshot_reminders.go) writes or
// rebuilds it. A field added to one of these types must be encoded there
// and listed here; the comment says how it is restored when not written
// as is.
var registryFields = []string{
	"PersonState.Person.ID PersonID",
	"PersonState.Person.IINSealed string", // in the batch's blob
	"PersonState.Person.Family string",
	"PersonState.Person.Given string",
	"PersonState.Person.BirthDate Date",
	"PersonState.Person.Sex string",
	"PersonState.Person.Region string",
	"PersonState.Person.Group string",
	"PersonState.Person.PhoneSealed string", // in the batch's blob
	"PersonState.Person.Lang string",
	"PersonState.Doses []*DoseState", // the dose lists section, by dose position
	"PersonState.MergedInto *PersonID",
	"PersonState.recorded unixNanos", // delta from the previous person's
	"PersonState.hash uint64",
	"PersonState.lastCert uint32",
	"PersonState.keyed bool",

	"DoseState.DoseAdministered.ID string",       // in the batch's blob
	"DoseState.DoseAdministered.Person PersonID", // the person record's id unless doseOwnPersonID
	"DoseState.DoseAdministered.At Time",
	"DoseState.DoseAdministered.Place string",
	"DoseState.DoseAdministered.Lot string",
	"DoseState.DoseAdministered.Product string",
	"DoseState.DoseAdministered.Component string",
	"DoseState.DoseAdministered.Vaccinator string",
	"DoseState.DoseAdministered.Override string",
	"DoseState.recorded unixNanos", // delta from the previous dose's
	"DoseState.Number int",
	"DoseState.person *PersonState", // by position
	"DoseState.lot *LotState",       // from Lot unless doseOwnLotRec
	"DoseState.place *PlaceState",   // from Place unless doseOwnPlaceRec
	"DoseState.region string",
	"DoseState.rare *doseRare",
	"DoseState.hash uint64",
	"DoseState.Voided bool",
	"DoseState.Booster bool",
	"DoseState.Complete bool",
	"DoseState.keyed bool",

	"doseRare.voidWhy string",
	"doseRare.anomaly string",
	"doseRare.history []DoseCorrected",

	"DoseCorrected.Dose string",
	"DoseCorrected.At *Time",
	"DoseCorrected.Lot string",
	"DoseCorrected.Place string",
	"DoseCorrected.Person *PersonID",
	"DoseCorrected.Override string",
	"DoseCorrected.Reason string",

	"CertificateState.CertificateIssued.UVCI string", // in the batch's blob
	"CertificateState.CertificateIssued.Person PersonID",
	"CertificateState.CertificateIssued.Dose string", // by dose position when it names one
	"CertificateState.CertificateIssued.KID string",
	"CertificateState.CertificateIssued.Issued Time",
	"CertificateState.CertificateIssued.Expiry Time",
	"CertificateState.Revoked bool",
	"CertificateState.RevokedBy string",
	"CertificateState.older uint32",

	"dueIndex.byPerson map[PersonID]*dueEntry", // rebuilt from the entries
	"dueIndex.places map[string]dueScope",
	"dueIndex.regions map[string]dueScope",
	"dueEntry.person PersonID", // by person position
	"dueEntry.place string",    // its place bucket's
	"dueEntry.region string",   // its region bucket's
	"dueEntry.product uint16",  // its buckets' slot
	"dueEntry.number uint8",
	"dueEntry.day Date",
	"dueEntry.pos [2]int32", // its places in the two buckets, which keep their order
	"dueSlot.product uint16",
	"dueSlot.number uint8",
	"dueSlot.day Date",

	"reminderBook.all map[string]*ReminderState",
	"reminderBook.open map[string]*ReminderState", // a flag on each reminder
	"reminderBook.byGateway map[string]string",
	"reminderBook.optedOut map[PersonID]bool",
	"ReminderState.ReminderQueued.ID string",
	"ReminderState.ReminderQueued.Person PersonID",
	"ReminderState.ReminderQueued.Product string",
	"ReminderState.ReminderQueued.Number int",
	"ReminderState.ReminderQueued.DueFrom Date",
	"ReminderState.ReminderQueued.Type string",
	"ReminderState.Status string",
	"ReminderState.Attempts int",
	"ReminderState.GatewayID string",
	"ReminderState.Detail string",
	"ReminderState.Queued Time",
	"ReminderState.Updated Time",

	// the tables: records by position; the indexes are rebuilt on decode
	"personTable.recs slab[vaxtrace.PersonState]",
	"personTable.idx hashIndex",
	"doseTable.recs slab[vaxtrace.DoseState]",
	"doseTable.idx hashIndex",
	"certTable.recs slab[vaxtrace.CertificateState]",
	"certTable.idx hashIndex",
}

// fieldInventory lists the fields of t as "Type.Field FieldType", the
// fields of embedded structs as "Type.Embedded.Field FieldType".
func fieldInventory(t reflect.Type, prefix string) []string {
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Anonymous && f.Type.Kind() == reflect.Struct {
			out = append(out, fieldInventory(f.Type, prefix+f.Name+".")...)
			continue
		}
		out = append(out, prefix+f.Name+" "+typeName(f.Type))
	}
	return out
}

func typeName(t reflect.Type) string {
	if t.Name() != "" {
		return t.Name()
	}
	switch t.Kind() {
	case reflect.Pointer:
		return "*" + typeName(t.Elem())
	case reflect.Slice:
		return "[]" + typeName(t.Elem())
	case reflect.Array:
		return "[" + strconv.Itoa(t.Len()) + "]" + typeName(t.Elem())
	case reflect.Map:
		return "map[" + typeName(t.Key()) + "]" + typeName(t.Elem())
	}
	return t.String()
}

// Adding a field to a registry record without encoding it would make a
// restored state differ from a replayed one; this test names the field.
func TestRegistrySnapshotFieldInventory(t *testing.T) {
	var got []string
	for _, v := range []any{PersonState{}, DoseState{}, doseRare{}, DoseCorrected{}, CertificateState{}, dueIndex{}, dueEntry{},
		dueSlot{}, reminderBook{}, ReminderState{}, personTable{}, doseTable{}, certTable{}} {
		rt := reflect.TypeOf(v)
		got = append(got, fieldInventory(rt, rt.Name()+".")...)
	}
	for _, f := range got {
		if !slices.Contains(registryFields, f) {
			t.Errorf("field %s is not in the snapshot: encode it in snapshot_registry.go (decode and check it too) and add it to registryFields", f)
		}
	}
	for _, f := range registryFields {
		if !slices.Contains(got, f) {
			t.Errorf("registryFields lists %s, which is gone or changed type: update snapshot_registry.go and the list", f)
		}
	}
}
