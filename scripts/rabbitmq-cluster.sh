#!/usr/bin/env bash
# A private RabbitMQ cluster for tests and `make run`: N nodes (3 by
# default) on this machine, each a scripts/rabbitmq.sh node in DIR/nK with
# its own name, ports and data folder and the event exchange plugin, all on
# one epmd of their own (how Erlang nodes find each other by name) and the
# same Erlang cookie (the rabbitmq user's, as for every local node), joined
# with `rabbitmqctl join_cluster` to the first.
#
#   scripts/rabbitmq-cluster.sh start DIR [N]  start the cluster; writes
#                        DIR/env (AMQP_SERVER_URL listing every node,
#                        RABBIT_NODE_DIRS, ERL_EPMD_PORT)
#   scripts/rabbitmq-cluster.sh stop DIR       stop every node, remove DIR
#
# One node is handled with scripts/rabbitmq.sh and its folder, e.g.
# `scripts/rabbitmq.sh pause DIR/n2` (stop_app: its connections drop).
set -euo pipefail
here=$(dirname "${BASH_SOURCE[0]}")
# shellcheck source=scripts/lib.sh
source "$here/lib.sh"

# join_node NODE_DIR SEED: NODE joins SEED's cluster and runs; three tries.
join_node() {
	local d=$1 seed=$2 attempt
	# What rabbitmqctl says goes to DIR/join.log, shown only if all fail.
	for attempt in 1 2 3; do
		{
			"$here/rabbitmq.sh" ctl "$d" stop_app &&
				"$here/rabbitmq.sh" ctl "$d" reset &&
				"$here/rabbitmq.sh" ctl "$d" join_cluster "$seed" &&
				"$here/rabbitmq.sh" ctl "$d" start_app &&
				"$here/rabbitmq.sh" ctl "$d" --timeout 60 await_startup
		} >>"$d/join.log" 2>&1 && return 0
		echo "attempt $attempt failed" >>"$d/join.log"
	done
	cat "$d/join.log" >&2
	return 1
}

usage() { sed -n '2,15p' "$0"; exit 2; }

cmd=${1:-}; dir=${2:-}; count=${3:-3}
[[ -n "$cmd" && -n "$dir" ]] || usage

node_env() {
	# shellcheck disable=SC1091
	(source "$1/env" && echo "${!2}")
}

case "$cmd" in
start)
	[[ "$count" =~ ^[1-9]$ ]] || usage
	mkdir -p "$dir"
	dir=$(cd "$dir" && pwd)
	# The nodes run as the rabbitmq user: it must reach their folders.
	chmod 755 "$dir"
	epmd=$(free_port)
	# Booting is the slow part (an Erlang VM each): in parallel.
	pids=()
	for k in $(seq 1 "$count"); do
		RABBIT_SHARED_EPMD_PORT=$epmd "$here/rabbitmq.sh" start "$dir/n$k" &
		pids+=($!)
	done
	failed=0
	for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
	if ((failed)); then
		echo "rabbitmq-cluster.sh: a node did not start" >&2
		exit 1
	fi
	seed=$(node_env "$dir/n1" RABBIT_NODE)
	# Each joins the first, one after the other: mnesia on a loaded machine
	# has failed to start a node that joined beside another. A failed join
	# is retried from a reset node (a fresh node has nothing to lose).
	for k in $(seq 2 "$count"); do
		join_node "$dir/n$k" "$seed" || {
			echo "rabbitmq-cluster.sh: node $k did not join $seed" >&2
			exit 1
		}
	done
	urls=() dirs=()
	for k in $(seq 1 "$count"); do
		urls+=("$(node_env "$dir/n$k" AMQP_SERVER_URL)")
		dirs+=("$dir/n$k")
	done
	{
		echo "export AMQP_SERVER_URL=$(IFS=,; echo "${urls[*]}")"
		echo "export RABBIT_NODE_DIRS='${dirs[*]}'"
		echo "export ERL_EPMD_PORT=$epmd"
	} > "$dir/env"
	;;
stop)
	pids=()
	for node in "$dir"/n[0-9]*; do
		[[ -d "$node" ]] || continue
		"$here/rabbitmq.sh" stop "$node" &
		pids+=($!)
	done
	for pid in "${pids[@]}"; do wait "$pid" || true; done
	rm -rf "$dir"
	;;
*) usage ;;
esac
