#!/usr/bin/env bash
# Deliberate breaks (issue 13, item 14): each mutant below is a small change
# to the code, applied in a temporary copy of the tree, after which the tests
# of the packages that should notice it run there. A mutant is "caught" when
# those tests fail and "survived" when they pass. The script exits non-zero
# if any mutant survived, or if a patch no longer applies (the code it is
# anchored on changed: re-anchor it). Slow (the power-loss test builds and
# kills a real server), so it is not part of scripts/test.sh.
#
#   scripts/mutants.sh             every mutant
#   scripts/mutants.sh NAME...     only those named
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
want=" $* "
caught=0
survived=()
broken=()

# mutant NAME FILE FROM TO GO-TEST-ARGS...: replace the literal text FROM by
# TO in FILE (FROM must occur), run go test with the arguments.
mutant() {
  local name=$1 file=$2 from=$3 to=$4
  shift 4
  if [ $# -eq 0 ] || { [ "$want" != "  " ] && [[ "$want" != *" $name "* ]]; }; then
    return
  fi
  local tree="$work/$name"
  rsync -a --exclude .git --exclude node_modules --exclude e2e/artifacts ./ "$tree/"
  if ! FROM="$from" TO="$to" perl -0pi -e '$n += s/\Q$ENV{FROM}\E/$ENV{TO}/g; END { exit($n ? 0 : 1) }' "$tree/$file"; then
    printf '%-30s PATCH DOES NOT APPLY (%s changed: re-anchor it)\n' "$name" "$file"
    broken+=("$name")
    return
  fi
  local log="$work/$name.log"
  if (cd "$tree" && go test -count=1 "$@") >"$log" 2>&1; then
    printf '%-30s SURVIVED (go test %s passed)\n' "$name" "$*"
    survived+=("$name")
  else
    if grep -q -e '\[build failed\]' -e '^# ' "$log"; then
      printf '%-30s DOES NOT BUILD (fix the patch)\n' "$name"
      sed -n '1,15p' "$log"
      broken+=("$name")
    else
      printf '%-30s caught by: %s\n' "$name" "$(grep -E -m3 -e '^\s*--- FAIL' "$log" | sed 's/^ *--- FAIL: //; s/ (.*//' | paste -sd, -)"
      caught=$((caught + 1))
    fi
  fi
  rm -rf "$tree"
}

mutant sqlite-synchronous-off sqlite/sqlite.go \
  'q.Set("_synchronous", "FULL")' 'q.Set("_synchronous", "OFF")' \
  -run 'TestPowerLoss' ./crashtest/

mutant failed-write-acknowledged engine/commit.go \
  'e.refuse(group, fmt.Errorf("%w: %w", e.unavailable(), err)) // the cause is logged, never shown' 'e.finish(group)' \
  ./engine/

mutant state-not-rebuilt engine/health.go \
  $'\te.st = st\n\te.pipeline.durable.Store(st.Seq)\n' $'\t_ = st\n' \
  ./engine/

mutant void-keeps-certificate state.go \
  's.revokePersonCerts(d.Person, "dose voided: "+v.Reason)' '_ = d' \
  . ./certs/

mutant stock-as-known-off-by-one asknown.go \
  'k.occurred > asOf || k.known > known ||' 'k.occurred > asOf || k.known > known+1 ||' \
  .

mutant checker-ignores-negative check.go \
  $'\tif c.onHand[k] < 0 {' $'\tif false {' \
  .

mutant check-exits-0-on-breach cmd/vaxtrace/report.go \
  $'\tif !rep.OK() {\n\t\treturn fmt.Errorf' $'\tif false {\n\t\treturn fmt.Errorf' \
  -run 'TestCheck' ./cmd/vaxtrace/

mutant sputnik-second-dose-day-20 registry_state.go \
  'gap < series.IntervalDays &&' 'gap < series.IntervalDays-1 &&' \
  .

mutant ecdsa-verification-skipped hcert/cose.go \
  'if !ecdsa.Verify(k, digest[:], r, s) {' 'if false && !ecdsa.Verify(k, digest[:], r, s) {' \
  ./hcert/ ./certs/

echo
echo "caught: $caught, survived: ${#survived[@]}${survived[*]:+ (${survived[*]})}, not applied: ${#broken[@]}${broken[*]:+ (${broken[*]})}"
[ ${#survived[@]} -eq 0 ] && [ ${#broken[@]} -eq 0 ]
