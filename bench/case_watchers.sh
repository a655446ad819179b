# shellcheck shell=bash
# Watchers: 5,000 blocking queries on one service and 5,000 event streams
# held, then 20 changes of that service (bench/watchers): for each, the time
# from the publish of its token to the last watcher's whole answer; and the
# registry's resident memory per held connection (VmRSS before the
# connections and once all are held). The reference, bench/held_floor, is
# the machine's own floor: as many loopback connections, one write to each
# from one thread per CPU, read by one epoll thread as bench/watchers
# reads, with no HTTP, broker or table.
case_watchers() {
	local q s changes out p99 per floor fp99
	q=$(pick 5000 100)
	s=$(pick 5000 100)
	changes=$(pick 20 5)
	ulimit -n "$(ulimit -Hn)"
	# 10,000 connections opened in a burst on a loaded machine: some wait
	# in the accept queue longer than the default 5 s request timeout.
	bench_registry --max-connections-per-client 0 --max-waiting 0 --max-streams 0 \
		--request-timeout 60s
	"$BUILD/bench/watchers" --amqp-url "$AMQP_SERVER_URL" --port "$REG_PORT" --service watched \
		--queries "$q" --streams "$s" --changes "$changes" --registry-pid "$REG_PID" \
		>"$TMP/watchers.out" 2>"$TMP/watchers.log" || fail "bench/watchers failed"
	out=$(cat "$TMP/watchers.out")
	# 450 bytes: between a query's answer (about 600) and an event (300).
	floor=$("$BUILD/bench/held_floor" --sockets "$((q + s))" --rounds "$changes" \
		--threads "$(nproc)" --bytes 450) || fail "bench/held_floor failed"
	fp99=$(sed -nE 's/.* p99_ms=([0-9.]+).*/\1/p' <<<"$floor")
	p99=$(sed -nE 's/^changes=.* p99_ms=([0-9.]+).*/\1/p' <<<"$out")
	per=$(sed -nE 's/^held .* bytes_per_conn=(-?[0-9.]+).*/\1/p' <<<"$out")
	bench_row "watchers: one change, $q queries + $s streams held" \
		"$p99 ms to the last answer (p99 of $changes; p50 $(sed -nE 's/^changes=.* p50_ms=([0-9.]+).*/\1/p' <<<"$out") ms)" \
		"held_floor $fp99 ms (p99; p50 $(sed -nE 's/.* p50_ms=([0-9.]+).*/\1/p' <<<"$floor") ms)" \
		"$(bench_ratio "$p99" "$fp99")" "<= 50 ms" "$(bench_met "$p99" '<=' 50)"
	bench_row "watchers: memory per held connection" "$per B (VmRSS, $((q + s)) held)" \
		"-" "-" "<= 4096 B" "$(bench_met "$per" '<=' 4096)"
}
