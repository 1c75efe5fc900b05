#!/usr/bin/env bash
# mosquitto-setup.sh: make sure an MQTT broker for the vaxtrace tests answers
# on 127.0.0.1:1883 (anonymous, loopback only).
#
# Idempotent. If something already answers there, nothing is done. Otherwise
# Mosquitto is installed from apt when missing (needs root) and started in
# the background with a configuration of its own (loopback listener,
# anonymous clients, no persistence on disk). The tests then use
# VAXTRACE_MQTT_URL, by default tcp://127.0.0.1:1883.
set -euo pipefail

HOST=127.0.0.1
PORT=${MQTT_TEST_PORT:-1883}

log() { printf 'mosquitto-setup: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

answers() { (exec 3<>"/dev/tcp/$HOST/$PORT") 2>/dev/null; }

if answers; then
	log "a broker answers on $HOST:$PORT"
	exit 0
fi

if ! command -v mosquitto >/dev/null 2>&1; then
	[ "$(id -u)" = 0 ] || die "mosquitto is not installed and installing it needs root"
	log "apt-get install mosquitto"
	DEBIAN_FRONTEND=noninteractive apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mosquitto >/dev/null
fi

dir=$(mktemp -d -t vaxtrace-mosquitto.XXXXXX)
cat >"$dir/mosquitto.conf" <<CONF
listener $PORT $HOST
allow_anonymous true
persistence false
log_dest file $dir/mosquitto.log
pid_file $dir/mosquitto.pid
CONF
if [ "$(id -u)" = 0 ] && id mosquitto >/dev/null 2>&1; then
	chown -R mosquitto "$dir"
fi
log "starting mosquitto on $HOST:$PORT (config and log in $dir)"
mosquitto -c "$dir/mosquitto.conf" -d
for _ in $(seq 1 50); do
	answers && exit 0
	sleep 0.1
done
die "mosquitto did not start; see $dir/mosquitto.log"
