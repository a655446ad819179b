#!/usr/bin/env bash
# Runs every benchmark (bench/*.sh), each printing its own table.
# Benchmarks compare side by side in one run; they never fail on numbers.
set -uo pipefail
cd "$(dirname "$0")/.."
export BUILD=${BUILD:-build}
status=0
for b in bench/*.sh; do
	[[ "$b" == bench/run.sh ]] && continue
	echo "### $(basename "$b" .sh)"
	bash "$b" || status=1
	echo
done
exit $status
