#!/usr/bin/env bash
# accountservice end to end on one machine: the built binary on a free port
# with a real LMDB file and quotes stand-ins, a second instance on the same
# file, a slow quotes-service, two stand-ins behind a round-robin TCP
# balancer (haproxy, mode tcp), its tokens on the broker, and a clean exit.
# Everything started here is stopped by PID on exit, also on failure
# (tests/lib.sh).
# shellcheck source=tests/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
use_broker given

# start_account NAME QUOTES_URL [flags...]: sets PORT and PID.
start_account() {
	local name=$1 url=$2
	shift 2
	PORT=$(free_port)
	DISCOVERY_INTERVAL=1 "$BIN/accountservice" --port "$PORT" \
		--db-path "$TMP/accounts.db" --quotes-url "$url" "$@" \
		>"$TMP/$name.log" 2>&1 &
	PID=$!
	STARTED+=("$PID")
	wait_http "http://127.0.0.1:$PORT/health"
}

# --- stand-ins and the first instance ---------------------------------------
start_quotes q1
Q1=$PORT
start_quotes q2
Q2=$PORT
start_quotes slow --delay-ms 3000
QSLOW=$PORT

start_account a "http://127.0.0.1:$Q1/api/quote?strength=1"
A=$PORT
A_PID=$PID

# Tokens of every accountservice instance, one JSON body per line.
consume_tokens "$TMP/tokens.txt" 'discovery.accountservice.*' sh -c 'cat; echo'

body=$(curl -fsS "http://127.0.0.1:$A/accounts/10000")
[[ $(jq -r .id <<<"$body") == 10000 ]] || fail "id in $body"
[[ $(jq -r .name <<<"$body") == Person_0 ]] || fail "name in $body"
ip=$(jq -r .quote.ipAddress <<<"$body")
[[ "$ip" == */127.0.0.1:$Q1 ]] || fail "quote not from the stand-in: $body"
[[ $(jq -r .quote.language <<<"$body") == en ]] || fail "language in $body"
[[ $(jq -r .quote.quote <<<"$body") != "May the source be with you, always." ]] ||
	fail "fallback quote with a working stand-in: $body"
served=$(jq -r .servedBy <<<"$body")
[[ "$served" =~ ^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$ && "$served" != 127.* ]] ||
	fail "servedBy is not a non-loopback IPv4 address: $served"
pass "/accounts/10000 is Person_0 with the stand-in's quote, servedBy $served"

# --- errors are JSON ---------------------------------------------------------
check_status() { # METHOD PATH STATUS
	local out code
	out=$(curl -s -X "$1" -o "$TMP/body" -w '%{http_code} %{content_type}' \
		"http://127.0.0.1:$A$2")
	code=${out%% *}
	[[ "$code" == "$3" ]] || fail "$1 ${2:0:40} gave $code, want $3"
	if [[ "$3" != 200 ]]; then
		[[ "$out" == *application/json* ]] || fail "$1 ${2:0:40}: not JSON ($out)"
		jq -e .error "$TMP/body" >/dev/null || fail "$1 ${2:0:40}: no error field"
	fi
}
check_status GET /accounts/99999 404
check_status GET /accounts/12ab 400
check_status GET /no/such/path 404
check_status POST /accounts/10000 405
check_status GET "/accounts/10000?pad=$(printf 'x%.0s' $(seq 2100))" 414
check_status GET "/health?pad=$(printf 'x%.0s' $(seq 10000))" 414
pass "404, 400, 405 and 414 answers are JSON errors"
# Beyond the connection's memory libmicrohttpd answers 414 itself.
code=$(curl -s -o /dev/null -w '%{http_code}' \
	"http://127.0.0.1:$A/health?pad=$(printf 'x%.0s' $(seq 40000))")
[[ "$code" == 414 ]] || fail "a 40,000-byte URL gave $code"

# --- keep-alive: two requests, one connection, no Connection: close ----------
curl -sv -o /dev/null -o /dev/null "http://127.0.0.1:$A/health" \
	"http://127.0.0.1:$A/accounts/10001" 2>"$TMP/verbose"
grep -q "Re-using existing connection" "$TMP/verbose" ||
	fail "the second request did not reuse the connection"
! grep -qi "^< Connection: close" "$TMP/verbose" || fail "a response says Connection: close"
pass "keep-alive: the connection is reused and never closed by the server"

# --- a second instance on the same LMDB file --------------------------------
start_account b "http://127.0.0.1:$Q2/api/quote?strength=1"
B=$PORT
B_PID=$PID
[[ $(curl -fsS "http://127.0.0.1:$B/accounts/10042" | jq -r .name) == Person_42 ]] ||
	fail "second instance on the same file"
[[ $(curl -fsS "http://127.0.0.1:$A/accounts/10099" | jq -r .name) == Person_99 ]] ||
	fail "first instance after the second opened the file"
pass "a second instance reads the same LMDB file"

