#!/usr/bin/env bash
# Broker permissions as docs/deployment.md sets them up: a broker user that
# may publish only discovery.accountservice.* (scripts/rabbitmq.sh
# service-user). A sidecar logged in as that user that announces the
# service "registry" is refused by the broker; it keeps running, says why
# once, and retries once per interval rather than reconnecting in a loop.
# The same user's own service is announced and listed, and a permission
# granted later takes effect within an interval. A second user that may not
# bind discovery.sync is refused while setting up, and behaves the same.
source "$(dirname "$0")/registry_helpers.bash"

if [[ -z "${RABBIT_DIR:-}" ]]; then
	echo "skip: creating a broker user needs the harness's own RabbitMQ (RABBIT_DIR)"
	exit 0
fi
user=perm$$
nobind=permnb$$
password=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
rctl() { "$ROOT/scripts/rabbitmq.sh" ctl "$RABBIT_DIR" "$@"; }
drop_users() {
	local u
	for u in "$user" "$nobind"; do rctl delete_user "$u" >/dev/null 2>&1 || true; done
}
trap 'drop_users; cleanup' EXIT
"$ROOT/scripts/rabbitmq.sh" service-user "$RABBIT_DIR" "$user" "$password" accountservice
"$ROOT/scripts/rabbitmq.sh" service-user "$RABBIT_DIR" "$nobind" "$password" accountservice
rctl set_topic_permissions -p / "$nobind" discovery '^discovery\.accountservice\.' '^$' >/dev/null
url=amqp://$user:$password@127.0.0.1:$RABBIT_PORT/
INTERVAL_MS=500

start_registry

# sidecar NAME SERVICE [URL]: the sidecar as $user (or URL's), its log in
# TMP/NAME.log; sets PID.
sidecar() {
	LOG_LEVEL=debug "$BIN/publisher" --amqp-url "${3:-$url}" --service-name "$2" \
		--advertise-addr 127.0.0.1 --port 8080 --instance-id "$1-$$" \
		--discovery-interval "${INTERVAL_MS}ms" >"$TMP/$1.log" 2>&1 &
	PID=$!
	STARTED+=("$PID")
}
sidecar own accountservice
OWN_PID=$PID
sidecar foreign registry
FOREIGN_PID=$PID
sidecar nobind accountservice "amqp://$nobind:$password@127.0.0.1:$RABBIT_PORT/"
NOBIND_PID=$PID

listed() { curl -sf "$REG/services/$1" | jq -e --arg id "$2-$$" 'any(.instances[]; .instanceId == $id)'; }
took=$(wait_for 5000 listed accountservice own) || fail "the user's own service is not listed"
pass "accountservice announced by its own broker user, listed after ${took} ms"

refusal="refused by the broker, retrying every interval"
took=$(wait_for 5000 grep -q "$refusal" "$TMP/foreign.log") || fail "no refusal logged"
grep "$refusal" "$TMP/foreign.log" | grep -q "ACCESS_REFUSED" ||
	fail "the refusal does not give the broker's reason"
pass "discovery.registry.up refused by the broker, logged after ${took} ms:"
grep -o "reason=.*" "$TMP/foreign.log" | head -n 1

# Six intervals later: still running, still refused, said once, and at most
# one try per interval (each try is one token sent after a reconnect).
start=$(now_ms)
sent_before=$(grep -c "token sent key=discovery.registry.up" "$TMP/foreign.log")
tries_before=$(grep -c "amqp refused" "$TMP/nobind.log" || true)
while (($(now_ms) - start < 6 * INTERVAL_MS)); do
	kill -0 "$FOREIGN_PID" 2>/dev/null || fail "the refused sidecar exited"
	sleep 0.1
done
sent=$(($(grep -c "token sent key=discovery.registry.up" "$TMP/foreign.log") - sent_before))
echo "tries in 6 intervals: $sent"
((sent <= 7)) || fail "$sent tries in 6 intervals: a reconnect loop"
(($(grep -c "$refusal" "$TMP/foreign.log") == 1)) || fail "the refusal is logged more than once"
warnings=$(grep -c 'level=\(warn\|error\)' "$TMP/foreign.log" || true)
((warnings == 1)) || fail "$warnings warnings or errors, expected the one refusal"
listed registry foreign >/dev/null && fail "the refused token is listed"
listed accountservice own >/dev/null || fail "the user's own service left the registry"
pass "refused sidecar keeps running, said it once, $sent tries in 6 intervals"

# The user that may not bind discovery.sync, over the same six intervals.
kill -0 "$NOBIND_PID" 2>/dev/null || fail "the sidecar refused while setting up exited"
grep "$refusal" "$TMP/nobind.log" | grep -q "queue.bind refused: .*ACCESS_REFUSED" ||
	fail "the setup refusal is not logged with the broker's reason"
(($(grep -c "$refusal" "$TMP/nobind.log") == 1)) || fail "the setup refusal is logged more than once"
warnings=$(grep -c 'level=\(warn\|error\)' "$TMP/nobind.log" || true)
((warnings == 1)) || fail "$warnings warnings or errors refused at setup, expected 1"
tries=$(($(grep -c "amqp refused" "$TMP/nobind.log") - tries_before))
echo "setup tries in 6 intervals: $tries"
((tries <= 7)) || fail "$tries setup tries in 6 intervals: a reconnect loop"
listed accountservice nobind >/dev/null && fail "an instance that could not set up is listed"
pass "refused while binding discovery.sync: said once, $tries tries in 6 intervals, keeps running"

# Allowed from now on: listed within about an interval, and it says so.
"$ROOT/scripts/rabbitmq.sh" ctl "$RABBIT_DIR" set_topic_permissions -p / "$user" discovery \
	'^discovery\.(accountservice|registry)\.' '^discovery\.sync$' >/dev/null
took=$(wait_for $((4 * INTERVAL_MS)) listed registry foreign) ||
	fail "not listed after the permission was granted"
wait_for $((2 * INTERVAL_MS)) grep -q "accepted by the broker again" "$TMP/foreign.log" \
	>/dev/null || fail "the publisher does not say its tokens pass again"
pass "listed ${took} ms after the permission was granted"

stop_clean "$FOREIGN_PID" "refused sidecar"
stop_clean "$NOBIND_PID" "sidecar refused at setup"
stop_clean "$OWN_PID" "sidecar"
stop_registry
