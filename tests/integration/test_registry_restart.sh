#!/usr/bin/env bash
# Indexes and event streams across restarts and replicas (the contract): an
# index never goes backwards and is at least 1; a blocking query with an
# index from an earlier run or another replica is answered at once; an
# event stream that comes without Last-Event-ID, or with one the registry
# cannot resume from, first gets event: snapshot with every instance, then
# the changes after it; one it can resume from gets just the changes.
source "$(dirname "$0")/registry_helpers.bash"

S=rst$$
index_of() { curl -sf "$REG/services${1:+/$1}" | jq -r .index; }
start_registry
start_publisher "$S" 10.0.4.1
wait_for 3000 has_count "$S" 1 >/dev/null || fail "the publisher did not join"
first_run=$(index_of)
first_run_service=$(index_of "$S")
((first_run >= 1 && first_run_service >= 1)) || fail "indexes $first_run, $first_run_service"
unknown=$(index_of "none$S")
((unknown >= 1)) || fail "an unknown service's index is $unknown"
curl -sN "$REG/events" >"$TMP/sse1" &
STARTED+=($!)
wait_for 3000 grep -q '^event: snapshot' "$TMP/sse1" >/dev/null || fail "no snapshot for a new client"
last_id=$(awk '/^id:/ { id = $2 } END { print id }' "$TMP/sse1")
stop_registry

start_registry
wait_for 3000 has_count "$S" 1 >/dev/null || fail "the restarted registry did not list the publisher"
second_run=$(index_of)
((second_run > first_run)) || fail "the index went backwards over a restart: $first_run then $second_run"
pass "indexes at least 1 and never backwards over a restart ($first_run, then $second_run)"

# An index from the earlier run (below) and from another replica (above).
for idx in "$first_run" $((second_run + 1000000)); do
	t0=$(now_ms)
	code=$(curl -s -o "$TMP/q.json" -w '%{http_code}' "$REG/services/$S?index=$idx&wait=10s")
	took=$(($(now_ms) - t0))
	[[ $code == 200 ]] || fail "query with index $idx: HTTP $code"
	((took < 5000)) || fail "a query with index $idx from elsewhere waited $took ms"
	echo "index $idx from another run or replica answered in $took ms"
done
current=$(index_of "$S")
t0=$(now_ms)
curl -sf "$REG/services/$S?index=$current&wait=1s" >/dev/null
took=$(($(now_ms) - t0))
((took >= 900)) || fail "a query at the current index returned after $took ms instead of waiting"
pass "blocking queries with another run's or replica's index answered at once; the current one waits"

# Last-Event-ID from the earlier run: the snapshot first, then changes.
curl -sN -H "Last-Event-ID: $last_id" "$REG/events" >"$TMP/sse2" &
STARTED+=($!)
wait_for 3000 grep -q '^event: snapshot' "$TMP/sse2" >/dev/null ||
	fail "no snapshot for a Last-Event-ID from an earlier run: $(head -c 300 "$TMP/sse2")"
grep '^data:' "$TMP/sse2" | head -n 1 | cut -c7- | jq -e --arg s "$S" \
	'.index >= 1 and any(.instances[]; .service == $s and .instanceId == "10.0.4.1:8080")' \
	>/dev/null || fail "the snapshot does not list the instance with its service"
snap_id=$(awk '/^id:/ { print $2; exit }' "$TMP/sse2")
publish "discovery.$S.up" '{"state":"UP","address":"10.0.4.2"}'
wait_for 3000 grep -q '^event: join' "$TMP/sse2" >/dev/null || fail "no change after the snapshot"
# Resuming from the snapshot's id: no snapshot, just what came after it.
curl -sN -H "Last-Event-ID: $snap_id" "$REG/events" >"$TMP/sse3" &
STARTED+=($!)
wait_for 3000 grep -q '^event: join' "$TMP/sse3" >/dev/null || fail "no replay from the snapshot's id"
! grep -q '^event: snapshot' "$TMP/sse3" || fail "a resumable client got a snapshot"
pass "an EventSource back from an earlier run gets a snapshot then changes; a resumable one just the changes"
