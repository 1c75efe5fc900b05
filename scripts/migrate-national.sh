#!/usr/bin/env bash
# Replays the national 2021-2023 series (Our World in Data's Kazakhstan file,
# 38.4 million doses) as a registry migration through CSV with recording
# times, times each step, and compares the as-published OWID export with the
# series. Usage: scripts/migrate-national.sh [workdir] [scale]
#   workdir  where the store and the CSV files go (default ./migration-run)
#   scale    1 for the whole series; 0.01 for a quick rehearsal
# The store must not exist yet. Memory stays bounded: the CSV files are
# parsed and submitted in chunks (vaxtrace import --chunk).
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-migration-run}
scale=${2:-1}
series=../shared/reference/owid/Kazakhstan.csv
mkdir -p "$work"
go build -o "$work/vaxtrace" ./cmd/vaxtrace
vt="$work/vaxtrace"
db="$work/national.db"
if [ -e "$db" ]; then echo "$db exists; remove it or choose another workdir" >&2; exit 1; fi

echo "== generating the CSV files (scale $scale)"
/usr/bin/time -f "   %e s, max RSS %M KiB" "$vt" generate --db "$db" --owid "$series" --out "$work" --scale "$scale" --points-per-region 20
token=$("$vt" token --db "$db" --name moh-migration --role migration)
for f in places lots receipts shipments doses; do
	echo "== importing $f.csv"
	/usr/bin/time -f "   %e s, max RSS %M KiB" "$vt" import --db "$db" --token "$token" --report "$work/$f-rejected.csv" "$work/$f.csv"
done
echo "== as-published OWID export and the conservation check"
"$vt" export owid --db "$db" --mode published --as-of 2023-04-30 --out "$work/owid-as-published.csv"
"$vt" check --db "$db"
echo "compare $work/owid-as-published.csv with $series (figures x $scale)"
