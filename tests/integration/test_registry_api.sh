#!/usr/bin/env bash
# The registry against a real broker and real HTTP: join, renew, leave and
# expiry timings, blocking queries, server-sent events, HTTP errors,
# keep-alive, the legacy queue and crash detection by connection events.
source "$(dirname "$0")/registry_helpers.bash"

S=api$$       # services of this run, so nothing else interferes
A=${S}a
B=${S}b
# More HTTP threads than the CI machine's CPUs: every route below is
# served by a pool whose workers share the connections.
start_registry --http-threads 3
[[ $(metric registry_http_threads) == 3 ]] || fail "registry_http_threads: $(metric registry_http_threads), not 3"

# ---- HTTP surface ----
code=$(curl -s -o "$TMP/body" -w '%{http_code}' "$REG/nope")
[[ $code == 404 ]] && jq -e '.error' "$TMP/body" >/dev/null || fail "unknown route: $code"
code=$(curl -s -o "$TMP/body" -w '%{http_code}' -X POST "$REG/services")
[[ $code == 405 ]] && jq -e '.error' "$TMP/body" >/dev/null || fail "POST: $code"
code=$(curl -s -o "$TMP/body" -w '%{http_code}' "$REG/services/$A?index=1&wait=abc")
[[ $code == 400 ]] && jq -e '.error' "$TMP/body" >/dev/null || fail "wait=abc: $code"
code=$(curl -s -o "$TMP/body" -w '%{http_code}' "$REG/services/$A?state=SLEEPING")
[[ $code == 400 ]] && jq -e '.error' "$TMP/body" >/dev/null || fail "bad state: $code"
code=$(curl -s -o "$TMP/body" -w '%{http_code}' "$REG/services/Bad_Name")
[[ $code == 400 ]] || fail "bad name: $code"
long=$(head -c 3000 /dev/zero | tr '\0' x)
code=$(curl -s -o "$TMP/body" -w '%{http_code}' "$REG/services?x=$long")
[[ $code == 414 ]] && jq -e '.error' "$TMP/body" >/dev/null || fail "long URL: $code"
grep -q '<title>registry</title>' <<<"$(curl -s "$REG/")" || fail "no dashboard"
grep -q '^registry_tokens_received_total ' <<<"$(curl -s "$REG/metrics")" || fail "no metrics"
curl -sD "$TMP/headers" -o /dev/null "$REG/services/$A"
unknown_index=$(awk -F': ' 'tolower($1) == "x-registry-index" { print $2 }' "$TMP/headers" | tr -d '\r')
((unknown_index >= 1)) || fail "X-Registry-Index on an unknown service: '$unknown_index', want >= 1"
grep -qi '^Access-Control-Allow-Origin: \*' "$TMP/headers" || fail "no CORS header"
# Keep-alive: two requests on one connection, never "Connection: close".
curl -sv "$REG/services" "$REG/health" -o /dev/null -o /dev/null 2>"$TMP/verbose"
grep -qi '< connection: close' "$TMP/verbose" && fail "Connection: close sent"
grep -qi 're-using existing connection' "$TMP/verbose" || fail "connection not reused"
pass "HTTP errors are JSON 4xx, index header, keep-alive"

# ---- join, renew, update, leave ----
tok() { echo "{\"state\":\"$1\",\"address\":\"10.0.0.$2\",\"port\":6767,\"seq\":$3,\"ttl\":${4:-6},\"hostname\":\"h$2\"}"; }
publish "discovery.$A.up" "$(tok UP 1 1)"
wait_for 1000 has_count "$A" 1 >/dev/null || fail "join not listed"
first=$(curl -sf "$REG/services/$A" | jq '.instances[0]')
[[ $(jq -r .instanceId <<<"$first") == 10.0.0.1:6767 && $(jq -r .state <<<"$first") == UP &&
   $(jq -r .hostname <<<"$first") == h1 ]] || fail "instance fields: $first"
idx=$(service_index "$A")
# lastSeen has millisecond resolution: let the clock pass the first one.
wait_for 1000 bash -c "(($(jq .lastSeen <<<"$first") < \$(date +%s%3N)))" >/dev/null
publish "discovery.$A.up" "$(tok UP 1 2)"
wait_for 1000 bash -c "curl -sf '$REG/services/$A' | jq -e '.instances[0].seq == 2'" >/dev/null ||
	fail "renewal not applied"
renewed=$(curl -sf "$REG/services/$A" | jq '.instances[0]')
(($(jq .lastSeen <<<"$renewed") > $(jq .lastSeen <<<"$first"))) || fail "lastSeen did not move"
(($(jq .expiresAt <<<"$renewed") > $(jq .expiresAt <<<"$first"))) || fail "expiresAt did not move"
[[ $(service_index "$A") == "$idx" ]] || fail "a renewal moved the index"
stale=$(metric 'registry_tokens_outcome_total{outcome="stale_seq"}')
publish "discovery.$A.up" "$(tok UP 1 1)"  # stale seq
wait_for 3000 metric_at_least 'registry_tokens_outcome_total{outcome="stale_seq"}' $((stale + 1)) \
	>/dev/null || fail "the stale token was not counted as stale_seq"
