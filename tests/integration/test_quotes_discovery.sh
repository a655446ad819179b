#!/usr/bin/env bash
# Client-side load balancing (QUOTES_DISCOVERY): two quotes stand-ins, each
# announced by a publisher sidecar as quotes-service, no balancer between
# them, and an accountservice whose QUOTES_URL names a host that does not
# resolve. Its quote calls alternate between the two; a stand-in that died
# while its sidecar still announces it costs a retry on the other, not a
# fallback; once the pair is SIGKILLed and the broker's connection.closed
# has made it leave, no call goes to it; with none left, the fallback quote.
# shellcheck source=tests/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
use_broker given

# start_sidecar PORT: announces 127.0.0.1:PORT as quotes-service; sets PID.
start_sidecar() {
	"$BIN/publisher" --service-name quotes-service --advertise-addr 127.0.0.1 \
		--port "$1" --discovery-interval 1 >"$TMP/sidecar-$1.log" 2>&1 &
	PID=$!
	STARTED+=("$PID")
}

# metric NAME_AND_LABELS: its value on the accountservice's /metrics.
metric() {
	curl -fsS "http://127.0.0.1:$A/metrics" | awk -v m="$1" '$1 == m { print $2 }'
}
instances_are() { [[ $(metric accountservice_quote_discovery_instances) == "$1" ]]; }
left_lost() { grep -q "quotes instance left .*instance=127.0.0.1:$1 reason=connection-lost" "$TMP/a.log"; }

# quote_port: the stand-in port that answered one account's quote, or the
# fallback's ipAddress.
quote_port() {
	local ip
	ip=$(curl -fsS "http://127.0.0.1:$A/accounts/10000" | jq -r .quote.ipAddress)
	echo "${ip##*:}"
}

start_quotes q1
Q1=$PORT
start_quotes q2
Q2=$PORT
start_sidecar "$Q1"
P1=$PID
start_sidecar "$Q2"
P2=$PID

A=$(free_port)
QUOTES_DISCOVERY=quotes-service "$BIN/accountservice" --port "$A" --advertise-addr 127.0.0.1 \
	--db-path "$TMP/accounts.db" --quotes-timeout-ms 2000 \
	--quotes-url "http://quotes-service.invalid:8080/api/quote?strength=1" \
	>"$TMP/a.log" 2>&1 &
A_PID=$!
STARTED+=("$A_PID")
wait_http "http://127.0.0.1:$A/health"
ms=$(wait_for 15000 instances_are 2) || fail "the accountservice never knew both stand-ins"
pass "both stand-ins known after $ms ms"

# --- round-robin ------------------------------------------------------------
prev=""
declare -A seen=()
for _ in $(seq 8); do
	p=$(quote_port)
	[[ "$p" == "$Q1" || "$p" == "$Q2" ]] || fail "quote not from a stand-in: $p"
	[[ "$p" != "$prev" ]] || fail "two consecutive quotes from port $p"
	seen[$p]=1
	prev=$p
done
((${#seen[@]} == 2)) || fail "quotes did not come from both stand-ins"
[[ $(metric 'accountservice_quote_discovery_calls_total{choice="next"}') -ge 8 ]] ||
	fail "calls to the next instance not counted"
pass "8 consecutive quotes alternate between :$Q1 and :$Q2"

# --- a dead stand-in still announced: refused, retried on the other ---------
kill -KILL "${STARTED[0]}"
wait "${STARTED[0]}" 2>/dev/null || true
for _ in $(seq 4); do
	p=$(quote_port)
	[[ "$p" == "$Q2" ]] || fail "with :$Q1 dead a quote came from $p"
done
retries=$(metric 'accountservice_quote_discovery_calls_total{choice="retry"}')
[[ "$retries" -ge 1 ]] || fail "no retry counted for the refused stand-in"
pass "refused calls to the dead :$Q1 were retried on :$Q2 ($retries retries, no fallback)"

# --- its sidecar SIGKILLed too: it leaves, and gets no call -----------------
kill -KILL "$P1"
wait "$P1" 2>/dev/null || true
ms=$(wait_for 15000 left_lost "$Q1") || fail "no connection-lost leave for :$Q1"
instances_are 1 || fail "instances gauge is not 1 after the leave"
for _ in $(seq 6); do
	p=$(quote_port)
	[[ "$p" == "$Q2" ]] || fail "after the leave a quote came from $p"
done
[[ $(metric 'accountservice_quote_discovery_calls_total{choice="retry"}') == "$retries" ]] ||
	fail "a call went to :$Q1 after its connection-lost leave"
pass "connection-lost leave ${ms} ms after the SIGKILL, then no call to :$Q1"

# --- none left: the fallback quote ------------------------------------------
kill -KILL "${STARTED[1]}" "$P2"
wait "${STARTED[1]}" "$P2" 2>/dev/null || true
wait_for 15000 left_lost "$Q2" >/dev/null || fail "no connection-lost leave for :$Q2"
body=$(curl -fsS "http://127.0.0.1:$A/accounts/10001")
[[ $(jq -r .quote.ipAddress <<<"$body") == circuit-breaker ]] ||
	fail "no fallback quote with no instance: $body"
[[ $(metric 'accountservice_quote_discovery_calls_total{choice="none"}') -ge 1 ]] ||
	fail "no-instance fallback not counted"
# No call failed along the way: the dead stand-in cost retries, and with
# no instance there was no call to fail.
[[ $(metric 'accountservice_quote_calls_total{outcome="error"}') == 0 ]] ||
	fail "failed quote calls counted: $(metric 'accountservice_quote_calls_total{outcome="error"}')"
[[ $(metric 'accountservice_quote_calls_total{outcome="fallback"}') -ge 1 ]] ||
	fail "the fallback quote not counted"
pass "no instance left: the fallback quote, counted as such and not as a failed call"

stop_clean "$A_PID" accountservice
pass "accountservice exits 0 on SIGTERM"
