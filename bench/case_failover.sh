# shellcheck shell=bash
# Broker node failover to complete: bench/cluster.sh (tests/integration/
# test_cluster.sh on a three-node cluster it makes and removes; one trial,
# the node under the registry stopped) gives the time until the registry is
# on another node and until it is complete again. Not in the quick mode:
# making the cluster alone (about 30 s) is half the whole quick run.
case_failover() {
	local line on complete
	if [[ $BENCH_QUICK == 1 ]]; then
		bench_row "convergence: broker node failover to complete" \
			"skipped in quick mode (bench/cluster.sh makes a three-node cluster)" "-" "-" "-" "-"
		return 0
	fi
	bash "$ROOT/bench/cluster.sh" >"$TMP/cluster.out" 2>&1 ||
		fail "bench/cluster.sh failed: $(tail -n 5 "$TMP/cluster.out")"
	line=$(grep -m1 '^failover:' "$TMP/cluster.out") || fail "bench/cluster.sh printed no failover line"
	on=$(sed -nE 's/.* at \+([0-9]+) ms, complete.*/\1/p' <<<"$line")
	complete=$(sed -nE 's/.*complete at \+([0-9]+) ms.*/\1/p' <<<"$line")
	bench_row "convergence: broker node failover to complete (1 trial, three nodes)" \
		"on another node after $on ms, complete after $complete ms" "-" "-" "-" "-"
}
