#!/usr/bin/env bash
# One publisher floods one service with 20,000 valid 3.7 KB tokens, each
# with its own instanceId, while clients keep fetching that service's
# (40 MB) listing: the service holds at most REGISTRY_MAX_PER_SERVICE
# (default 10,000) instances, the rest are refused and counted by cap,
# another service's new instance is still admitted, /services/other stays
# fast, and a ttl of a day is clamped to REGISTRY_MAX_TTL (default 5 min).
# The registry runs with its defaults: they are the contract's.
source "$(dirname "$0")/registry_helpers.bash"

S=flood$$
F=${S}f # the flooded service
O=${S}o # everybody else
FLOOD=20000
CAP=10000
start_registry
rss_before=$(rss_kb "$REG_PID")

refused() { metric 'registry_refused_total{reason="max_per_service"}'; }
outcomes() {
	curl -sf "$REG/metrics" | awk '$1 ~ /^registry_tokens_outcome_total\{outcome="(joined|full)"\}$/ { n += $2 } END { print n + 0 }'
}
flood_done() { [[ $(outcomes) -ge $FLOOD ]]; }
# fetch_loop OUT: fetches the flooded listing again and again, one size a line.
fetch_loop() {
	while [[ ! -e "$TMP/stop" ]]; do
		curl -s -o /dev/null -w '%{size_download}\n' "$REG/services/$F" >>"$1" || true
	done
}

/usr/bin/python3 "$ROOT/tests/integration/flood_publisher.py" "$AMQP_SERVER_URL" "$F" "$FLOOD" 120 \
	>"$TMP/flood.log" 2>&1 &
FLOOD_PID=$!
STARTED+=("$FLOOD_PID")
fetch_loop "$TMP/fetch1" &
FETCH_PIDS=($!)
fetch_loop "$TMP/fetch2" &
FETCH_PIDS+=($!)
STARTED+=("${FETCH_PIDS[@]}")

# While the flood comes in and the big listing is being served: a new
# instance of another service joins, and its listing answers fast.
publish "discovery.$O.up" '{"state":"UP","address":"10.9.0.1","port":80,"instanceId":"during","seq":1,"ttl":120}'
start=$(now_ms)
while ! flood_done; do
	(($(now_ms) - start < 120000)) || fail "flood not applied within 120 s ($(outcomes) of $FLOOD)"
	curl -s -o /dev/null -w '%{time_total}\n' "$REG/services/$O" >>"$TMP/latency"
	sleep 0.02
done
flood_ms=$(($(now_ms) - start))
rss_full=$(rss_kb "$REG_PID")
wait "$FLOOD_PID" || fail "the flood publisher failed: $(cat "$TMP/flood.log")"
# A little longer with the flooded service full, still being fetched.
for _ in $(seq 50); do
	curl -s -o /dev/null -w '%{time_total}\n' "$REG/services/$O" >>"$TMP/latency"
	sleep 0.02
done
touch "$TMP/stop"
wait "${FETCH_PIDS[@]}"

# Latency of /services/other during the flood, printed; only a stall of a
# second or more fails (the machine is shared, so nothing tighter).
sort -n "$TMP/latency" >"$TMP/latency.sorted"
samples=$(wc -l <"$TMP/latency.sorted")
p50=$(awk -v n="$samples" 'NR == int(n / 2) + 1 { printf "%.1f", $1 * 1000 }' "$TMP/latency.sorted")
p99=$(awk -v n="$samples" 'NR == int(n * 0.99) + 1 { printf "%.1f", $1 * 1000 }' "$TMP/latency.sorted")
max=$(tail -n 1 "$TMP/latency.sorted" | awk '{ printf "%.1f", $1 * 1000 }')
big=$(sort -n "$TMP/fetch1" "$TMP/fetch2" | tail -n 1)
fetches=$(cat "$TMP/fetch1" "$TMP/fetch2" | wc -l)
echo "flood of $FLOOD tokens applied in $flood_ms ms; $fetches fetches of /services/$F (largest $big B);" \
	"/services/$O latency over $samples requests: p50 $p50 ms, p99 $p99 ms, max $max ms;" \
	"registry RSS $rss_before kB before, $rss_full kB with $CAP flooded instances"
awk '$1 >= 1.0 { bad = 1 } END { exit bad }' "$TMP/latency.sorted" ||
	fail "/services/$O took $max ms during the flood"
((big > 30000000)) || fail "the flooded listing was never fetched whole ($big B)"

# The flooded service holds the cap, the rest was refused and counted.
[[ $(count "$F") == "$CAP" ]] || fail "$F lists $(count "$F"), not $CAP"
[[ $(refused) == $((FLOOD - CAP)) ]] || fail "refused max_per_service: $(refused)"
[[ $(metric 'registry_refused_total{reason="max_instances"}') == 0 ]] || fail "refused by max_instances"
[[ $(metric "registry_instances{service=\"$F\",state=\"UP\"}") == "$CAP" ]] ||
	fail "registry_instances of $F: $(metric "registry_instances{service=\"$F\",state=\"UP\"}")"
[[ $(count "$O") == 1 ]] || fail "the instance that joined during the flood is not listed"
publish "discovery.$O.up" '{"state":"UP","address":"10.9.0.2","port":80,"instanceId":"after","seq":1,"ttl":120}'
wait_for 2000 has_count "$O" 2 >/dev/null || fail "a new instance of $O was refused after the flood"
# The whole listing is valid JSON, sorted, with every instance.
curl -sf "$REG/services/$F" >"$TMP/flood.json"
jq -e --argjson n "$CAP" '(.instances | length) == $n and
	(.instances | map(.instanceId)) == (.instances | map(.instanceId) | sort) and
	(.instances[0].metadata | length) == 4' "$TMP/flood.json" >/dev/null ||
	fail "the flooded listing is not whole"
pass "flood: $F holds $CAP, $((FLOOD - CAP)) refused (max_per_service), $O still joins and answers in at most $max ms"

# A ttl of a day is kept as 5 minutes, listed so, and counted.
clamped=$(metric registry_ttl_clamped_total)
publish "discovery.$O.up" '{"state":"UP","address":"10.9.0.3","port":80,"instanceId":"day","seq":1,"ttl":86400}'
wait_for 2000 has_count "$O" 3 >/dev/null || fail "the day-long token was not applied"
day=$(curl -sf "$REG/services/$O" | jq '.instances[] | select(.instanceId == "day")')
[[ $(jq .ttl <<<"$day") == 300 ]] || fail "ttl not clamped: $day"
[[ $(jq '.expiresAt - .lastSeen' <<<"$day") == 300000 ]] || fail "expiry not clamped: $day"
[[ $(metric registry_ttl_clamped_total) == $((clamped + 1)) ]] || fail "clamp not counted"
pass "ttl 86400 is kept as 300 s and counted"

stop_registry
