#!/usr/bin/env bash
# `make run-discovery` as a person tries it: scripts/run.sh with
# QUOTES_MODE=discovery comes up with a publisher sidecar beside each quotes
# stand-in and says so in its banner; the registry lists the two stand-ins
# as quotes-service; one accountservice's consecutive quotes alternate
# between them with no balancer in front; after the banner's kill -9 line
# (a stand-in and its sidecar) every quote comes from the other; when its
# owner ends (RUN_OWNER: make, under `make run`, played by a sleep) the run
# stops everything. Its own RUN_DIR, free ports and loopback addresses
# (NETNS=0), beside any other run.
# shellcheck source=tests/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
chmod 755 "$TMP" # the run's broker runs as the rabbitmq user

run_ports
sleep 600 &
OWNER=$!
STARTED+=("$OWNER")
set -m
env RUN_OWNER="$OWNER" RUN_DIR="$TMP/run" ACCOUNTS_PORT="$ACCOUNTS_PORT" REGISTRY_PORT="$REGISTRY_PORT" \
	AGGREGATOR_PORT="$AGGREGATOR_PORT" \
	QUOTES_VIP_PORT="$QUOTES_VIP_PORT" BUILD="$BUILD" NETNS=0 QUOTES_MODE=discovery \
	"$ROOT/scripts/run.sh" >"$TMP/run.log" 2>&1 &
RUN_PID=$!
set +m
STARTED+=("$RUN_PID")

up_or_gone() { grep -q 'The system is up' "$TMP/run.log" || ! kill -0 "$RUN_PID"; }
took=$(wait_for 120000 up_or_gone) || fail "no banner within 120 s"
grep -q 'The system is up' "$TMP/run.log" || fail "run.sh exited before its banner: $(cat "$TMP/run.log")"
grep -q 'QUOTES_DISCOVERY=quotes-service' "$TMP/run.log" || fail "the banner does not say the mode"
pass "up in discovery mode ${took} ms after start"

two_quotes() { [[ $(curl -sf "$REG/services/quotes-service?state=UP" | jq '.instances | length') == 2 ]]; }
wait_for 15000 two_quotes >/dev/null || fail "the registry does not list 2 quotes-service instances"
# The first accountservice, not the balancer in front of the three: one
# rotation, seen call after call.
A=http://127.0.0.2:$((ACCOUNTS_PORT + 1))
knows_two() { curl -sf "$A/metrics" | grep -qx 'accountservice_quote_discovery_instances 2'; }
wait_for 15000 knows_two >/dev/null || fail "acct1 does not follow both stand-ins"
quote_port() { curl -sf "$A/accounts/10000" | jq -r .quote.ipAddress | sed 's/.*://'; }
prev=$(quote_port)
for _ in 1 2 3 4; do
	p=$(quote_port)
	[[ "$p" != "$prev" && "$p" != circuit-breaker ]] || fail "quotes did not alternate: $prev then $p"
	prev=$p
done
pass "the registry lists both stand-ins; acct1's quotes alternate between them"

kill_line=$(grep -o 'kill -9 [0-9]* [0-9]*' "$TMP/run.log") || fail "no kill -9 line in the banner"
q1=$(grep -o "127.0.0.1:$((QUOTES_VIP_PORT + 1))" <<<"$(grep 'sidecars announce' "$TMP/run.log")") ||
	fail "the banner does not name quotes1's address"
# shellcheck disable=SC2086
kill -KILL ${kill_line#kill -9 }
gone() { ! knows_two; }
wait_for 15000 gone >/dev/null || fail "acct1 still follows the killed stand-in"
for _ in 1 2 3 4; do
	p=$(quote_port)
	[[ "$p" == "$((QUOTES_VIP_PORT + 2))" ]] || fail "after ${q1}'s kill a quote came from $p"
done
pass "after the banner's kill -9 every quote comes from quotes2"

kill -TERM "$OWNER"
start=$(now_ms)
stopped() { ! kill -0 "$RUN_PID"; }
wait_for 60000 stopped >/dev/null || fail "run.sh still running 60 s after its owner ended"
rc=0
wait "$RUN_PID" || rc=$?
[[ $rc == 143 ]] || fail "run.sh exited with $rc after its owner ended, want 143"
grep -q "what started this run (pid $OWNER) is gone" "$TMP/run.log" || fail "run.sh did not say why it stopped"
none_listening() { ! ss -Hltn "sport = :$REGISTRY_PORT" | grep -q .; }
wait_for 10000 none_listening >/dev/null || fail "the registry still listens after the run stopped"
pass "its owner gone, the run stopped everything $(($(now_ms) - start)) ms later"
