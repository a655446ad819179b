#!/usr/bin/env bash
# A registry stopped in the middle of heavy churn, with blocking queries and
# event streams held, exits 0 every time: the AMQP side stops before what
# it calls into is freed, so no callback runs after a free (run under
# `make asan` too, where a use after free aborts with another exit code).
source "$(dirname "$0")/registry_helpers.bash"

S=down$$
rounds=8
held=30
# Churn: joins, updates and leaves of 200 instances, over and over.
for ((i = 0; i < 20000; i++)); do
	n=$((i % 200))
	case $((i / 200 % 3)) in
	0) echo "{\"state\":\"UP\",\"address\":\"10.0.7.$((n % 250))\",\"instanceId\":\"i-$n\"}" ;;
	1) echo "{\"state\":\"STARTING\",\"address\":\"10.0.7.$((n % 250))\",\"instanceId\":\"i-$n\"}" ;;
	2) echo "{\"state\":\"DOWN\",\"address\":\"10.0.7.$((n % 250))\",\"instanceId\":\"i-$n\"}" ;;
	esac
done >"$TMP/churn"
waiting() { metric registry_blocking_queries_waiting; }
streams() { metric registry_event_streams_open; } # open: churn keeps waking them
all_held() { (($(waiting) >= held && $(streams) >= held / 3)); }

for ((r = 1; r <= rounds; r++)); do
	start_registry
	# Still churning when the stop comes (a bounded loop: 50 passes),
	# and not after: the round ends it and the publisher it runs.
	for ((k = 0; k < 50; k++)); do
		amqp-publish -u "$AMQP_URL" -e discovery -r "discovery.$S.up" -l <"$TMP/churn" || break
	done &
	churn=$!
	index=$(curl -sf "$REG/services/other$S" | jq .index) # a service nobody changes
	for ((w = 0; w < held; w++)); do
		curl -s -o /dev/null "$REG/services/other$S?index=$index&wait=60s" &
		STARTED+=($!)
	done
	for ((w = 0; w < held / 3; w++)); do
		curl -sN -o /dev/null "$REG/events" &
		STARTED+=($!)
	done
	wait_for 10000 all_held >/dev/null ||
		fail "round $r: held $(waiting) queries and $(streams) streams"
	[[ $(metric registry_tokens_received_total) -gt 0 ]] || fail "round $r: no churn reached it"
	stop_registry
	# Frozen first, so that it starts no other publisher once its
	# current one is gone.
	kill -STOP "$churn" 2>/dev/null || true
	# Every child, not only those named amqp-publish: one forked but not yet
	# exec'd would live on and flood the tests that follow.
	pkill -KILL -P "$churn" 2>/dev/null || true
	kill -KILL "$churn" 2>/dev/null || true
	wait "$churn" 2>/dev/null || true
done
pass "$rounds stops during churn with $held blocking queries and $((held / 3)) streams held: exit 0 each time"