[[ $(curl -sf "$REG/services/$A" | jq '.instances[0].seq') == 2 ]] || fail "stale seq applied"
publish "discovery.$A.out_of_service" "$(tok OUT_OF_SERVICE 1 3)"
wait_for 1000 bash -c "[[ \$(curl -sf '$REG/services/$A?state=UP' | jq '.instances|length') == 0 ]]" >/dev/null ||
	fail "state filter"
[[ $(count "$A" OUT_OF_SERVICE) == 1 ]] || fail "OUT_OF_SERVICE not listed"
pass "join, renew (lastSeen/expiresAt move, index does not), stale seq, update, ?state="

# DOWN removes at once: a blocking query sees it. The figure is printed;
# the bound only catches a query that waited out its 10 s.
idx=$(service_index "$A")
curl -sf "$REG/services/$A?index=$idx&wait=10s" >"$TMP/down.json" && now_ms >"$TMP/down.t" &
watcher=$!
wait_for 5000 queries_waiting 1 >/dev/null || fail "the blocking query is not held"
publish "discovery.$A.down" "$(tok DOWN 1 4)"
sent=$(now_ms)
wait $watcher
took=$(($(cat "$TMP/down.t") - sent))
[[ $(jq '.instances|length' "$TMP/down.json") == 0 ]] || fail "DOWN did not remove"
((took < 5000)) || fail "DOWN took ${took} ms"
pass "DOWN removes at once (${took} ms after publish)"

# Expiry: a 1 s ttl and no renewal is gone after the ttl, never before (the
# 100 ms are the clocks' granularity); how long after is printed.
publish "discovery.$A.up" "$(tok UP 2 1 1)"
joined=$(now_ms)
wait_for 3000 has_count "$A" 1 >/dev/null || fail "join for expiry"
wait_for 5000 has_count "$A" 0 >/dev/null || fail "never expired"
took=$(($(now_ms) - joined))
((took >= 900)) || fail "expired after ${took} ms (ttl 1 s)"
wait_for 10000 bash -c "[[ \$(curl -sf '$REG/metrics' | awk '\$1==\"registry_expired_announced_total\"{print \$2}') -ge 1 ]]" >/dev/null ||
	fail "no DOWN token announced for the expiry"
pass "expiry after ${took} ms with ttl 1 s, announced as DOWN"

# ---- blocking queries: A wakes at once for A, never for B ----
# A query on A held over a change to B runs its whole wait (it never ends
# early) and comes back with A's index unchanged.
publish "discovery.$B.up" "$(tok UP 3 1)"
wait_for 1000 has_count "$B" 1 >/dev/null || fail "B join"
idx=$(service_index "$A")
woken_query='registry_http_waiters_woken_total{kind="query"}'
woken=$(metric "$woken_query")
[[ -n $woken ]] || fail "no $woken_query in /metrics"
start=$(now_ms)
curl -sf "$REG/services/$A?index=$idx&wait=3s" >"$TMP/a.json" && now_ms >"$TMP/a.t" &
watcher=$!
wait_for 2000 queries_waiting 1 >/dev/null || fail "the blocking query on A is not held"
publish "discovery.$B.up" "$(tok STARTING 3 2)"   # a change to B
wait_for 1000 bash -c "[[ \$(curl -sf '$REG/services/$B' | jq -r '.instances[0].state') == STARTING ]]" >/dev/null ||
	fail "B change"
wait $watcher
took=$(($(cat "$TMP/a.t") - start))
((took >= 2900)) || fail "a query on A returned ${took} ms into its 3 s wait, after a change to B"
[[ $(jq .index "$TMP/a.json") == "$idx" ]] || fail "index moved without a change"
# Its wait ended by its deadline: B's change resumed no query at all.
[[ $(metric "$woken_query") == "$woken" ]] ||
	fail "B's change woke $(($(metric "$woken_query") - woken)) queries (only A's were held)"
curl -sf "$REG/services/$A?index=$idx&wait=5s" >"$TMP/a.json" && now_ms >"$TMP/a.t" &
watcher=$!
wait_for 5000 queries_waiting 1 >/dev/null || fail "the second blocking query on A is not held"
publish "discovery.$A.up" "$(tok UP 4 1)"
sent=$(now_ms)
wait $watcher
took=$(($(cat "$TMP/a.t") - sent))
((took < 4000)) || fail "blocking query woke ${took} ms after the change (its wait is 5 s)"
(($(jq .index "$TMP/a.json") > idx)) || fail "index did not pass $idx"
[[ $(metric "$woken_query") == $((woken + 1)) ]] || fail "A's change: $woken_query not $((woken + 1))"
[[ $(jq '.instances|length' "$TMP/a.json") == 1 ]] || fail "woken answer lacks the change"
# /services blocks on the table index.
tidx=$(curl -sf "$REG/services" | jq .index)
curl -sf "$REG/services?index=$tidx&wait=5s" >"$TMP/t.json" &
watcher=$!
wait_for 5000 queries_waiting 1 >/dev/null || fail "the blocking query on /services is not held"
publish "discovery.$B.down" "$(tok DOWN 3 3)"
wait $watcher
(($(jq .index "$TMP/t.json") > tidx)) || fail "/services did not wake"
pass "blocking query on A: ignores B (not even resumed), wakes ${took} ms after a change to A"

