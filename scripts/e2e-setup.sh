#!/usr/bin/env bash
# Idempotent setup for the browser tests (e2e/): Debian's chromium, node and
# npm, and the pinned playwright-core in e2e/node_modules. Safe to run
# repeatedly; it installs only what is missing, and waits for the apt/dpkg
# lock when another apt process holds it (scripts/lib/apt.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/apt.sh

need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v node >/dev/null 2>&1 || need+=(nodejs)
command -v npm >/dev/null 2>&1 || need+=(npm)
if [ "${#need[@]}" -gt 0 ]; then
  apt_install "${need[@]}"
fi

if [ ! -d e2e/node_modules/playwright-core ]; then
  if [ -f e2e/package-lock.json ]; then
    (cd e2e && npm ci --no-audit --no-fund)
  else
    (cd e2e && npm install --no-audit --no-fund)
  fi
fi
echo "e2e-setup: chromium $(/usr/bin/chromium --version 2>/dev/null | awk '{print $2}'), playwright-core $(node -p "require('./e2e/node_modules/playwright-core/package.json').version")"
