#!/usr/bin/env bash
# Signed mode: unsigned, forged, stale and unbound tokens are rejected; a
# signed token captured before a DOWN or an expiry cannot bring the
# instance back when replayed (tombstones); a body without its own service
# is not valid on another routing key; and a list of keys lets a secret be
# rotated with no gap (docs/token.md).
source "$(dirname "$0")/registry_helpers.bash"

S=sig$$
old_key=0ld-s3cret-$$
new_key=n3w-s3cret-$$
# An exchange of its own: the rejections are counted exactly, and another
# test's tokens on the shared broker would be rejected here too.
EXCHANGE=signed$$
start_registry --discovery-secret "$new_key,$old_key" --discovery-exchange "$EXCHANGE"

sign() { printf '%s' "$2" | openssl dgst -sha256 -hmac "$1" -r | cut -d' ' -f1; }
# token N STATE SEQ TS [TTL]: instance i-N of $S, every field a signature binds.
token() {
	echo "{\"state\":\"$2\",\"address\":\"10.0.5.$1\",\"service\":\"$S\",\"instanceId\":\"i-$1\",\"seq\":$3,\"ts\":$4,\"ttl\":${5:-6}}"
}
send_signed() { # key body [routing-key]
	local state
	state=$(jq -r '.state | ascii_downcase' <<<"$2")
	publish "${3:-discovery.$S.$state}" "$2" -H "x-signature: $(sign "$1" "$2")"
}
rejected() { metric "registry_tokens_rejected_total{reason=\"$1\"}"; }
outcome() { metric "registry_tokens_outcome_total{outcome=\"$1\"}"; }
metric_is() { [[ $(metric "$1") == "$2" ]]; }
listed() { curl -sf "$REG/services/$S" | jq -r '[.instances[].instanceId] | sort | join(",")'; }
listed_is() { [[ $(listed) == "$1" ]]; }

# ---- what never enters ----
body=$(token 1 UP 1 "$(now_ms)")
publish "discovery.$S.up" "$body"                                            # unsigned
publish "discovery.$S.up" "$body" -H "x-signature: $(sign wrong-key "$body")" # forged
publish "discovery.$S.up" "$body" -H "x-signature: 00$(sign "$new_key" "$body" | cut -c3-)"
send_signed "$new_key" "$(token 2 UP 1 $(($(now_ms) - 60000)))"              # ts too old
# Signed, but the service (or instanceId, seq, ts) comes from outside the body.
unbound="{\"state\":\"UP\",\"address\":\"10.0.5.3\",\"instanceId\":\"i-3\",\"seq\":1,\"ts\":$(now_ms)}"
send_signed "$new_key" "$unbound" "discovery.other$S.up"
# Signed for $S, sent on another service's routing key.
send_signed "$new_key" "$(token 4 UP 1 "$(now_ms)")" "discovery.other$S.up"
wait_for 3000 metric_is 'registry_tokens_rejected_total{reason="bad_service"}' 1 >/dev/null ||
	fail "rejections: $(curl -sf "$REG/metrics" | grep rejected_total)"
[[ $(rejected unsigned) == 1 && $(rejected bad_signature) == 2 && $(rejected stale_ts) == 1 &&
	$(rejected unbound) == 1 ]] ||
	fail "rejection reasons: $(curl -sf "$REG/metrics" | grep rejected_total)"
[[ $(count "$S") == 0 && $(count "other$S") == 0 ]] || fail "a rejected token entered the table"
pass "unsigned, forged, stale, unbound and misrouted signed tokens rejected"

# ---- rotation: either key of the list ----
send_signed "$old_key" "$(token 5 UP 1 "$(now_ms)")"
send_signed "$new_key" "$(token 6 UP 1 "$(now_ms)")"
wait_for 2000 listed_is "i-5,i-6" >/dev/null || fail "listed: $(listed), want i-5,i-6"
pass "tokens signed with the old and the new key both accepted"

# ---- replays ----
captured=$(token 7 UP 5 "$(now_ms)")
send_signed "$new_key" "$captured"
wait_for 2000 listed_is "i-5,i-6,i-7" >/dev/null || fail "i-7 did not join"
send_signed "$new_key" "$captured" # the same token again, while it is listed
send_signed "$new_key" "$(token 7 DOWN 6 "$(now_ms)")"
wait_for 2000 listed_is "i-5,i-6" >/dev/null || fail "i-7 did not leave on DOWN"
send_signed "$new_key" "$captured" # replayed after the DOWN
wait_for 3000 metric_is 'registry_tokens_outcome_total{outcome="replayed"}' 2 >/dev/null ||
	fail "replays counted: $(outcome replayed), want 2"
listed_is "i-5,i-6" || fail "a replayed UP brought i-7 back: $(listed)"
pass "a signed UP replayed after its DOWN is refused and counted"

short=$(token 8 UP 9 "$(now_ms)" 1)
send_signed "$new_key" "$short"
wait_for 2000 listed_is "i-5,i-6,i-8" >/dev/null || fail "i-8 did not join"
wait_for 5000 listed_is "i-5,i-6" >/dev/null || fail "i-8 did not expire"
send_signed "$new_key" "$short" # replayed after the expiry
wait_for 3000 metric_is 'registry_tokens_outcome_total{outcome="replayed"}' 3 >/dev/null ||
	fail "replay after expiry counted: $(outcome replayed), want 3"
listed_is "i-5,i-6" || fail "a replayed UP brought i-8 back: $(listed)"
# A newer token of the same instance is welcome.
send_signed "$new_key" "$(token 8 UP 10 "$(now_ms)")"
wait_for 2000 listed_is "i-5,i-6,i-8" >/dev/null || fail "i-8 with a higher seq was not let back"
pass "a signed UP replayed after its expiry is refused; a higher seq joins"
stop_registry
