# Shared by tests/integration/test_registry*.sh: start the registry and
# publishers on free ports, publish by hand, poll and time answers.
# Everything started here is stopped by PID on exit, also on failure
# (tests/lib.sh).
# shellcheck source=tests/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
use_broker given

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
stop_registry() { stop_clean "$REG_PID" registry; }

# publish ROUTING_KEY BODY [amqp-publish options...], on $EXCHANGE: a test
# that counts every token it sends sets its own (tests share one broker).
EXCHANGE=${EXCHANGE:-discovery}
publish() {
	local key=$1 body=$2
	shift 2
	amqp-publish -u "$AMQP_URL" -e "$EXCHANGE" -r "$key" -C application/json \
		-b "$body" "$@"
}

# Instances listed for a service (optionally ?state=...).
count() { curl -sf "$REG/services/$1${2:+?state=$2}" | jq '.instances | length'; }
has_count() { [[ "$(count "$1")" == "$2" ]]; }
service_index() { curl -sf "$REG/services/$1" | jq '.index'; }
metric() { curl -sf "$REG/metrics" | awk -v m="$1" '$1 == m { print $2 }'; }
metric_at_least() { (($(metric "$1") >= $2)); }
# Blocking queries held by the registry now, at least N: a query started in
# the background is waiting once this holds (no guess of how long it takes).
queries_waiting() { metric_at_least registry_blocking_queries_waiting "$1"; }

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

# start_publishers N SERVICE PREFIX [flags...]: N sidecars announcing
# PREFIX.1 … PREFIX.N, ttl 3 s (an interval of 1 s); their pids in PUBS.
start_publishers() {
	local n=$1 service=$2 prefix=$3 i
	shift 3
	PUBS=()
	for ((i = 1; i <= n; i++)); do
		start_publisher "$service" "$prefix.$i" --discovery-interval 1 "$@"
		PUBS+=("$PUB_PID")
	done
}

rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }
