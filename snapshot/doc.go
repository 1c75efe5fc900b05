// Package snapshot keeps the engine's derived state on disk so that a start
// replays only the journal's tail instead of the whole journal.
//
// A snapshot file is a header, a payload and a trailer:
//
//	header  magic "VXSNAP\r\n", container version (u16), the store's id and
//	        the deployment's time zone (u8 length + bytes each), the journal
//	        sequence number covered (u64), the journal's chain link at that
//	        sequence number (32 bytes), the creation time (i64 Unix
//	        nanoseconds), the payload's length (u64), and a CRC-32C of the
//	        header's bytes so far (u32)
//	payload the state as written by vaxtrace.(*State).EncodeSnapshot
//	trailer a CRC-32C (Castagnoli) of every byte before it (u32)
//
// with every number big-endian. A snapshot is written to a temporary file
// in its directory, synced, renamed to a name that sorts by sequence number
// (snapshot-00000000000003000540.vxs) and the directory synced, so that a
// crash while writing leaves the earlier snapshots as they were; temporary
// files are ignored by Load and removed by the next writer. One writer at a
// time holds the directory's lock file.
//
// Load tries the snapshots newest first and refuses, with one log line
// naming the file and the reason, any that is truncated, fails a checksum,
// has an unknown version, belongs to another store or time zone, covers
// more events than the journal holds, or whose chain link differs from the
// journal's at its sequence number (another history). A payload is decoded
// while its checksum is computed and the decoded state is discarded when
// the checksum fails at the end: nothing is served from a bad snapshot.
// When none is usable, the caller replays the whole journal.
package snapshot
