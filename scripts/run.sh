#!/usr/bin/env bash
# `make run`: the whole system on one machine, without Docker.
#
# RabbitMQ (a private node, or with RABBIT_NODES=3 a cluster of three whose
# nodes every program is given as a list), the registry, an aggregator, 3 accountservice instances, 2
# quotes stand-ins behind a round-robin TCP balancer playing Swarm's VIP, and
# a balancer in front of the accountservices playing Swarm's published port
# (routing mesh). Each accountservice needs its own address for `servedBy` to
# differ: as root every instance runs in its own network namespace on a
# bridge (10.77.0.0/24, the host is 10.77.0.1); otherwise, or where no
# namespace can be made (a chroot, a container), they advertise distinct
# loopback addresses (127.0.0.2, 127.0.0.3, ...) on distinct ports.
# QUOTES_MODE=discovery (`make run-discovery`) balances the quote calls on
# the client side instead: each stand-in is announced by a publisher sidecar
# as quotes-service, and the accountservices follow it (QUOTES_DISCOVERY).
# One run at a time per RUN_DIR: a second one says which is running and
# exits 1, touching nothing. Ctrl-C (or SIGTERM) stops everything, and so
# does the end of RUN_OWNER (make's PID, given by `make run`: make does not
# pass a SIGTERM of its own on); a run after a crash first clears what the
# crashed one left.
#
# Environment: BUILD (binaries in $BUILD/bin), ACCOUNTS_PORT (6767),
# REGISTRY_PORT (6868), AGGREGATOR_PORT (7979), QUOTES_VIP_PORT (8080), RUN_DIR (/tmp/discovery-run),
# DISCOVERY_INTERVAL (2s), NETNS=0 to use loopback addresses even as root,
# RABBIT_NODES (1; 2 to 9 make a local cluster, scripts/rabbitmq-cluster.sh),
# QUOTES_MODE (vip, or discovery).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/netns.sh
source scripts/netns.sh

BIN=$(cd "${BUILD:-build}/bin" && pwd)
RUN_DIR=${RUN_DIR:-/tmp/discovery-run}
ACCOUNTS_PORT=${ACCOUNTS_PORT:-6767}
REGISTRY_PORT=${REGISTRY_PORT:-6868}
AGGREGATOR_PORT=${AGGREGATOR_PORT:-7979}
QUOTES_VIP_PORT=${QUOTES_VIP_PORT:-8080}
export DISCOVERY_INTERVAL=${DISCOVERY_INTERVAL:-2s}
PREFIX=sdrun
NET=10.77.0
INSTANCES=3
QUOTES=2
REG=http://127.0.0.1:$REGISTRY_PORT
AGG=http://127.0.0.1:$AGGREGATOR_PORT
RABBIT_NODES=${RABBIT_NODES:-1}
[[ "$RABBIT_NODES" =~ ^[1-9]$ ]] || { echo "run.sh: RABBIT_NODES must be 1 to 9" >&2; exit 2; }
QUOTES_MODE=${QUOTES_MODE:-vip}
case $QUOTES_MODE in
vip) unset QUOTES_DISCOVERY ;;
discovery) export QUOTES_DISCOVERY=quotes-service ;;
*) echo "run.sh: QUOTES_MODE is vip or discovery, not '$QUOTES_MODE'" >&2; exit 2 ;;
esac

say() { printf '\033[1mrun:\033[0m %s\n' "$*"; }

# --- one run at a time ---------------------------------------------------------
# The lock lives beside RUN_DIR (which a run clears) on fd 9, which no program
# started here inherits: it is released when this script ends, however it
# ends, and a run that was SIGKILLed does not block the next one.
LOCK=$RUN_DIR.lock
exec 9>>"$LOCK"
if ! flock -n 9; then
	holder=$(cat "$LOCK" 2>/dev/null || true)
	echo "run.sh: another run is already running (pid ${holder:-unknown}, logs in $RUN_DIR/logs):" \
		"stop it with Ctrl-C in its terminal or kill ${holder:-it}; or give this one" \
		"another RUN_DIR and ports (ACCOUNTS_PORT, REGISTRY_PORT, AGGREGATOR_PORT, QUOTES_VIP_PORT)" >&2
	exit 1
