#!/usr/bin/env bash
# accountservice benchmark: wrk on /accounts/10000 with the quote call on,
# the quotes-service played by nginx returning a fixed quote on loopback (so
# it is not the bottleneck), then the same with a quotes-service that sleeps
# 5 s (the stand-in with --delay-ms 5000). Prints requests/s, p50/p99, CPU
# time per request and memory idle and peak beside the Go original's
# numbers, with ratios. Memory is given three ways: VmRSS (every resident
# page mapped, shared-library pages included), PSS (shared pages divided
# among the processes mapping them) and USS (Private_Clean + Private_Dirty:
# the pages only this process maps, what stopping it would free; it counts
# a library's clean pages too while no other process maps that library, so
# it moves with what else runs) and Private_Dirty (anonymous memory and
# relocated library data: the steady part of what is the service's own). The Go
# original is one static binary, so its RSS is close to its USS. Never
# fails on numbers.
#
#   BUILD=build bench/accountservice.sh      (DURATION=10s CONNS=50)
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/../tests/lib.sh"
DURATION=${DURATION:-10s}
CONNS=${CONNS:-50}
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
  server {
    listen 127.0.0.1:$nginx_port;
    location /api/quote {
      default_type application/json;
      return 200 '{"quote":"Simplicity is prerequisite for reliability.","ipAddress":"nginx/127.0.0.1:$nginx_port","language":"en"}';
    }
  }
}
CONF
nginx -p "$TMP/nginx" -c "$TMP/nginx/nginx.conf" -g 'daemon off;' 2>"$TMP/nginx.log" &
STARTED+=($!)
wait_http "http://127.0.0.1:$nginx_port/api/quote"

# --- measurements ------------------------------------------------------------
ticks=$(getconf CLK_TCK)
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
status_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
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

# wrk_run PID URL: sets RPS P50 P99 REQS CPU_US (CPU per request).
wrk_run() {
	local pid=$1 url=$2 before after out
	before=$(cpu_ticks "$pid")
	# The kernel keeps a peak of VmRSS only (VmHWM): sample USS and PSS.
	while kill -0 "$pid" 2>/dev/null; do uss_pss_kb "$pid"; sleep 0.2; done \
		>"$TMP/mem.txt" 2>/dev/null &
	sampler=$!
	out=$(wrk -t2 -c"$CONNS" -d"$DURATION" --timeout 10s --latency "$url")
	after=$(cpu_ticks "$pid")
	kill "$sampler" 2>/dev/null || true
	wait "$sampler" 2>/dev/null || true
	USS_PEAK=$(awk '$1 > m { m = $1 } END { print m + 0 }' "$TMP/mem.txt")
	PSS_PEAK=$(awk '$2 > m { m = $2 } END { print m + 0 }' "$TMP/mem.txt")
	DIRTY_PEAK=$(awk '$3 > m { m = $3 } END { print m + 0 }' "$TMP/mem.txt")
	echo "$out" >>"$TMP/wrk.txt"
	RPS=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' <<<"$out")
	P50=$(awk '$1 == "50%" { print $2 }' <<<"$out")
	P99=$(awk '$1 == "99%" { print $2 }' <<<"$out")
	REQS=$(awk '/requests in/ { print $1 }' <<<"$out")
	CPU_US=$(awk -v d=$((after - before)) -v t="$ticks" -v n="$REQS" \
		'BEGIN { if (n > 0) printf "%.0f", d / t * 1e6 / n; else print "-" }')
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0 && a != "-") printf "%.2fx", a / b; else print "-" }'; }
mb() { awk -v k="$1" 'BEGIN { printf "%.1f MB", k / 1000 }'; }

start_service fast "http://127.0.0.1:$nginx_port/api/quote?strength=4"
fast_pid=$SVC_PID
curl -sf -o /dev/null "$SVC_URL/accounts/10000"
sleep 1
idle_kb=$(status_kb "$fast_pid" VmRSS)
read -r idle_uss_kb idle_pss_kb idle_dirty_kb < <(uss_pss_kb "$fast_pid")
wrk_run "$fast_pid" "$SVC_URL/accounts/10000"
peak_kb=$(status_kb "$fast_pid" VmHWM)
fast_rps=$RPS fast_p50=$P50 fast_p99=$P99 fast_cpu=$CPU_US
peak_uss_kb=$USS_PEAK peak_pss_kb=$PSS_PEAK peak_dirty_kb=$DIRTY_PEAK

start_quotes slow-quotes --delay-ms 5000
slow_port=$PORT
start_service slow "http://127.0.0.1:$slow_port/api/quote?strength=4"
slow_pid=$SVC_PID
wrk_run "$slow_pid" "$SVC_URL/accounts/10000"
slow_rps=$RPS slow_p50=$P50 slow_p99=$P99 slow_peak_kb=$(status_kb "$slow_pid" VmHWM)

echo "accountservice, wrk $CONNS connections for $DURATION on /accounts/10000 ($(nproc) CPUs)"
row() { printf '%-36s %14s %14s %8s\n' "$@"; }
row "" "accountservice" "Go original" "ratio"
row "requests/s (quote from nginx)" "$fast_rps" "$GO_RPS" "$(ratio "$fast_rps" "$GO_RPS")"
row "latency p50 / p99" "$fast_p50 / $fast_p99" "-" "-"
row "CPU time per request" "$fast_cpu us" "$GO_CPU_US us" "$(ratio "$fast_cpu" "$GO_CPU_US")"
row "memory idle, VmRSS" "$(mb "$idle_kb")" "$(mb $GO_IDLE_KB)" "$(ratio "$idle_kb" "$GO_IDLE_KB")"
row "memory idle, PSS" "$(mb "$idle_pss_kb")" "-" "$(ratio "$idle_pss_kb" "$GO_IDLE_KB")"
row "memory idle, USS" "$(mb "$idle_uss_kb")" "-" "$(ratio "$idle_uss_kb" "$GO_IDLE_KB")"
row "memory idle, Private_Dirty" "$(mb "$idle_dirty_kb")" "-" "$(ratio "$idle_dirty_kb" "$GO_IDLE_KB")"
row "memory peak, VmHWM" "$(mb "$peak_kb")" "$(mb $GO_PEAK_KB)" "$(ratio "$peak_kb" "$GO_PEAK_KB")"
row "memory peak, PSS (sampled)" "$(mb "$peak_pss_kb")" "-" "$(ratio "$peak_pss_kb" "$GO_PEAK_KB")"
row "memory peak, USS (sampled)" "$(mb "$peak_uss_kb")" "-" "$(ratio "$peak_uss_kb" "$GO_PEAK_KB")"
row "memory peak, Private_Dirty (sampled)" "$(mb "$peak_dirty_kb")" "-" "$(ratio "$peak_dirty_kb" "$GO_PEAK_KB")"
echo "targets: >= $((2 * GO_RPS)) requests/s, idle < 2.5 MB, peak < 6 MB"
echo "(ratios of PSS, USS and Private_Dirty are against the Go original's RSS; the rest of VmRSS"
echo " is pages of shared libraries: libcrypto, gnutls, libcurl and its dependencies)"
echo
echo "quotes-service sleeping 5 s, QUOTES_TIMEOUT_MS=1000, $CONNS connections"
printf '%-36s %14s\n' "requests/s (all with the fallback)" "$slow_rps"
printf '%-36s %14s\n' "latency p50 / p99" "$slow_p50 / $slow_p99"
printf '%-36s %14s\n' "resident memory peak (VmHWM)" "$(mb "$slow_peak_kb")"
echo "every request ends at the 1 s timeout; none waits behind another's quote"
