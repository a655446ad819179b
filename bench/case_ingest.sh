# shellcheck shell=bash
# Ingest: N tokens (200,000) of N/20 instances (10,000) from a filled queue.
# Both consumers are subscribed and stopped while bench/flood fills their
# queues: the registry (SIGSTOP) and the bare reference (bench/bare_consumer:
# rabbitmq-c and cJSON, nothing else; it stops itself). Then the registry is
# continued: its rate from SIGCONT until /metrics counts every token
# received, its CPU from /proc/PID/stat (utime + stime) over that span; then
# the bare consumer (which times itself from its first delivery to its
# last). One at a time, so neither takes CPU from the other. The registry
# is stopped only while the queues fill (its heartbeats stop meanwhile;
# the bare consumer has none).
case_ingest() {
	local n inst bare line t0 ticks0 ticks1 ms rate cpu brate bcpu
	n=$(pick 200000 20000)
	inst=$((n / 20))
	bench_registry --queue-max $((n * 2)) --max-instances $((inst * 2))
	"$BUILD/bench/bare_consumer" --amqp-url "$AMQP_SERVER_URL" --expect "$n" \
		>"$TMP/bare.out" 2>"$TMP/bare.log" &
	bare=$!
	BENCH_PIDS+=("$bare")
	bare_stopped() { [[ $(awk '{ print $3 }' "/proc/$bare/stat") == T ]]; }
	wait_for 20000 bare_stopped >/dev/null || fail "the bare consumer did not subscribe"
	kill -STOP "$REG_PID"
	bench_flood --prefix ing --instances "$inst" --services 10 --count "$n" --ttl 300 \
		>"$TMP/fill.out" 2>"$TMP/fill.log" || { kill -CONT "$REG_PID"; fail "the queues were not filled"; }

	bench_perf_start ingest "$REG_PID"
	ticks0=$(cpu_ticks "$REG_PID")
	t0=$EPOCHREALTIME
	kill -CONT "$REG_PID"
	all_in() { (($(bench_metric "$REG" registry_tokens_received_total) >= n)); }
	wait_for 300000 all_in >/dev/null || fail "the registry did not take every token"
	ms=$(since_ms "$t0")
	ticks1=$(cpu_ticks "$REG_PID")
	bench_perf_stop
	rate=$(awk -v n="$n" -v ms="$ms" 'BEGIN { printf "%.0f", n * 1000 / ms }')
	cpu=$(awk -v t=$((ticks1 - ticks0)) -v hz="$TICKS" -v n="$n" 'BEGIN { printf "%.2f", t / hz * 1e6 / n }')

	kill -CONT "$bare"
	wait "$bare" || fail "the bare consumer failed: $(cat "$TMP/bare.log")"
	line=$(grep '^messages=' "$TMP/bare.out")
	brate=$(sed -E 's/.* rate=([0-9.]+).*/\1/' <<<"$line")
	bcpu=$(sed -E 's/.* cpu_us_per_msg=([0-9.]+).*/\1/' <<<"$line")
	bench_row "ingest rate, $n tokens of $inst instances" "$rate tokens/s" \
		"bare consumer $brate msg/s" "$(bench_ratio "$rate" "$brate")" ">= 0.9" \
		"$(bench_met "$(bench_ratio "$rate" "$brate")" '>=' 0.9)"
	bench_row "ingest CPU per token" "$cpu µs" "bare consumer $bcpu µs" \
		"$(bench_ratio "$cpu" "$bcpu")" "<= 1.5" \
		"$(bench_met "$(bench_ratio "$cpu" "$bcpu")" '<=' 1.5)"
}
