#!/usr/bin/env bash
# The aggregator examples of docs/turbine.md, run as a user would against a
# real broker and registry: watch_service.sh (blocking queries) and
# follow_events.sh (the event stream) see a join, a leave, a token of the
# blog series' Go services read from the legacy queue, and a registry
# restart on the same port, each without being restarted themselves.
source "$(dirname "$0")/registry_helpers.bash"
EX=$ROOT/docs/examples
S=turb$$
LEGACY=legacy$$
PORT=$(free_port)

# The registry on PORT, reading the legacy queue as the service S.
registry_at_port() {
	"$BIN/registry" --port "$PORT" --legacy-queue "$LEGACY" --legacy-service "$S" \
		>>"$TMP/registry.log" 2>&1 &
	REG_PID=$!
	STARTED+=("$REG_PID")
	REG=http://127.0.0.1:$PORT
	wait_for 10000 registry_connected >/dev/null || fail "the registry on port $PORT did not connect"
}
# Each example in its own process group, stopped with everything it started.
run_example() {
	local out=$1
	shift
	REGISTRY=$REG setsid "$@" >"$out" 2>"$out.err" &
	EXAMPLES+=($!)
}
stop_examples() { local p; for p in "${EXAMPLES[@]}"; do kill -TERM -- "-$p" 2>/dev/null || true; done; }
trap 'stop_examples; cleanup' EXIT
EXAMPLES=()
last_line_is() { [[ $(tail -n 1 "$1") == "$2" ]]; }
has_line() { grep -qxF -- "$2" "$1"; }

registry_at_port
run_example "$TMP/watch.out" "$EX/watch_service.sh" "$S"
run_example "$TMP/events.out" "$EX/follow_events.sh" "$S"
wait_for 10000 last_line_is "$TMP/watch.out" "$S: (none)" >/dev/null || fail "watch_service.sh printed no empty list: $(cat "$TMP/watch.out"*)"

tok() { echo "{\"state\":\"$1\",\"address\":\"$2\",\"port\":7001,\"ttl\":30}"; }
publish "discovery.$S.up" "$(tok UP 10.8.0.1)"
wait_for 10000 last_line_is "$TMP/watch.out" "$S: 10.8.0.1:7001" >/dev/null || fail "watch: no join: $(cat "$TMP/watch.out")"
wait_for 10000 has_line "$TMP/events.out" "join $S 10.8.0.1:7001 UP" >/dev/null || fail "events: no join: $(cat "$TMP/events.out"*)"
publish "discovery.$S.down" "$(tok DOWN 10.8.0.1)"
wait_for 10000 last_line_is "$TMP/watch.out" "$S: (none)" >/dev/null || fail "watch: no leave: $(cat "$TMP/watch.out")"
wait_for 10000 has_line "$TMP/events.out" "leave $S 10.8.0.1:7001 DOWN down" >/dev/null || fail "events: no leave: $(cat "$TMP/events.out")"
pass "watch_service.sh and follow_events.sh follow a join and a leave"

# The blog series' form: {"state","address"} on the default exchange to a
# plain queue, every 30 s; the registry bridges it onto the topic exchange.
amqp-publish -u "$AMQP_URL" -r "$LEGACY" -b '{"state":"UP","address":"10.8.0.9"}'
wait_for 10000 last_line_is "$TMP/watch.out" "$S: 10.8.0.9:-" >/dev/null || fail "watch: no legacy join: $(cat "$TMP/watch.out")"
wait_for 10000 has_line "$TMP/events.out" "join $S 10.8.0.9:- UP" >/dev/null || fail "events: no legacy join: $(cat "$TMP/events.out")"
pass "a legacy token read from the plain queue reaches both"

# A sidecar that stays: the restarted registry has it again at once
# (discovery.sync), while the legacy instance, whose senders do not answer
# sync, is gone until its next token.
start_publisher "$S" 10.8.0.3 --discovery-interval 1
wait_for 10000 last_line_is "$TMP/watch.out" "$S: 10.8.0.3:8080 10.8.0.9:-" >/dev/null ||
	fail "watch: no sidecar: $(cat "$TMP/watch.out")"
before=$(wc -l <"$TMP/events.out")
stop_registry
registry_at_port
# After the restart the stream comes back by itself with a snapshot; the
# sidecar is in it, or joins just after it when its re-announce is later.
relisted() { tail -n +$((before + 1)) "$TMP/events.out" | grep -Eqx "(snapshot|join) $S 10.8.0.3:8080 UP"; }
wait_for 15000 relisted >/dev/null || fail "events: the sidecar is not back after the restart: $(cat "$TMP/events.out")"
wait_for 15000 last_line_is "$TMP/watch.out" "$S: 10.8.0.3:8080" >/dev/null ||
	fail "watch: not the restarted registry's list: $(cat "$TMP/watch.out")"
publish "discovery.$S.up" "$(tok UP 10.8.0.2)"
wait_for 10000 last_line_is "$TMP/watch.out" "$S: 10.8.0.2:7001 10.8.0.3:8080" >/dev/null ||
	fail "watch: nothing after the restart: $(cat "$TMP/watch.out")"
wait_for 10000 has_line "$TMP/events.out" "join $S 10.8.0.2:7001 UP" >/dev/null ||
	fail "events: nothing after the restart: $(cat "$TMP/events.out")"
pass "both ride out a registry restart on the same port"
echo "--- watch_service.sh"; cat "$TMP/watch.out"; echo "--- follow_events.sh"; cat "$TMP/events.out"
stop_examples
stop_clean "$PUB_PID" publisher
stop_registry