# ---- server-sent events in order ----
C=${S}c
curl -sN "$REG/events" >"$TMP/sse" &
sse=$!
STARTED+=("$sse")
wait_for 5000 metric_at_least registry_event_streams_waiting 1 >/dev/null || fail "the event stream is not held"
publish "discovery.$C.up" "$(tok UP 5 1)"
wait_for 1000 has_count "$C" 1 >/dev/null || fail "C join"
publish "discovery.$C.down" "$(tok DOWN 5 2)"
wait_for 1000 has_count "$C" 0 >/dev/null || fail "C leave"
publish "discovery.$C.up" "$(tok UP 6 1 1)"
wait_for 3000 bash -c "grep -q '^event: expire' '$TMP/sse'" >/dev/null || fail "no expire event"
kill $sse
events=$(grep -B1 "\"service\":\"$C\"" "$TMP/sse" | awk '/^event:/ { printf "%s ", $2 }')
[[ $events == "join leave join expire " ]] || fail "SSE events: '$events'"
if grep -A2 -E '^event: (leave|expire)$' "$TMP/sse" | grep '^data:' | grep -q -v '"state":"DOWN"'; then
	fail "a leave or expire event does not say state DOWN"
fi
grep -q '"reason":"expired"' "$TMP/sse" || fail "expire event without reason"
# A new client gets the whole table first, then the changes after it.
[[ $(awk '/^event:/ { print $2; exit }' "$TMP/sse") == snapshot ]] ||
	fail "a new stream does not start with event: snapshot"
first_id=$(awk '/^id:/ { id = $2 } /^event: join$/ { print id; exit }' "$TMP/sse")
# The replay comes at once; the stream then stays open, so it is read until
# the last event replayed (the expiry) is in, or 5 s pass, and closed.
curl -sN --max-time 10 -H "Last-Event-ID: $first_id" "$REG/events" >"$TMP/sse2" &
resume=$!
STARTED+=("$resume")
wait_for 5000 grep -q '^event: expire' "$TMP/sse2" >/dev/null || true
kill "$resume" 2>/dev/null || true
resumed=$(awk '/^event:/ { printf "%s ", $2 }' "$TMP/sse2")
[[ $resumed == "leave join expire " ]] || fail "Last-Event-ID resume: '$resumed'"
pass "SSE: join leave join expire in order, Last-Event-ID resumes"

# ---- crash detection: SIGKILL leaves at once by connection.closed ----
D=${S}d
start_publisher "$D" 10.0.1.1 --discovery-interval 10s
wait_for 2000 has_count "$D" 1 >/dev/null || fail "sidecar not listed"
{ kill -KILL "$PUB_PID" && wait "$PUB_PID"; } 2>/dev/null || true
took=$(wait_for 10000 has_count "$D" 0) || fail "killed instance still listed (ttl 30 s)"
pass "SIGKILLed instance gone after ${took} ms (connection-lost)"

# ---- SIGTERM during a connect attempt ----
# A second registry's "broker" is a silent local listener: the kernel
# accepts the connection and nothing answers the AMQP handshake, so the stop
# has to wait for the connect timeout (2 s), not the session's default
# (5 s): the bound tells those apart with room for a slow machine; the
# figure is printed. (Not an HTTP port: the front door answers the AMQP
# header with a 400 at once.)
start_silent
"$BIN/registry" --port "$(free_port)" --amqp-url "amqp://guest:guest@127.0.0.1:$SILENT/" \
	>>"$TMP/registry.log" 2>&1 &
silent_pid=$!
STARTED+=("$silent_pid")
connecting() { ss -Htnp state established "dport = :$SILENT" | grep -q "pid=$silent_pid,"; }
wait_for 5000 connecting >/dev/null || fail "the second registry never connected to the silent broker"
start=$(now_ms)
kill -TERM "$silent_pid"
wait "$silent_pid" || fail "exit code $? after SIGTERM while connecting"
took=$(($(now_ms) - start))
((took < 4500)) || fail "SIGTERM while connecting took $took ms"
pass "SIGTERM while connecting to a silent broker: exit 0 after $took ms"
stop_registry

# ---- legacy queue: {"state","address"} on a plain queue ----
start_registry --legacy-queue "legacy$$" --legacy-service "$S"
amqp-publish -u "$AMQP_URL" -r "legacy$$" -b '{"state":"UP","address":"10.0.2.1"}'
wait_for 1000 has_count "$S" 1 >/dev/null || fail "legacy token not listed"
ttl=$(curl -sf "$REG/services/$S" | jq '.instances[0].ttl')
[[ $ttl == 90 ]] || fail "legacy ttl $ttl"
stop_registry
pass "legacy queue token listed with ttl 90 s; SIGTERM exits 0"
