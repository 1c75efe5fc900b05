// Package dhis2 sends vaxtrace's aggregate figures to DHIS2, the health
// information system most ministries report immunisation in.
//
// A Mapping (JSON, data not code) says which vaxtrace measure goes to which
// DHIS2 data element, how its dimensions (dose number, product, component,
// age band, sex) map to category option combos, and which DHIS2
// organisation unit each region, vaccination point or the country is.
// Compute turns the registry into data values for daily or ISO-weekly
// periods in one pass over the valid doses (vaxtrace.State.EachDoseFact)
// plus the write-time counters for stock, wastage and boosted people;
// EncodeJSON writes them as a DHIS2 dataValueSets payload and EncodeADX as
// IHE ADX XML. Client.Push posts the payload to a DHIS2 server's
// /api/dataValueSets and reads back the import summary (imported, updated,
// ignored, deleted, conflicts) in both shapes DHIS2 answers with (the bare
// ImportSummary of older versions, and the WebMessage wrapping it, with
// HTTP 409 when there are conflicts, of 2.38 and later).
//
// Values are absolute counts per period, never increments, and DHIS2
// updates a data value in place (importStrategy CREATE_AND_UPDATE): pushing
// the same periods again, or retrying a push that failed half-way, changes
// nothing that was already right. Weekly periods are widened to whole ISO
// weeks so that a partial week never overwrites a complete one. Only
// non-zero values are sent, unless an entry asks for zero_fill: then, within
// an organisation unit and period that has any value, every category option
// combo of the entry is sent, zeros included, so that a value a void or
// correction lowered to zero reaches DHIS2 (whose data element must store
// zeros: "zero is significant").
package dhis2
