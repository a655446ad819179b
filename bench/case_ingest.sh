# shellcheck shell=bash
# Ingest: N tokens (200,000) of N/20 instances (10,000) from a filled queue,
# in BENCH_INGEST_TRIALS trials (4; 2 in the quick mode). In each, both
# consumers are subscribed and stopped while bench/flood fills their
# queues: the registry (SIGSTOP) and the bare reference
# (bench/bare_consumer: rabbitmq-c and cJSON, nothing else; it stops
# itself). Then each drains its queue alone, so neither takes CPU from the
# other: the registry's rate from SIGCONT until /metrics counts every
# token received, its CPU from /proc/PID/stat (utime + stime) over that
# span; the bare consumer times itself from its first delivery to its
# last. The order alternates: the first to drain does so while the broker
# still holds the other's full queue, and is slower for it. Each trial's
# instances are new (10,000 joins, then renewals), as in the first. The
# figures are the totals over all trials. The registry is stopped only
# while the queues fill and the bare consumer drains (its heartbeats stop
# meanwhile; the bare consumer has none).
INGEST_TOTAL_MS=0 INGEST_TICKS=0 BARE_TOTAL_MS=0 BARE_TOTAL_US=0

# ingest_registry N EXPECT: continue the registry until it has counted
# EXPECT tokens; adds to INGEST_TOTAL_MS and INGEST_TICKS.
ingest_registry() {
	local ms ticks0 ticks1 t0
	[[ $2 == "$1" ]] && bench_perf_start ingest "$REG_PID"
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
		awk -v n="$2" '$1 == "registry_tokens_received_total" && $2 + 0 >= n { found = 1; exit }
			END { exit !found }' || fail "the registry did not take every token"
	ms=$(since_ms "$t0")
	ticks1=$(cpu_ticks "$REG_PID")
	[[ $2 == "$1" ]] && bench_perf_stop
	INGEST_MS=$ms
	INGEST_TOTAL_MS=$(awk -v a="$INGEST_TOTAL_MS" -v b="$ms" 'BEGIN { print a + b }')
	INGEST_TICKS=$((INGEST_TICKS + ticks1 - ticks0))
}

# ingest_bare PID N FIRST: continue the bare consumer until it has its N
# messages; adds to BARE_TOTAL_MS and BARE_TOTAL_US.
ingest_bare() {
	local line rate us
	# With BENCH_PERF=1 the reference is profiled too (ingest-bare), so
	# that the two profiles can be read side by side.
	[[ $3 == 1 ]] && bench_perf_start ingest-bare "$1"
	kill -CONT "$1"
	wait "$1" || fail "the bare consumer failed: $(cat "$TMP/bare.log")"
	[[ $3 == 1 ]] && bench_perf_stop
	line=$(grep '^messages=' "$TMP/bare.out")
	rate=$(sed -E 's/.* rate=([0-9.]+).*/\1/' <<<"$line")
	us=$(sed -E 's/.* cpu_us_per_msg=([0-9.]+).*/\1/' <<<"$line")
	BARE_MS=$(awk -v n="$2" -v r="$rate" 'BEGIN { print n * 1000 / r }')
	BARE_TOTAL_MS=$(awk -v a="$BARE_TOTAL_MS" -v b="$BARE_MS" 'BEGIN { print a + b }')
	BARE_TOTAL_US=$(awk -v a="$BARE_TOTAL_US" -v n="$2" -v u="$us" 'BEGIN { print a + n * u }')
}

case_ingest() {
	local n inst trials t bare all rate cpu brate bcpu ratios=
	n=$(pick 200000 20000)
	inst=$((n / 20))
	trials=$(pick "${BENCH_INGEST_TRIALS:-4}" 2)
	bench_registry --queue-max $((n * 2)) --max-instances $((inst * (trials + 1)))
	for ((t = 1; t <= trials; t++)); do
		"$BUILD/bench/bare_consumer" --amqp-url "$AMQP_SERVER_URL" --expect "$n" \
			>"$TMP/bare.out" 2>"$TMP/bare.log" &
		bare=$!
		BENCH_PIDS+=("$bare")
		bare_stopped() { [[ $(awk '{ print $3 }' "/proc/$bare/stat") == T ]]; }
		wait_for 20000 bare_stopped >/dev/null || fail "the bare consumer did not subscribe"
		kill -STOP "$REG_PID"
		bench_flood --prefix "ing$t" --instances "$inst" --services 10 --count "$n" --ttl 300 \
			>"$TMP/fill.out" 2>"$TMP/fill.log" ||
			{ kill -CONT "$REG_PID"; fail "the queues were not filled"; }
		if ((t % 2 == 1)); then
			ingest_registry "$n" $((t * n))
			ingest_bare "$bare" "$n" "$t"
		else
			ingest_bare "$bare" "$n" "$t"
			ingest_registry "$n" $((t * n))
		fi
		ratios+="${ratios:+ }$(bench_ratio "$BARE_MS" "$INGEST_MS")"
	done
	all=$((trials * n))
	rate=$(awk -v n="$all" -v ms="$INGEST_TOTAL_MS" 'BEGIN { printf "%.0f", n * 1000 / ms }')
	cpu=$(awk -v t="$INGEST_TICKS" -v hz="$TICKS" -v n="$all" 'BEGIN { printf "%.2f", t / hz * 1e6 / n }')
	brate=$(awk -v n="$all" -v ms="$BARE_TOTAL_MS" 'BEGIN { printf "%.0f", n * 1000 / ms }')
	bcpu=$(awk -v us="$BARE_TOTAL_US" -v n="$all" 'BEGIN { printf "%.2f", us / n }')
	bench_ratio_row "ingest rate, $trials trials of $n tokens of $inst instances" \
		"$rate tokens/s (each trial: $ratios)" "bare consumer $brate msg/s" "$rate" "$brate" '>=' 0.9
	bench_ratio_row "ingest CPU per token" "$cpu µs" "bare consumer $bcpu µs" \
		"$cpu" "$bcpu" '<=' 1.5
}
