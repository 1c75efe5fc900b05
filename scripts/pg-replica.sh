#!/usr/bin/env bash
# pg-replica.sh: run a PostgreSQL 15 streaming replica (hot standby) of the
# primary at 127.0.0.1:5432 on this machine, for the replica test
# (package replica) and the measurements in docs/SCALE.md.
#
#   scripts/pg-replica.sh [start]   create (if needed) and start the replica,
#                                   print its URL on stdout
#   scripts/pg-replica.sh url       print the URL of the running replica
#   scripts/pg-replica.sh status    say whether it runs (exit 1 if not)
#   scripts/pg-replica.sh stop      stop the replica and delete its data
#
# Idempotent: start on a running replica only prints its URL; start on a
# stopped one starts it again; a half-made data directory is rebuilt.
#
# What it may change on the PRIMARY (only if needed, and never restarting it):
#   - if a replication connection from 127.0.0.1 as postgres is refused, it
#     puts "host replication postgres 127.0.0.1/32 trust" (marked
#     "# vaxtrace-replica") first in the primary's pg_hba.conf, checks the
#     file with pg_hba_file_rules (restoring the old file on any error) and
#     reloads the configuration. `stop` leaves that line in place; remove it
#     with `scripts/pg-replica.sh unhba`.
#   - wal_level and max_wal_senders need a restart of the primary to change;
#     the script only checks them and stops with instructions if they do not
#     allow a replica (PostgreSQL 15 defaults, replica and 10, do).
# No replication slot is created: a slot left behind by a deleted replica
# would make the shared primary keep WAL forever. Without one, a replica
# that falls more than a checkpoint's worth of WAL behind must be rebuilt
# (stop, start) -- fine for a test replica on the same machine.
#
# Needs root (or the postgres user) and the PostgreSQL 15 server binaries.
# Environment:
#   PG_REPLICA_BASE  directory for data and log (default
#                    /var/lib/postgresql/vaxtrace-replica, owned by postgres)
#   PG_REPLICA_PORT  first port to try (default 5433; the next free one is
#                    taken if it is busy)
#   PG_PRIMARY_HOST / PG_PRIMARY_PORT  the primary (127.0.0.1 / 5432)
set -euo pipefail

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
PRIMARY_HOST=${PG_PRIMARY_HOST:-127.0.0.1}
PRIMARY_PORT=${PG_PRIMARY_PORT:-5432}
BASE=${PG_REPLICA_BASE:-/var/lib/postgresql/vaxtrace-replica}
DATA=$BASE/data
LOGFILE=$BASE/replica.log
PORTFILE=$BASE/port
FIRST_PORT=${PG_REPLICA_PORT:-5433}
MARK='# vaxtrace-replica'

