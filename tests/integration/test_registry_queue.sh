#!/usr/bin/env bash
# The registry's queues are bounded (REGISTRY_QUEUE_MAX): a stalled
# registry does not make the broker hoard tokens, and once it runs again it
# drains what is left and keeps working.
source "$(dirname "$0")/registry_helpers.bash"
[[ -n "${RABBIT_DIR:-}" ]] || fail "needs the suite's own broker (tests/run.sh) to list queues"

S=q$$
limit=200
start_registry --queue-max "$limit"
# The registry's own queues: those whose consumer is its connection.
queued() {
	"$ROOT/scripts/rabbitmq.sh" ctl "$RABBIT_DIR" list_queues arguments messages |
		awk -v l="$limit" '$0 ~ "x-max-length\",\"?" l "[]}]" { print $NF }' | sort -n | tail -n 1
}
bounded_queues() {
	"$ROOT/scripts/rabbitmq.sh" ctl "$RABBIT_DIR" list_queues arguments |
		grep -c "\"x-max-length\",$limit" || true
}
[[ $(bounded_queues) -ge 2 ]] || fail "the registry's queues carry no x-max-length $limit"

kill -STOP "$REG_PID"
# ~3.5 KB tokens, 17 MB in all: more than socket buffers take, so the rest
# waits in the broker's queue.
pad=$(printf 'x%.0s' {1..250})
meta=$(for ((k = 0; k < 32; k++)); do printf '"k%d":"%s",' "$k" "${pad:0:100}"; done)
for ((i = 0; i < 5000; i++)); do
	echo "{\"state\":\"UP\",\"address\":\"10.0.8.$((i % 250 + 1))\",\"instanceId\":\"i-$i\",\"hostname\":\"$pad\",\"metadata\":{${meta%,}}}"
done | amqp-publish -u "$AMQP_URL" -e discovery -r "discovery.$S.up" -l
held=$(queued)
kill -CONT "$REG_PID"
((held <= limit)) || fail "the broker kept $held messages for a stalled registry (limit $limit)"
((held > limit / 2)) || fail "only $held messages queued: the test did not fill the queue"
# What the broker had already pushed into the socket arrives too; of the
# rest, the newest survive.
newest_listed() { curl -sf "$REG/services/$S" | jq -e 'any(.instances[]; .instanceId == "i-4999")'; }
wait_for 5000 newest_listed >/dev/null || fail "after the stall the newest token is not listed"
publish "discovery.other$S.up" '{"state":"UP","address":"10.0.8.1"}'
wait_for 2000 has_count "other$S" 1 >/dev/null || fail "the registry did not recover"
pass "5000 tokens of 3.5 KB to a stalled registry: the broker kept $held (limit $limit), the newest listed, $(count "$S") in all; it recovered"

# A queue deleted under the registry (basic.cancel): it declares and
# consumes again, and tokens reach it as before.
"$ROOT/scripts/rabbitmq.sh" ctl "$RABBIT_DIR" list_queues name arguments |
	awk -v l="$limit" '$0 ~ "x-max-length\",\"?" l "[]}]" { print $1 }' >"$TMP/queues"
[[ -s "$TMP/queues" ]] || fail "the registry's queues are not found"
reconnects() { metric registry_amqp_reconnects_total; }
before=$(reconnects)
while read -r q; do
	"$ROOT/scripts/rabbitmq.sh" ctl "$RABBIT_DIR" delete_queue "$q" >/dev/null
done <"$TMP/queues"
reconnected() { (($(reconnects) > before)) && registry_connected; }
wait_for 10000 reconnected >/dev/null || fail "the registry did not come back after its queue was deleted"
publish "discovery.third$S.up" '{"state":"UP","address":"10.0.8.3"}'
wait_for 3000 has_count "third$S" 1 >/dev/null || fail "no token reached the registry after its queue was deleted"
pass "the registry's queues deleted under it: it consumed again (reconnects $before -> $(reconnects)) and tokens flow"
