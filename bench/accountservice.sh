#!/usr/bin/env bash
# accountservice benchmark: wrk on /accounts/10000 with the quote call on,
# the quotes-service played by nginx returning a fixed quote on loopback (so
# it is not the bottleneck), then the same with a quotes-service that sleeps
# 5 s (the stand-in with --delay-ms 5000). Prints requests/s (the median of
# RUNS runs: this machine is shared, and one run can be 10 % off), p50/p99,
# CPU time per request of the service and of the stand-in, and memory idle
# and peak beside the Go original's numbers, with ratios, and beside the
# floor of the service's libraries (bench/lib_floor.c). Memory is given three ways: VmRSS (every resident
# page mapped, shared-library pages included), PSS (shared pages divided
# among the processes mapping them) and USS (Private_Clean + Private_Dirty:
# the pages only this process maps, what stopping it would free; it counts
# a library's clean pages too while no other process maps that library, so
# it moves with what else runs) and Private_Dirty (anonymous memory and
# relocated library data: the steady part of what is the service's own). The Go
# original is one static binary, so its RSS is close to its USS. Never
# fails on numbers. Its figures also go to the table of `make bench`
# (bench/harness.sh's BENCH_ROWS).
#
#   BUILD=build bench/accountservice.sh      (DURATION=10s CONNS=50 RUNS=3)
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/../tests/lib.sh"
# shellcheck source=bench/harness.sh
source "$(dirname "$0")/harness.sh"
DURATION=${DURATION:-10s}
CONNS=${CONNS:-50}
RUNS=${RUNS:-3}
# The Go original on a machine like ours, 50 connections, quote call on.
GO_RPS=4300 GO_CPU_US=240 GO_IDLE_KB=7600 GO_PEAK_KB=17000

# The instance announces itself as in production, so a broker is needed.
use_broker own

# --- nginx: a fixed quote ----------------------------------------------------
nginx_port=$(free_port)
mkdir -p "$TMP/nginx/logs"
cat >"$TMP/nginx/nginx.conf" <<CONF
worker_processes 1;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $TMP/nginx/body;
  proxy_temp_path $TMP/nginx/proxy;
  fastcgi_temp_path $TMP/nginx/fastcgi;
  uwsgi_temp_path $TMP/nginx/uwsgi;
  scgi_temp_path $TMP/nginx/scgi;
  # The stand-in does as little as it can per call, as a quotes-service on
  # another machine would cost this one nothing: woken only once the
  # request is in (deferred), and closing at once, as the service's
  # "Connection: close" asks (it never sends a second request on a
  # connection).
  keepalive_requests 1;
  server {
    listen 127.0.0.1:$nginx_port deferred;
    location /api/quote {
      default_type application/json;
      return 200 '{"quote":"Simplicity is prerequisite for reliability.","ipAddress":"nginx/127.0.0.1:$nginx_port","language":"en"}';
    }
  }
}
CONF
nginx -p "$TMP/nginx" -c "$TMP/nginx/nginx.conf" -g 'daemon off;' 2>"$TMP/nginx.log" &
nginx_master=$!
STARTED+=("$nginx_master")
wait_http "http://127.0.0.1:$nginx_port/api/quote"

# --- measurements ------------------------------------------------------------
# "USS PSS Private_Dirty" in kB, from smaps_rollup.
uss_pss_kb() {
	awk '$1 == "Private_Clean:" || $1 == "Private_Dirty:" { u += $2 }
		$1 == "Pss:" { p = $2 } $1 == "Private_Dirty:" { d = $2 }
		END { print u, p, d }' "/proc/$1/smaps_rollup"
}

# start_service NAME QUOTES_URL: sets SVC_PID and SVC_URL.
start_service() {
	local port
	port=$(free_port)
	DISCOVERY_INTERVAL=2 "$BIN/accountservice" --port "$port" --log-level warn \
		--db-path "$TMP/$1.db" --quotes-url "$2" 2>"$TMP/$1.log" &
	SVC_PID=$!
	STARTED+=("$SVC_PID")
	SVC_URL=http://127.0.0.1:$port
	wait_http "$SVC_URL/health"
}

