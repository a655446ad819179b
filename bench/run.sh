#!/usr/bin/env bash
# make bench: every case (bench/case_*.sh) in one run on one private broker,
# each reference measured in the same run beside its figure, then ONE table:
# case | figure | reference | ratio | target | met. It never fails on
# numbers; a case that cannot run at all gets a row saying so, and the run
# exits 1.
#
#   BUILD=build bench/run.sh
#   BENCH_QUICK=1        every case briefly (a smoke run)
#   BENCH_CASES="query"  only these cases (query ingest watchers scale
#                        convergence failover accountservice timewait)
#   BENCH_DURATION=10s   each wrk run; BENCH_SCALE_SECONDS=60 each scale run;
#   BENCH_TRIALS=100     trials of each convergence figure
#   BENCH_PERF=1         perf record on the registry in the query and ingest
#                        cases, reports in $BUILD/bench-perf/
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/../tests/lib.sh"
# shellcheck source=bench/harness.sh
source "$ROOT/bench/harness.sh"
for c in "$ROOT"/bench/case_*.sh; do
	# shellcheck disable=SC1090
	source "$c"
done
BENCH_CASES=${BENCH_CASES:-query ingest watchers scale convergence failover accountservice timewait}
BENCH_DURATION=${BENCH_DURATION:-$(pick 10s 2s)}
export BENCH_QUICK BENCH_ROWS
use_broker own
# A private exchange: other users of the broker neither see nor send these.
export AMQP_SERVER_URL DISCOVERY_EXCHANGE=bench-$$
: >"$BENCH_ROWS"

status=0
for c in $BENCH_CASES; do
	echo "### $c ($(date -u +%H:%M:%S), load $(cut -d' ' -f1-3 /proc/loadavg))" >&2
	set +e
	(
		trap bench_cleanup EXIT
		set -e
		"case_$c"
	) 2>"$TMP/case_$c.err"
	rc=$?
	set -e
	if [[ $rc != 0 ]]; then
		status=1
		bench_row "$c" "did not run: $(grep -m1 FAIL "$TMP/case_$c.err" || tail -n 1 "$TMP/case_$c.err")" "-" "-" "-" "no"
		cat "$TMP/case_$c.err" >&2
	fi
done

echo
echo "make bench, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, $(uname -sr), load average $(cut -d' ' -f1-3 /proc/loadavg)$([[ $BENCH_QUICK == 1 ]] && echo ', BENCH_QUICK=1 (brief runs: the figures mean little)')"
echo
bench_table
exit $status
