#!/usr/bin/env bash
# The HTTP servers against clients that try to exhaust them (the registry
# against a real broker, the accountservice with a quotes stand-in): held
# queries and streams whose clients close are freed at once, half-sent
# requests from one address are capped and closed by their deadline while
# another client is served, the per-client cap refuses the connection past
# it, a big body on a GET gets 413 unread, held queries and streams past
# their caps get 503. Clients: tests/integration/http_abuse.py.
source "$(dirname "$0")/registry_helpers.bash"
ABUSE=(python3 "$ROOT/tests/integration/http_abuse.py")
port_of() { echo "${1##*:}"; }
closewait() { ss -Htan state close-wait "sport = :$1" | wc -l; }
refused() { metric "$1{reason=\"$2\"}"; }
has_metric() { [[ $(metric "$1") == "$2" ]]; }

# ---- registry ----
start_registry --max-connections 1000 --max-connections-per-client 600 \
	--request-timeout 2s --max-waiting 600 --max-streams 100
RP=$(port_of "$REG")
# The index of a service nobody changes: queries at it are held.
lidx() { curl -sf "$REG/services/limits$$" | jq .index; }

"${ABUSE[@]}" held-close "$RP" 500 "/services/limits$$?index=$(lidx)&wait=10m" registry_blocking_queries_waiting \
	registry_http_connections_held || fail "held blocking queries not freed"
"${ABUSE[@]}" held-close "$RP" 100 /events registry_event_streams_open registry_http_connections_held ||
	fail "held event streams not freed"
# Held connections give their per-client counts back: 500 more fit under
# the cap of 600 only if the first 600 left none behind.
"${ABUSE[@]}" held-close "$RP" 500 "/services/limits$$?index=$(lidx)&wait=10m" registry_blocking_queries_waiting \
	registry_http_connections_held || fail "held blocking queries not freed the second time"
wait_for 3000 bash -c "(( \$(ss -Htan state close-wait 'sport = :$RP' | wc -l) == 0 ))" >/dev/null ||
	fail "$(closewait "$RP") connections left in CLOSE_WAIT"
gone=$(metric registry_http_clients_gone_total)
((gone >= 1000)) || fail "clients gone counted $gone, not 1000"
pass "500 blocking queries and 100 streams held outside libmicrohttpd, freed within seconds of their clients closing, their per-client counts too, no CLOSE_WAIT"

# 3,000 half-sent requests from 127.0.0.2 fill no more than its cap, and
# the global limit (1,000) stays open for 127.0.0.1.
"${ABUSE[@]}" half-sent "$RP" 3000 127.0.0.2 600 2 || fail "half-sent requests"
(($(refused registry_http_refused_total per_client) >= 2400)) || fail "per-client refusals not counted"
(($(refused registry_http_refused_total request_timeout) >= 600)) || fail "request timeouts not counted"
pass "3,000 half-sent requests from one address: capped, closed by their deadline, another client served"

"${ABUSE[@]}" big-body "$RP" /services || fail "big body"
(($(refused registry_http_refused_total body_too_large) == 1)) || fail "413 not counted"
code=$(curl -s -o "$TMP/body" -w '%{http_code}' -X GET --data 'ignored=1' "$REG/services")
[[ $code == 200 ]] || fail "a small body on a GET: $code"
pass "a 50 MB body on a GET gets 413 unread; a small one is ignored"

stop_registry
start_registry --max-connections 40 --max-connections-per-client 20 --max-waiting 3 --max-streams 2
RP=$(port_of "$REG")
"${ABUSE[@]}" per-client "$RP" 20 || fail "per-client cap"
"${ABUSE[@]}" total "$RP" 40 || fail "connections in all"
(($(refused registry_http_refused_total max_connections) >= 1)) || fail "max_connections not counted"
held=()
for _ in 1 2 3; do
	curl -s -o /dev/null "$REG/services/limits$$?index=$(lidx)&wait=20s" & held+=($!)
