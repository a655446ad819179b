#!/usr/bin/env bash
# A broker memory alarm blocks every publishing connection. The registry
# self-preserves while it lasts and for one ttl after (nothing expires, the
# answers say stale, /health says blocked); no program waits on the broker
# (an accountservice answers and stops, a publisher stops, at once); after
# the alarm tokens flow again and expiry works as before.
source "$(dirname "$0")/registry_helpers.bash"
[[ -n "${RABBIT_DIR:-}" ]] || fail "needs the suite's own broker (tests/run.sh) to raise an alarm"

S=alarm$$
ctl() { "$ROOT/scripts/rabbitmq.sh" ctl "$RABBIT_DIR" "$@" >/dev/null; }
alarm_off() { ctl set_vm_memory_high_watermark 0.4; }
# The suite's broker must never stay alarmed, whatever happens here.
trap 'alarm_off; cleanup' EXIT
amqp_state() { curl -sf "$REG/health" | jq -r .amqp; }
amqp_state_is() { [[ $(amqp_state) == "$1" ]]; }
stale() { curl -sf "$REG/services/$S" | jq -r .stale; }
seq_of() { curl -sf "$REG/services/$S" | jq -r ".instances[] | select(.instanceId == \"$1\") | .seq"; }

start_registry
start_publishers 3 "$S" 10.0.6 # ttl 3 s
wait_for 3000 has_count "$S" 3 >/dev/null || fail "the publishers did not join"
ACCT_PORT=$(free_port)
DISCOVERY_INTERVAL=1 "$BIN/accountservice" --port "$ACCT_PORT" --db-path "$TMP/accounts.db" \
	--advertise-addr 127.0.0.1 --quotes-url "http://127.0.0.1:1/" >"$TMP/acct.log" 2>&1 &
ACCT=$!
STARTED+=("$ACCT")
wait_http "http://127.0.0.1:$ACCT_PORT/health"

ctl set_vm_memory_high_watermark absolute 1MB
took=$(wait_for 5000 amqp_state_is blocked) || fail "/health says $(amqp_state), not blocked"
echo "registry blocked ${took} ms after the alarm"
before=$(seq_of "10.0.6.1:8080")
# Three ttls without a renewal reaching it.
deadline=$(($(now_ms) + 9000))
while (($(now_ms) < deadline)); do
	[[ $(count "$S") == 3 ]] || fail "an instance expired during the alarm: $(count "$S") left"
	sleep 0.2
done
[[ $(stale) == true ]] || fail "answers during the alarm not marked stale"
[[ $(seq_of "10.0.6.1:8080") == "$before" ]] || fail "a token got through the alarm: the test did not block"
t0=$(now_ms)
curl -sf -m 2 "http://127.0.0.1:$ACCT_PORT/health" >/dev/null || fail "the accountservice did not answer during the alarm"
pass "9 s of alarm (3 ttls): 3 instances kept, answers stale, /health blocked, accountservice answers in $(($(now_ms) - t0)) ms"

# Stopping during the alarm: no wait on the broker.
t0=$(now_ms)
stop_clean "${PUBS[2]}" publisher
stop_clean "$ACCT" accountservice
took=$(($(now_ms) - t0))
((took < 10000)) || fail "stopping a publisher and an accountservice during the alarm took $took ms"
pass "a publisher and an accountservice stopped during the alarm in $took ms"

alarm_off
wait_for 5000 amqp_state_is connected >/dev/null || fail "/health says $(amqp_state) after the alarm"
renewed() { [[ $(seq_of "10.0.6.1:8080") != "$before" ]]; }
wait_for 3000 renewed >/dev/null || fail "no token after the alarm"
[[ $(count "$S") -ge 2 ]] || fail "instances lost right after the alarm: $(count "$S")"
# Expiry works again: the publisher stopped during the alarm could not say
# DOWN and goes after its ttl, the frozen one too.
kill -STOP "${PUBS[1]}"
gone() { [[ $(count "$S") == 1 ]]; }
took=$(wait_for 15000 gone) || fail "expiry did not resume: $(count "$S") listed"
kill -CONT "${PUBS[1]}"
pass "after the alarm: renewed, /health connected, the silent instances expired ${took} ms later"
