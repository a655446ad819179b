# shellcheck shell=bash
# The prologue and helpers of the shell tests (tests/integration/*.sh) and
# the benchmarks (bench/*.sh), sourced. Sourcing it sets errexit and:
#
#   ROOT BUILD BIN  the repository, the build folder (absolute), its bin/
#   TMP             a fresh work folder, removed on exit
#   STARTED         PIDs of the processes started, each stopped with SIGTERM
#                   and awaited on exit, also on failure
#
# and defines free_port and now_ms (scripts/lib.sh), and below use_broker,
# fail, pass, stop_clean, wait_for, wait_http, start_quotes, free_range,
# run_ports and consume_tokens.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"
BUILD=${BUILD:-build}
[[ "$BUILD" = /* ]] || BUILD="$ROOT/$BUILD"
BIN=$BUILD/bin
# Named after the script: /tmp/discovery-integration-test_x.*, -bench-x.*
LIB_NAME=discovery-$(basename "$(dirname "$0")")-$(basename "$0" .sh)
TMP=$(mktemp -d "/tmp/$LIB_NAME.XXXXXX")
STARTED=()

cleanup() {
	local p
	for p in "${STARTED[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for p in "${STARTED[@]}"; do wait "$p" 2>/dev/null || true; done
	if [[ -n "${OWN_RABBIT:-}" ]]; then "$ROOT/scripts/rabbitmq.sh" stop "$OWN_RABBIT"; fi
	rm -rf "$TMP"
}
trap cleanup EXIT

# use_broker given|own: the broker in AMQP_SERVER_URL. When none is set,
# "given" stops (tests run through tests/run.sh, which starts one) and "own"
# starts a private node, stopped on exit (benchmarks run on their own).
# Sets AMQP_URL, the URL for amqp-tools, which read a trailing "/" as the
# empty vhost instead of the default "/".
use_broker() {
	if [[ -z "${AMQP_SERVER_URL:-}" ]]; then
		[[ "$1" == own ]] || { echo "run through tests/run.sh (needs a broker)" >&2; exit 1; }
		OWN_RABBIT=$(mktemp -d "/tmp/$LIB_NAME-rabbit.XXXXXX")
		"$ROOT/scripts/rabbitmq.sh" start "$OWN_RABBIT" >/dev/null
		# shellcheck disable=SC1091
		source "$OWN_RABBIT/env"
	fi
	# shellcheck disable=SC2034 # for the scripts that source this
	AMQP_URL=${AMQP_SERVER_URL%/}
}

# fail MESSAGE: says it with the last lines of every log in TMP, exits 1.
fail() {
	local f
	echo "FAIL: $*" >&2
	for f in "$TMP"/*.log; do
		[[ -f "$f" ]] && { echo "--- $f" >&2; tail -n 20 "$f" >&2; }
	done
	exit 1
}
pass() { echo "ok: $*"; }

# stop_clean PID NAME: stops PID with SIGTERM; fails unless it exits 0.
stop_clean() {
	local rc=0
	kill -TERM "$1"
	wait "$1" || rc=$?
	[[ $rc -eq 0 ]] || fail "$2 exited with $rc after SIGTERM"
}

# wait_for TIMEOUT_MS COMMAND...: polls COMMAND every 10 ms until it
# succeeds or TIMEOUT_MS passes; prints the milliseconds it took.
wait_for() {
	local timeout=$1 start
	shift
	start=$(now_ms)
	while ! "$@" >/dev/null 2>&1; do
		(($(now_ms) - start > timeout)) && return 1
		sleep 0.01
	done
	echo $(($(now_ms) - start))
}

# wait_http URL: up to 5 s for a 200, else fail.
wait_http() {
	for _ in $(seq 100); do
		curl -fs -o /dev/null "$1" && return 0
		sleep 0.05
	done
	fail "no answer from $1"
}

# start_quotes NAME [flags...]: a quotes-service stand-in on a free port,
# its log in TMP/NAME.log; sets PORT.
start_quotes() {
	local name=$1
	shift
	PORT=$(free_port)
	"$BIN/quotes-standin" --port "$PORT" "$@" >"$TMP/$name.log" 2>&1 &
	STARTED+=($!)
	wait_http "http://127.0.0.1:$PORT/health"
}

# start_silent: a local listener that accepts and never answers (a silent
# peer: the kernel completes the handshake, nothing more comes); sets SILENT
# to its port.
start_silent() {
	SILENT=$(free_port)
	/usr/bin/python3 -c '
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(64)
time.sleep(600)' "$SILENT" &
	STARTED+=($!)
	wait_for 5000 bash -c "exec 3<>/dev/tcp/127.0.0.1/$SILENT" >/dev/null || fail "no silent listener"
}

# free_range N: a free port P with P+1 ... P+N free too.
free_range() {
	local p i tries
	for ((tries = 0; tries < 100; tries++)); do
		p=$(free_port)
		for ((i = 1; i <= $1; i++)); do
			ss -Htan "sport = :$((p + i))" | grep -q . && continue 2
		done
		echo "$p"
		return 0
	done
	return 1
}

# run_ports: free ports for a scripts/run.sh beside any other, in
# ACCOUNTS_PORT and QUOTES_VIP_PORT (each with the ports after it that a
# loopback run takes), REGISTRY_PORT and AGGREGATOR_PORT; REG and AGG are
# the registry's and the aggregator's URLs.
run_ports() {
	ACCOUNTS_PORT=$(free_range 3) || fail "no 4 free ports in a row"
	QUOTES_VIP_PORT=$(free_range 2) || fail "no 3 free ports in a row"
	REGISTRY_PORT=$(free_port) || fail "no free port"
	REG=http://127.0.0.1:$REGISTRY_PORT
	AGGREGATOR_PORT=$(free_port) || fail "no free port"
	AGG=http://127.0.0.1:$AGGREGATOR_PORT
}

# consume_tokens FILE ROUTING_KEY COMMAND...: a consumer of the discovery
# exchange bound with ROUTING_KEY that runs COMMAND for each message (the
# body on its stdin), its output appended to FILE; returns once a token is
# in FILE, and sets CONSUMER. The exchange exists once a publisher has
# connected, and the consumer is bound once a token reaches it: until then,
# a consumer that fails to bind exits and another is started (10 tries).
consume_tokens() {
	local file=$1 key=$2
	shift 2
	for _ in $(seq 10); do
		amqp-consume -u "$AMQP_URL" -e discovery -r "$key" -x -A -- "$@" \
			>>"$file" 2>"$TMP/consumer.log" &
		CONSUMER=$!
		wait_for 5000 consumer_bound_or_gone "$file" >/dev/null || true
		if consumer_bound "$file"; then
			STARTED+=("$CONSUMER")
			return 0
		fi
		kill "$CONSUMER" 2>/dev/null || true
		wait "$CONSUMER" || true
	done
	fail "no token reached a consumer of the discovery exchange"
}
consumer_bound() { grep -q '"state"' "$1" 2>/dev/null; }
consumer_bound_or_gone() { consumer_bound "$1" || ! kill -0 "$CONSUMER"; }
