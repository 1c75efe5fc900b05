-- 0016: the journal's hash chain (issue 13). Every event stores
--
--   chain = sha256(previous chain ‖ u64(seq) ‖ str(kind) ‖ str(key) ‖ str(actor)
--                  ‖ u64(recorded) ‖ u64(hash) ‖ str(data))
--
-- with the first event chained to 32 zero bytes, u64 big-endian 8 bytes and
-- str(x) = u64(octet length) ‖ bytes (vaxtrace.Chain, README "Tamper-evident
-- journal"). Replay and `vaxtrace check` verify it. Existing events are
-- chained here, in seq order, in the migration's transaction.
ALTER TABLE events ADD COLUMN chain bytea;

DO $$
DECLARE
	r    record;
	prev bytea := '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea;
BEGIN
	FOR r IN SELECT seq, kind, key, actor, recorded, hash, data FROM events ORDER BY seq LOOP
		prev := sha256(prev
			|| int8send(r.seq)
			|| int8send(octet_length(r.kind)::bigint) || convert_to(r.kind, 'UTF8')
			|| int8send(octet_length(r.key)::bigint) || convert_to(r.key, 'UTF8')
			|| int8send(octet_length(r.actor)::bigint) || convert_to(r.actor, 'UTF8')
			|| int8send(r.recorded)
			|| int8send(r.hash)
			|| int8send(length(r.data)::bigint) || r.data);
		UPDATE events SET chain = prev WHERE seq = r.seq;
	END LOOP;
END
$$;

ALTER TABLE events ALTER COLUMN chain SET NOT NULL;
