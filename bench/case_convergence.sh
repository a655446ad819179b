# shellcheck shell=bash
# Convergence, p50 and p99 over BENCH_TRIALS (100) trials each, with real
# publishers (the sidecar, build/bin/publisher): start to visible, SIGTERM
# to gone, SIGKILL to gone (the broker's connection.closed event), each
# timed from the signal or the start to the answer of a blocking query held
# on the service before it; and registry restart to complete: the registry
# stopped and started again on its port while 10 publishers run, timed
# until it lists all of them (its discovery.sync is answered within a
# second, with jitter).
BENCH_TRIALS=${BENCH_TRIALS:-$(pick 100 3)}

# conv_watch SVC: holds a blocking query on SVC at its index (CONV_CURL).
conv_watch() {
	local idx base
	idx=$(curl -sf -D - -o /dev/null "$REG/services/$1" |
		awk 'tolower($1) == "x-registry-index:" { print $2 }' | tr -d '\r')
	base=$(bench_metric "$REG" registry_blocking_queries_waiting)
	curl -sf -o /dev/null "$REG/services/$1?index=$idx&wait=60s" &
	CONV_CURL=$!
	conv_held() { (($(bench_metric "$REG" registry_blocking_queries_waiting) > base)); }
	wait_for 10000 conv_held >/dev/null || fail "a blocking query is not held"
}

# conv_until START COND...: once the held query is answered and COND
# holds, the milliseconds since START (taken at the answer when COND
# already holds then).
conv_until() {
	local start=$1 ms
	shift
	wait "$CONV_CURL" || true
	ms=$(since_ms "$start")
	if ! "$@"; then
		wait_for 30000 "$@" >/dev/null || fail "convergence: never $*"
		ms=$(since_ms "$start")
	fi
	echo "$ms"
}

conv_listed() { curl -sf "$REG/services/$1" | jq -e --arg i "$2" 'any(.instances[]; .instanceId == $i)' >/dev/null; }
conv_gone() { ! conv_listed "$@"; }
conv_count() { [[ $(curl -sf "$REG/services/$1" | jq '.instances | length') == "$2" ]]; }

# conv_publisher SVC ID: a publisher of SVC with instanceId ID (CONV_PUB).
conv_publisher() {
	"$BIN/publisher" --amqp-url "$AMQP_SERVER_URL" --service-name "$1" --instance-id "$2" \
		--advertise-addr 127.0.0.1 --port 8080 --log-level warn 2>>"$TMP/publisher.log" &
	CONV_PUB=$!
}

conv_row() {
	local p50 p99
	read -r p50 p99 <<<"$(percentiles "$2")"
	bench_row "convergence: $1 ($(wc -l <"$2") trials)" "p50 $p50 ms, p99 $p99 ms" "-" "-" "-" "-"
}

case_convergence() {
	local i t a b k pubs=()
	bench_registry
	: >"$TMP/c_start" && : >"$TMP/c_term" && : >"$TMP/c_kill" && : >"$TMP/c_restart"
	for ((i = 0; i < BENCH_TRIALS; i++)); do
		conv_watch cv
		t=$EPOCHREALTIME
		conv_publisher cv "a$i"
		a=$CONV_PUB
		conv_until "$t" conv_listed cv "a$i" >>"$TMP/c_start"
		conv_watch cv
		t=$EPOCHREALTIME
		kill -TERM "$a"
		conv_until "$t" conv_gone cv "a$i" >>"$TMP/c_term"
		wait "$a" || true
		conv_publisher cv "b$i"
		b=$CONV_PUB
		wait_for 30000 conv_listed cv "b$i" >/dev/null || fail "publisher b$i is not listed"
		conv_watch cv
		t=$EPOCHREALTIME
		kill -KILL "$b"
		conv_until "$t" conv_gone cv "b$i" >>"$TMP/c_kill"
		wait "$b" 2>/dev/null || true
	done
	conv_row "start to visible" "$TMP/c_start"
	conv_row "SIGTERM to gone" "$TMP/c_term"
	conv_row "SIGKILL to gone" "$TMP/c_kill"

	for ((k = 0; k < 10; k++)); do
		conv_publisher cr "r$k"
		pubs+=("$CONV_PUB")
		BENCH_PIDS+=("$CONV_PUB")
	done
	wait_for 30000 conv_count cr 10 >/dev/null || fail "the 10 publishers are not listed"
	for ((i = 0; i < BENCH_TRIALS; i++)); do
		bench_stop "$REG_PID"
		t=$EPOCHREALTIME
		BENCH_REG_PORT=$REG_PORT bench_registry
		wait_for 30000 conv_count cr 10 >/dev/null || fail "the restarted registry is not complete"
		since_ms "$t" >>"$TMP/c_restart"
		echo >>"$TMP/c_restart"
	done
	conv_row "registry restart to complete, 10 publishers" "$TMP/c_restart"
}
