package postgres

// SetReplayBatch changes how many events Replay fetches per query (tests).
func SetReplayBatch(d *DB, n int) { d.replayBatch = n }

// SetCopyThreshold changes the batch size from which Write uses COPY (tests).
func SetCopyThreshold(d *DB, n int) { d.copyThreshold = n }
