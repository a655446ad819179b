#!/usr/bin/env bash
# A three-node RabbitMQ cluster of its own (scripts/rabbitmq-cluster.sh),
# every program given the list of its nodes (docs/amqp.md#several-nodes):
#  - stop the node the registry is on: it is on another node within 2 s,
#    complete (every instance renewed through its sync) within 1 s after,
#    nothing expired or left meanwhile, every process still running;
#  - stop the node a publisher is on (not the registry's): its instance
#    never leaves the table (the close waits REGISTRY_FAILOVER_GRACE for
#    the process to come back on another node);
#  - start the stopped nodes again: nothing flaps;
#  - two registries: a client moved from one to the other is answered as
#    the contract says; after a join, a leave, an expiry and a SIGKILL their
#    /services/{name} answers agree (the lag between them is printed); one
#    is killed, the other still answers and stays current.
source "$(dirname "$0")/registry_helpers.bash"

S=clu$$
CL=$(mktemp -d "/tmp/$LIB_NAME-rabbit.XXXXXX")
trap 'cleanup; "$ROOT/scripts/rabbitmq-cluster.sh" stop "$CL"' EXIT
began=$(now_ms)
"$ROOT/scripts/rabbitmq-cluster.sh" start "$CL" >"$TMP/cluster.log" 2>&1 ||
	fail "the cluster did not start"
# shellcheck disable=SC1091
source "$CL/env"
AMQP_URL=${AMQP_SERVER_URL%%,*}
AMQP_URL=${AMQP_URL%/}
pass "three-node cluster up in $(($(now_ms) - began)) ms"

