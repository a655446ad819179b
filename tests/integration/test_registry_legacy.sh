#!/usr/bin/env bash
# The blog's Go services publish {"state","address"} to a plain queue that
# several consumers share out. With two registry replicas on it, whichever
# reads a token republishes it as a proper token on the topic exchange, so
# both list every instance (docs/registry.md, legacy queue).
source "$(dirname "$0")/registry_helpers.bash"

S=leg$$
queue=legacy$$
start_registry --legacy-queue "$queue" --legacy-service "$S"
REG_A=$REG
start_registry --legacy-queue "$queue" --legacy-service "$S"
REG_B=$REG
for ((i = 1; i <= 20; i++)); do
	echo "{\"state\":\"UP\",\"address\":\"10.0.2.$i\"}"
done | amqp-publish -u "$AMQP_URL" -r "$queue" -l
count_at() { curl -sf "$1/services/$S" | jq '.instances | length'; }
both_have_all() { [[ $(count_at "$REG_A") == 20 && $(count_at "$REG_B") == 20 ]]; }
wait_for 3000 both_have_all >/dev/null ||
	fail "replica A lists $(count_at "$REG_A"), replica B $(count_at "$REG_B") of 20"
bridged() { curl -sf "$1/metrics" | awk '$1 == "registry_legacy_bridged_total" { print $2 }'; }
a=$(bridged "$REG_A") b=$(bridged "$REG_B")
((a + b == 20)) || fail "bridged $a + $b, want 20 in all"
ttl=$(curl -sf "$REG_B/services/$S" | jq '[.instances[].ttl] | unique | join(",")')
[[ $ttl == '"90"' ]] || fail "legacy ttl $ttl, want 90"
pass "20 legacy tokens shared out ($a and $b) by two replicas: both list all 20, ttl 90 s"
