// Package gs1 reads the GS1 barcodes printed on vaccine packs and resolves
// them against the catalog and the registered lots.
//
// Parse reads a GS1 element string in any of the forms a scanner or a person
// produces:
//
//   - raw, as a scanner transmits a GS1 DataMatrix, GS1-128, GS1 QR Code or
//     GS1 DataBar, optionally led by its symbology identifier (]d2, ]C1, ]Q3,
//     ]e0), with the FNC1 separator after a variable-length field sent as the
//     ASCII group separator (GS, 0x1D). Keyboard-wedge scanners and people
//     who paste codes often cannot produce GS, so the visible stand-ins
//     "<GS>", "{GS}", "[GS]" and U+241D (␝) are read as GS too;
//   - the bracketed human-readable interpretation printed under the code,
//     e.g. "(01)04601234567893(17)220500(10)A123(21)XYZ" (spaces allowed).
//
// The application identifiers a vaccine pack carries are 01 (GTIN, check
// digit verified), 17 (expiry YYMMDD; day 00 means the last day of the month;
// the century is chosen by the GS1 General Specifications' sliding window
// around the reference date), 10 (batch/lot) and 21 (serial). The other
// predefined-length AIs and the common variable-length ones are recognised
// so that a code carrying them still parses; an AI outside that table is an
// error, because without its length the rest of a raw string cannot be read.
//
// Resolve turns a parsed code into a product, component and registered lot
// and refuses, with a message naming the field, a GTIN no product carries, an
// unknown lot, a lot of another product or component, a lot whose printed
// expiry disagrees with the registered one, and an expired lot.
//
// web/point/app/js/gs1.js is the same parser in the browser (the point app
// scans offline); testdata/vectors.json holds cases both must agree on.
package gs1
