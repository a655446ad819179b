#!/usr/bin/env bash
# A private RabbitMQ node for tests and `make run`, beside any other node:
# its own node name, free ports and data folder, with the event exchange.
#
#   scripts/rabbitmq.sh start DIR   start a node in DIR; writes DIR/env
#                                   (AMQP_SERVER_URL, RABBIT_NODE, RABBIT_PORT)
#   scripts/rabbitmq.sh stop DIR    stop it and remove DIR
#   scripts/rabbitmq.sh pause DIR   stop the broker application (an outage:
#                                   every connection drops, the port closes)
#   scripts/rabbitmq.sh resume DIR  start it again
#   scripts/rabbitmq.sh ctl DIR ARGS...  rabbitmqctl against the node
set -euo pipefail

free_port() {
	local port
	while :; do
		port=$((20000 + RANDOM % 30000))
		ss -Htln "sport = :$port" | grep -q . || { echo "$port"; return; }
	done
}

ctl() {
	local dir=$1; shift
	# shellcheck disable=SC1091
	source "$dir/env"
	rabbitmqctl -q -n "$RABBIT_NODE" "$@"
}

wait_ready() {
	local dir=$1 i
	for i in $(seq 1 120); do
		ctl "$dir" await_startup >/dev/null 2>&1 && return 0
		sleep 0.5
	done
	echo "rabbitmq.sh: node in $dir did not start; see $dir/log" >&2
	return 1
}

cmd=${1:-}; dir=${2:-}
[[ -n "$cmd" && -n "$dir" ]] || { sed -n '2,12p' "$0"; exit 2; }

case "$cmd" in
start)
	mkdir -p "$dir"/mnesia "$dir"/log
	dir=$(cd "$dir" && pwd)
	chown -R rabbitmq:rabbitmq "$dir" 2>/dev/null || true
	chmod 755 "$dir"
	port=$(free_port)
	dist=$(free_port)
	node="disc$$-$port@localhost"
	echo '[rabbitmq_event_exchange].' > "$dir/plugins"
	cat > "$dir/env" <<ENV
export RABBIT_NODE=$node
export RABBIT_PORT=$port
export AMQP_SERVER_URL=amqp://guest:guest@127.0.0.1:$port/
ENV
	RABBITMQ_NODENAME=$node RABBITMQ_NODE_PORT=$port RABBITMQ_DIST_PORT=$dist \
	RABBITMQ_MNESIA_BASE=$dir/mnesia RABBITMQ_LOG_BASE=$dir/log \
	RABBITMQ_ENABLED_PLUGINS_FILE=$dir/plugins \
	RABBITMQ_CONFIG_FILE=$dir/rabbitmq RABBITMQ_ADVANCED_CONFIG_FILE=$dir/advanced.config \
	RABBITMQ_NODE_IP_ADDRESS=0.0.0.0 \
		rabbitmq-server -detached >"$dir/start.log" 2>&1
	wait_ready "$dir"
	;;
stop)
	[[ -f "$dir/env" ]] && ctl "$dir" stop >/dev/null 2>&1 || true
	rm -rf "$dir"
	;;
pause) ctl "$dir" stop_app >/dev/null ;;
resume) ctl "$dir" start_app >/dev/null ;;
ctl) shift 2; ctl "$dir" "$@" ;;
*) sed -n '2,12p' "$0"; exit 2 ;;
esac
