#!/usr/bin/env bash
# A private RabbitMQ node for tests and `make run`, beside any other node:
# its own node name, free ports, data folder and epmd (Erlang's port mapper,
# on a port of its own, so that stopping the node can stop it too without
# touching the epmd of any other node), with the event exchange.
#
#   scripts/rabbitmq.sh start DIR   start a node in DIR; writes DIR/env
#                                   (AMQP_SERVER_URL, RABBIT_NODE, RABBIT_PORT,
#                                   ERL_EPMD_PORT)
#   scripts/rabbitmq.sh stop DIR    stop it and remove DIR
#   scripts/rabbitmq.sh pause DIR   stop the broker application (an outage:
#                                   every connection drops, the port closes)
#   scripts/rabbitmq.sh resume DIR  start it again
#   scripts/rabbitmq.sh restart DIR stop the whole node (its Erlang VM and
#                                   epmd) and boot it again on the same
#                                   ports with the same data
#   scripts/rabbitmq.sh ctl DIR ARGS...  rabbitmqctl against the node
#   scripts/rabbitmq.sh service-user DIR USER PASSWORD SERVICE [FOLLOWED]
#                                   a user that may announce only SERVICE
#                                   (and follow FOLLOWED's tokens)
#   scripts/rabbitmq.sh pids DIR    the node's processes, its epmd included
#
# With RABBIT_SHARED_EPMD_PORT set, start uses that epmd port instead of a
# fresh one (the nodes of a cluster must share one).
# With RABBIT_TLS_DIR set to a folder holding ca.pem, server.pem and
# server.key (PEM), start also opens a TLS listener on another free port
# with that certificate, and DIR/env gets RABBIT_TLS_PORT.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ctl() {
	local dir=$1; shift
	# shellcheck disable=SC1091
	source "$dir/env"
	rabbitmqctl -q -n "$RABBIT_NODE" "$@"
}