# wrk_once PID URL: one wrk run; appends "rps p50 p99 requests ticks
# stand-in-ticks" to $TMP/runs.txt and keeps sampling memory into
# $TMP/mem.txt ("USS PSS Private_Dirty"; the kernel keeps a peak of VmRSS
# only, VmHWM).
wrk_once() {
	local pid=$1 url=$2 before after sbefore safter out sampler
	before=$(cpu_ticks "$pid")
	sbefore=$(stand_in_ticks)
	while kill -0 "$pid" 2>/dev/null; do uss_pss_kb "$pid"; sleep 0.2; done \
		>>"$TMP/mem.txt" 2>/dev/null &
	sampler=$!
	out=$(wrk -t2 -c"$CONNS" -d"$DURATION" --timeout 10s --latency "$url")
	after=$(cpu_ticks "$pid")
	safter=$(stand_in_ticks)
	kill "$sampler" 2>/dev/null || true
	wait "$sampler" 2>/dev/null || true
	echo "$out" >>"$TMP/wrk.txt"
	echo "$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' <<<"$out")" \
		"$(awk '$1 == "50%" { print $2 }' <<<"$out")" \
		"$(awk '$1 == "99%" { print $2 }' <<<"$out")" \
		"$(awk '/requests in/ { print $1 }' <<<"$out")" \
		$((after - before)) $((safter - sbefore)) >>"$TMP/runs.txt"
}

# wrk_runs PID URL N: N runs; sets RPS P50 P99 (of the median run by
# requests/s), CPU_US and STAND_IN_US (CPU per request over all runs), and
# the sampled memory peaks USS_PEAK PSS_PEAK DIRTY_PEAK.
wrk_runs() {
	: >"$TMP/runs.txt"
	: >"$TMP/mem.txt"
	for ((i = 0; i < $3; i++)); do wrk_once "$1" "$2"; done
	read -r RPS P50 P99 < <(sort -n "$TMP/runs.txt" | awk -v m=$((($3 + 1) / 2)) 'NR == m { print $1, $2, $3 }')
	read -r CPU_US STAND_IN_US < <(awk -v t="$TICKS" '{ n += $4; c += $5; s += $6 }
		END { if (n > 0) printf "%.0f %.0f\n", c / t * 1e6 / n, s / t * 1e6 / n; else print "- -" }' "$TMP/runs.txt")
	USS_PEAK=$(awk '$1 > m { m = $1 } END { print m + 0 }' "$TMP/mem.txt")
	PSS_PEAK=$(awk '$2 > m { m = $2 } END { print m + 0 }' "$TMP/mem.txt")
	DIRTY_PEAK=$(awk '$3 > m { m = $3 } END { print m + 0 }' "$TMP/mem.txt")
}

# The CPU ticks of the nginx workers.
stand_in_ticks() {
	local t=0 w
	for w in $(pgrep -P "$nginx_master"); do t=$((t + $(cpu_ticks "$w"))); done
	echo "$t"
}

ratio() { local r; r=$(bench_ratio "$1" "$2"); [[ $r == - ]] && echo - || echo "${r}x"; }
mb() { awk -v k="$1" 'BEGIN { printf "%.1f MB", k / 1000 }'; }

read -r floor_kb floor_dirty_kb < <("$BUILD/bench/lib_floor")

start_service fast "http://127.0.0.1:$nginx_port/api/quote?strength=4"
fast_pid=$SVC_PID
curl -sf -o /dev/null "$SVC_URL/accounts/10000"
sleep 1
idle_kb=$(status_kb "$fast_pid" VmRSS)
read -r idle_uss_kb idle_pss_kb idle_dirty_kb < <(uss_pss_kb "$fast_pid")
# The service's side of TIME_WAIT towards nginx: the service closes only
# after nginx's FIN, so nginx keeps them all.
time_waits() { ss -Htan state time-wait "( dport = :$nginx_port )" | wc -l; }
tw_before=$(time_waits)
wrk_runs "$fast_pid" "$SVC_URL/accounts/10000" "$RUNS"
tw_after=$(time_waits)
peak_kb=$(status_kb "$fast_pid" VmHWM)
fast_rps=$RPS fast_p50=$P50 fast_p99=$P99 fast_cpu=$CPU_US fast_stand_in=$STAND_IN_US
peak_pss_kb=$PSS_PEAK peak_dirty_kb=$DIRTY_PEAK

start_quotes slow-quotes --delay-ms 5000
slow_port=$PORT
start_service slow "http://127.0.0.1:$slow_port/api/quote?strength=4"
slow_pid=$SVC_PID
wrk_runs "$slow_pid" "$SVC_URL/accounts/10000" 1
slow_rps=$RPS slow_p50=$P50 slow_p99=$P99 slow_peak_kb=$(status_kb "$slow_pid" VmHWM)

echo "accountservice, wrk $CONNS connections on /accounts/10000, median of $RUNS runs of $DURATION ($(nproc) CPUs)"
row() { printf '%-36s %15s %12s %12s %7s\n' "$@"; }
row "" "accountservice" "libraries" "Go original" "ratio"
row "requests/s (quote from nginx)" "$fast_rps" "-" "$GO_RPS" "$(ratio "$fast_rps" "$GO_RPS")"
row "latency p50 / p99" "$fast_p50 / $fast_p99" "-" "-" "-"
row "CPU time per request" "$fast_cpu us" "-" "$GO_CPU_US us" "$(ratio "$fast_cpu" "$GO_CPU_US")"
row "  and of the nginx stand-in" "$fast_stand_in us" "-" "-" "-"
row "TIME_WAIT to nginx, before/after" "$tw_before / $tw_after" "-" "-" "-"
row "memory idle, VmRSS" "$(mb "$idle_kb")" "$(mb "$floor_kb")" "$(mb $GO_IDLE_KB)" "$(ratio "$idle_kb" "$GO_IDLE_KB")"
row "memory idle, PSS" "$(mb "$idle_pss_kb")" "-" "-" "$(ratio "$idle_pss_kb" "$GO_IDLE_KB")"
row "memory idle, Private_Dirty" "$(mb "$idle_dirty_kb")" "$(mb "$floor_dirty_kb")" "-" "$(ratio "$idle_dirty_kb" "$GO_IDLE_KB")"
row "memory peak, VmHWM" "$(mb "$peak_kb")" "-" "$(mb $GO_PEAK_KB)" "$(ratio "$peak_kb" "$GO_PEAK_KB")"
row "memory peak, PSS (sampled)" "$(mb "$peak_pss_kb")" "-" "-" "$(ratio "$peak_pss_kb" "$GO_PEAK_KB")"
row "memory peak, Private_Dirty (sampled)" "$(mb "$peak_dirty_kb")" "-" "-" "$(ratio "$peak_dirty_kb" "$GO_PEAK_KB")"
echo "targets: >= $((2 * GO_RPS)) requests/s, idle < 2.5 MB, peak < 6 MB"
echo "(libraries: bench/lib_floor, the libraries the contract names linked and initialised,"
echo " nothing else; ratios of PSS and Private_Dirty are against the Go original's RSS)"
echo
echo "quotes-service sleeping 5 s, QUOTES_TIMEOUT_MS=1000, $CONNS connections"
printf '%-36s %15s\n' "requests/s (all with the fallback)" "$slow_rps"
printf '%-36s %15s\n' "latency p50 / p99" "$slow_p50 / $slow_p99"
printf '%-36s %15s\n' "resident memory peak (VmHWM)" "$(mb "$slow_peak_kb")"
echo "every request ends at the 1 s timeout; none waits behind another's quote"

# The same figures as rows of the one table of make bench.
mbv() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1000 }'; }
A="accountservice"
bench_ratio_row "$A requests/s (quote from nginx)" "$fast_rps req/s (p50 $fast_p50, p99 $fast_p99)" \
	"Go original $GO_RPS req/s" "$fast_rps" "$GO_RPS" '>=' 2.0
