# Shared by tests/integration/test_registry*.sh: start the registry and
# publishers on free ports, publish by hand, poll and time answers.
# Everything started here is killed by PID on exit, also on failure.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-build}
[[ "$BUILD" = /* ]] || BUILD="$ROOT/$BUILD"
BIN=$BUILD/bin
: "${AMQP_SERVER_URL:?run through tests/run.sh (needs a broker)}"
# amqp-tools read a trailing "/" as the empty vhost; the default is "/".
AMQP_URL=${AMQP_SERVER_URL%/}
TMP=$(mktemp -d /tmp/registry-test.XXXXXX)
STARTED=()

cleanup() {
	local p
	for p in "${STARTED[@]}"; do
		kill -0 "$p" 2>/dev/null || continue
		kill -TERM "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	rm -rf "$TMP"
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*" >&2
	[[ -f "$TMP/registry.log" ]] && tail -20 "$TMP/registry.log" >&2
	exit 1
}
pass() { echo "ok: $*"; }
now_ms() { date +%s%3N; }

free_port() {
	local port
	while :; do
		port=$((20000 + RANDOM % 30000))
		ss -Htln "sport = :$port" | grep -q . || { echo "$port"; return; }
	done
}

# Polls "$@" every 10 ms until it succeeds or timeout_ms passes; prints the
# milliseconds it took. Usage: wait_for TIMEOUT_MS command...
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

# start_registry [flags...]: sets REG (base URL) and REG_PID. A port taken
# between the check and the bind (tests run in parallel) is retried.
start_registry() {
	local port attempt
	for attempt in 1 2 3; do
		port=$(free_port)
		"$BIN/registry" --port "$port" "$@" >>"$TMP/registry.log" 2>&1 &
		REG_PID=$!
		STARTED+=("$REG_PID")
		REG="http://127.0.0.1:$port"
		wait_for 5000 registry_up >/dev/null || true
		registry_connected >/dev/null && return 0
		kill -0 "$REG_PID" 2>/dev/null && break
	done
	fail "registry did not start and connect"
}

# Connected, or gone (then wait_for stops early and the caller retries).
registry_up() {
	registry_connected || ! kill -0 "$REG_PID" 2>/dev/null
}

registry_connected() {
	curl -sf "$REG/health" | jq -e '.amqp == "connected"'
}

# Stops the registry with SIGTERM and checks the clean exit.
stop_registry() {
	local rc=0
	kill -TERM "$REG_PID"
	wait "$REG_PID" || rc=$?
	[[ $rc -eq 0 ]] || fail "registry exited with $rc after SIGTERM"
}

# publish ROUTING_KEY BODY [amqp-publish options...]
publish() {
	local key=$1 body=$2
	shift 2
	amqp-publish -u "$AMQP_URL" -e discovery -r "$key" -C application/json \
		-b "$body" "$@"
}

# Instances listed for a service (optionally ?state=...).
count() { curl -sf "$REG/services/$1${2:+?state=$2}" | jq '.instances | length'; }
has_count() { [[ "$(count "$1")" == "$2" ]]; }
service_index() { curl -sf "$REG/services/$1" | jq '.index'; }
metric() { curl -sf "$REG/metrics" | awk -v m="$1" '$1 == m { print $2 }'; }

# start_publisher SERVICE ADDRESS [flags...]: the sidecar; sets PUB_PID.
start_publisher() {
	local service=$1 addr=$2
	shift 2
	[[ -x "$BIN/publisher" ]] || fail "needs $BIN/publisher (make all)"
	"$BIN/publisher" --amqp-url "$AMQP_SERVER_URL" --service-name "$service" \
		--advertise-addr "$addr" --port 8080 "$@" >>"$TMP/publisher.log" 2>&1 &
	PUB_PID=$!
	STARTED+=("$PUB_PID")
}

rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }
