# apt.sh: install Debian packages that are missing, without failing when
# another apt or dpkg process holds the lock. Source it, then:
#
#   apt_install chromium nodejs      # installs only what is not installed yet
#
# apt-get waits for the dpkg lock itself (DPkg::Lock::Timeout, 10 minutes);
# apt_retry also retries a command that still fails (the lists lock taken by
# "apt-get update" elsewhere, a mirror hiccup) up to APT_TRIES times,
# APT_RETRY_SECONDS apart. Needs root, or sudo without a password.

APT_LOCK_TIMEOUT=${APT_LOCK_TIMEOUT:-600}
APT_TRIES=${APT_TRIES:-10}
APT_RETRY_SECONDS=${APT_RETRY_SECONDS:-15}

# apt_missing prints the packages among "$@" that are not installed.
apt_missing() {
	local p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || printf '%s\n' "$p"
	done
}

# apt_retry runs "$@" until it succeeds, at most APT_TRIES times.
apt_retry() {
	local try=1
	until "$@"; do
		if [ "$try" -ge "$APT_TRIES" ]; then
			echo "apt: giving up after $try attempts: $*" >&2
			return 1
		fi
		echo "apt: attempt $try failed (is another apt or dpkg running?); retrying in ${APT_RETRY_SECONDS}s: $*" >&2
		sleep "$APT_RETRY_SECONDS"
		try=$((try + 1))
	done
}

apt_sudo() {
	if [ "$(id -u)" -eq 0 ]; then
		"$@"
	else
		sudo "$@"
	fi
}

# apt_install installs the missing packages among "$@"; nothing is run when
# every one is installed.
apt_install() {
	local missing
	missing=$(apt_missing "$@")
	[ -n "$missing" ] || return 0
	# shellcheck disable=SC2086 # one word per package
	set -- $missing
	echo "apt: installing $*" >&2
	apt_retry apt_sudo env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout="$APT_LOCK_TIMEOUT" update -qq
	apt_retry apt_sudo env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout="$APT_LOCK_TIMEOUT" install -y -qq "$@"
}
