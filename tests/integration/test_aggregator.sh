#!/usr/bin/env bash
# The aggregator against real accountservices on loopback ports and the
# test broker (docs/aggregator.md): every instance listed healthy; one
# flipped through /testability/healthy/false shows healthy:false (state
# DOWN, kept listed), then healthy again when flipped back; a SIGKILLed
# one leaves at once (connection-lost); one stopped cleanly stays listed
# as DOWN with a failing check, then goes after its ttl plus an interval;
# a health URL that never answers (a silent local listener) fails with
# "timeout" and does not hold up the others' checks. Also its JSON errors
# and its usage errors.
# shellcheck source=tests/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
use_broker given
command -v jq >/dev/null || fail "needs jq (scripts/deps.sh)"

S=aggr$$
INTERVAL_MS=1000
TIMEOUT_MS=4000

# --- usage errors ------------------------------------------------------------
rc=0
err=$("$BIN/aggregator" --interval 0 2>&1) || rc=$?
[[ $rc == 2 && "$err" == *"(see --help)" ]] || fail "a bad --interval: exit $rc, '$err'"
rc=0
err=$(AGGREGATOR_SERVICES="ok,Bad!" "$BIN/aggregator" 2>&1) || rc=$?
[[ $rc == 2 && "$err" == *"'Bad!'"*"(see --help)" ]] || fail "a bad service name: exit $rc, '$err'"
pass "usage errors: exit 2, one line ending with (see --help)"

# --- the aggregator and three accountservices --------------------------------
AG_PORT=$(free_port)
AG=http://127.0.0.1:$AG_PORT
AMQP_SERVER_URL=$AMQP_SERVER_URL AGGREGATOR_PORT=$AG_PORT AGGREGATOR_SERVICES=$S \
	AGGREGATOR_INTERVAL=${INTERVAL_MS}ms AGGREGATOR_TIMEOUT=${TIMEOUT_MS}ms \
	"$BIN/aggregator" >"$TMP/aggregator.log" 2>&1 &
AG_PID=$!
STARTED+=("$AG_PID")
wait_http "$AG/health"

# start_account NAME: an accountservice of service S; sets PORT and PID.
start_account() {
	PORT=$(free_port)
	DISCOVERY_INTERVAL=1 "$BIN/accountservice" --port "$PORT" --service-name "$S" \
		--advertise-addr 127.0.0.1 --db-path "$TMP/accounts.db" \
		--quotes-url "http://127.0.0.1:1/api/quote" >"$TMP/$1.log" 2>&1 &
	PID=$!
	STARTED+=("$PID")
	wait_http "http://127.0.0.1:$PORT/health"
}
start_account a
A=$PORT
start_account b
B=$PORT
B_PID=$PID
start_account c
C=$PORT
C_PID=$PID

service() { curl -sf "$AG/status" | jq -c --arg s "$S" '.services[] | select(.name == $s)'; }
# member PORT: the member announced with that port, or nothing.
member() { curl -sf "$AG/status" | jq -c --arg s "$S" --argjson p "$1" \
	'.services[] | select(.name == $s) | .members[] | select(.port == $p)'; }
field() { member "$1" | jq -r "$2"; }
field_is() { [[ "$(field "$1" "$2")" == "$3" ]]; }
healthy_is() { [[ "$(service | jq -c '[.instances, .healthy]')" == "$1" ]]; }
absent() { [[ -z "$(member "$1")" ]]; }
checked_after() { (($(field "$1" .checkedAt) > $2)); }

