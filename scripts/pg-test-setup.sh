#!/usr/bin/env bash
# pg-test-setup.sh: make sure a PostgreSQL server for the vaxtrace tests is
# running on 127.0.0.1:5432 with trust authentication, a database "test",
# roles postgres and root, and the pg_dump/pg_restore client programs
# (postgres.Backup and postgres.Restore run them).
#
# Idempotent. If the server already answers, nothing is installed or
# reconfigured (apt-get runs then only if pg_dump/pg_restore are missing,
# to add postgresql-client; it waits for the apt/dpkg lock if another apt
# process holds it, see lib/apt.sh). Otherwise it installs PostgreSQL from apt if no
# cluster exists, allows trust authentication for local and loopback
# connections (only on a cluster it installed itself), and starts the
# cluster. Needs root for the install and start steps (CI containers).
#
# The tests then use VAXTRACE_PG_URL, by default
#   postgres://postgres@127.0.0.1:5432/test?sslmode=disable
# and create and drop their own vaxtrace_test_* databases.
set -euo pipefail

HOST=127.0.0.1
PORT=${PG_TEST_PORT:-5432}          # override only to try the script on a spare cluster
CLUSTER=${PG_TEST_CLUSTER:-main}

log() { printf 'pg-test-setup: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# apt_install installs what is missing and waits for the apt/dpkg lock.
. "$(dirname "$0")/lib/apt.sh"

# answers: is a server accepting connections on HOST:PORT?
answers() {
	if command -v pg_isready >/dev/null 2>&1; then
		pg_isready -q -h "$HOST" -p "$PORT"
	else
		# no client tools yet: a TCP connect is the best we can do
		(exec 3<>"/dev/tcp/$HOST/$PORT") 2>/dev/null
	fi
}

# cluster_version prints the newest installed cluster version, if any.
cluster_version() {
	[ -d /etc/postgresql ] || return 0
	ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1
}

# allow_trust puts trust rules for local and loopback connections first in
# the cluster's pg_hba.conf (the first matching rule wins).
allow_trust() {
	local hba=/etc/postgresql/$1/$CLUSTER/pg_hba.conf
	[ -f "$hba" ] || die "$hba not found"
	if grep -q '^# vaxtrace-test: trust' "$hba"; then
		return
	fi
	log "allowing trust authentication for local and loopback connections in $hba"
	local tmp
	tmp=$(mktemp)
	{
		echo '# vaxtrace-test: trust local and loopback connections (test machines only)'
		echo 'local   all   all                  trust'
		echo 'host    all   all   127.0.0.1/32   trust'
		echo 'host    all   all   ::1/128        trust'
		cat "$hba"
	} >"$tmp"
	cat "$tmp" >"$hba" # keep owner and mode
	rm -f "$tmp"
}

if answers; then
	log "server on $HOST:$PORT answers; not installing or starting anything"
else
	installed_here=
	ver=$(cluster_version)
	if [ -z "$ver" ] || ! command -v pg_ctlcluster >/dev/null 2>&1; then
		apt_install postgresql postgresql-client
		installed_here=1
		ver=$(cluster_version)
		[ -n "$ver" ] || die "postgresql installed but no cluster under /etc/postgresql"
	fi
	if [ -n "$installed_here" ]; then
		allow_trust "$ver"
	fi
	log "starting cluster $ver/$CLUSTER"
	# An already running cluster (on another address) makes start fail;
	# reload then picks up pg_hba changes.
	pg_ctlcluster --skip-systemctl-redirect "$ver" "$CLUSTER" start ||
		pg_ctlcluster --skip-systemctl-redirect "$ver" "$CLUSTER" reload ||
		die "could not start cluster $ver/$CLUSTER"
	for _ in $(seq 1 30); do
		answers && break
		sleep 1
	done
	answers || die "the server does not answer on $HOST:$PORT after 30 s (check listen_addresses and port in /etc/postgresql/$ver/$CLUSTER/postgresql.conf)"
fi

# Client programs: psql for this script, pg_dump/pg_restore for Backup.
if ! command -v psql >/dev/null 2>&1 || ! command -v pg_dump >/dev/null 2>&1 || ! command -v pg_restore >/dev/null 2>&1; then
	apt_install postgresql-client
fi

psql_admin() { psql -X -q -v ON_ERROR_STOP=1 -h "$HOST" -p "$PORT" -U postgres -d postgres "$@"; }

if ! psql_admin -tAc 'SELECT 1' >/dev/null 2>&1; then
	die "cannot log in as postgres on $HOST:$PORT without a password; allow trust for 127.0.0.1/32 in pg_hba.conf (this script only changes clusters it installed)"
fi

if [ "$(psql_admin -tAc "SELECT 1 FROM pg_roles WHERE rolname = 'root'")" != 1 ]; then
	log "creating role root"
	psql_admin -c 'CREATE ROLE root SUPERUSER LOGIN'
fi
if [ "$(psql_admin -tAc "SELECT 1 FROM pg_database WHERE datname = 'test'")" != 1 ]; then
	log "creating database test"
	psql_admin -c 'CREATE DATABASE test'
fi

server=$(psql_admin -d test -tAc 'SHOW server_version_num')
client=$(pg_dump --version | grep -oE '[0-9]+' | head -n 1)
if [ "${server:0:2}" -gt "$client" ] 2>/dev/null; then
	log "warning: pg_dump $client is older than the server ($server); Backup will fail (install postgresql-client-${server:0:2})"
fi

log "ready: postgres://postgres@$HOST:$PORT/test?sslmode=disable (server $server, pg_dump $client)"
