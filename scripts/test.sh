#!/usr/bin/env bash
# The whole test suite, on a fresh machine: installs what the tests need
# (PostgreSQL, Chromium, the FHIR validator), then runs gofmt, go vet and
# every Go test with the race detector. Benchmarks and national-scale runs
# are not part of it: see scripts/bench.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"
export GOFLAGS="${GOFLAGS:-} -mod=mod"

step() { printf '\n== %s\n' "$*"; }

step "toolchain"
go version

for s in scripts/pg-test-setup.sh scripts/mosquitto-setup.sh scripts/e2e-setup.sh scripts/fhir-validator-setup.sh; do
  if [ -f "$s" ]; then
    step "setup: $s"
    bash "$s"
  fi
done

step "gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './node_modules/*'))
if [ -n "$unformatted" ]; then
  echo "not gofmt-formatted:"; echo "$unformatted"; exit 1
fi

step "go vet"
go vet ./...

step "EU DCC official test vectors (pass/skip counts)"
go test -count=1 -run TestOfficialVectors -v ./hcert/ 2>&1 | grep -E '^dgc-testdata|^  EXPECTED' || true

step "go test -race"
# -p 1 keeps the browser, PostgreSQL and crash tests from starving each other on 2 cores
set +e
go test -race -count=1 -timeout 60m -p 1 ./... 2>&1 | tee /tmp/vaxtrace-test.log
status=${PIPESTATUS[0]}
set -e

exit "$status"
