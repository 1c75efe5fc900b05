#!/usr/bin/env bash
# National-scale runs (not part of the test suite): the benchmark at
# 20 million people with two doses each, and a generated national store of
# 19 million people, then a server started on it to time its start-up.
# Run it on an otherwise idle machine; it needs about an hour and tens of
# GB of free disk in $DIR.
#
#   scripts/national.sh [people-for-bench] [people-for-generate]
#
# Defaults 20000000 and 19000000. Smaller numbers check the commands work.
# PER_ROW_PEOPLE sizes the per-row SQL baseline (default the bench's people,
# at most 1000000). MEMORY_LIMIT (default auto: 1.25 × the live heap of a
# server on the same store; e.g. 3GiB) also starts the bench's serving process under that memory
# limit to report its resident memory. SKIP_BENCH=1 runs only the generated
# store's part.
#
# With PG_URL (a PostgreSQL server, e.g. postgres://postgres@127.0.0.1:5432/test)
# it also runs the PostgreSQL part: a scratch database filled with PG_PEOPLE
# people (default 5000000) and two doses each, two writer nodes and one
# read-only node on it (start-up by full replay and from a snapshot, memory,
# single doses over HTTP at PG_HTTP_RATES across both writers, the reader's
# lag, all three agreeing); the database is dropped afterwards.
# PG_REPLAY_NODES (default 1) is how many nodes start by a full replay before
# all three start from the snapshot (0: all three). SKIP_GENERATE=1 skips the
# generated store's part.
set -euo pipefail
cd "$(dirname "$0")/.."
BENCH_PEOPLE=${1:-20000000}
GEN_PEOPLE=${2:-19000000}
DIR=${DIR:-$(mktemp -d -t vaxtrace-national.XXXXXX)}
BIN="$DIR/vaxtrace"
go build -o "$BIN" ./cmd/vaxtrace
echo "== machine: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), working directory $DIR"

if [ -z "${SKIP_BENCH:-}" ]; then
	echo "== vaxtrace bench --people $BENCH_PEOPLE"
	# doses/s and the per-row ratio, people/s, stock movements/s, heap and RSS
	# per person of a fresh serving process, its start-up, HTTP percentiles
	"$BIN" bench --people "$BENCH_PEOPLE" --places 0 --lots 0 --dir "$DIR" \
		--memory-limit "${MEMORY_LIMIT:-auto}" ${PER_ROW_PEOPLE:+--per-row-people "$PER_ROW_PEOPLE"}
fi

if [ -n "${PG_URL:-}" ]; then
	PG_PEOPLE=${PG_PEOPLE:-5000000}
	PG_DB="vaxtrace_national_nodes_$$"
	PG_NODES_URL=$(echo "$PG_URL" | sed -E "s#^(postgres(ql)?://[^/]*)/[^?]*#\1/$PG_DB#")
	[ "$PG_NODES_URL" != "$PG_URL" ] || { echo "PG_URL must name a database (postgres://host:port/db)" >&2; exit 2; }
	echo "== vaxtrace bench --postgres (database $PG_DB) --nodes --people $PG_PEOPLE"
	psql "$PG_URL" -qc "CREATE DATABASE $PG_DB"
	# start-up (full replay, snapshot), live heap and RSS per person of two
	# writers and a read-only node, HTTP doses across the writers, reader lag
	"$BIN" bench --postgres "$PG_NODES_URL" --nodes --people "$PG_PEOPLE" --snapshot-dir "$DIR/pg-nodes.snapshots" \
		--replay-nodes "${PG_REPLAY_NODES:-1}" --http-rates "${PG_HTTP_RATES:-500,1000}" --http-seconds 10 || status=$?
	psql "$PG_URL" -qc "DROP DATABASE $PG_DB WITH (FORCE)"
	[ -z "${status:-}" ] || exit "$status"
fi
[ -z "${SKIP_GENERATE:-}" ] || { echo "== done; remove $DIR when finished"; exit 0; }

echo "== vaxtrace generate --people $GEN_PEOPLE"
DB="$DIR/national.db"
rm -rf "$DB" "$DB-wal" "$DB-shm" "$DB.keys" "$DB.snapshots"
/usr/bin/time -v "$BIN" generate --db "$DB" --people "$GEN_PEOPLE" 2>"$DIR/generate.time"
grep -E "Maximum resident|Elapsed" "$DIR/generate.time"

PORT=${PORT:-18089}
# serve_once NAME ARGS...: start a server, report when it serves and its
# resident memory, stop it
serve_once() {
	local name=$1
	shift
	local start end pid
	start=$(date +%s.%N)
	"$BIN" serve --db "$DB" --addr "127.0.0.1:$PORT" "$@" >"$DIR/serve-$name.log" 2>&1 &
	pid=$!
	trap 'kill $pid 2>/dev/null || true' EXIT
	until curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null; do
		kill -0 $pid 2>/dev/null || { cat "$DIR/serve-$name.log"; exit 1; }
		sleep 0.2
	done
	end=$(date +%s.%N)
	echo "serving after $(echo "$end - $start" | bc) s"
	grep -E "VmRSS|VmHWM" "/proc/$pid/status"
	curl -sf "http://127.0.0.1:$PORT/readyz"; echo
	kill $pid
	wait $pid 2>/dev/null || true
	trap - EXIT
}

echo "== start-up of a server on the generated store: full replay, no snapshot"
serve_once replay --snapshot-dir off

echo "== a snapshot of the generated store"
/usr/bin/time -f "%e s, peak RSS %M KiB" "$BIN" snapshot --db "$DB"

echo "== start-up of a server from the snapshot"
serve_once snapshot

echo "== done; remove $DIR when finished"