# The node's processes, found by the name in their environment (the Erlang
# command line does not carry it), its own epmd included.
node_pids() {
	local f pid
	for f in $(grep -l -z -x "RABBITMQ_NODENAME=$1" /proc/[0-9]*/environ 2>/dev/null); do
		pid=${f#/proc/}
		echo "${pid%/environ}"
	done
}

kill_node() {
	local pids
	pids=$(node_pids "$1")
	[[ -z "$pids" ]] || kill -9 $pids 2>/dev/null || true
}

port_open() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# The AMQP listener opens last in the boot, after the plugins: poll it
# (cheap) rather than rabbitmqctl (an Erlang VM per try, slow on a busy
# machine), then confirm once with await_startup.
wait_ready() {
	local dir=$1 i
	# shellcheck disable=SC1091
	source "$dir/env"
	for i in $(seq 1 240); do
		if port_open "$RABBIT_PORT" &&
			{ [[ -z "${RABBIT_TLS_DIR:-}" ]] || port_open "$RABBIT_TLS_PORT"; }; then
			ctl "$dir" --timeout 60 await_startup >/dev/null 2>&1 && return 0
		fi
		# A node that failed to boot is gone: no need to wait it out.
		if ((i > 20)) && [[ -z "$(node_pids "$RABBIT_NODE")" ]]; then
			return 1
		fi
		sleep 0.25
	done
	return 1
}

# The TLS listener of RABBIT_TLS_DIR's certificate on PORT, in the node's
# rabbitmq.conf. The broker asks for no client certificate: clients log in
# with a user and password, and verify the broker.
tls_config() {
	local dir=$1 port=$2
	cat > "$dir/rabbitmq.conf" <<CONF
listeners.ssl.default = $port
ssl_options.cacertfile = $dir/tls/ca.pem
ssl_options.certfile = $dir/tls/server.pem
ssl_options.keyfile = $dir/tls/server.key
ssl_options.verify = verify_none
ssl_options.fail_if_no_peer_cert = false
CONF
	echo "export RABBIT_TLS_PORT=$port" >> "$dir/env"
}

# Starts a node on fresh free ports; 1 when it did not come up in time.
start_node() {
	local dir=$1 port dist epmd node
	port=$(free_port)
	dist=$(free_port)
	# The nodes of a cluster share one epmd, through which they find each
	# other by name (scripts/rabbitmq-cluster.sh).
	epmd=${RABBIT_SHARED_EPMD_PORT:-$(free_port)}
	node="disc$$-$port@localhost"
	# ERL_EPMD_PORT is exported for rabbitmqctl, which finds the node
	# through that epmd.
	cat > "$dir/env" <<ENV
export RABBIT_NODE=$node
export RABBIT_PORT=$port
export RABBIT_DIST_PORT=$dist
export ERL_EPMD_PORT=$epmd
export AMQP_SERVER_URL=amqp://guest:guest@127.0.0.1:$port/
ENV
	rm -f "$dir/rabbitmq.conf"
	[[ -z "${RABBIT_TLS_DIR:-}" ]] || tls_config "$dir" "$(free_port)"
	boot_node "$dir"
}

# Boots the node DIR/env describes, on its ports, with its data.
boot_node() {
	local dir=$1
	# shellcheck disable=SC1091
	source "$dir/env"
	RABBITMQ_NODENAME=$RABBIT_NODE RABBITMQ_NODE_PORT=$RABBIT_PORT \
	RABBITMQ_DIST_PORT=$RABBIT_DIST_PORT \
	RABBITMQ_MNESIA_BASE=$dir/mnesia RABBITMQ_LOG_BASE=$dir/log \
	RABBITMQ_ENABLED_PLUGINS_FILE=$dir/plugins \
	RABBITMQ_CONFIG_FILE=$dir/rabbitmq RABBITMQ_ADVANCED_CONFIG_FILE=$dir/advanced.config \
	RABBITMQ_NODE_IP_ADDRESS=0.0.0.0 ERL_CRASH_DUMP=$dir/erl_crash.dump \
		rabbitmq-server -detached >"$dir/start.log" 2>&1
	wait_ready "$dir"
}

cmd=${1:-}; dir=${2:-}
[[ -n "$cmd" && -n "$dir" ]] || { sed -n '2,27p' "$0"; exit 2; }

case "$cmd" in
start)
	mkdir -p "$dir"/mnesia "$dir"/log
	dir=$(cd "$dir" && pwd)
	chmod 755 "$dir"
	echo '[rabbitmq_event_exchange].' > "$dir/plugins"
	if [[ -n "${RABBIT_TLS_DIR:-}" ]]; then
		# Inside DIR, so that the broker's user may read them.
		mkdir -p "$dir/tls"
		cp "$RABBIT_TLS_DIR"/{ca.pem,server.pem,server.key} "$dir/tls/"
	fi
	chown -R rabbitmq:rabbitmq "$dir" 2>/dev/null || true
	# A port taken between choosing and binding, or a very slow boot on
	# a loaded machine: give up on that node and try once more.
	for attempt in 1 2; do
		start_node "$dir" && exit 0
		echo "rabbitmq.sh: node $RABBIT_NODE not ready (attempt $attempt); log tail:" >&2
		tail -n 5 "$dir"/log/*.log "$dir/start.log" >&2 2>/dev/null || true
		grep -a -m1 '^Slogan' "$dir/erl_crash.dump" >&2 2>/dev/null || true
		ctl "$dir" stop >/dev/null 2>&1 || true
		kill_node "$RABBIT_NODE"
		rm -rf "$dir"/mnesia/*
	done
	exit 1
	;;
stop)
	if [[ -f "$dir/env" ]]; then
		ctl "$dir" stop >/dev/null 2>&1 || true
		kill_node "$RABBIT_NODE"
	fi
	rm -rf "$dir"
	;;
restart)
	ctl "$dir" stop >/dev/null 2>&1 || true
	kill_node "$RABBIT_NODE"
	boot_node "$dir"
	;;
pause) ctl "$dir" stop_app >/dev/null ;;
resume) ctl "$dir" start_app >/dev/null ;;
ctl) shift 2; ctl "$dir" "$@" ;;
service-user)
	# What a publisher of SERVICE does and nothing more (docs/deployment.md):
	# declare and use the discovery exchange and its own server-named
	# queue, publish under discovery.SERVICE.* and bind only discovery.sync.
	# With FOLLOWED, also what an embedded subscriber of that service does
	# (QUOTES_DISCOVERY): bind discovery.FOLLOWED.*, read the broker's
	# connection events and publish the sync request.
	[[ $# -eq 5 || $# -eq 6 ]] || { sed -n '2,27p' "$0"; exit 2; }
	user=$3 password=$4 service=$5 followed=${6:-}
	own='^(discovery|amq\.gen-.*)$' read=$own bind='^discovery\.sync$'
	write="^discovery\\.${service//./\\.}\\."
	if [[ -n "$followed" ]]; then
		write="^discovery\\.(${service//./\\.}\\.|sync\$)"
		read='^(discovery|amq\.gen-.*|amq\.rabbitmq\.event)$'
		bind="^discovery\\.(sync|${followed//./\\.}\\..*)\$"
	fi
	ctl "$dir" add_user "$user" "$password" >/dev/null
	ctl "$dir" set_permissions -p / "$user" "$own" "$own" "$read" >/dev/null
	ctl "$dir" set_topic_permissions -p / "$user" discovery \
		"$write" "$bind" >/dev/null
	;;
pids)
	# shellcheck disable=SC1091
	source "$dir/env"
	node_pids "$RABBIT_NODE"
	;;
*) sed -n '2,27p' "$0"; exit 2 ;;
esac
