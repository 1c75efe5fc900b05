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
	"PersonState.ID PersonID",
	"PersonState.text textRef",       // names, sealed IIN and phone: the packed text in the batch's blob, added to the arena again
	"PersonState.firstDose uint32",   // as the record holds it, the chain checked on decode
	"PersonState.recorded unixNanos", // delta from the previous person's
	"PersonState.hash uint64",
	"PersonState.BirthDate Date",
	"PersonState.region symbol", // by its text, through the string table
	"PersonState.attrs symbol",  // as sex, group and language, each through the string table
	"PersonState.lastCert uint32",
	"PersonState.link uint32", // keyed as a flag, the merged-into position+1 as it is

	"DoseState.ID string", // in the batch's blob
	"DoseState.at int64",  // with atZone, as the time At() gives
	"DoseState.recorded unixNanos",
	"DoseState.hash uint64",
	"DoseState.person *PersonState", // by position
	"DoseState.lot *LotState",       // by id, through the string table
	"DoseState.place *PlaceState",
	"DoseState.rare *doseRare",
	"DoseState.vaccinator symbol", // by its text, through the string table
	"DoseState.region symbol",
	"DoseState.number uint16",
	"DoseState.nextDose uint32",
	"DoseState.flags uint8", // voided, booster, complete, keyed as the record's flags; the claims as the claimed product and component
	"DoseState.atZone uint8",

	"doseRare.voidWhy string",
	"doseRare.anomaly string",
	"doseRare.override string",
	"doseRare.history []DoseCorrected",
	"doseRare.product string",   // as the claimed product
	"doseRare.component string", // as the claimed component
	"doseRare.loc *Location",    // as At()'s zone

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

	"dueIndex.people *personTable", // the state's
	"dueIndex.recs [][]dueRec",     // from the lists: a person's bucket and position in it
	"dueIndex.inRecs []int32",      // counted from the lists
	"dueIndex.n int",
	"dueIndex.placeCodes []string", // the codes of the lists
	"dueIndex.placeNum map[string]uint32",
	"dueIndex.regionCodes []string",
	"dueIndex.regionNum map[string]uint16",
	"dueIndex.places map[string]dueScope",
	"dueIndex.regions map[string]dueScope",
	"dueRec.day Date", // its buckets' slot
	"dueRec.place uint32",
	"dueRec.pos [2]uint32", // its places in the two buckets, which keep their order
	"dueRec.product uint16",
	"dueRec.region uint16",
	"dueRec.number uint8",
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
	"personTable.text textArena",  // the records' text, added again in position order
	"personTable.scratch []uint8", // scratch
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
	for _, v := range []any{PersonState{}, DoseState{}, doseRare{}, DoseCorrected{}, CertificateState{}, dueIndex{}, dueRec{},
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
