#!/usr/bin/env bash
# Keeps an aggregator's list of one cluster current with the registry's
# blocking queries: prints the service's UP instances (address:port) at
# start and after every change, one line each time, and rides out a
# registry restart (an index from the earlier run is answered at once).
#
#   REGISTRY=http://localhost:6868 docs/examples/watch_service.sh accountservice
set -uo pipefail
service=$1
registry=${REGISTRY:-http://localhost:6868}
index=0 # below every index: the first query answers at once
while true; do
	# Held up to 5 minutes by the registry; curl's own bound a little longer.
	if ! body=$(curl -sf --max-time 330 "$registry/services/$service?state=UP&index=$index&wait=5m"); then
		sleep 1 # the registry is restarting or unreachable: ask again
		continue
	fi
	new=$(jq -r .index <<<"$body")
	[[ $new == "$index" ]] && continue # the wait ended with nothing new
	index=$new
	list=$(jq -r '[.instances[] | "\(.address):\(.port // "-")"] | join(" ")' <<<"$body")
	echo "$service: ${list:-(none)}"
done
