#!/usr/bin/env bash
# Who keeps the TIME_WAIT of the accountservice's quote connections: wrk on
# /accounts/{id} for DURATION (60 s) with the quotes-service stand-in
# (tests/quotes) behind it, counting the sockets in TIME_WAIT towards the
# stand-in's port (the service's side: each holds one of its ephemeral
# ports towards the VIP) and from it (the stand-in's side) before and after.
# The quote requests say "Connection: close" and the service closes only
# after the stand-in's FIN, so its side should not grow. Slow, so not part
# of `make test`; it runs with `make bench`. Prints, and fails only when
# the service's side grew (it never fails on requests/s).
#
#   BUILD=build bench/acct_timewait.sh      (DURATION=60s CONNS=50)
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/../tests/lib.sh"
DURATION=${DURATION:-60s}
CONNS=${CONNS:-50}

# The instance announces itself as in production, so a broker is needed.
use_broker own

start_quotes quotes
QP=$PORT
AP=$(free_port)
"$BIN/accountservice" --port "$AP" --log-level warn --db-path "$TMP/accounts.db" \
	--quotes-url "http://127.0.0.1:$QP/api/quote?strength=1" 2>"$TMP/accountservice.log" &
STARTED+=($!)
wait_http "http://127.0.0.1:$AP/health"

client_side() { ss -Htan state time-wait "( dport = :$QP )" | wc -l; }
server_side() { ss -Htan state time-wait "( sport = :$QP )" | wc -l; }
# metric NAME LABEL VALUE: one counter of the service's /metrics.
metric() {
	curl -fsS "http://127.0.0.1:$AP/metrics" |
		awk -v k="$1{$2=\"$3\"}" '$1 == k { print $2 }'
}

client_before=$(client_side)
server_before=$(server_side)
out=$(wrk -t2 -c"$CONNS" -d"$DURATION" --timeout 10s "http://127.0.0.1:$AP/accounts/10000")
client_after=$(client_side)
server_after=$(server_side)

echo "accountservice quote connections, wrk $CONNS connections for $DURATION on /accounts/10000"
printf '%-44s %10s\n' "requests/s" "$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' <<<"$out")"
printf '%-44s %10s\n' "quote calls ok / error / timeout" \
	"$(metric accountservice_quote_calls_total outcome ok) / $(metric accountservice_quote_calls_total outcome error) / $(metric accountservice_quote_calls_total outcome timeout)"
printf '%-44s %10s\n' "connections closed first by stand-in / service" \
	"$(metric accountservice_quote_connections_closed_total first server) / $(metric accountservice_quote_connections_closed_total first service)"
printf '%-44s %10s %10s\n' "TIME_WAIT sockets" "before" "after"
printf '%-44s %10s %10s\n' "  service's side (towards :$QP)" "$client_before" "$client_after"
printf '%-44s %10s %10s\n' "  stand-in's side (from :$QP)" "$server_before" "$server_after"
echo "(the stand-in's side is bounded by the ephemeral port range: a port's"
echo " TIME_WAIT on the server is taken over by the next connection from it)"
((client_after <= client_before)) || {
	echo "FAIL: the service's side of TIME_WAIT grew from $client_before to $client_after" >&2
	exit 1
}
