#!/usr/bin/env bash
# Every deadline runs on the monotonic clock: with the registry's wall clock
# stepped an hour forward (NTP, a resumed VM) nothing expires early, and
# stepped back nothing expires late. Only the fields people read (lastSeen,
# expiresAt) follow the wall clock. The step is libfaketime's, preloaded
# into the registry alone, the monotonic clock left alone.
source "$(dirname "$0")/registry_helpers.bash"

FAKETIME_LIB=$(ls /usr/lib/*/faketime/libfaketimeMT.so.1 2>/dev/null | head -n 1)
[[ -n "$FAKETIME_LIB" ]] || fail "needs libfaketime (scripts/deps.sh installs it)"
S=clock$$
echo "+0" >"$TMP/faketime"
# ASan wants to be first among preloaded libraries; here it need not be.
LD_PRELOAD=$FAKETIME_LIB FAKETIME_TIMESTAMP_FILE=$TMP/faketime FAKETIME_NO_CACHE=1 \
	FAKETIME_DONT_FAKE_MONOTONIC=1 \
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 start_registry
start_publishers 3 "$S" 10.0.3 # ttl 3 s
wait_for 3000 has_count "$S" 3 >/dev/null || fail "the publishers did not join"
last_seen() { curl -sf "$REG/services/$S" | jq '[.instances[].lastSeen] | max'; }
announced() { metric registry_expired_announced_total; }

# An hour forward.
echo "+1h" >"$TMP/faketime"
stepped() { (($(last_seen) > $(now_ms) + 3000 * 1000)); }
wait_for 3000 stepped >/dev/null || fail "the registry's wall clock did not step: lastSeen $(last_seen)"
deadline=$(($(now_ms) + 9000)) # three ttls
while (($(now_ms) < deadline)); do
	[[ $(count "$S") == 3 ]] || fail "instances expired after the forward step: $(count "$S") left"
	sleep 0.2
done
[[ $(announced) == 0 ]] || fail "$(announced) expiry DOWNs after the forward step"
pass "wall clock an hour forward: nothing expired in three ttls, lastSeen follows the wall clock"

# An hour back from the real time: two hours back from where it was.
echo "-1h" >"$TMP/faketime"
kill -STOP "${PUBS[0]}"
gone() { [[ $(count "$S") == 2 ]]; }
took=$(wait_for 10000 gone) || fail "after the backward step a silent instance did not expire: $(count "$S") listed"
kill -CONT "${PUBS[0]}"
[[ $(announced) == 1 ]] || fail "$(announced) expiry DOWNs, want 1"
pass "wall clock an hour back: a frozen instance with ttl 3 s expired ${took} ms after it went silent"
