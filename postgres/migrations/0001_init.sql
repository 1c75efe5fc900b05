-- 0001: the journal, API tokens and store metadata.
--
-- events is the append-only journal. seq is assigned by the writer holding
-- the journal advisory lock (max(seq)+1), so it is dense: 1, 2, 3, ...
-- recorded is Unix nanoseconds (UTC); hash is the uint64 content hash stored
-- as its two's-complement bigint; data is the JSON body exactly as encoded by
-- vaxtrace.EncodePayload (bytea, not jsonb: see the package comment).
CREATE TABLE events (
	seq      bigint PRIMARY KEY CHECK (seq > 0),
	kind     text   NOT NULL,
	key      text   NOT NULL,
	actor    text   NOT NULL,
	recorded bigint NOT NULL,
	hash     bigint NOT NULL,
	data     bytea  NOT NULL
);

-- Idempotency keys are unique. The engine already refuses a reused key from
-- its in-memory state; this index is defence in depth against a writer that
-- skipped catch-up or the lock. Events without a key are not constrained.
CREATE UNIQUE INDEX events_key ON events (key) WHERE key <> '';

CREATE TABLE tokens (
	hash    text    PRIMARY KEY,
	name    text    NOT NULL,
	role    text    NOT NULL,
	region  text    NOT NULL DEFAULT '',
	place   text    NOT NULL DEFAULT '',
	created bigint  NOT NULL,
	revoked boolean NOT NULL DEFAULT false,
	CONSTRAINT tokens_name_key UNIQUE (name)
);

CREATE TABLE meta (
	k text PRIMARY KEY,
	v text NOT NULL
);