log() { printf 'pg-replica: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# as_pg runs a command as the postgres OS user.
as_pg() {
	if [ "$(id -un)" = postgres ]; then
		"$@"
	elif [ "$(id -u)" = 0 ]; then
		if command -v runuser >/dev/null 2>&1; then
			runuser -u postgres -- "$@"
		else
			su postgres -s /bin/sh -c "$(printf '%q ' "$@")"
		fi
	else
		die "run as root or as the postgres user"
	fi
}

psql_primary() { psql -X -q -v ON_ERROR_STOP=1 -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" -U postgres -d postgres -tA "$@"; }

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

running() { [ -f "$DATA/PG_VERSION" ] && as_pg "$PGBIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; }

url() { printf 'postgres://postgres@127.0.0.1:%s/postgres?sslmode=disable\n' "$(cat "$PORTFILE")"; }

replication_ok() {
	psql -X -q -tA "host=$PRIMARY_HOST port=$PRIMARY_PORT user=postgres replication=true dbname=postgres" \
		-c 'IDENTIFY_SYSTEM' >/dev/null 2>&1
}

check_primary() {
	command -v psql >/dev/null || die "psql not found (apt-get install postgresql-client)"
	[ -x "$PGBIN/pg_basebackup" ] && [ -x "$PGBIN/pg_ctl" ] || die "PostgreSQL 15 server binaries not found in $PGBIN"
	psql_primary -c 'SELECT 1' >/dev/null 2>&1 ||
		die "cannot connect to the primary at $PRIMARY_HOST:$PRIMARY_PORT as postgres (trust) -- scripts/pg-test-setup.sh sets one up"
	local ver wal senders used
	ver=$(psql_primary -c 'SHOW server_version_num')
	[ "${ver:0:2}" = 15 ] || die "the primary runs PostgreSQL $ver, this script uses the 15 binaries"
	wal=$(psql_primary -c 'SHOW wal_level')
	case $wal in
	replica | logical) ;;
	*) die "primary has wal_level=$wal; set wal_level = replica in its postgresql.conf and RESTART it (this script does not restart a shared primary)" ;;
	esac
	senders=$(psql_primary -c 'SHOW max_wal_senders')
	used=$(psql_primary -c 'SELECT count(*) FROM pg_stat_replication')
	# pg_basebackup -X stream uses two walsenders, the running replica one
	if [ $((senders - used)) -lt 2 ]; then
		die "primary has max_wal_senders=$senders with $used in use; raise it (e.g. 10) and RESTART the primary"
	fi
	if ! replication_ok; then
		allow_replication
	fi
}

# allow_replication adds a trust rule for replication connections from the
# loopback address to the primary's pg_hba.conf and reloads, checking the
# edited file first and restoring the old one on any error.
allow_replication() {
	local hba backup tmp bad
	hba=$(psql_primary -c 'SHOW hba_file')
	[ -f "$hba" ] || die "primary's pg_hba.conf ($hba) is not on this machine"
	[ -w "$hba" ] || die "cannot write $hba; run as root"
	if ! grep -q "^$MARK" "$hba"; then
		log "allowing replication connections from 127.0.0.1 in $hba"
		backup=$(mktemp)
		tmp=$(mktemp)
		cat "$hba" >"$backup"
		{
			echo "$MARK: streaming replica for tests (scripts/pg-replica.sh unhba removes it)"
			echo "host    replication   postgres   127.0.0.1/32   trust $MARK"
			cat "$backup"
		} >"$tmp"
		cat "$tmp" >"$hba" # keep owner and mode
		rm -f "$tmp"
		# pg_hba_file_rules parses the file on disk, without loading it
		bad=$(psql_primary -c 'SELECT count(*) FROM pg_hba_file_rules WHERE error IS NOT NULL')
		if [ "$bad" != 0 ]; then
			cat "$backup" >"$hba"
			rm -f "$backup"
			die "the edited $hba does not parse; restored the original"
		fi
		rm -f "$backup"
	else
		log "$hba already has the vaxtrace-replica rule"
	fi
	psql_primary -c 'SELECT pg_reload_conf()' >/dev/null
	for _ in $(seq 1 10); do
		replication_ok && return
		sleep 0.5
	done
	die "replication connections are still refused after editing $hba (an earlier reject rule?)"
}

unhba() {
	local hba tmp
	hba=$(psql_primary -c 'SHOW hba_file')
	if [ -f "$hba" ] && grep -q "$MARK" "$hba"; then
		tmp=$(mktemp)
		grep -v "$MARK" "$hba" >"$tmp"
		cat "$tmp" >"$hba"
		rm -f "$tmp"
		psql_primary -c 'SELECT pg_reload_conf()' >/dev/null
		log "removed the vaxtrace-replica rule from $hba and reloaded"
	fi
}

pick_port() {
	local p=$FIRST_PORT
	while port_busy "$p"; do
		p=$((p + 1))
		[ "$p" -lt $((FIRST_PORT + 50)) ] || die "no free port in $FIRST_PORT..$p"
	done
	echo "$p"
}

create() {
	log "taking a base backup of $PRIMARY_HOST:$PRIMARY_PORT into $DATA"
	mkdir -p "$BASE"
	chown postgres:postgres "$BASE" 2>/dev/null || true
	chmod 700 "$BASE"
	as_pg rm -rf "$DATA"
	# -c fast: do not wait for a spread checkpoint (minutes on an idle server)
	# -R: write standby.signal and primary_conninfo
	as_pg "$PGBIN/pg_basebackup" -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" -U postgres \
		-D "$DATA" -R -X stream -c fast --no-password
}

# write_conf writes the replica's own postgresql.conf and pg_hba.conf (a
# Debian primary keeps them in /etc, so the backup has none). A hot standby
# refuses to start with lower max_connections, max_worker_processes,
# max_wal_senders, max_prepared_transactions or max_locks_per_transaction
# than the primary, so those are copied from it.
write_conf() {
	local sock=/var/run/postgresql same
	[ -d "$sock" ] || sock=/tmp
	same=$(psql_primary -c "SELECT string_agg(name || ' = ' || setting, E'\\n' ORDER BY name) FROM pg_settings
		WHERE name IN ('max_connections', 'max_worker_processes', 'max_wal_senders', 'max_prepared_transactions', 'max_locks_per_transaction')")
	as_pg tee "$DATA/postgresql.conf" >/dev/null <<EOF
# vaxtrace test replica (written by scripts/pg-replica.sh on every start)
listen_addresses = '127.0.0.1'
unix_socket_directories = '$sock'
hot_standby = on
hot_standby_feedback = on
shared_buffers = 128MB
wal_receiver_status_interval = 1s
logging_collector = off
# must be >= the primary's
$same
EOF
	as_pg tee "$DATA/pg_hba.conf" >/dev/null <<'EOF'
local   all   all                  trust
host    all   all   127.0.0.1/32   trust
EOF
	as_pg touch "$DATA/pg_ident.conf"
}

start() {
	check_primary
	if running && [ -f "$PORTFILE" ]; then
		log "replica already running"
		url
		return
	fi
	if [ ! -f "$DATA/PG_VERSION" ] || [ ! -f "$DATA/standby.signal" ]; then
		create
	fi
	write_conf
	local port
	port=$(pick_port)
	echo "$port" >"$PORTFILE"
	log "starting the replica on port $port (log: $LOGFILE)"
	as_pg touch "$LOGFILE" 2>/dev/null || { touch "$LOGFILE" && chown postgres "$LOGFILE"; }
	if ! as_pg "$PGBIN/pg_ctl" -D "$DATA" -l "$LOGFILE" -o "-p $port" -w -t 60 start >/dev/null; then
		tail -n 20 "$LOGFILE" >&2 || true
		die "the replica did not start"
	fi
	for _ in $(seq 1 60); do
		"$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$port" && break
		sleep 1
	done
	"$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$port" || die "the replica does not answer on port $port"
	local rec
	rec=$(psql -X -tA -h 127.0.0.1 -p "$port" -U postgres -d postgres -c 'SELECT pg_is_in_recovery()')
	[ "$rec" = t ] || die "the server on port $port is not in recovery (not a standby)"
	log "replica ready, streaming from $PRIMARY_HOST:$PRIMARY_PORT"
	url
}

stop() {
	if running; then
		log "stopping the replica"
		as_pg "$PGBIN/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null
	fi
	if [ -d "$BASE" ]; then
		# remove only what this script made
		if [ -n "$(ls -A "$BASE")" ] && [ ! -f "$PORTFILE" ] && [ ! -f "$DATA/standby.signal" ]; then
			die "$BASE does not look like a replica made by this script; not removing it"
		fi
		log "removing $BASE"
		rm -rf "$BASE"
	fi
}

case ${1:-start} in
start) start ;;
stop) stop ;;
url)
	running && [ -f "$PORTFILE" ] || die "no replica running"
	url
	;;
status)
	if running; then
		log "running on port $(cat "$PORTFILE")"
	else
		log "not running"
		exit 1
	fi
	;;
unhba) unhba ;;
*) die "usage: $0 [start|stop|url|status|unhba]" ;;
esac
