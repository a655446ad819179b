#!/usr/bin/env bash
# The registry's out-bridge (REGISTRY_LEGACY_OUT_QUEUE): a stand-in for
# eriklupander/turbine-amqp-plugin, in Python with pika (auto-ack on queue
# "discovery", understanding only {"state":"UP"|"DOWN","address"}), gets UP
# when an accountservice starts, and DOWN when one stops (SIGTERM), when
# one is SIGKILLed (connection lost) and when one's ttl runs out (SIGSTOP).
# Two registry replicas write to the queue: every departure arrives once
# per replica, never zero times. A service not in
# REGISTRY_LEGACY_OUT_SERVICES never appears.
source "$(dirname "$0")/registry_helpers.bash"

PY=/usr/bin/python3
QUEUE=discovery
PLUGIN_OUT=$TMP/plugin.txt

start_registry --legacy-out-queue "$QUEUE" --legacy-out-services "other$$, accountservice" \
	--legacy-out-ttl 30m
REG_A=$REG
REG_A_PID=$REG_PID
start_registry --legacy-out-queue "$QUEUE" --legacy-out-services accountservice \
	--legacy-out-ttl 0
REG_B=$REG
REG_B_PID=$REG_PID
# What an earlier run on this broker left in the durable queue goes first.
"$PY" - "$AMQP_SERVER_URL" "$QUEUE" <<'PY' || fail "cannot purge the queue"
import sys, pika
conn = pika.BlockingConnection(pika.URLParameters(sys.argv[1]))
conn.channel().queue_purge(sys.argv[2])
conn.close()
PY
"$PY" "$ROOT/tests/integration/turbine_plugin.py" "$AMQP_SERVER_URL" "$QUEUE" \
	>"$PLUGIN_OUT" 2>"$TMP/plugin.log" &
PLUGIN=$!
STARTED+=("$PLUGIN")
ready() { grep -q '^READY$' "$PLUGIN_OUT"; }
wait_for 30000 ready >/dev/null || fail "the plugin stand-in did not start consuming"

# seen STATE ADDRESS N: the plugin got that line at least N times.
seen() { (($(grep -c -x "$1 $2" "$PLUGIN_OUT") >= $3)); }

# start_account ADDRESS: an accountservice announcing ADDRESS with a 3 s
# ttl (interval 1 s); sets PID.
start_account() {
	local port
	port=$(free_port)
	DISCOVERY_INTERVAL=1 "$BIN/accountservice" --port "$port" --advertise-addr "$1" \
		--db-path "$TMP/accounts.db" --quotes-url "http://127.0.0.1:9/api/quote" \
		>"$TMP/account-$1.log" 2>&1 &
	PID=$!
	STARTED+=("$PID")
	wait_http "http://127.0.0.1:$port/health"
}

start_account 127.0.0.2
STOPPED=$PID
start_account 127.0.0.3
KILLED=$PID
start_account 127.0.0.4
FROZEN=$PID
start_account 127.0.0.5
LAST=$PID
# A service that neither replica mirrors.
start_publisher "unmirrored$$" 127.0.0.9
for a in 127.0.0.2 127.0.0.3 127.0.0.4 127.0.0.5; do
	ms=$(wait_for 15000 seen UP "$a" 2) || fail "no UP for $a from both replicas"
done
pass "UP for each of 4 accountservices, once per replica"

stop_clean "$STOPPED" "accountservice 127.0.0.2"
ms=$(wait_for 15000 seen DOWN 127.0.0.2 2) || fail "no DOWN for the stopped 127.0.0.2"
pass "DOWN for the stopped accountservice, from both replicas, in $ms ms"

kill -KILL "$KILLED"
wait "$KILLED" 2>/dev/null || true
ms=$(wait_for 15000 seen DOWN 127.0.0.3 2) || fail "no DOWN for the SIGKILLed 127.0.0.3"
pass "DOWN for the SIGKILLed accountservice (connection lost), from both replicas, in $ms ms"

kill -STOP "$FROZEN"
ms=$(wait_for 30000 seen DOWN 127.0.0.4 2) || {
	kill -CONT "$FROZEN"
	fail "no DOWN for the frozen 127.0.0.4 after its ttl"
}
kill -CONT "$FROZEN"
pass "DOWN for the frozen accountservice when its ttl ran out, from both replicas, in $ms ms"

! grep -q '^BAD' "$PLUGIN_OUT" || fail "the plugin could not read: $(grep '^BAD' "$PLUGIN_OUT" | head -n 3)"
! grep -q ' 127\.0\.0\.9$' "$PLUGIN_OUT" || fail "an unmirrored service reached the queue"
written() { curl -sf "$1/metrics" | awk '$1 == "registry_legacy_out_total{result=\"written\"}" { print $2 }'; }
a=$(written "$REG_A") b=$(written "$REG_B")
((a >= 6 && b >= 6)) || fail "written counts $a and $b, want at least 6 each"
pass "every message in the plugin's form; the unmirrored service absent; written $a and $b"

# With no reader, what waits in the queue expires: after
# REGISTRY_LEGACY_OUT_TTL from replica A, never from B.
kill "$PLUGIN"
wait "$PLUGIN" 2>/dev/null || true
stop_clean "$LAST" "accountservice 127.0.0.5"
"$PY" - "$AMQP_SERVER_URL" "$QUEUE" >"$TMP/expirations.txt" <<'PY' || fail "cannot read the queue"
import sys, time, pika
conn = pika.BlockingConnection(pika.URLParameters(sys.argv[1]))
ch = conn.channel()
seen, deadline = [], time.monotonic() + 15
while len(seen) < 2 and time.monotonic() < deadline:
    method, props, body = ch.basic_get(sys.argv[2], auto_ack=True)
    if method is None:
        time.sleep(0.05)
    elif body == b'{"state":"DOWN","address":"127.0.0.5"}':
        seen.append(props.expiration or "none")
print(" ".join(sorted(seen)))
conn.close()
PY
[[ $(cat "$TMP/expirations.txt") == "1800000 none" ]] ||
	fail "expirations of the two DOWN copies: '$(cat "$TMP/expirations.txt")', want '1800000 none'"
pass "messages wait 30 min for a reader with REGISTRY_LEGACY_OUT_TTL=30m, for ever with 0"

stop_clean "$REG_A_PID" "registry A"
stop_clean "$REG_B_PID" "registry B"
pass "both registries exit 0 on SIGTERM"
