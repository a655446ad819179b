#!/usr/bin/env bash
# A registry that falls behind its feed (starved of CPU, stopped, a broker
# backlog) receives renewals late. Expiry waits for the feed: an instance
# expires only when it is later than the feed is, so a stall longer than
# the ttl expires nothing that kept renewing, and a silent instance still
# goes once the feed is current again.
source "$(dirname "$0")/registry_helpers.bash"

S=lag$$
start_registry
start_publishers 3 "$S" 10.0.2 # ttl 3 s
wait_for 3000 has_count "$S" 3 >/dev/null || fail "the publishers did not join"
expiries() { metric registry_expiries_total; }
before=$(expiries)

# Stalled for longer than the ttl, while renewals queue up for it.
kill -STOP "$REG_PID"
deadline=$(($(now_ms) + 5000))
while (($(now_ms) < deadline)); do sleep 0.1; done # the stall itself is the test
kill -CONT "$REG_PID"
caught_up() { (($(metric registry_feed_lag_ms) < 1000)); }
wait_for 5000 caught_up >/dev/null || fail "the feed did not catch up: lag $(metric registry_feed_lag_ms) ms"
[[ $(expiries) == "$before" ]] || fail "$(($(expiries) - before)) live instances expired after a 5 s stall"
[[ $(count "$S") == 3 ]] || fail "$(count "$S") of 3 listed after the stall"
pass "a 5 s stall (ttl 3 s): the feed caught up, nothing that kept renewing expired"

kill -STOP "${PUBS[0]}"
gone() { [[ $(count "$S") == 2 ]]; }
took=$(wait_for 10000 gone) || fail "a silent instance did not expire after the stall"
kill -CONT "${PUBS[0]}"
pass "a silent instance still expired, ${took} ms after it stopped"