bench_ratio_row "$A CPU per request" "$fast_cpu µs" "Go original $GO_CPU_US µs" \
	"$fast_cpu" "$GO_CPU_US" '<=' 1.0
bench_row "$A memory idle (VmRSS / PSS / Private_Dirty)" \
	"$(mbv "$idle_kb") / $(mbv "$idle_pss_kb") / $(mbv "$idle_dirty_kb") MB" \
	"Go original $(mbv $GO_IDLE_KB) MB RSS" "$(bench_ratio "$idle_kb" "$GO_IDLE_KB")" "Private_Dirty < 2.5 MB (VmRSS cannot be, docs/accountservice.md)" \
	"$(bench_met "$(mbv "$idle_dirty_kb")" '<' 2.5)"
bench_row "$A memory peak (VmHWM / PSS / Private_Dirty)" \
	"$(mbv "$peak_kb") / $(mbv "$peak_pss_kb") / $(mbv "$peak_dirty_kb") MB" \
	"Go original $(mbv $GO_PEAK_KB) MB RSS" "$(bench_ratio "$peak_kb" "$GO_PEAK_KB")" "Private_Dirty < 6 MB" \
	"$(bench_met "$(mbv "$peak_dirty_kb")" '<' 6)"
bench_row "$A, quotes-service sleeping 5 s" "$slow_rps req/s (p50 $slow_p50, p99 $slow_p99)" \
	"-" "-" "-" "-"
