#!/usr/bin/env bash
# make bench in its quick mode (BENCH_QUICK=1, each case briefly) on the
# suite's broker: it runs every case (the cluster failover says it is
# skipped: test_cluster.sh is that case in the suite), and its one table
# has every row with well-formed cells. The figures themselves are not checked: they mean
# little in a brief run on a shared machine.
source "$(dirname "$0")/../lib.sh"
use_broker given

BENCH_QUICK=1 BENCH_DURATION=1s BENCH_SCALE_SECONDS=2 BUILD=$BUILD \
	timeout 240 bash "$ROOT/bench/run.sh" >"$TMP/bench.out" 2>"$TMP/bench.log" ||
	fail "bench/run.sh failed: $(grep -m3 'did not run' "$TMP/bench.out")"
grep '^| ' "$TMP/bench.out" | grep -v '^| case |' >"$TMP/rows"

rows=(
	"query, 100 instances" "query, 1 instance" "query gzip, 100 instances"
	"query /services" "query /turbine/{name}"
	"ingest rate" "ingest CPU per token"
	"watchers: one change" "watchers: memory per held connection"
	"every 2 s for 2 s: CPU" "every 2 s for 2 s: memory" "every 2 s for 2 s: token arrival to visible"
	"every 10 s for 2 s: CPU" "every 10 s for 2 s: memory"
	"convergence: start to visible" "convergence: SIGTERM to gone"
	"convergence: SIGKILL to gone" "convergence: registry restart to complete"
	"convergence: broker node failover"
	"accountservice requests/s" "accountservice CPU per request"
	"accountservice memory idle" "accountservice memory peak"
	"accountservice, quotes-service sleeping 5 s" "accountservice TIME_WAIT"
)
for r in "${rows[@]}"; do
	grep -qF "$r" "$TMP/rows" || fail "no row \"$r\" in the table: $(cat "$TMP/bench.out")"
done
[[ $(wc -l <"$TMP/rows") == "${#rows[@]}" ]] || fail "the table has $(wc -l <"$TMP/rows") rows, not ${#rows[@]}"

# Each row: six cells; a figure with a number in it; a ratio that is a
# number or "-"; met yes, no (with a reason) or "-".
awk -F' [|] ' '{
	sub(/^[|] /, ""); sub(/ [|]$/, "")
	n = split($0, c, / [|] /)
	if (n != 6) { print "cells: " $0; bad = 1; next }
	if (c[2] !~ /[0-9]/ && c[2] !~ /^skipped in quick mode/) { print "figure: " $0; bad = 1 }
	if (c[4] != "-" && c[4] !~ /^[0-9]+[.][0-9]+$/) { print "ratio: " $0; bad = 1 }
	if (c[6] !~ /^(yes|no|-)/) { print "met: " $0; bad = 1 }
	if (c[3] ~ /^(nginx|bare|Go)/ && c[3] !~ /[0-9]/) { print "reference: " $0; bad = 1 }
} END { exit bad }' "$TMP/rows" >"$TMP/bad" || fail "malformed rows: $(cat "$TMP/bad")"
grep -q "did not run" "$TMP/rows" && fail "a case did not run"
pass "BENCH_QUICK=1 make bench: ${#rows[@]} rows, every case ran, every cell well-formed"