# The folder of the node whose (masked) URL is $1, by its port.
node_dir() {
	local port=${1##*:} d
	port=${port%%/*}
	for d in $RABBIT_NODE_DIRS; do
		[[ $(bash -c "source '$d/env'; echo \$RABBIT_PORT") == "$port" ]] && { echo "$d"; return; }
	done
	return 1
}
reg_node() { curl -sf "$1/health" | jq -r '.amqpNode'; }
# The node a publisher is on now, from its log's last connection line.
pub_node() { grep -o 'publisher: [a-z ]*node=[^ ]*' "$TMP/pub.$1.log" | tail -n 1 | sed 's/.*node=//'; }
pub_start() {
	"$BIN/publisher" --service-name "$S" --advertise-addr "10.0.7.$1" --port 8080 "${@:2}" \
		>"$TMP/pub.$1.log" 2>&1 &
	PID[$1]=$!
	STARTED+=("${PID[$1]}")
}
pub_connected() { [[ -n "$(pub_node "$1")" ]]; }
# ISO time of the last log line of $1 matching $2, in ms.
log_ms() {
	local ts
	ts=$(grep -- "$2" "$1" | tail -n 1 | cut -d' ' -f1)
	[[ -n "$ts" ]] && date -d "$ts" +%s%3N
}
listed() { curl -sf "$1/services/$S" | jq -r '[.instances[].instanceId] | sort | join(",")'; }
# SIGKILL, awaited quietly (bash would report the killed job).
kill9() { { kill -9 "$1" && wait "$1"; } 2>/dev/null || true; }
everyone_running() {
	local p
	for p in "$REG_PID" "${PID[@]}"; do kill -0 "$p" 2>/dev/null || return 1; done
}
# Leaves and expiries told on the first registry's event stream so far.
departures() { grep -c -E '^event: (leave|expire)' "$TMP/events.txt" || true; }

declare -a PID
for i in 1 2 3; do pub_start "$i"; done
start_registry
REG1=$REG REG1_PID=$REG_PID
curl -sN "$REG1/events" >"$TMP/events.txt" 2>/dev/null &
STARTED+=($!)
ALL="10.0.7.1:8080,10.0.7.2:8080,10.0.7.3:8080"
all_listed() { [[ $(listed "$REG1") == "$ALL" ]]; }
wait_for 10000 all_listed >/dev/null || fail "three publishers not listed: $(listed "$REG1")"
for i in 1 2 3; do wait_for 5000 pub_connected "$i" >/dev/null || fail "publisher $i silent"; done
echo "registry on $(reg_node "$REG1"); publishers on $(pub_node 1) $(pub_node 2) $(pub_node 3)"

# 1. The registry's node stops.
node=$(reg_node "$REG1")
dir=$(node_dir "$node") || fail "no node for $node"
expired_before=$(metric registry_expiries_total)
left_before=$(departures)
"$ROOT/scripts/rabbitmq.sh" pause "$dir"
moved() { [[ $(reg_node "$REG1") != "$node" ]] && registry_connected; }
wait_for 10000 moved >/dev/null || fail "the registry did not move off $node"
lost=$(log_ms "$TMP/registry.log" "amqp connection down")
connected=$(log_ms "$TMP/registry.log" "amqp connected, sync requested")
# Complete: every instance renewed since the reconnect (the sync's answers;
# the publishers' next interval could be up to 2 s away).
renewed() {
	curl -sf "$REG1/services/$S" | jq -e --argjson t "$connected" \
		'(.stale | not) and (.instances | length == 3) and all(.instances[]; .lastSeen >= $t)' |
		grep -q true
}
wait_for 5000 renewed >/dev/null || fail "not complete after the failover"
complete=$(curl -sf "$REG1/services/$S" | jq '[.instances[].lastSeen] | max')
echo "failover: connection lost at +0, on $(reg_node "$REG1") at +$((connected - lost)) ms," \
	"complete at +$((complete - lost)) ms"
((connected - lost <= 2000)) || fail "on another node only $((connected - lost)) ms after the loss"
((complete - connected <= 1000)) || fail "complete only $((complete - connected)) ms after reconnecting"
[[ $(metric registry_expiries_total) == "$expired_before" ]] || fail "an instance expired"
[[ $(departures) == "$left_before" ]] || fail "an instance left during the failover"
everyone_running || fail "a process died in the failover"
pass "registry failover: nothing expired or left, every process running"
"$ROOT/scripts/rabbitmq.sh" resume "$dir"

# 2. A publisher's node stops (one the registry is not on). The publishers
# start on random nodes: one is restarted until one is elsewhere.
reg_dir=$(node_dir "$(reg_node "$REG1")")
target=""
for try in $(seq 1 20); do
	for i in 1 2 3; do
		d=$(node_dir "$(pub_node "$i")") || continue
		[[ "$d" != "$reg_dir" ]] && { target=$i; break 2; }
	done
	stop_clean "${PID[3]}" "publisher 3"
	pub_start 3
	wait_for 5000 pub_connected 3 >/dev/null || fail "publisher 3 did not reconnect"
done
[[ -n "$target" ]] || fail "no publisher on a node other than the registry's in 20 tries"
wait_for 10000 all_listed >/dev/null || fail "not all listed before the node stop"
dir=$(node_dir "$(pub_node "$target")")
left_before=$(departures)
resumed_before=$(metric registry_connection_closes_resumed_total)
before_node=$(pub_node "$target")
"$ROOT/scripts/rabbitmq.sh" pause "$dir"
pub_moved() { [[ $(pub_node "$target") != "$before_node" ]]; }
wait_for 10000 pub_moved >/dev/null || fail "publisher $target did not move off its node"
resumed() {
	(($(metric registry_connection_closes_resumed_total) > resumed_before)) &&
		[[ $(metric registry_connection_closes_waiting) == 0 ]]
}
wait_for 10000 resumed >/dev/null || fail "the close of publisher $target was not resumed"
all_listed || fail "an instance is missing: $(listed "$REG1")"
[[ $(departures) == "$left_before" ]] || fail "publisher $target's instance left the table"
everyone_running || fail "a process died when a publisher's node stopped"
pass "publisher $target moved to $(pub_node "$target"): its instance never left the table"

# 3. Both stopped nodes run again: nothing flaps (two renewals of everyone).
"$ROOT/scripts/rabbitmq.sh" resume "$dir"
back=$(now_ms)
renewed_since_back() {
	curl -sf "$REG1/services/$S" | jq -e --argjson t "$((back + 2500))" \
		'(.instances | length == 3) and all(.instances[]; .lastSeen >= $t)' | grep -q true
}
wait_for 10000 renewed_since_back >/dev/null || fail "instances not renewed after the node returned"
[[ $(departures) == "$left_before" ]] || fail "something left when the nodes returned"
[[ $(metric registry_expiries_total) == "$expired_before" ]] || fail "something expired"
pass "stopped nodes back: nothing flapped"

# 4. Two registries on the same stream.
start_registry
REG2=$REG REG2_PID=$REG_PID
# agree TIMEOUT_MS IDS: polls both registries until each lists exactly IDS
# (instanceIds, sorted, comma-joined) all UP; prints when each did, in ms
# from the call, and the lag between them.
agree() {
	/usr/bin/python3 - "$REG1" "$REG2" "$S" "$1" "$2" <<'PY'
import json, sys, time, urllib.request
r1, r2, svc, timeout, want = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
start = time.monotonic()
seen = {}
while len(seen) < 2:
    if (time.monotonic() - start) * 1000 > timeout:
        sys.exit(1)
    for name, base in (("a", r1), ("b", r2)):
        if name in seen:
            continue
        with urllib.request.urlopen(f"{base}/services/{svc}", timeout=2) as r:
            body = json.load(r)
        ids = sorted(i["instanceId"] for i in body["instances"] if i["state"] == "UP")
        if ",".join(ids) == want and len(ids) == len(body["instances"]):
            seen[name] = (time.monotonic() - start) * 1000
    time.sleep(0.002)
print(f"{seen['a']:.0f} ms and {seen['b']:.0f} ms, {abs(seen['a'] - seen['b']):.0f} ms apart")
PY
}
agree 10000 "$ALL" >/dev/null || fail "the second registry does not agree with the first"
# A client the VIP moves from one replica to the other: an index from a
# replica that is ahead is answered at once, an event id from the other
# replica gets a snapshot first.
ahead=$(($(service_index "$S") + 1000000))
t0=$(now_ms)
curl -sf "$REG2/services/$S?index=$ahead&wait=20s" >/dev/null || fail "the moved blocking query failed"
(($(now_ms) - t0 < 5000)) || fail "an index from another replica was held $(($(now_ms) - t0)) ms"
last_id=$(awk '/^id:/ { id = $2 } END { print id }' "$TMP/events.txt")
[[ -n "$last_id" ]] || fail "no event id on the first registry's stream"
curl -sN --max-time 3 -H "Last-Event-ID: $last_id" "$REG2/events" >"$TMP/moved.txt" 2>/dev/null || true
[[ $(awk '/^event:/ { print $2; exit }' "$TMP/moved.txt") == snapshot ]] ||
	fail "an event id from the other replica did not get a snapshot"
pass "a client moved between replicas: its index answered at once, its event id a snapshot"
pub_start 4
out=$(agree 5000 "$ALL,10.0.7.4:8080") || fail "the registries disagree after a join"
echo "join seen by both: $out"
stop_clean "${PID[4]}" "publisher 4"
unset 'PID[4]'
out=$(agree 5000 "$ALL") || fail "the registries disagree after a leave"
echo "leave seen by both: $out"
pub_start 5 --discovery-interval 1s
agree 5000 "$ALL,10.0.7.5:8080" >/dev/null || fail "publisher 5 not listed by both"
kill -STOP "${PID[5]}"
out=$(agree 10000 "$ALL") || fail "the registries disagree after an expiry"
echo "expiry seen by both: $out"
kill9 "${PID[5]}"
unset 'PID[5]'
pub_start 6
agree 5000 "$ALL,10.0.7.6:8080" >/dev/null || fail "publisher 6 not listed by both"
kill9 "${PID[6]}"
unset 'PID[6]'
out=$(agree 10000 "$ALL") || fail "the registries disagree after a SIGKILL"
echo "SIGKILL seen by both (after the failover grace): $out"
pass "two registries agree after join, leave, expiry and SIGKILL"

# One registry dies: the other answers and stays current.
kill9 "$REG1_PID"
pub_start 7
has7() { [[ $(listed "$REG2") == "$ALL,10.0.7.7:8080" ]]; }
wait_for 5000 has7 >/dev/null || fail "the remaining registry missed a join: $(listed "$REG2")"
stop_clean "${PID[7]}" "publisher 7"
unset 'PID[7]'
back_to_all() { [[ $(listed "$REG2") == "$ALL" ]]; }
wait_for 5000 back_to_all >/dev/null || fail "the remaining registry missed a leave"
pass "one registry killed: the other still answers and stays current"
REG_PID=$REG2_PID
stop_registry
echo "test_cluster took $(($(now_ms) - began)) ms"
