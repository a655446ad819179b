#!/usr/bin/env bash
# Registry benchmark: wrk on /services/accountservice with 1,000 instances
# loaded, then the cost of thousands of held-open blocking queries and
# event streams (threads and resident memory of the registry), and wrk
# again while they are held. Prints a table; never fails on numbers.
#
#   BUILD=build bench/registry.sh      (HELD=5000 DURATION=10s CONNS=50)
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/../tests/lib.sh"
HELD=${HELD:-5000}
DURATION=${DURATION:-10s}
CONNS=${CONNS:-50}
INSTANCES=1000
use_broker own

port=$(free_port)
ulimit -n "$(ulimit -Hn)"
# Every held connection comes from this one address: lift the caps that
# keep one client from holding them all.
"$BIN/registry" --port "$port" --log-level warn --max-connections-per-client 0 \
	--max-waiting 0 --max-streams 0 2>"$TMP/registry.log" &
reg=$!
STARTED+=("$reg")
base=http://127.0.0.1:$port
wait_for 10000 curl -sf "$base/health" >/dev/null || fail "the registry did not answer"

# 1,000 instances with a long ttl, one connection for all of them.
for ((i = 0; i < INSTANCES; i++)); do
	printf '{"state":"UP","address":"10.%d.%d.%d","port":6767,"instanceId":"i%d","ttl":3600,"seq":1,"hostname":"host-%d"}\n' \
		$((i / 65536)) $((i / 256 % 256)) $((i % 256)) "$i" "$i"
done | amqp-publish -u "$AMQP_URL" -e discovery -r discovery.accountservice.up -l
for _ in $(seq 100); do
	n=$(curl -sf "$base/services" | jq '[.services[] | select(.name == "accountservice") | .instances] | add // 0')
	[[ $n == "$INSTANCES" ]] && break
	sleep 0.1
done
bytes=$(curl -sf "$base/services/accountservice" | wc -c)

threads() { awk '/^Threads/ { print $2 }' "/proc/$reg/status"; }
rss() { awk '/^VmRSS/ { print $2 }' "/proc/$reg/status"; }
metric() { curl -sf "$base/metrics" | awk -v m="$1" '$1 == m { print $2 }'; }

# wrk PATH -> "req/s p50 p99"
bench() {
	wrk -t2 -c"$CONNS" -d"$DURATION" --latency "$base$1" >"$TMP/wrk" 2>&1
	awk '/Requests\/sec/ { r = $2 } /^ +50%/ { p50 = $2 } /^ +99%/ { p99 = $2 }
	     END { printf "%s %s %s", r, p50, p99 }' "$TMP/wrk"
}

# Opens n connections that the registry holds: blocking queries or streams.
hold() {
	local path=$1 n=$2 i fd
	for ((i = 0; i < n; i++)); do
		exec {fd}<>"/dev/tcp/127.0.0.1/$port"
		printf 'GET %s HTTP/1.1\r\nHost: bench\r\n\r\n' "$path" >&"$fd"
		held+=("$fd")
	done
}
release() {
	local fd
	for fd in "${held[@]}"; do exec {fd}>&-; done
	held=()
}

printf '%-44s %12s %10s %10s %8s %10s\n' "case" "req/s" "p50" "p99" "threads" "RSS kB"
row() { printf '%-44s %12s %10s %10s %8s %10s\n' "$@"; }

idle_threads=$(threads)
idle_rss=$(rss)
row "idle, $INSTANCES instances loaded" - - - "$idle_threads" "$idle_rss"
read -r r p50 p99 <<<"$(bench /services/accountservice)"
row "wrk /services/accountservice (${bytes} B)" "$r" "$p50" "$p99" "$(threads)" "$(rss)"
read -r r p50 p99 <<<"$(bench /services)"
row "wrk /services" "$r" "$p50" "$p99" "$(threads)" "$(rss)"
read -r r p50 p99 <<<"$(bench '/services/accountservice?state=UP')"
row "wrk /services/accountservice?state=UP" "$r" "$p50" "$p99" "$(threads)" "$(rss)"
read -r r p50 p99 <<<"$(bench /turbine/accountservice)"
row "wrk /turbine/accountservice" "$r" "$p50" "$p99" "$(threads)" "$(rss)"

held=()
# Watchers watch one small service (a few instances), as they would.
for i in 1 2 3; do
	amqp-publish -u "$AMQP_URL" -e discovery -r discovery.watched.up \
		-b "{\"state\":\"UP\",\"address\":\"10.9.0.$i\",\"ttl\":3600,\"seq\":1}"
done
widx=$(curl -sf "$base/services/watched" | jq .index)
hold "/services/watched?index=$widx&wait=10m" "$HELD"
sleep 1
row "$HELD blocking queries held ($(metric registry_blocking_queries_waiting) waiting)" - - - "$(threads)" "$(rss)"
hold "/events" "$HELD"
sleep 1
row "+ $HELD event streams held ($(metric registry_event_streams_waiting) idle)" - - - "$(threads)" "$(rss)"
read -r r p50 p99 <<<"$(bench /services/accountservice)"
row "wrk /services/accountservice, all held" "$r" "$p50" "$p99" "$(threads)" "$(rss)"
# One change wakes every stream and every query on the service.
start=$(now_ms)
amqp-publish -u "$AMQP_URL" -e discovery -r discovery.watched.down \
	-b '{"state":"DOWN","address":"10.9.0.1","seq":2}'
for _ in $(seq 500); do
	[[ $(metric registry_blocking_queries_waiting) == 0 ]] && break
	sleep 0.01
done
row "one change answers $HELD queries, streams (ms)" "$(($(now_ms) - start))" - - "$(threads)" "$(rss)"
release
# A released stream is noticed at its next keep-alive comment (15 s), then
# the registry hands the freed memory back once the closes stop (1 s).
start=$(date +%s)
for _ in $(seq 300); do
	[[ $(metric registry_event_streams_waiting) == 0 &&
		$(metric registry_blocking_queries_waiting) == 0 ]] && break
	sleep 0.1
done
sleep 2
row "all released, $(($(date +%s) - start)) s later" - - - "$(threads)" "$(rss)"