fi
echo $$ >"$LOCK"

for b in registry aggregator accountservice quotes-standin publisher; do
	[[ -x "$BIN/$b" ]] || { echo "run.sh: $BIN/$b is missing: run make first" >&2; exit 1; }
done
command -v haproxy >/dev/null || { echo "run.sh: haproxy is missing (scripts/deps.sh)" >&2; exit 1; }

# The broker of this run (or of a crashed one), a node or a cluster.
broker_stop() {
	if [[ -d "$RUN_DIR/rabbit/n1" ]]; then
		scripts/rabbitmq-cluster.sh stop "$RUN_DIR/rabbit" >/dev/null 2>&1 || true
	else
		scripts/rabbitmq.sh stop "$RUN_DIR/rabbit" >/dev/null 2>&1 || true
	fi
}

# --- leftovers of a previous run ---------------------------------------------
# Only what a run of this RUN_DIR started: the PIDs in RUN_DIR/pids, each
# still running one of our binaries or haproxy on our configuration, its
# broker node, and the namespaces it recorded in RUN_DIR/netns.
clear_leftovers() {
	local pid cmd
	if [[ -f "$RUN_DIR/pids" ]]; then
		while read -r pid; do
			cmd=$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" || true)
			if [[ "$cmd" == "$BIN/"* || "$cmd" == *"$RUN_DIR/"* ]]; then
				kill -KILL "$pid" 2>/dev/null || true
			fi
		done <"$RUN_DIR/pids"
	fi
	broker_stop
	if [[ -f "$RUN_DIR/netns" ]]; then netns_down "$(cat "$RUN_DIR/netns")"; fi
	rm -rf "$RUN_DIR"
}
clear_leftovers
mkdir -p "$RUN_DIR/logs"

# --- namespaces or loopback ------------------------------------------------------
mode=loopback
if [[ $(id -u) -eq 0 && "${NETNS:-1}" != 0 ]]; then
	if ! err=$(netns_probe "$PREFIX-p$$" 2>&1); then
		say "no network namespace can be made here (${err//$'\n'/; }):" \
			"using loopback addresses instead (NETNS=0 does so without trying)"
	elif ip link show "$PREFIX-br" >/dev/null 2>&1; then
		echo "run.sh: the bridge $PREFIX-br exists: another run (with another RUN_DIR)" \
			"uses the namespaces; stop it, or run this one with NETNS=0 and other ports" >&2
		exit 1
	else
		mode=netns
	fi
fi

# The ports this run listens on in the root namespace: a taken one is said
# now, with who holds it, before anything starts.
host_ports=("$ACCOUNTS_PORT" "$REGISTRY_PORT" "$QUOTES_VIP_PORT")
if [[ $mode == loopback ]]; then
	for ((i = 1; i <= INSTANCES; i++)); do host_ports+=($((ACCOUNTS_PORT + i))); done
	for ((i = 1; i <= QUOTES; i++)); do host_ports+=($((QUOTES_VIP_PORT + i))); done
fi
for port in "${host_ports[@]}"; do
	holder=$(ss -Hltnp "sport = :$port" | head -n 1)
	if [[ -n "$holder" ]]; then
		echo "run.sh: port $port is taken: $holder" >&2
		echo "run.sh: choose others with ACCOUNTS_PORT, REGISTRY_PORT, QUOTES_VIP_PORT" >&2
		exit 1
	fi
done

# --- processes ----------------------------------------------------------------
declare -A pid_of
order=()

# start NAME [NAMESPACE|-] COMMAND...: runs COMMAND with its log in RUN_DIR,
# in a session of its own: Ctrl-C reaches only this script, which then stops
# the programs in order. The lock's fd 9 stays here.
start() {
	local name=$1 ns=$2
	shift 2
	if [[ "$ns" == - ]]; then
		setsid "$@" >"$RUN_DIR/logs/$name.log" 2>&1 9>&- &
	else
		netns_exec "$PREFIX" "$ns" setsid "$@" >"$RUN_DIR/logs/$name.log" 2>&1 9>&- &
	fi
	pid_of[$name]=$!
	order+=("$name")
	echo "$!" >>"$RUN_DIR/pids"
}