ms=$(wait_for 20000 healthy_is "[3,3]") || fail "not all three listed healthy: $(service)"
pass "three accountservices listed healthy ${ms} ms after the last start"
for p in "$A" "$B" "$C"; do
	m=$(member "$p")
	[[ $(jq -r '[.instanceId, .address, .state, .healthy, (.checkedAt | type), .error] |
		map(tostring) | join(" ")' <<<"$m") == "127.0.0.1:$p 127.0.0.1 UP true number null" ]] ||
		fail "member on port $p: $m"
done
turbine=$(curl -sf "$AG/turbine/$S")
[[ $(jq -c 'map(select(.isUp and .cluster == "'"$S"'")) | map(.hostname) | sort' <<<"$turbine") == \
	"$(printf '"127.0.0.1:%s"\n' "$A" "$B" "$C" | sort | jq -cs .)" ]] ||
	fail "/turbine/$S: $turbine"
pass "members as /status documents them; /turbine/$S lists the three, isUp"

# --- unhealthy, and back ------------------------------------------------------
curl -sf "http://127.0.0.1:$A/testability/healthy/false" >/dev/null || fail "cannot flip A"
ms=$(wait_for 10000 field_is "$A" .healthy false) || fail "A not unhealthy: $(member "$A")"
m=$(member "$A")
[[ $(jq -r '[.state, .error] | join(" ")' <<<"$m") == "DOWN HTTP 503" ]] ||
	fail "A flipped: $m"
healthy_is "[3,2]" || fail "service counts after the flip: $(service)"
pass "A flipped unhealthy: healthy:false, state DOWN, error HTTP 503 after ${ms} ms (interval ${INTERVAL_MS} ms)"
curl -sf "http://127.0.0.1:$A/testability/healthy/true" >/dev/null || fail "cannot flip A back"
ms=$(wait_for 10000 healthy_is "[3,3]") || fail "A not healthy again: $(member "$A")"
field_is "$A" .state UP || fail "A back: $(member "$A")"
pass "A flipped back: healthy and UP again after ${ms} ms"

# --- a crash, and a clean stop --------------------------------------------------
kill -9 "$B_PID"
wait "$B_PID" 2>/dev/null || true
ms=$(wait_for 10000 absent "$B") || fail "SIGKILLed B still listed: $(member "$B")"
pass "SIGKILLed B gone after ${ms} ms (connection-lost)"
kill -TERM "$C_PID"
wait "$C_PID" || fail "C did not stop cleanly"
# One read for both: it is listed for a bounded time only.
wait_for 10000 field_is "$C" '[.state, .error] | join(" ")' "DOWN refused" >/dev/null ||
	fail "C stopped: $(member "$C")"
ms=$(wait_for 20000 absent "$C") || fail "C never left: $(member "$C")"
pass "C stopped: listed DOWN with error refused, gone ${ms} ms later (its ttl 3 s plus one interval)"

# --- a health URL that never answers ---------------------------------------------
start_silent
"$BIN/publisher" --amqp-url "$AMQP_SERVER_URL" --service-name "$S" --advertise-addr 127.0.0.1 \
	--port "$SILENT" --health-url "http://127.0.0.1:$SILENT/health" --discovery-interval 1 \
	>"$TMP/publisher.log" 2>&1 &
STARTED+=($!)
wait_for 10000 field_is "$SILENT" .state UP >/dev/null || fail "the silent instance not listed"
# While its first check hangs (TIMEOUT_MS), A is checked every interval.
a1=$(field "$A" .checkedAt)
wait_for 10000 checked_after "$A" "$a1" >/dev/null || fail "A not checked again"
a2=$(field "$A" .checkedAt)
wait_for 10000 checked_after "$A" "$a2" >/dev/null || fail "A not checked a third time"
a3=$(field "$A" .checkedAt)
(( a3 - a2 < TIMEOUT_MS - 500 )) || fail "A's checks $((a3 - a2)) ms apart: held up by the hanging one"
ms=$(wait_for 20000 field_is "$SILENT" .error timeout) || fail "no timeout: $(member "$SILENT")"
field_is "$SILENT" .healthy false || fail "silent: $(member "$SILENT")"
field_is "$A" .healthy true || fail "A: $(member "$A")"
pass "a silent health URL fails with timeout (${ms} ms more); A meanwhile checked $((a3 - a2)) ms apart"

# --- its own routes and errors ------------------------------------------------
code() { curl -s -o "$TMP/body" -w '%{http_code}' "$@"; }
# json_error STATUS CURL_ARGS...: that status, with {"error":…}.
json_error() { [[ $(code "${@:2}") == "$1" ]] && jq -e .error "$TMP/body" >/dev/null; }
json_error 404 "$AG/nowhere" || fail "404: $(cat "$TMP/body")"
json_error 400 "$AG/turbine/Bad!" || fail "400: $(cat "$TMP/body")"
json_error 405 -X DELETE "$AG/status" || fail "405: $(cat "$TMP/body")"
[[ $(code "$AG/turbine/nosuch$S") == 200 && $(cat "$TMP/body") == "[]" ]] || fail "unknown service: $(cat "$TMP/body")"
[[ $(code -d x "$AG/status") == 413 ]] || fail "a body was not refused"
metrics=$(curl -sf "$AG/metrics")
for m in 'aggregator_checks_total{outcome="healthy"} [1-9]' 'aggregator_checks_total{outcome="timeout"} [1-9]' \
	'aggregator_checks_total{outcome="http_error"} [1-9]' 'aggregator_checks_in_flight [0-9]' \
	'aggregator_members 2$' 'aggregator_members_refused_total 0' 'aggregator_feed_connected 1'; do
	grep -q "^$m" <<<"$metrics" || fail "/metrics lacks $m"
done
[[ $(curl -sf "$AG/health" | jq -r .amqp) == connected ]] || fail "/health: $(curl -s "$AG/health")"
pass "404, 400, 405, 413 with JSON errors; /metrics and /health"
stop_clean "$AG_PID" aggregator
pass "aggregator stopped cleanly"
