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
	# One curl asks for /metrics every 10 ms on one keep-alive connection
	# until every token is counted (for up to 300 s): a curl and an awk
	# started every 10 ms would take CPU, on a machine of 2, from the
	# registry and the broker, which the reference, timing itself, never
	# loses. Once awk has its line, curl ends at its next write, which
	# fails (--fail-early: else it would go on with the next URL).
	{ curl -s --fail-early --rate 100/s "$REG/metrics?[1-30000]" || true; } |
		awk -v n="$n" '$1 == "registry_tokens_received_total" && $2 + 0 >= n { found = 1; exit }
			END { exit !found }' || fail "the registry did not take every token"
	ms=$(since_ms "$t0")
	ticks1=$(cpu_ticks "$REG_PID")
	bench_perf_stop
	rate=$(awk -v n="$n" -v ms="$ms" 'BEGIN { printf "%.0f", n * 1000 / ms }')
	cpu=$(awk -v t=$((ticks1 - ticks0)) -v hz="$TICKS" -v n="$n" 'BEGIN { printf "%.2f", t / hz * 1e6 / n }')

	# With BENCH_PERF=1 the reference is profiled too (ingest-bare), so
	# that the two profiles can be read side by side.
	bench_perf_start ingest-bare "$bare"
	kill -CONT "$bare"
	wait "$bare" || fail "the bare consumer failed: $(cat "$TMP/bare.log")"
	bench_perf_stop
	line=$(grep '^messages=' "$TMP/bare.out")
	brate=$(sed -E 's/.* rate=([0-9.]+).*/\1/' <<<"$line")
	bcpu=$(sed -E 's/.* cpu_us_per_msg=([0-9.]+).*/\1/' <<<"$line")
	bench_ratio_row "ingest rate, $n tokens of $inst instances" "$rate tokens/s" \
		"bare consumer $brate msg/s" "$rate" "$brate" '>=' 0.9
	bench_ratio_row "ingest CPU per token" "$cpu µs" "bare consumer $bcpu µs" \
		"$cpu" "$bcpu" '<=' 1.5
}
