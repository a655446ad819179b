#!/usr/bin/env bash
# accountservice announces itself only once its port accepts connections:
# an instance whose port another process holds exits without a single token
# (before, its publisher was already running and sent one), and the first
# token of an instance that starts is only sent once a connection to its
# port succeeds: the consumer connects at the moment each token reaches it.
# Everything started here is stopped by PID on exit (tests/lib.sh).
# shellcheck source=tests/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
use_broker given
SERVICE=acctstart

start_quotes q
Q=$PORT

# An instance of another service declares the exchange, so that the
# consumer can bind before the instances under test start; it stops once
# the consumer is bound.
WARM=$(free_port)
DISCOVERY_INTERVAL=0.2 "$BIN/accountservice" --port "$WARM" --service-name "$SERVICE-warm" \
	--db-path "$TMP/warm.db" --quotes-url "http://127.0.0.1:$Q/api/quote" \
	>"$TMP/warm.log" 2>&1 &
warm=$!
STARTED+=("$warm")

# Every token on the exchange, one line each: "<connect result> <body>",
# where the result is that of a TCP connect to the port the token names,
# made by the consumer as the token reaches it.
cat >"$TMP/on_token.sh" <<'SH'
body=$(cat)
port=$(jq -r .port <<<"$body" 2>/dev/null)
if timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port" 2>/dev/null; then r=accepts; else r=refuses; fi
echo "$r $body"
SH
consume_tokens "$TMP/tokens.txt" 'discovery.#' bash "$TMP/on_token.sh"
stop_clean "$warm" "the warm-up instance"

# --- a port another process holds: no token at all ----------------------------
held_rc=0
DISCOVERY_INTERVAL=0.2 "$BIN/accountservice" --port "$Q" --service-name "$SERVICE" \
	--db-path "$TMP/held.db" --quotes-url "http://127.0.0.1:$Q/api/quote" \
	>"$TMP/held.log" 2>&1 || held_rc=$?
((held_rc != 0)) || fail "an instance on a port another process holds exited 0"
grep -q "cannot listen on port $Q" "$TMP/held.log" || fail "no 'cannot listen' in the log"

# --- an instance that starts: its first token finds the port accepting -------
# strace holds the program's bind() of its HTTP port (its only bind) for a
# second: a publisher started before it would announce a port that
# refuses connections meanwhile. (LeakSanitizer cannot run under ptrace:
# in the sanitizer build, this instance's leaks go unchecked.)
A=$(free_port)
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" DISCOVERY_INTERVAL=0.2 strace -f --seccomp-bpf -o /dev/null -e trace=bind \
	-e inject=bind:delay_enter=1000000 "$BIN/accountservice" --port "$A" \
	--service-name "$SERVICE" --db-path "$TMP/a.db" --quotes-url "http://127.0.0.1:$Q/api/quote" \
	>"$TMP/a.log" 2>&1 &
tracer=$!
STARTED+=("$tracer")
wait_for 5000 pgrep -P "$tracer" >/dev/null || fail "accountservice did not start under strace"
a_pid=$(pgrep -P "$tracer")
# Stopped before its tracer, also on failure.
STARTED=("$a_pid" "${STARTED[@]}")
first_token() { grep -q "\"port\":${A}[,}]" "$TMP/tokens.txt"; }
wait_for 10000 first_token >/dev/null || fail "no token of the instance on port $A"
first=$(grep -m1 "\"port\":${A}[,}]" "$TMP/tokens.txt")
[[ "$first" == accepts* ]] || fail "the first token came before port $A accepted: $first"
pass "the first token of the instance on port $A, its bind held for 1 s, found the port accepting"
kill -TERM "$a_pid"
rc=0
wait "$tracer" || rc=$?
((rc == 0)) || fail "the instance on port $A exited $rc after SIGTERM"

# The held port's instance had exited before this one started, so a token
# of it would have been in the queue before the one just seen.
! grep -q "\"port\":${Q}[,}]" "$TMP/tokens.txt" ||
	fail "an instance that could not listen announced itself: $(grep "\"port\":${Q}[,}]" "$TMP/tokens.txt")"
pass "an instance whose port another process holds exits $held_rc without a token"
