#!/usr/bin/env bash
# Bad input never hurts the registry: 10,000 malformed messages of every
# kind the decoder rejects are each counted by reason while the registry
# keeps answering and its memory stays flat. Signed mode: test_registry_signed.sh.
source "$(dirname "$0")/registry_helpers.bash"

S=bad$$
# Under AddressSanitizer freed memory sits in a quarantine (256 MB by
# default) and would read as growth; a small one keeps RSS meaningful.
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=1
start_registry

# kind routing-key body, one per reason label of /metrics.
big=$(head -c 5000 /dev/zero | tr '\0' ' ')
kinds=(
	"not_json|discovery.$S.up|garbage{"
	"not_object|discovery.$S.up|[1,2,3]"
	"bad_type|discovery.$S.up|{\"state\":1,\"address\":\"10.0.0.1\"}"
	"bad_state|discovery.$S.up|{\"state\":\"SLEEPING\",\"address\":\"10.0.0.1\"}"
	"bad_address|discovery.$S.up|{\"state\":\"UP\",\"address\":\"999.1.1.1\"}"
	"bad_service|discovery.$S.up|{\"state\":\"UP\",\"address\":\"10.0.0.1\",\"service\":\"other\"}"
	"bad_port|discovery.$S.up|{\"state\":\"UP\",\"address\":\"10.0.0.1\",\"port\":70000}"
	"bad_ttl|discovery.$S.up|{\"state\":\"UP\",\"address\":\"10.0.0.1\",\"ttl\":-1}"
	"bad_metadata|discovery.$S.up|{\"state\":\"UP\",\"address\":\"10.0.0.1\",\"metadata\":{\"k\":1}}"
	"bad_routing_key|discovery.nodots|{\"state\":\"UP\",\"address\":\"10.0.0.1\"}"
	"bad_field|discovery.$S.up|{\"state\":\"UP\",\"address\":\"10.0.0.1\",\"seq\":-1}"
	"too_large|discovery.$S.up|{\"state\":\"UP\",\"address\":\"10.0.0.1\",\"x\":\"$big\"}"
)
per_kind=834 # 12 kinds: 10,008 messages

send_kind() { # reason key body count
	local i
	for ((i = 0; i < $4; i++)); do printf '%s\n' "$3"; done >"$TMP/lines"
	amqp-publish -u "$AMQP_URL" -e discovery -r "$2" -l <"$TMP/lines"
}
rejected() { metric "registry_tokens_rejected_total{reason=\"$1\"}"; }
total_rejected() {
	curl -sf "$REG/metrics" | awk '/^registry_tokens_rejected_total/ { n += $2 } END { print n }'
}
rejected_total_is() { [[ $(total_rejected) == "$1" ]]; }
# Every kind, per_kind messages each.
send_round() {
	local k reason key body
	for k in "${kinds[@]}"; do
		IFS='|' read -r reason key body <<<"$k"
		send_kind "$reason" "$key" "$body" "$per_kind"
	done
}

# A first round warms up allocator pools and buffers (and sanitizer
# bookkeeping); the second round is the one measured.
send_round
warm=$((12 * per_kind))
wait_for 30000 rejected_total_is "$warm" >/dev/null ||
	fail "warm-up not all counted: $(total_rejected) of $warm"
rss_before=$(rss_kb "$REG_PID")

send_round
expected=$((2 * warm))
wait_for 30000 rejected_total_is "$expected" >/dev/null ||
	fail "not every message counted: $(total_rejected) of $expected"
for k in "${kinds[@]}"; do
	IFS='|' read -r reason _ _ <<<"$k"
	[[ $(rejected "$reason") == $((2 * per_kind)) ]] || fail "$reason counted $(rejected "$reason")"
done
rss_after=$(rss_kb "$REG_PID")
growth=$((rss_after - rss_before))
((growth < 4096)) || fail "memory grew by ${growth} kB over 10,008 more bad messages"
[[ $(count "$S") == 0 ]] || fail "a malformed token entered the table"
publish "discovery.$S.up" '{"state":"UP","address":"10.0.4.1"}'
wait_for 1000 has_count "$S" 1 >/dev/null || fail "consumer stopped after bad input"
pass "2 x 10,008 malformed messages: each counted by reason, RSS +${growth} kB, consumer alive"
stop_registry