done
wait_for 3000 has_metric registry_blocking_queries_waiting 3 >/dev/null ||
	fail "3 blocking queries not held"
code=$(curl -s -o "$TMP/body" -w '%{http_code}' "$REG/services/limits$$?index=$(lidx)&wait=20s")
[[ $code == 503 ]] && jq -e .error "$TMP/body" >/dev/null || fail "4th blocking query: $code"
for _ in 1 2; do
	curl -sN -o /dev/null "$REG/events" & held+=($!)
done
wait_for 3000 has_metric registry_event_streams_open 2 >/dev/null || fail "2 streams not open"
code=$(curl -s -o "$TMP/body" -w '%{http_code}' "$REG/events")
[[ $code == 503 ]] && jq -e .error "$TMP/body" >/dev/null || fail "3rd stream: $code"
[[ $(refused registry_http_refused_total waiting) == 1 && $(refused registry_http_refused_total streams) == 1 ]] ||
	fail "503s not counted"
for p in "${held[@]}"; do kill "$p"; done
for p in "${held[@]}"; do wait "$p" || true; done
pass "per-client cap refuses the 21st connection, the cap in all the 41st; the 4th held query and the 3rd stream get 503"
stop_registry

# ---- accountservice ----
start_quotes q
QP=$PORT
APORT=$(free_port)
DISCOVERY_INTERVAL=1 "$BIN/accountservice" --port "$APORT" --db-path "$TMP/accounts.db" \
	--quotes-url "http://127.0.0.1:$QP/api/quote?strength=1" --amqp-url "$AMQP_SERVER_URL" \
	--max-connections-per-client 50 --request-timeout 2s >"$TMP/accountservice.log" 2>&1 &
STARTED+=($!)
ACCT_PID=$!
wait_http "http://127.0.0.1:$APORT/health"
acct_refused() { curl -sf "http://127.0.0.1:$APORT/metrics" | awk -v m="accountservice_http_refused_total{reason=\"$1\"}" '$1 == m { print $2 }'; }
# Two event loops may each let one connection through at the same instant.
loops=$(nproc)
"${ABUSE[@]}" half-sent "$APORT" 3000 127.0.0.2 $((50 + loops - 1)) 2 || fail "accountservice: half-sent requests"
(($(acct_refused per_client) >= 2900)) || fail "accountservice: per-client refusals not counted"
(($(acct_refused request_timeout) >= 50)) || fail "accountservice: request timeouts not counted"
"${ABUSE[@]}" big-body "$APORT" /accounts/10000 || fail "accountservice: big body"
(($(acct_refused body_too_large) == 1)) || fail "accountservice: 413 not counted"
"${ABUSE[@]}" per-client "$APORT" 50 || fail "accountservice: per-client cap"
stop_clean "$ACCT_PID" accountservice
DISCOVERY_INTERVAL=1 "$BIN/accountservice" --port "$APORT" --db-path "$TMP/accounts.db" \
	--quotes-url "http://127.0.0.1:$QP/api/quote?strength=1" --amqp-url "$AMQP_SERVER_URL" \
	--max-connections 30 >>"$TMP/accountservice.log" 2>&1 &
STARTED+=($!)
ACCT_PID=$!
wait_http "http://127.0.0.1:$APORT/health"
"${ABUSE[@]}" total "$APORT" 30 || fail "accountservice: connections in all, over every loop"
(($(acct_refused max_connections) >= 1)) || fail "accountservice: max_connections not counted"
body=$(curl -fsS "http://127.0.0.1:$APORT/accounts/10000") || fail "accountservice: not serving"
[[ $(jq -r .id <<<"$body") == 10000 ]] || fail "accountservice: $body"
pass "accountservice: half-sent requests capped and closed, 413 for a big body, per-client cap, the cap in all over every loop"
stop_clean "$ACCT_PID" accountservice
