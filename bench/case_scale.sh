# shellcheck shell=bash
# Scale: bench/flood renewing N instances every interval for
# BENCH_SCALE_SECONDS (60) after one interval and a bit of warm-up: the
# registry's CPU (share of one core, /proc/PID/stat), resident memory
# (VmRSS at the end, VmHWM), and the time from a token's publish to its
# change being visible, measured meanwhile by bench/watchers holding one
# blocking query on a service of its own (a change every 500 ms).
BENCH_SCALE_SECONDS=${BENCH_SCALE_SECONDS:-$(pick 60 4)}

# scale_run INSTANCES INTERVAL_S CPU_TARGET_% RSS_TARGET_MIB PROBE(1|0)
scale_run() {
	local n=$1 every=$2 cpu_max=$3 rss_max=$4 probe=$5 flood probe_pid ticks0 t0 ms cpu rss hwm
	local got0 got p99
	local name="scale, $n instances every $every s for $BENCH_SCALE_SECONDS s"
	bench_registry --max-instances $((n * 2)) --max-per-service $((n * 2)) --queue-max $((n * 2))
	# Not through bench_flood: $! must be flood itself, not a subshell.
	"$BUILD/bench/flood" --amqp-url "$AMQP_SERVER_URL" --prefix sc --instances "$n" --services 10 \
		--interval "$every" --stats-interval 1h >"$TMP/flood.out" 2>"$TMP/flood.log" &
	flood=$!
	BENCH_PIDS+=("$flood")
	all_listed() { (($(bench_metric "$REG" registry_instances_total) >= n)); }
	wait_for $((every * 3000 + 30000)) all_listed >/dev/null || fail "$name: not every instance is listed"
	if [[ $probe == 1 ]]; then
		"$BUILD/bench/watchers" --amqp-url "$AMQP_SERVER_URL" --port "$REG_PORT" --service probe \
			--queries 1 --streams 0 --changes $((BENCH_SCALE_SECONDS * 2)) --gap 500ms \
			>"$TMP/probe.out" 2>"$TMP/probe.log" &
		probe_pid=$!
		BENCH_PIDS+=("$probe_pid")
	fi
	ticks0=$(cpu_ticks "$REG_PID")
	got0=$(bench_metric "$REG" registry_tokens_received_total)
	t0=$EPOCHREALTIME
	sleep "$BENCH_SCALE_SECONDS"
	ms=$(since_ms "$t0")
	# What the registry took, against what the instances should send: a
	# flood or broker that cannot keep up shows here.
	got=$(awk -v a="$got0" -v b="$(bench_metric "$REG" registry_tokens_received_total)" -v ms="$ms" \
		'BEGIN { printf "%.0f", (b - a) * 1000 / ms }')
	cpu=$(awk -v t=$(($(cpu_ticks "$REG_PID") - ticks0)) -v hz="$TICKS" -v ms="$ms" \
		'BEGIN { printf "%.1f", t / hz * 1e5 / ms }')
	rss=$(mib "$(status_kb "$REG_PID" VmRSS)")
	hwm=$(mib "$(status_kb "$REG_PID" VmHWM)")
	bench_row "$name: CPU" "$cpu % of one core ($got of $((n / every)) tokens/s received)" "-" "-" \
		"< $cpu_max %" "$(bench_met "$cpu" '<' "$cpu_max")"
	bench_row "$name: memory" "$rss MiB VmRSS (peak $hwm)" "-" "-" "< $rss_max MiB" \
		"$(bench_met "$rss" '<' "$rss_max")"
	if [[ $probe == 1 ]]; then
		wait "$probe_pid" || fail "$name: the probe failed"
		p99=$(sed -nE 's/^changes=.* p99_ms=([0-9.]+).*/\1/p' "$TMP/probe.out")
		bench_row "$name: token arrival to visible" \
			"p99 $p99 ms (p50 $(sed -nE 's/^changes=.* p50_ms=([0-9.]+).*/\1/p' "$TMP/probe.out") ms, $((BENCH_SCALE_SECONDS * 2)) changes)" \
			"-" "-" "< 10 ms" "$(bench_met "$p99" '<' 10)"
	fi
	bench_stop "$flood"
	bench_stop "$REG_PID"
}

case_scale() {
	scale_run "$(pick 10000 1000)" 2 10 64 1
	scale_run "$(pick 100000 5000)" 10 100 512 0
}
