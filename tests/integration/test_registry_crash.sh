#!/usr/bin/env bash
# Crash detection is bound to the connection (docs/registry.md): a close
# event removes an instance only when vhost, broker user, service,
# instanceId and incarnation all match its latest token. Connections named
# like a live instance's, opened and closed by someone else (another vhost,
# another user, the same user without the incarnation), remove nothing and
# are counted; the late close of a restarted instance's previous process
# removes nothing; a SIGKILLed instance still leaves at once, also when its
# connection is older than the registry.
source "$(dirname "$0")/registry_helpers.bash"
[[ -n "${RABBIT_DIR:-}" ]] || fail "needs the suite's own broker (tests/run.sh) to add users"

S=crash$$
ctl() { "$ROOT/scripts/rabbitmq.sh" ctl "$RABBIT_DIR" "$@" >/dev/null; }
ignored() { metric "registry_connection_events_ignored_total{reason=\"$1\"}"; }
ignored_is() { [[ $(ignored "$1") == "$2" ]]; }
listed() { curl -sf "$REG/services/$S" | jq -r '[.instances[].instanceId] | sort | join(",")'; }
listed_is() { [[ $(listed) == "$1" ]]; }
latest_seq_at_least() { (($(curl -sf "$REG/services/$S" | jq '.instances[0].seq') >= $1)); }
# The broker's name of the connection announcing instance $1.
conn_name() {
	"$ROOT/scripts/rabbitmq.sh" ctl "$RABBIT_DIR" list_connections client_properties |
		grep -o "discovery:$S:$1:[0-9a-f]*" | tail -n 1
}
has_conn_name() { [[ -n "$(conn_name "$1")" ]]; }
# open_close URL NAME: one AMQP connection with that name, closed at once
# (pika, another client library than the programs').
open_close() {
	/usr/bin/python3 - "$1" "$2" <<'PY' || fail "pika could not connect to $1"
import sys, pika
params = pika.URLParameters(sys.argv[1])
params.client_properties = {"connection_name": sys.argv[2]}
pika.BlockingConnection(params).close()
PY
}
broker="127.0.0.1:$RABBIT_PORT"
pw=$(head -c 9 /dev/urandom | od -An -tx1 | tr -d ' \n')
ctl add_vhost "other$S"
ctl add_user "intruder$S" "$pw"
ctl set_permissions -p "other$S" "intruder$S" "" "" ""
ctl add_user "tenant$S" "$pw"
ctl set_permissions -p / "tenant$S" "" "" ""

start_registry
start_publisher "$S" 10.0.9.1
first=$PUB_PID
wait_for 3000 listed_is "10.0.9.1:8080" >/dev/null || fail "the publisher did not join"
wait_for 3000 has_conn_name "10.0.9.1:8080" >/dev/null || fail "no connection named for it"
name=$(conn_name "10.0.9.1:8080")

open_close "amqp://intruder$S:$pw@$broker/other$S" "$name"
wait_for 3000 ignored_is other_vhost 1 >/dev/null || fail "other_vhost: $(ignored other_vhost)"
open_close "amqp://tenant$S:$pw@$broker/%2f" "$name"
wait_for 3000 ignored_is other_user 1 >/dev/null || fail "other_user: $(ignored other_user)"
open_close "$AMQP_SERVER_URL" "${name%:*}:0123456789abcdef"
wait_for 3000 ignored_is other_incarnation 1 >/dev/null ||
	fail "other_incarnation: $(ignored other_incarnation)"
listed_is "10.0.9.1:8080" || fail "a spoofed close removed the instance: $(listed)"
pass "closes named like the instance from another vhost, another user and without the incarnation: ignored and counted"

# A restart with the same instanceId: the old process's close comes late.
t0=$(now_ms)
start_publisher "$S" 10.0.9.1
second=$PUB_PID
wait_for 5000 latest_seq_at_least "$t0" >/dev/null || fail "the second process's token did not win"
# Both alive meanwhile: a collision, counted and logged naming both.
conflicts() { metric registry_instance_conflicts_total; }
conflicted() { (($(conflicts) >= 1)); }
wait_for 5000 conflicted >/dev/null || fail "two live processes with one instanceId not counted"
line=$(grep "instance conflict service=$S instance=10.0.9.1:8080:" "$TMP/registry.log")
incarnations=$("$ROOT/scripts/rabbitmq.sh" ctl "$RABBIT_DIR" list_connections client_properties |
	grep -o "discovery:$S:10.0.9.1:8080:[0-9a-f]*" | sed 's/.*://' | sort -u)
[[ $(wc -l <<<"$incarnations") == 2 ]] || fail "not two connections for the instance"
for inc in $incarnations; do
	grep -q "$inc (hostname" <<<"$line" || fail "the conflict log line does not name $inc: $line"
done
[[ $(grep -c "instance conflict service=$S" "$TMP/registry.log") == 1 ]] ||
	fail "the conflict was logged more than once a minute"
pass "two live processes with one instanceId: counted ($(conflicts)) and logged once, naming both"
kill -9 "$first"
wait_for 3000 ignored_is other_incarnation 2 >/dev/null ||
	fail "the old incarnation's close was not ignored: $(ignored other_incarnation)"
listed_is "10.0.9.1:8080" || fail "the old incarnation's close removed the new one"
pass "the late close of a previous incarnation leaves the restarted instance listed"
t0=$(now_ms)
kill -9 "$second"
wait_for 3000 listed_is "" >/dev/null || fail "the SIGKILLed instance did not leave"
pass "SIGKILLed instance gone after $(($(now_ms) - t0)) ms (connection-lost)"

# A connection older than the registry: its close is acted on by the
# incarnation alone.
start_publisher "$S" 10.0.9.2
wait_for 3000 listed_is "10.0.9.2:8080" >/dev/null || fail "the third publisher did not join"
stop_registry
start_registry
wait_for 3000 listed_is "10.0.9.2:8080" >/dev/null || fail "the restarted registry did not list it"
open_close "amqp://tenant$S:$pw@$broker/%2f" "$(conn_name "10.0.9.2:8080" | sed 's/:[0-9a-f]*$/:0123456789abcdef/')"
wait_for 3000 ignored_is other_incarnation 1 >/dev/null || fail "a guessed incarnation was not ignored"
t0=$(now_ms)
kill -9 "$PUB_PID"
wait_for 3000 listed_is "" >/dev/null || fail "an instance older than the registry did not leave on SIGKILL"
pass "an instance older than the registry leaves $(($(now_ms) - t0)) ms after SIGKILL; a guessed incarnation does not"
stop_registry
