#!/usr/bin/env bash
# Both HTTP servers against the conformance battery
# (tests/integration/http_conformance.py): hostile and unusual requests,
# each with the status and body shape it must get, a normal request on the
# same and on a new connection after each, and, for the accountservice, a
# hostile quotes-service whose every malformed UTF-8 class must still give
# valid JSON (the fallback quote, counted).
source "$(dirname "$0")/registry_helpers.bash"
# Debian's Python: the battery needs nothing outside its standard library.
PY=/usr/bin/python3
BATTERY=("$PY" "$ROOT/tests/integration/http_conformance.py")

start_registry
"${BATTERY[@]}" registry "${REG##*:}" || fail "registry: conformance battery"
pass "registry: every case of the battery"
stop_registry

QP=$(free_port)
"${BATTERY[@]}" quotes "$QP" >"$TMP/quotes.log" 2>&1 &
STARTED+=($!)
wait_http "http://127.0.0.1:$QP/api/quote"
APORT=$(free_port)
"$BIN/accountservice" --port "$APORT" --db-path "$TMP/accounts.db" \
	--quotes-url "http://127.0.0.1:$QP/api/quote?strength=1" --amqp-url "$AMQP_SERVER_URL" \
	>"$TMP/accountservice.log" 2>&1 &
STARTED+=($!)
ACCT_PID=$!
wait_http "http://127.0.0.1:$APORT/health"
"${BATTERY[@]}" account "$APORT" "$QP" || fail "accountservice: conformance battery"
pass "accountservice: every case of the battery, hostile quotes included"
stop_clean "$ACCT_PID" accountservice
