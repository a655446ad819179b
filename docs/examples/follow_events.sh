#!/usr/bin/env bash
# Follows the registry's event stream as an aggregator would: prints every
# instance of the snapshot, then each join, update, leave and expire, one
# line each (of one service, or of all without an argument). After a lost
# connection it reconnects with Last-Event-ID, as a browser's EventSource
# does: the registry resumes after that event, or sends a fresh snapshot
# when it cannot (it restarted, or another replica answers).
#
#   REGISTRY=http://localhost:6868 docs/examples/follow_events.sh [SERVICE]
set -uo pipefail
only=${1:-}
registry=${REGISTRY:-http://localhost:6868}
last="" event=""
# One line per instance: EVENT SERVICE ADDRESS:PORT STATE [REASON]
show='select($only == "" or .service == $only)
	| "\($event) \(.service) \(.address):\(.port // "-") \(.state)\(if .reason then " " + .reason else "" end)"'
while true; do
	while IFS= read -r line; do
		line=${line%$'\r'}
		case $line in
		id:*) last=${line#id: } ;;
		event:*) event=${line#event: } ;;
		data:*)
			if [[ $event == snapshot ]]; then
				jq -r --arg only "$only" --arg event snapshot ".instances[] | $show" <<<"${line#data: }"
			else
				jq -r --arg only "$only" --arg event "$event" "$show" <<<"${line#data: }"
			fi
			;;
		esac
	done < <(curl -sN -H "Last-Event-ID: $last" "$registry/events")
	sleep 1 # the stream's own "retry: 2000" is for browsers; 1 s here
done
