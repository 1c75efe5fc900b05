#!/usr/bin/env bash
# Idempotent setup for the browser tests (e2e/): Debian's chromium and the
# pinned playwright-core in e2e/node_modules. Safe to run repeatedly; it
# installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x /usr/bin/chromium ]; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y chromium
fi

if ! command -v node >/dev/null 2>&1; then
  echo "e2e-setup: node is missing (apt-get install -y nodejs npm)" >&2
  exit 1
fi

if [ ! -d e2e/node_modules/playwright-core ]; then
  if [ -f e2e/package-lock.json ]; then
    (cd e2e && npm ci --no-audit --no-fund)
  else
    (cd e2e && npm install --no-audit --no-fund)
  fi
fi
echo "e2e-setup: chromium $(/usr/bin/chromium --version 2>/dev/null | awk '{print $2}'), playwright-core $(node -p "require('./e2e/node_modules/playwright-core/package.json').version")"