# SIGTERM in reverse order of start (accountservices before the registry and
# the broker, so that their DOWN tokens are seen), SIGKILL after 5 s; then the
# broker with its epmd, and the namespaces if this run made them.
stopping=0
stop_all() {
	local i name pid t
	[[ $stopping -eq 1 ]] && return
	stopping=1
	trap '' INT TERM HUP
	echo
	say "stopping"
	for ((i = ${#order[@]} - 1; i >= 0; i--)); do
		name=${order[$i]}
		pid=${pid_of[$name]}
		kill -TERM "$pid" 2>/dev/null || continue
		for ((t = 0; t < 50; t++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null && say "$name did not stop in 5 s: killed"
		wait "$pid" 2>/dev/null || true
	done
	broker_stop
	if [[ -f "$RUN_DIR/netns" ]]; then netns_down "$PREFIX"; fi
	rm -f "$RUN_DIR/pids" "$RUN_DIR/netns" "$RUN_DIR"/*.db "$RUN_DIR"/*.db-lock
	say "stopped; logs are in $RUN_DIR/logs"
}
trap stop_all EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# wait_http URL NAME: until URL answers (any status), at most 15 s.
wait_http() {
	local i
	for ((i = 0; i < 150; i++)); do
		curl -s -o /dev/null --max-time 1 "$1" && return 0
		kill -0 "${pid_of[$2]}" 2>/dev/null || break
		sleep 0.1
	done
	echo "run.sh: $2 did not come up; its log:" >&2
	tail -n 20 "$RUN_DIR/logs/$2.log" >&2
	return 1
}

# --- broker -------------------------------------------------------------------
if ((RABBIT_NODES > 1)); then
	say "starting a RabbitMQ cluster of $RABBIT_NODES nodes in $RUN_DIR/rabbit"
	scripts/rabbitmq-cluster.sh start "$RUN_DIR/rabbit" "$RABBIT_NODES" 9>&-
	# shellcheck disable=SC1091
	source "$RUN_DIR/rabbit/env"
	# Users live in the cluster, made on any node; ports are the nodes'.
	first_node=$RUN_DIR/rabbit/n1
	node_ports=()
	for d in $RABBIT_NODE_DIRS; do
		# shellcheck disable=SC1091
		node_ports+=("$(source "$d/env" && echo "$RABBIT_PORT")")
	done
else
	say "starting RabbitMQ in $RUN_DIR/rabbit"
	scripts/rabbitmq.sh start "$RUN_DIR/rabbit" 9>&-
	# shellcheck disable=SC1091
	source "$RUN_DIR/rabbit/env"
	first_node=$RUN_DIR/rabbit
	node_ports=("$RABBIT_PORT")
fi
local_amqp=$AMQP_SERVER_URL

# --- hosts --------------------------------------------------------------------
if [[ $mode == netns ]]; then
	# Recorded first: whatever part of the topology is made is undone.
	echo "$PREFIX" >"$RUN_DIR/netns"
	netns_up "$PREFIX" "$NET"
	host=$NET.1
	# RabbitMQ's guest user works only over loopback: the instances get a
	# user of their own, allowed only what an accountservice does.
	password=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
	scripts/rabbitmq.sh service-user "$first_node" accountservice "$password" accountservice \
		${QUOTES_DISCOVERY:-}
	instance_amqp=$(for port in "${node_ports[@]}"; do
		echo "amqp://accountservice:$password@$host:$port/"
	done | paste -sd,)
	password=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
	scripts/rabbitmq.sh service-user "$first_node" quotes-service "$password" quotes-service
	quotes_amqp=$(for port in "${node_ports[@]}"; do
		echo "amqp://quotes-service:$password@$host:$port/"
	done | paste -sd,)
	acct_addrs=() quotes_addrs=()
	for ((i = 1; i <= INSTANCES; i++)); do
		netns_host "$PREFIX" "$NET" "acct$i" $((10 + i))
		acct_addrs+=("$NET.$((10 + i)):6767")
	done
	for ((i = 1; i <= QUOTES; i++)); do
		netns_host "$PREFIX" "$NET" "quotes$i" $((20 + i))
		quotes_addrs+=("$NET.$((20 + i)):8080")
	done
	quotes_vip=$host:$QUOTES_VIP_PORT
else
	host=127.0.0.1
	instance_amqp=$local_amqp quotes_amqp=$local_amqp
	acct_addrs=() quotes_addrs=()
	# Each program binds all addresses: distinct ports, next to the
	# balancers' own.
	for ((i = 1; i <= INSTANCES; i++)); do
		acct_addrs+=("127.0.0.$((1 + i)):$((ACCOUNTS_PORT + i))")
	done
	for ((i = 1; i <= QUOTES; i++)); do
		quotes_addrs+=("127.0.0.1:$((QUOTES_VIP_PORT + i))")
	done
	quotes_vip=127.0.0.1:$QUOTES_VIP_PORT
fi

# --- quotes-service stand-ins and the balancers ---------------------------------
for ((i = 1; i <= QUOTES; i++)); do
	addr=${quotes_addrs[$((i - 1))]}
	if [[ $mode == netns ]]; then
		start "quotes$i" "quotes$i" "$BIN/quotes-standin" --port 8080
	else
		start "quotes$i" - "$BIN/quotes-standin" --port "${addr##*:}"
	fi
	if [[ $QUOTES_MODE == discovery ]]; then
		# The sidecar runs beside its stand-in (in its namespace) and
		# announces it; nothing balances the calls to the two.
		AMQP_SERVER_URL=$quotes_amqp SERVICE_NAME=quotes-service ADVERTISE_ADDR=${addr%:*} \
			SERVER_PORT=${addr##*:} start "quotes$i-sidecar" \
			"$([[ $mode == netns ]] && echo "quotes$i" || echo -)" "$BIN/publisher"
	fi
done
netns_balancer_config "$RUN_DIR/haproxy.cfg" "0.0.0.0:$ACCOUNTS_PORT" "$quotes_vip" \
	"${acct_addrs[*]}" "${quotes_addrs[*]}"
start balancer - haproxy -db -f "$RUN_DIR/haproxy.cfg"

# --- registry and accountservices -------------------------------------------------
say "starting the registry on :$REGISTRY_PORT"
AMQP_SERVER_URL=$local_amqp REGISTRY_PORT=$REGISTRY_PORT start registry - "$BIN/registry"
wait_http "$REG/health" registry
# The aggregator checks each instance's /health at its advertised address,
# which the host reaches in both modes (the bridge, or loopback).
say "starting the aggregator on :$AGGREGATOR_PORT"
AMQP_SERVER_URL=$local_amqp AGGREGATOR_PORT=$AGGREGATOR_PORT start aggregator - "$BIN/aggregator"
wait_http "$AGG/health" aggregator

for ((i = 1; i <= INSTANCES; i++)); do
	addr=${acct_addrs[$((i - 1))]}
	export AMQP_SERVER_URL=$instance_amqp QUOTES_URL="http://$quotes_vip/api/quote?strength=4"
	# With QUOTES_DISCOVERY the URL's host and port are each call's
	# instance's: the logical name is what a deployment would write.
	[[ $QUOTES_MODE == vip ]] || QUOTES_URL="http://quotes-service:8080/api/quote?strength=4"
	export DB_PATH=$RUN_DIR/accounts$i.db SERVICE_NAME=accountservice
	if [[ $mode == netns ]]; then
		ADVERTISE_CIDR=$NET.0/24 SERVER_PORT=6767 start "acct$i" "acct$i" "$BIN/accountservice"
	else
		ADVERTISE_ADDR=${addr%:*} SERVER_PORT=${addr##*:} start "acct$i" - "$BIN/accountservice"
	fi
done
for ((i = 1; i <= INSTANCES; i++)); do
	wait_http "http://${acct_addrs[$((i - 1))]}/health" "acct$i"
done
for ((i = 1; i <= QUOTES; i++)); do
	wait_http "http://${quotes_addrs[$((i - 1))]}/api/quote?strength=1" "quotes$i"
done

# The banner's blocking query quotes the service's index once every instance
# is listed UP: from then on only a change moves it (renewals do not), so
# the query blocks until one happens.
all_up() {
	curl -sf --max-time 1 "$REG/services/accountservice?state=UP" |
		jq -e --argjson n "$INSTANCES" '.instances | length == $n' >/dev/null
}
for ((i = 0; i < 150; i++)); do
	all_up && break
	sleep 0.1
done
all_up || say "the registry does not list all $INSTANCES accountservices UP yet"
index=$(curl -sf --max-time 1 "$REG/services/accountservice" | jq .index)

# Which broker node each program is on, from its own log (masked URLs).
nodes=""
if ((RABBIT_NODES > 1)); then
	nodes=$'\n  Broker nodes: stop one with scripts/rabbitmq.sh pause DIR (resume DIR starts it again)\n'
	for ((i = 1; i <= RABBIT_NODES; i++)); do
		nodes+="    DIR $RUN_DIR/rabbit/n$i: port ${node_ports[$((i - 1))]}"$'\n'
	done
	for name in registry $(for ((i = 1; i <= INSTANCES; i++)); do echo "acct$i"; done); do
		node=$(grep -o 'node=[^ ]*' "$RUN_DIR/logs/$name.log" | tail -n 1)
		nodes+="    $name is on ${node#node=}"$'\n'
	done
fi
# What the banner says of the quote calls, in either mode.
quotes_banner() {
	if [[ $QUOTES_MODE == vip ]]; then
		echo "  quotes-service VIP (2 stand-ins):             http://$quotes_vip/api/quote?strength=4"
		echo "  (client-side balancing instead: make run-discovery, or QUOTES_MODE=discovery)"
		return
	fi
	echo "  quote calls balanced by each accountservice (QUOTES_DISCOVERY=quotes-service)"
	echo "  over the stand-ins its sidecars announce: ${quotes_addrs[*]}"
	echo "    curl -s $REG/services/quotes-service   # the instances it follows"
	echo "    kill -9 ${pid_of[quotes1]} ${pid_of[quotes1-sidecar]}   # quotes1 crashes: its calls go to quotes2"
}

cat <<EOF

  The system is up ($mode mode). Logs: $RUN_DIR/logs/

  accountservice (balanced over ${INSTANCES} instances):  http://127.0.0.1:$ACCOUNTS_PORT/accounts/10000
  registry:                                     $REG/services/accountservice
  aggregator (every instance's health):         $AGG/status
$(quotes_banner)
$nodes
  Try (servedBy and the quote's ipAddress change from call to call):
    for i in 1 2 3 4 5 6; do curl -s http://127.0.0.1:$ACCOUNTS_PORT/accounts/10000; echo; done
    curl -s $REG/services/accountservice
    curl -s "$REG/services/accountservice?index=$index&wait=30s"   # blocks until a change, e.g.:
    kill ${pid_of[acct1]}    # acct1 says goodbye; watch it leave the registry
    curl -sN $REG/events    # live events
    curl -s $AGG/status     # every instance with its last health check
    curl -s http://${acct_addrs[0]}/testability/healthy/false   # acct1 turns healthy:false there
    curl -s $AGG/turbine/accountservice

  Ctrl-C stops everything.
EOF

# Report instances that exit while running, until Ctrl-C or the owner's end.
declare -A reported
while sleep 1; do
	if [[ -n "${RUN_OWNER:-}" ]] && ! kill -0 "$RUN_OWNER" 2>/dev/null; then
		say "what started this run (pid $RUN_OWNER) is gone"
		exit 143
	fi
	for name in "${order[@]}"; do
		if [[ -z "${reported[$name]:-}" ]] && ! kill -0 "${pid_of[$name]}" 2>/dev/null; then
			reported[$name]=1
			say "$name exited (log: $RUN_DIR/logs/$name.log)"
		fi
	done
done