# --- health flips, and the tokens follow -------------------------------------
b_id="\"instanceId\":\"$served:$B\""
# wait_token STATE COUNT: up to 2 s for COUNT tokens of instance b in STATE.
wait_token() {
	local n
	for _ in $(seq 40); do
		n=$(grep -F "$b_id" "$TMP/tokens.txt" | grep -c "\"state\":\"$1\"" || true)
		((n >= $2)) && return 0
		sleep 0.05
	done
	return 1
}
wait_token UP 1 || fail "no UP token for $b_id"
curl -fsS "http://127.0.0.1:$B/testability/healthy/false" >/dev/null
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$B/health")
[[ "$code" == 503 ]] || fail "/health is $code after healthy/false"
wait_token DOWN 1 || fail "no DOWN token while unhealthy"
curl -fsS "http://127.0.0.1:$B/testability/healthy/true" >/dev/null
wait_http "http://127.0.0.1:$B/health"
pass "/health and the tokens follow /testability/healthy"

stop_clean "$B_PID" "instance b"
grep -q "stopped exit=0" "$TMP/b.log" || fail "no clean stop in the log"
wait_token DOWN 2 || fail "no DOWN token after SIGTERM"
grep -F "$b_id" "$TMP/tokens.txt" | grep '"state":"DOWN"' |
	grep -qF "\"healthUrl\":\"http://$served:$B/health\"" || fail "DOWN token without the health URL"
pass "a DOWN token after SIGTERM, then exit code 0"

# --- a slow quotes-service: accounts still served, with the fallback ---------
start_account slow "http://127.0.0.1:$QSLOW/api/quote?strength=1" --quotes-timeout-ms 500
S=$PORT
slow=()
for i in $(seq 0 9); do
	curl -s --max-time 30 -o "$TMP/slow$i" -w '%{http_code} %{time_total}\n' \
		"http://127.0.0.1:$S/accounts/1000$i" >"$TMP/slow$i.status" &
	slow+=($!)
done
for i in $(seq 0 9); do
	wait "${slow[$i]}" || fail "slow quotes: no answer for 1000$i within 30 s"
	read -r code secs <"$TMP/slow$i.status"
	[[ "$code" == 200 ]] || fail "slow quotes: account 1000$i got $code"
	[[ $(jq -r .quote.ipAddress "$TMP/slow$i") == circuit-breaker ]] ||
		fail "slow quotes: no fallback for 1000$i"
	[[ $(jq -r .name "$TMP/slow$i") == "Person_$i" ]] || fail "slow quotes: name of 1000$i"
	# Under the stand-in's 3 s delay: the timeout, not the quote, ended it.
	awk -v s="$secs" 'BEGIN { exit !(s < 2.5) }' ||
		fail "slow quotes: account 1000$i took $secs s"
done
pass "10 concurrent requests with a slow quotes-service all served with the fallback"

# --- round robin through a TCP balancer: a new connection per quote ----------
HP=$(free_port)
cat >"$TMP/haproxy.cfg" <<CFG
global
  maxconn 256
defaults
  mode tcp
  timeout connect 2s
  timeout client 10s
  timeout server 10s
frontend quotes
  bind 127.0.0.1:$HP
  default_backend quotes
backend quotes
  balance roundrobin
  server q1 127.0.0.1:$Q1
  server q2 127.0.0.1:$Q2
CFG
haproxy -f "$TMP/haproxy.cfg" -db >"$TMP/haproxy.log" 2>&1 &
STARTED+=($!)
wait_http "http://127.0.0.1:$HP/health"
start_account vip "http://127.0.0.1:$HP/api/quote?strength=1"
V=$PORT
ips=()
for i in 1 2 3 4 5 6; do
	ips+=("$(curl -fsS "http://127.0.0.1:$V/accounts/10000" | jq -r .quote.ipAddress)")
done
for i in 1 2 3 4 5; do
	[[ "${ips[$i]}" != "${ips[$((i - 1))]}" ]] ||
		fail "consecutive quotes from the same stand-in (connection reused?): ${ips[*]}"
done
[[ "${ips[0]}" == "${ips[2]}" && "${ips[1]}" == "${ips[3]}" ]] ||
	fail "quotes do not alternate between two stand-ins: ${ips[*]}"
[[ "${ips[*]}" == *":$Q1"* && "${ips[*]}" == *":$Q2"* ]] || fail "not both stand-ins: ${ips[*]}"
pass "quotes through the balancer alternate: ${ips[*]}"

# --- metrics and a clean exit of the first instance --------------------------
metrics=$(curl -fsS "http://127.0.0.1:$A/metrics")
grep -q '^accountservice_http_requests_total{route="accounts",status="200"} ' <<<"$metrics" ||
	fail "no accounts request count in /metrics"
grep -q '^accountservice_quote_calls_total{outcome="ok"} [1-9]' <<<"$metrics" ||
	fail "no ok quote count in /metrics"
grep -q '^accountservice_http_request_duration_seconds_count [1-9]' <<<"$metrics" ||
	fail "no latency histogram in /metrics"
pass "/metrics counts requests, quote outcomes and latency"

stop_clean "$A_PID" "instance a"
pass "SIGTERM: exit code 0"
